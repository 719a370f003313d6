"""The engine and the UI tests' fake engine both implement the trainee protocol: mypy checks the two
assignments below (this file is in `[tool.mypy] files`), and the test runs mypy on this file, so a
plain `pytest` proves it too. A signature comparison cannot see a wrong record or a missing key;
this can."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_engine import FakeExercise

from cyder.exercise.engine import Exercise
from cyder.exercise.protocol import LocalSession, TeamSession

ROOT = Path(__file__).resolve().parents[2]


def exercise_is_a_team_session(exercise: Exercise) -> TeamSession:
    """The in-process engine is what a trainee interface may use."""
    return exercise


def fake_is_a_team_session(fake: FakeExercise) -> TeamSession:
    """The fake engine the UI tests run the app on offers the same, with the same types."""
    return fake


def exercise_runs_in_this_process(exercise: Exercise) -> LocalSession:
    """`cyder play` hands the app an engine it runs itself."""
    return exercise


def fake_runs_in_this_process(fake: FakeExercise) -> LocalSession:
    """The UI tests hand the app the fake the same way."""
    return fake


def test_the_engine_and_the_fake_implement_the_protocol():
    """mypy finds no error in this file: both classes implement `TeamSession` (and `LocalSession`)."""
    api = pytest.importorskip("mypy.api", reason="mypy is not installed (pip install -e .[dev])")
    here = Path(__file__).resolve().parent
    stdout, stderr, status = api.run(["--config-file", str(ROOT / "pyproject.toml"),
                                      str(here / "fake_engine.py"), str(here / "test_session_protocol.py")])
    assert status in (0, 1), stdout + stderr  # 2: mypy itself failed
    # Only what mypy says about these two files counts here; the `mypy` gate covers the rest.
    ours = [line for line in stdout.splitlines() if line.startswith(("tests/ui/", str(here)))]
    assert not [line for line in ours if ": error:" in line], "\n".join(ours)

"""The application factory builds its stores and backend once, on first need, and closes only what
it opened; commands that never reach the range get a backend that refuses."""

import inspect
import sqlite3
from pathlib import Path

import pytest

from cyder.application import Application, Settings
from cyder.backend.base import BackendError, RangeBackend
from cyder.backend.offline import OfflineBackend
from cyder.errors import CyderError
from cyder.exercise.opening import ExerciseOptions

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = str(ROOT / "scenarios" / "targeted-email.yaml")


class CountingBackend:
    """A stand-in for Docker that counts how often it is built."""

    built = 0

    def __init__(self):
        CountingBackend.built += 1


@pytest.fixture
def counting():
    CountingBackend.built = 0
    return CountingBackend


def test_stores_and_backend_are_built_once_on_first_need(tmp_path, counting):
    app = Application(Settings(exercise_store=tmp_path / "exercises.sqlite"), backend=counting)
    assert counting.built == 0 and not (tmp_path / "exercises.sqlite").exists()
    first = app.open_exercise("blue", SCENARIO, ExerciseOptions(seed=7))
    second = app.open_exercise("blue")
    assert first.store is second.store is app.exercises
    assert first.backend is second.backend is app.backend
    assert counting.built == 1
    app.close()


def test_close_closes_only_what_was_opened(tmp_path):
    with Application(Settings(exercise_store=tmp_path / "exercises.sqlite"), backend=OfflineBackend) as app:
        store = app.exercises
        assert store.load("blue") is None
    with pytest.raises(sqlite3.ProgrammingError):
        store.load("blue")
    assert not (tmp_path / "cyder.sqlite").exists()  # the evidence store was never needed
    app.close()  # twice is harmless


def test_evidence_lives_beside_a_named_exercise_store(tmp_path):
    assert Settings(exercise_store=tmp_path / "x.sqlite").evidence_path == tmp_path / "cyder.sqlite"
    assert Settings(tmp_path / "x.sqlite", tmp_path / "ev.sqlite").evidence_path == tmp_path / "ev.sqlite"
    assert Settings().evidence_path is None  # the default under $CYDER_DATA
    with Application(Settings(exercise_store=tmp_path / "x.sqlite"), backend=OfflineBackend) as app:
        exercise = app.open_exercise("blue", SCENARIO, ExerciseOptions(seed=7), collect_evidence=True)
        assert exercise.evidence_store is app.evidence
        assert Path(app.evidence.path) == tmp_path / "cyder.sqlite"
        assert app.open_exercise("blue").evidence_store is None  # only play and run collect


def test_commands_that_do_not_reach_the_range_never_build_the_backend(tmp_path, counting):
    with Application(Settings(exercise_store=tmp_path / "x.sqlite"), backend=counting) as app:
        exercise = app.open_exercise("blue", SCENARIO, ExerciseOptions(seed=7), needs_range=False)
        assert isinstance(exercise.backend, OfflineBackend) and counting.built == 0
        exercise.submit_indicator("domain", exercise.variant.values["c2_domain"])
        with pytest.raises(BackendError, match="this command does not reach the range"):
            exercise.host_states()
        assert counting.built == 0


def test_the_offline_backend_refuses_every_method():
    backend = OfflineBackend()
    names = [name for name, member in inspect.getmembers(RangeBackend, inspect.isfunction)
             if not name.startswith("_")]
    assert "status" in names and "export_captures" in names and "shell_command" in names
    for name in names:
        method = getattr(backend, name)
        params = [p for p in inspect.signature(method).parameters.values() if p.default is inspect.Parameter.empty]
        with pytest.raises(BackendError, match=r"^this command does not reach the range$"):
            method(*[None] * len(params))


def test_an_exercise_that_cannot_open_creates_no_evidence_file(tmp_path):
    with Application(Settings(exercise_store=tmp_path / "x.sqlite"), backend=OfflineBackend) as app:
        with pytest.raises(CyderError):
            app.open_exercise("blue", str(tmp_path / "nosuch.yaml"), collect_evidence=True)
        with pytest.raises(CyderError, match="start one with"):
            app.open_exercise("blue", collect_evidence=True)
    assert not (tmp_path / "cyder.sqlite").exists()

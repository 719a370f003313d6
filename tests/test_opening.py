"""The rules for opening a team's exercise (`cyder.exercise.opening`), which every command and the
session server share: start, resume, refuse, default, seed, speed."""

from pathlib import Path

import pytest

from cyder.backend.offline import OfflineBackend
from cyder.errors import CyderError
from cyder.exercise.opening import DEFAULT_SCENARIO, ExerciseOptions, open_exercise, seed_for
from cyder.exercise.store import ExerciseStore
from cyder.model.scenario_load import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = str(ROOT / "scenarios" / "targeted-email.yaml")
OTHER = str(ROOT / "scenarios" / "usb-supplier.yaml")


class CountingStore(ExerciseStore):
    """An exercise store that counts how often a team's row is read."""

    loads = 0

    def load(self, team):
        self.loads += 1
        return super().load(team)


@pytest.fixture
def store(tmp_path):
    store = CountingStore(tmp_path / "exercises.sqlite")
    yield store
    store.close()


def test_a_team_without_an_exercise_is_told_how_to_start_one(store):
    with pytest.raises(CyderError, match=r"team blue has no exercise in .*: start one with `cyder run SCENARIO`"):
        open_exercise(OfflineBackend(), store, "blue")


def test_a_bad_team_name_is_refused_before_the_store_is_read(store):
    with pytest.raises(CyderError, match="team name 'Blue!' must be"):
        open_exercise(OfflineBackend(), store, "Blue!")
    assert store.loads == 0


def test_the_default_scenario_starts_only_when_the_team_has_none(store):
    exercise = open_exercise(OfflineBackend(), store, "blue", options=ExerciseOptions(default_scenario="usb-supplier"))
    assert exercise.scenario.name == "usb-supplier"
    resumed = open_exercise(OfflineBackend(), store, "blue", options=ExerciseOptions(default_scenario=SCENARIO))
    assert resumed.scenario.name == "usb-supplier"
    assert DEFAULT_SCENARIO == "targeted-email"


def test_an_exercise_of_another_scenario_is_not_silently_resumed(store):
    open_exercise(OfflineBackend(), store, "blue", SCENARIO, ExerciseOptions(seed=7))
    with pytest.raises(CyderError, match=r"team blue already has an exercise of .*targeted-email\.yaml in .*: "
                                         r"resume it without naming a scenario, or use another --team or --store"):
        open_exercise(OfflineBackend(), store, "blue", OTHER)
    assert open_exercise(OfflineBackend(), store, "blue", SCENARIO).settings["seed"] == 7  # the same one resumes


def test_resuming_reads_the_row_once_and_applies_a_new_speed_before_the_engine_is_built(store):
    open_exercise(OfflineBackend(), store, "blue", SCENARIO, ExerciseOptions(seed=7, speed=2.0))
    store.loads = 0
    exercise = open_exercise(OfflineBackend(), store, "blue", options=ExerciseOptions(speed=30.0))
    assert store.loads == 1
    assert exercise.clock["speed"] == 30.0 and store.load("blue")[1]["speed"] == 30.0
    again = open_exercise(OfflineBackend(), store, "blue")  # no speed given: as it was
    assert again.clock["speed"] == 30.0 and again.settings["seed"] == 7


def test_a_seed_comes_from_the_teams_exercise_else_a_rehearsal_or_an_error(store):
    scenario, _ = load_scenario(SCENARIO)
    with pytest.raises(CyderError, match=r"team blue has no exercise of targeted-email in .*: give --seed N to see a "
                                         r"rehearsal variant"):
        seed_for(store, "blue", scenario)
    assert isinstance(seed_for(store, "blue", scenario, random_seed=True), int)
    open_exercise(OfflineBackend(), store, "blue", SCENARIO, ExerciseOptions(seed=1234))
    assert seed_for(store, "blue", scenario) == 1234
    other, _ = load_scenario(OTHER)
    with pytest.raises(CyderError, match="no exercise of usb-supplier"):
        seed_for(store, "blue", other)

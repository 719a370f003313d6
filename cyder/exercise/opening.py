"""Opening a team's exercise: the rules for starting one or resuming the one the store keeps.

The command line (`cyder play`, `run`, `act`, `submit`, `debrief`, `plan`, `attack`) opens exercises
through here, and the session server will too, so they resume, refuse and default alike: a team
with no exercise is told how to start one, a team with an exercise of another scenario is never
silently switched to the named one, and a seed is never derived from a team's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..backend.base import RangeBackend, check_team
from ..errors import CyderError
from ..evidence.store import EvidenceStore
from ..model.scenario import Scenario
from ..paths import resolve_scenario
from ..scenario.variant import new_seed
from .engine import Exercise
from .protocol import ExerciseEvent
from .store import ExerciseStore

DEFAULT_SCENARIO = "targeted-email"
"""The scenario `cyder play` starts when the team has no exercise and none is named."""


@dataclass(frozen=True)
class ExerciseOptions:
    """How to start or resume an exercise (the options of `cyder play` and `cyder run`)."""

    seed: int | None = None  # a new exercise's variant seed (default: a new random one)
    speed: float | None = None  # clock speed; None: 1 for a new exercise, as it was for a resumed one
    course: str | None = None  # a new exercise's course (default: the scenario's)
    staff: int | None = None  # a new exercise's simulated staff PCs (default: the range's)
    default_scenario: str | None = None  # started when the team has none and no scenario is named


def open_exercise(backend: RangeBackend, store: ExerciseStore, team: str, scenario: str | None = None,
                  options: ExerciseOptions = ExerciseOptions(), *,
                  evidence: Callable[[], EvidenceStore] | None = None,
                  on_event: Callable[[ExerciseEvent], None] | None = None) -> Exercise:
    """The team's exercise in the store (resumed), or a new one of `scenario` (else of the options'
    default scenario) when the team has none. The team is checked and its row read once; a speed
    in the options applies to a resumed exercise too, saved before the engine is built.
    `evidence` opens the evidence store to collect into (called only once the exercise can open,
    so a refused command creates no evidence file); None: evidence is not collected."""
    check_team(team)
    existing = store.load(team)
    if scenario is None and existing is None:
        scenario = options.default_scenario
    if scenario is None and existing is None:
        raise CyderError(f"team {team} has no exercise in {store.path}: start one with `cyder run SCENARIO`")
    if scenario and existing and Path(existing[0]["scenario"]) != Path(resolve_scenario(scenario)).resolve():
        raise CyderError(f"team {team} already has an exercise of {existing[0]['scenario']} in {store.path}: "
                         "resume it without naming a scenario, or use another --team or --store")
    path = resolve_scenario(scenario) if scenario and existing is None else None
    if existing is not None and options.speed is not None and existing[1]["speed"] != options.speed:
        clock: dict[str, Any] = {**existing[1], "speed": options.speed}
        store.save_clock(team, clock)
        existing = (existing[0], clock)
    return Exercise(backend, store, team, path, seed=options.seed, speed=options.speed or 1.0,
                    course=options.course, staff=options.staff,
                    evidence=evidence, on_event=on_event,
                    loaded=existing)


def seed_for(store: ExerciseStore, team: str, scenario: Scenario, random_seed: bool = False) -> int:
    """The seed of a team's variant of a scenario when none is given: the one the team's exercise
    keeps in the store (readable only by whoever may read the store), else a new random one when
    `random_seed` (a rehearsal replay), else an error: ground truth is never derived from a team's
    name."""
    existing = store.load(team)
    if existing is not None and Path(existing[0]["scenario"]).stem == scenario.name:
        return int(existing[0]["seed"])
    if random_seed:
        return new_seed()
    raise CyderError(f"team {team} has no exercise of {scenario.name} in {store.path}: "
                     "give --seed N to see a rehearsal variant")

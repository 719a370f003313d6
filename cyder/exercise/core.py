"""What every part of one team's engine shares: the backend and store, the team's scenario, range,
variant and rubric, the view of the range that checks use, the evidence store, and the state, clock
and event bus. The parts (ledger, attack, injects, rounds, submissions, read side, runner) each
take the core, and the few other parts they call, never the `Exercise` facade."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..backend.base import RangeBackend
from ..evidence.store import EvidenceStore
from ..model.range import Range, Text
from ..model.rubric import CoursePreset, Scoring
from ..model.scenario import Scenario, parse_offset
from ..scenario.defence import RangeView
from ..scenario.variant import Variant, substitute
from .clock import ExerciseClock
from .events import EventBus
from .protocol import EventKind, Texts
from .scoring import TruthIndicator
from .state import ExerciseState
from .store import ExerciseStore


@dataclass
class ExerciseCore:
    """One team's exercise: what it is made of and the parts every other part reads."""

    backend: RangeBackend
    store: ExerciseStore
    team: str
    settings: dict[str, Any]
    scenario: Scenario
    range: Range
    running_range: Range  # with its staff containers, as it runs
    variant: Variant
    rubric: Scoring  # the scenario's rubric with the team's variables filled in
    truth: list[TruthIndicator]
    preset: CoursePreset
    view: RangeView
    evidence_store: EvidenceStore | None
    state: ExerciseState
    clock: ExerciseClock
    bus: EventBus

    def now(self) -> float:
        """Seconds of exercise time since the start."""
        return self.clock.now()

    @property
    def duration(self) -> float:
        """The planned length of the exercise, in seconds of exercise time."""
        return float(parse_offset(self.scenario.duration))

    def emit(self, kind: EventKind, data: Mapping[str, Any]) -> None:
        """Publish an event at this moment of exercise time."""
        self.bus.emit(kind, self.now(), data)


def in_english(text: Text) -> str:
    """A scenario text in English."""
    return text if isinstance(text, str) else text.en


def in_both_languages(text: Text, values: dict[str, Any]) -> Texts:
    """A text in both languages with the team's variables filled in."""
    if isinstance(text, str):
        return {"ja": substitute(text, values), "en": substitute(text, values)}
    return {"ja": substitute(text.ja, values), "en": substitute(text.en, values)}

"""The one typed protocol through which interfaces reach a team's exercise.

`TeamSession` is everything a trainee interface (the trainee app, the CLI's submissions) may read
or do; `SessionRunner` is what running the engine in this process adds (claim the team, bring the
range up, run the clock, let go). The in-process engine (`cyder.exercise.engine.Exercise`)
implements both; the session server's client (issue 14) will implement `TeamSession` over the
network, and the UI tests' fake engine implements it too: `tests/ui/test_session_protocol.py`
makes mypy prove both.

The records are TypedDicts: they are plain dicts at run time (what the journal stores as JSON and
what tests subscript), and mypy checks their keys and types in the interfaces. This module holds
no behaviour; it names the value types the interfaces need, so they import nothing else from the
engine's side (`Query`, `StoredEvent`, `Progress`, `LedgerEntry` are re-exported from here).

Methods marked *blocking* reach the range or the disk at length: interfaces call them from a
thread. Requests the exercise refuses raise `ExerciseError` (a `CyderError`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, Protocol, TypedDict, overload

from ..backend.base import Progress, ProgressCallback
from ..errors import CyderError
from ..evidence.store import Query, StoredEvent
from ..model.range import Range
from ..model.rubric import PhaseName, Scoring
from ..model.scenario import Scenario
from .store import LedgerEntry

__all__ = [
    "TRAINEE_EVENTS", "ActionInfo", "ActionRecord", "ClockChange", "ClockState", "DeliveredInject", "EventKind",
    "EvidenceProblem", "ExerciseError", "ExerciseEvent", "FaultRecord", "HintOffer", "HintRecord", "HostDetail",
    "HostState", "IncidentRecord", "IndicatorRecord", "IndicatorVerdict", "LedgerEntry", "LocalSession", "PhaseName",
    "Progress", "ProgressCallback", "Query", "RangeProgress", "ReportRecord", "RoundRecord", "SessionRunner",
    "StoredEvent", "SubmissionKind", "TeamSession", "Texts", "Totals",
]

HostState = Literal["running", "degraded", "isolated", "down"]
SubmissionKind = Literal["indicator", "incident", "action", "report", "hint"]
Totals = dict[str, float]
"""Points per phase (the four `PhaseName`s) and in all (`total`)."""


class ExerciseError(CyderError):
    """A request the exercise cannot take (unknown report, report already filed, no hint left...)."""


# -- records ---------------------------------------------------------------------------------------


class Texts(TypedDict):
    """A scenario text in both languages, with the team's variables filled in."""

    ja: str
    en: str


class ClockState(TypedDict):
    """The exercise clock as saved: its position (seconds of exercise time), speed and state."""

    offset: float
    speed: float
    paused: bool
    started: bool
    finished: bool


class DeliveredInject(TypedDict):
    """A message the team has received (a SOC alert, a supervisor's request); times in exercise seconds."""

    id: str
    due: float
    deadline: float | None
    sender: Texts
    recipient: str
    subject: Texts
    body: Texts


IndicatorVerdict = Literal["correct", "wrong", "already credited"]


class IndicatorRecord(TypedDict):
    """An indicator the team submitted and its verdict (`time` only in `submissions()`)."""

    kind: str
    value: str
    canonical: str
    note: str
    verdict: IndicatorVerdict
    time: NotRequired[float]


class IncidentRecord(TypedDict):
    """An incident declaration: the hosts named and the verdict ("correct", "recorded", "incomplete: ...")."""

    hosts: list[str]
    note: str
    verdict: str
    time: NotRequired[float]


class ActionRecord(TypedDict):
    """A response action taken on the range and what came of it."""

    action: str
    params: dict[str, str]
    outcome: str
    time: NotRequired[float]


class ReportRecord(TypedDict):
    """A filed report: its fields, whether it was late, and the points it earned."""

    report: str
    late: bool
    fields: dict[str, str]
    points: float
    time: NotRequired[float]


class HintRecord(TypedDict):
    """A hint taken: which tier for which step, what it cost, and its text."""

    step: str
    tier: int
    cost: float
    text: Texts
    time: NotRequired[float]


class HintOffer(TypedDict):
    """The hints of one step: how many the course offers, how many were taken (their texts), and
    what the next costs (None when none is left)."""

    step: str
    offered: int
    taken: int
    texts: list[Texts]
    next_cost: float | None


class HostDetail(TypedDict):
    """One host as the team can see it: its container state, addresses per segment, services'
    health, processes (a `ps` listing, header first) and latest evidence (oldest first)."""

    host: str
    state: str
    addresses: dict[str, str]
    services: dict[str, bool]
    processes: list[str]
    logs: list[StoredEvent]


class ActionInfo(Protocol):
    """A response action as an interface offers it: its name, parameters and help."""

    @property
    def name(self) -> str:
        """The action's name (block-ip, isolate-host ...)."""
        ...

    @property
    def params(self) -> tuple[str, ...]:
        """The names of its parameters, in order."""
        ...

    @property
    def help(self) -> str:
        """What it does, in a line."""
        ...


# -- events ----------------------------------------------------------------------------------------

EventKind = Literal["clock", "inject", "ledger", "action", "indicator", "incident", "report", "fault", "evidence",
                    "range", "finish", "round", "step"]
"""What an event is about, and the data it carries:

clock `ClockChange`; inject `DeliveredInject`; ledger `LedgerEntry.to_json()`; action `ActionRecord`;
indicator `IndicatorRecord`; incident `IncidentRecord`; report `ReportRecord`; fault `FaultRecord`;
evidence `EvidenceProblem`; range `RangeProgress`; finish `Totals`; round `RoundRecord`; step
`StepEvent.to_json()` (an attack step: the answer, never shown to trainees).
"""

TRAINEE_EVENTS: frozenset[EventKind] = frozenset(
    {"clock", "inject", "ledger", "action", "indicator", "incident", "report", "fault", "evidence", "range", "finish",
     "round"})
"""The kinds `TeamSession.events()` yields: every kind but "step"."""


class ClockChange(TypedDict):
    """The clock was started, paused, resumed, sped up or stopped."""

    speed: float
    paused: bool
    finished: bool


class RangeProgress(TypedDict):
    """The range coming up before the clock starts."""

    state: Literal["images", "starting", "ready"]
    range: str


class EvidenceProblem(TypedDict):
    """The evidence feed cannot store what it reads (a full disk, say), or can again (None)."""

    problem: str | None


class FaultRecord(TypedDict):
    """A range fault: a step, check or probe that failed with nothing the team changed in the way
    (recorded and shown, never scored)."""

    what: str
    reason: str
    evidence: NotRequired[dict[str, Any]]


class RoundRecord(TypedDict):
    """A round of checks: each rule's or service's state."""

    final: bool
    results: dict[str, Any]


@dataclass
class ExerciseEvent:
    """Something interfaces render: clock, inject, step, ledger, submission, action, check, finish."""

    kind: EventKind
    time: float
    data: Mapping[str, Any] = field(default_factory=dict)


# -- the protocols ----------------------------------------------------------------------------------


class TeamSession(Protocol):
    """Everything a trainee interface may read or do in one team's exercise; the in-process
    `Exercise` and the session server's client implement it."""

    @property
    def team(self) -> str:
        """The team whose exercise this is."""
        ...

    @property
    def scenario(self) -> Scenario:
        """The scenario the team faces (interfaces show its title)."""
        ...

    @property
    def range(self) -> Range:
        """The team's organisation network (its population keeps the office clock)."""
        ...

    @property
    def running_range(self) -> Range:
        """The range as it runs, with its staff containers (the map, the host list)."""
        ...

    @property
    def rubric(self) -> Scoring:
        """The rubric with the team's variables filled in (the reports asked for)."""
        ...

    @property
    def duration(self) -> float:
        """The planned length of the exercise, in seconds of exercise time."""
        ...

    @property
    def clock(self) -> ClockState:
        """The clock as saved: offset, speed, paused, started, finished."""
        ...

    @property
    def injects(self) -> Mapping[str, DeliveredInject]:
        """The injects delivered so far, by id."""
        ...

    def now(self) -> float:
        """Seconds of exercise time since the start."""
        ...

    def phase(self) -> PhaseName | Literal["finished"]:
        """The first phase with work left, or "finished"."""
        ...

    def totals(self) -> Totals:
        """Points per phase and in all."""
        ...

    def maximums(self) -> Totals:
        """The most each phase (and the whole) can earn."""
        ...

    def ledger(self) -> list[LedgerEntry]:
        """Every score change so far, oldest first."""
        ...

    @overload
    def submissions(self, kind: Literal["indicator"]) -> list[IndicatorRecord]: ...
    @overload
    def submissions(self, kind: Literal["incident"]) -> list[IncidentRecord]: ...
    @overload
    def submissions(self, kind: Literal["action"]) -> list[ActionRecord]: ...
    @overload
    def submissions(self, kind: Literal["report"]) -> list[ReportRecord]: ...
    @overload
    def submissions(self, kind: Literal["hint"]) -> list[HintRecord]: ...

    def read_injects(self) -> set[str]:
        """Injects the team has opened."""
        ...

    def mark_read(self, inject: str) -> None:
        """Remember that the team opened an inject."""
        ...

    def hint_offers(self) -> list[HintOffer]:
        """For each step with hints: offered, taken (with texts), the next one's cost."""
        ...

    def take_hint(self, step: str) -> HintRecord:
        """The next hint for a step, at its cost."""
        ...

    def draft(self, report: str) -> dict[str, str]:
        """The team's saved draft of a report (empty when none)."""
        ...

    def save_draft(self, report: str, fields: dict[str, str]) -> None:
        """Keep a report draft."""
        ...

    def submit_report(self, report: str, fields: dict[str, str]) -> ReportRecord:
        """File a report; it is judged and scored."""
        ...

    def submit_indicator(self, kind: str, value: str, note: str = "") -> IndicatorRecord:
        """Judge an indicator and score it."""
        ...

    def declare_incident(self, hosts: list[str], note: str = "") -> IncidentRecord:
        """Declare the incident with the hosts the team believes affected."""
        ...

    def act(self, action: str, params: dict[str, str]) -> str:
        """Carry out a response action on the range; its outcome (blocking)."""
        ...

    def action_specs(self) -> Sequence[ActionInfo]:
        """The response actions a team can take, with their parameters."""
        ...

    def search(self, query: Query) -> list[StoredEvent]:
        """The team's stored evidence matching a query; the session fills in `query.team` (blocking)."""
        ...

    def evidence_after(self, after_id: int, limit: int = 1000) -> list[StoredEvent]:
        """The team's evidence stored after an event id, in order of arrival."""
        ...

    def evidence_count(self) -> int:
        """How many events the team has stored."""
        ...

    def host_states(self) -> dict[str, HostState]:
        """Each host's state (blocking)."""
        ...

    def host_detail(self, host: str) -> HostDetail:
        """A host's addresses, services, processes and latest evidence (blocking)."""
        ...

    def shell_command(self, host: str) -> list[str]:
        """The command line of an interactive shell in one of the team's hosts."""
        ...

    def events(self) -> AsyncIterator[ExerciseEvent]:
        """Every trainee-visible event from now on (`TRAINEE_EVENTS`: no attack steps, they are
        the answer); an endless async iterator."""
        ...


class SessionRunner(Protocol):
    """Running the team's engine in this process (`cyder play`, `cyder run`); absent when an
    interface is attached to a session server."""

    def claim(self) -> None:
        """Make this process the only one running the team's engine."""
        ...

    async def prepare(self, progress: ProgressCallback = ...) -> None:
        """Build missing images and bring the team's range up (or find it up), reporting progress."""
        ...

    async def run(self) -> Totals:
        """Run the exercise until its end (or until cancelled); the totals."""
        ...

    def release(self) -> None:
        """Let another process run the team's engine again."""
        ...


class LocalSession(TeamSession, SessionRunner, Protocol):
    """A team session whose engine runs in this process: what `cyder play` gives the trainee app."""

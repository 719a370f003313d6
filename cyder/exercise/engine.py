"""The exercise engine: one team's CYDER day, from the range coming up to the last point scored.

An `Exercise` loads a scenario for a team, brings up (or re-attaches to) the team's range, runs
the exercise clock (start, pause, resume, speed), drives the attack chain, delivers injects,
follows the evidence, takes the team's submissions and actions through its methods, checks the
range in rounds (response, recovery, availability) and writes every point to the ledger with its
reason. Points go only to what the team did: a response or recovery rule pays once its step was
attempted (executed, or blocked by the team), after its check saw the bad state (the C2 answering,
the implant running) and then the good one; a phase never goes above its maximum; a range fault
(a step, a check or a probe that failed with nothing the team changed in the way) is recorded and
shown, never scored. Everything is persisted as it happens in an ExerciseStore, so a new Exercise
for the same team and store resumes where the last one stopped. It has no user interface and keeps no
per-process state that assumes one team: run one instance per team, in one process or many.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Literal, cast, overload

from ..backend.base import ProgressCallback, RangeBackend, check_team, no_progress
from ..evidence.collect import EvidenceFeed
from ..evidence.store import EvidenceStore, Query, StoredEvent
from ..model.population import staffed, with_staff
from ..model.range import Range
from ..model.rubric import CoursePreset, Phase, Scoring
from ..model.scenario import Scenario
from ..model.scenario_load import load_scenario
from ..scenario.defence import RangeView
from ..scenario.engine import AttackRun, StepEvent
from ..scenario.variant import Variant, make_variant, new_seed, substitute_data
from . import scoring
from .actions import ActionSpec
from .attack import AttackDriver
from .clock import ExerciseClock
from .core import ExerciseCore
from .events import EventBus
from .injects import Injects
from .ledger import Ledger
from .protocol import (
    TRAINEE_EVENTS,
    ActionRecord,
    ClockState,
    DeliveredInject,
    ExerciseError,
    ExerciseEvent,
    HintOffer,
    HintRecord,
    HostDetail,
    HostState,
    IncidentRecord,
    IndicatorRecord,
    PhaseName,
    ReportRecord,
    SubmissionKind,
    Totals,
)
from .read import ReadSide
from .rounds import Rounds
from .runner import Runner
from .scoring import TruthIndicator
from .state import ExerciseState
from .store import ExerciseStore, LedgerEntry
from .submissions import Submissions

__all__ = ["Exercise", "ExerciseError", "ExerciseEvent"]


class Exercise:
    """One team's exercise, persisted in a store; construct it again to resume.

    A facade over the engine's parts (`core`, `state`, `clock`, `events`, `ledger`, `attack`,
    `injects`, `rounds`, `submissions`, `read`, `runner` in this package): it implements
    `protocol.TeamSession` and `protocol.SessionRunner`, plus the instructor's controls and what
    the debrief, calibration and tests read.
    """

    def __init__(self, backend: RangeBackend, store: ExerciseStore, team: str, scenario: str | Path | None = None,
                 *, seed: int | None = None, speed: float = 1.0, course: str | None = None, staff: int | None = None,
                 evidence: EvidenceStore | Callable[[], EvidenceStore] | None = None,
                 on_event: Callable[[ExerciseEvent], None] | None = None,
                 loaded: tuple[dict[str, Any], dict[str, Any]] | None = None):
        """`evidence` is the store the team's evidence is collected into (or a function that opens
        it, called only once the scenario has loaded, so a refused exercise creates no file); None:
        not collected. `loaded` is the team's row (settings, clock) as `opening.open_exercise` read
        it, the team name already checked; without it the team is checked and its row read here."""
        if loaded is None:
            check_team(team)
            existing = store.load(team)
        else:
            existing = loaded
        if existing is None:
            if scenario is None:
                raise ExerciseError(f"team {team} has no exercise in {store.path}: name a scenario to start one")
            sc, _ = load_scenario(scenario)
            created: dict[str, Any] = {"scenario": str(Path(scenario).resolve()),
                                       "seed": seed if seed is not None else new_seed(),
                                       "course": course or sc.course.value, "staff": staff, "created": time.time()}
            store.create(team, created, {"offset": 0.0, "speed": speed, "paused": False,
                                          "started": False, "finished": False})
            existing = store.load(team)
            assert existing is not None  # just created
        settings, clock = existing
        sc, rng = load_scenario(settings["scenario"])
        if settings.get("staff") is not None:
            rng = with_staff(rng, settings["staff"])
        running_range = staffed(rng)  # with its staff containers, as it runs
        variant = make_variant(sc, rng, settings["seed"])
        rubric = _resolved_rubric(sc, variant)
        truth = scoring.ground_truth(variant, rubric)
        preset = scoring.preset(settings["course"])
        view = RangeView(backend, team, rng, infrastructure=variant.infrastructure)
        bus = EventBus(on_event)
        if callable(evidence):
            evidence = evidence()
        core = ExerciseCore(backend=backend, store=store, team=team, settings=settings, scenario=sc, range=rng,
                            running_range=running_range, variant=variant, rubric=rubric, truth=truth, preset=preset,
                            view=view, evidence_store=evidence, state=ExerciseState(),
                            clock=ExerciseClock(store, team, cast(ClockState, clock), bus), bus=bus)
        self._core = core
        self._ledger = Ledger(core)
        self._rounds = Rounds(core, self._ledger)
        self._attack = AttackDriver(core, self._ledger, self._rounds)
        self._injects = Injects(core)
        self._submissions = Submissions(core, self._ledger, self._rounds)
        self._read = ReadSide(core)
        self._runner = Runner(core, self._ledger, self._rounds, self._attack, self._injects)
        self.reload()

    # -- what the exercise is made of -------------------------------------------------------------

    @property
    def team(self) -> str:
        """The team whose exercise this is."""
        return self._core.team

    @property
    def backend(self) -> RangeBackend:
        """The backend that reaches the team's range."""
        return self._core.backend

    @property
    def store(self) -> ExerciseStore:
        """The store the exercise is persisted in."""
        return self._core.store

    @property
    def settings(self) -> dict[str, Any]:
        """The exercise's settings (scenario, seed, course, staff), as stored."""
        return self._core.settings

    @property
    def scenario(self) -> Scenario:
        """The scenario the team faces."""
        return self._core.scenario

    @property
    def range(self) -> Range:
        """The team's range."""
        return self._core.range

    @property
    def running_range(self) -> Range:
        """The team's range with its staff containers, as it runs."""
        return self._core.running_range

    @property
    def variant(self) -> Variant:
        """The scenario as this team faces it (its seed's values)."""
        return self._core.variant

    @property
    def rubric(self) -> Scoring:
        """The scenario's rubric with the team's variables filled in."""
        return self._core.rubric

    @property
    def truth(self) -> list[TruthIndicator]:
        """Every indicator the team could find."""
        return self._core.truth

    @property
    def preset(self) -> CoursePreset:
        """The guidance of the team's course."""
        return self._core.preset

    @property
    def view(self) -> RangeView:
        """The range as checks and the attack's posture see it."""
        return self._core.view

    @property
    def evidence_store(self) -> EvidenceStore | None:
        """Where the team's evidence is stored (None: not collected)."""
        return self._core.evidence_store

    @property
    def feed(self) -> EvidenceFeed | None:
        """The evidence feed while the engine runs here."""
        return self._runner.feed

    # -- state from the journal ------------------------------------------------------------------

    def reload(self) -> None:
        """Rebuild what happened so far from the journal and the ledger (which other processes,
        such as a trainee's `cyder submit`, may have added to)."""
        self._core.state.reload(self.store.journal(self.team), self.store.ledger(self.team))

    @property
    def steps(self) -> dict[str, dict[str, Any]]:
        """The attack's steps so far, by id (as their events were journaled)."""
        return self._core.state.steps

    @property
    def injects(self) -> dict[str, DeliveredInject]:
        """The injects delivered so far, by id."""
        return self._core.state.injects

    @property
    def reports(self) -> set[str]:
        """The reports filed."""
        return self._core.state.reports

    @property
    def hints(self) -> dict[str, int]:
        """How many hints were taken per step."""
        return self._core.state.hints

    @property
    def incident_declared(self) -> bool:
        """Whether the incident was declared (and credited)."""
        return self._core.state.incident_declared

    @property
    def last_round(self) -> float:
        """When the last round of checks ran (exercise seconds)."""
        return self._core.state.last_round

    @property
    def bad_seen(self) -> dict[str, dict[str, Any]]:
        """Rule -> the first observation of its bad state."""
        return self._core.state.bad_seen

    @property
    def faults(self) -> list[dict[str, Any]]:
        """The range faults so far (never scored)."""
        return self._core.state.faults

    @property
    def credited_rules(self) -> set[str]:
        """The rules credited so far."""
        return self._core.state.credited_rules

    @property
    def credited_indicators(self) -> set[tuple[str, str]]:
        """The (kind, value) indicators credited so far."""
        return self._core.state.credited_indicators

    # -- clock ------------------------------------------------------------------------------------

    @property
    def clock(self) -> ClockState:
        """The clock as saved: offset, speed, paused, started, finished."""
        return self._core.clock.record

    def now(self) -> float:
        """Seconds of exercise time since the start."""
        return self._core.now()

    @property
    def duration(self) -> float:
        """The planned length of the exercise, in seconds of exercise time."""
        return self._core.duration

    def _set_clock(self, **changes: Any) -> None:
        self._core.clock.set(**changes)

    async def pause(self) -> None:
        """Stop the clock: the attack, the injects and the staff wait."""
        await self._runner.pause()

    async def resume(self) -> None:
        """Start the clock again after a pause."""
        await self._runner.resume()

    async def set_speed(self, speed: float) -> None:
        """Run the clock faster or slower (1 is real time)."""
        await self._runner.set_speed(speed)

    # -- events -----------------------------------------------------------------------------------

    def events(self) -> AsyncIterator[ExerciseEvent]:
        """Every trainee-visible event from now on (no attack steps: they are the answer); an
        endless async iterator."""
        return self._core.bus.events(TRAINEE_EVENTS)

    def all_events(self) -> AsyncIterator[ExerciseEvent]:
        """Every event from now on, attack steps included (calibration, instructors; never trainees)."""
        return self._core.bus.events()

    # -- the ledger -------------------------------------------------------------------------------

    def _credit(self, rule: str, points: float, phase: Phase | str, reason: str,
                evidence: dict[str, Any]) -> LedgerEntry:
        return self._ledger.credit(rule, points, phase, reason, evidence)

    def totals(self) -> Totals:
        """Points per phase and in all, from the ledger."""
        return self._ledger.totals()

    def maximums(self, speed_bonus: bool = True) -> Totals:
        """The most each phase (and the whole) can earn on the planned path: every indicator, the
        incident, every check and report field, each at its full time bonus (without it when
        `speed_bonus` is false). No phase's subtotal ever goes above it."""
        return self._ledger.maximums(speed_bonus)

    # -- running ----------------------------------------------------------------------------------

    async def run(self, until_end: bool = True) -> Totals:
        """Bring the range up if needed, start or resume the clock, and run until the planned end
        (or until cancelled); return the totals."""
        return await self._runner.run(until_end)

    def claim(self) -> None:
        """Make this process the only one running the team's engine (until it exits); a second
        engine for the same team would drive the attack twice."""
        self._runner.claim()

    def release(self) -> None:
        """Let another process run the team's engine again."""
        self._runner.release()

    async def prepare(self, progress: ProgressCallback = no_progress) -> None:
        """Build missing images and bring the team's range up (or find it up), reporting progress."""
        await self._runner.prepare(progress)

    async def finish(self) -> None:
        """End the exercise: a last round of checks, then the clock stops for good."""
        await self._runner.finish()

    async def check_now(self) -> None:
        """Run a round of checks at once (calibration; instructors)."""
        await self._runner.check_now()

    # -- the attack -------------------------------------------------------------------------------

    def record_posture(self, run: AttackRun | None = None) -> dict[str, str]:
        """The organisation's defensive posture on every way the attack and the checks take,
        recorded the first time and read back after (blocking)."""
        return self._attack.record_posture(run)

    def _on_step(self, event: StepEvent) -> None:
        self._attack.on_step(event)

    # -- injects and checks -----------------------------------------------------------------------

    def deliver_due_injects(self) -> list[DeliveredInject]:
        """Deliver every inject whose time or trigger has come; return the ones delivered now."""
        return self._injects.deliver_due()

    def _observe_rules(self, final: bool = False) -> dict[str, str]:
        """Look at every response and recovery rule not yet earned (blocking)."""
        return self._rounds.observe_rules(final)

    # -- what the team submits --------------------------------------------------------------------

    def submit_indicator(self, kind: str, value: str, note: str = "") -> IndicatorRecord:
        """Judge an indicator against the team's ground truth and score it; return the verdict."""
        return self._submissions.submit_indicator(kind, value, note)

    def declare_incident(self, hosts: list[str], note: str = "") -> IncidentRecord:
        """Declare the incident with the hosts the team believes affected."""
        return self._submissions.declare_incident(hosts, note)

    def act(self, action: str, params: dict[str, str]) -> str:
        """Carry out a response action on the range (blocking: call from a thread in async code)."""
        return self._submissions.act(action, params)

    def save_draft(self, report: str, fields: dict[str, str]) -> None:
        """Keep a report draft (nothing typed is lost)."""
        self._submissions.save_draft(report, fields)

    def submit_report(self, report: str, fields: dict[str, str]) -> ReportRecord:
        """File a report: each field is judged and scored; late reports keep a share of the points."""
        return self._submissions.submit_report(report, fields)

    def take_hint(self, step: str) -> HintRecord:
        """The next hint for a step, at its cost (course presets decide how many and how dear)."""
        return self._submissions.take_hint(step)

    # -- what interfaces show ---------------------------------------------------------------------

    def phase(self) -> PhaseName | Literal["finished"]:
        """Where the team is in the day: the first phase with work left (detection until the
        incident is declared, response until every due response rule holds, reporting until every
        requested report is filed, then recovery), or "finished"."""
        return self._read.phase()

    def ledger(self) -> list[LedgerEntry]:
        """Every score change so far, oldest first."""
        return self._read.ledger()

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

    def submissions(self, kind: SubmissionKind) -> list[Any]:
        """What the team has submitted of a kind (indicator, incident, action, report, hint), oldest first."""
        return self._read.submissions(kind)

    def read_injects(self) -> set[str]:
        """Injects the team has opened."""
        return self._injects.read()

    def mark_read(self, inject: str) -> None:
        """Remember that the team opened an inject."""
        self._injects.mark_read(inject)

    def draft(self, report: str) -> dict[str, str]:
        """The team's saved draft of a report (empty when none)."""
        return self._read.draft(report)

    def hint_offers(self) -> list[HintOffer]:
        """For each step with hints: how many the course offers, how many were taken (with their
        texts) and what the next costs."""
        return self._read.hint_offers()

    @staticmethod
    def action_specs() -> list[ActionSpec]:
        """The response actions a team can take, with their parameters."""
        return ReadSide.action_specs()

    def search(self, query: Query) -> list[StoredEvent]:
        """The team's stored evidence matching a query (empty when evidence is not collected)."""
        return self._read.search(query)

    def evidence_after(self, after_id: int, limit: int = 1000) -> list[StoredEvent]:
        """The team's evidence stored after an event id, in order of arrival (for a live view)."""
        return self._read.evidence_after(after_id, limit)

    def evidence_count(self) -> int:
        """How many events the team has stored."""
        return self._read.evidence_count()

    def host_states(self) -> dict[str, HostState]:
        """Each host's state: running, degraded (a service does not answer), isolated (attached to
        no segment), or down (blocking: call from a thread in async code)."""
        return self._read.host_states()

    def host_detail(self, host: str, processes: int = 60, logs: int = 30) -> HostDetail:
        """A host's addresses, services, processes and latest evidence (blocking)."""
        return self._read.host_detail(host, processes, logs)

    def shell_command(self, host: str) -> list[str]:
        """The command line of an interactive shell in one of the team's hosts."""
        return self._read.shell_command(host)


def _resolved_rubric(scenario: Scenario, variant: Variant) -> Scoring:
    """The scenario's rubric with the team's variables filled in."""
    rubric = scenario.scoring or Scoring()
    return Scoring.model_validate(substitute_data(rubric.model_dump(), variant.values))

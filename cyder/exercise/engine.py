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

import asyncio
import dataclasses
import fcntl
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Callable

from ..backend.base import ProgressCallback, RangeBackend, check_team, no_progress
from ..errors import CyderError
from ..evidence.collect import EvidenceFeed
from ..evidence.store import EvidenceStore, Query, StoredEvent
from ..model.population import staffed, with_staff
from ..model.rubric import CheckRule, Phase, Scoring
from ..model.scenario import parse_offset
from ..model.scenario_load import load_scenario
from ..scenario.defence import RangeView, explain, take_posture
from ..scenario.engine import AttackRun, StepEvent
from ..scenario.variant import make_variant, new_seed, substitute, substitute_data
from ..staff.control import set_clock
from . import scoring
from .actions import ACTIONS, ActionSpec, take_action
from .checks import CheckResult, availability_route, baseline_keys, check_route, probe_service, run_check
from .normalise import IndicatorError, normalise
from .store import ExerciseStore, LedgerEntry


@dataclass
class ExerciseEvent:
    """Something interfaces render: clock, inject, step, ledger, submission, action, check, finish."""

    kind: str
    time: float
    data: dict[str, Any] = field(default_factory=dict)


class ExerciseError(CyderError):
    """A request the exercise cannot take (unknown report, report already filed, no hint left...)."""


class Exercise:
    """One team's exercise, persisted in a store; construct it again to resume."""

    def __init__(self, backend: RangeBackend, store: ExerciseStore, team: str, scenario: str | Path | None = None,
                 *, seed: int | None = None, speed: float = 1.0, course: str | None = None, staff: int | None = None,
                 evidence: EvidenceStore | None = None, on_event: Callable[[ExerciseEvent], None] | None = None):
        self.backend, self.store, self.team = backend, store, check_team(team)
        existing = store.load(team)
        if existing is None:
            if scenario is None:
                raise ExerciseError(f"team {team} has no exercise in {store.path}: name a scenario to start one")
            sc, _ = load_scenario(scenario)
            settings = {"scenario": str(Path(scenario).resolve()), "seed": seed if seed is not None else new_seed(),
                        "course": course or sc.course.value, "staff": staff, "created": time.time()}
            store.create(team, settings, {"offset": 0.0, "speed": speed, "paused": False,
                                          "started": False, "finished": False})
            existing = store.load(team)
        self.settings, self.clock = existing
        self.scenario, rng = load_scenario(self.settings["scenario"])
        if self.settings.get("staff") is not None:
            rng = with_staff(rng, self.settings["staff"])
        self.range = rng
        self.running_range = staffed(rng)  # with its staff containers, as it runs
        self.variant = make_variant(self.scenario, rng, self.settings["seed"])
        self.rubric: Scoring = self._resolved_rubric()
        self.truth = scoring.ground_truth(self.variant, self.rubric)
        self.preset = scoring.preset(self.settings["course"])
        self.evidence_store = evidence
        self.feed: EvidenceFeed | None = None
        self._listeners: list[asyncio.Queue] = []
        self._on_event = on_event
        self._attack: asyncio.Task | None = None
        self._round_lock: asyncio.Lock | None = None
        self._rules_lock = threading.Lock()  # rounds and the team's actions observe the rules in turn
        self._observe_soon = False  # a step happened: observe the rules at the next tick
        self._loop: asyncio.AbstractEventLoop | None = None
        self.view = RangeView(backend, team, self.range, infrastructure=self.variant.infrastructure)
        self._claim = None  # the open lock file while this process runs the team's engine
        self._prepared = False  # images checked and the range found or brought up (run() skips it then)
        self._facts: dict[str, Any] = {}
        # The clock only runs while an engine runs it; elsewhere (a CLI submitting, an engine that
        # was killed) it stands at its last saved position, so downtime is not exercise time.
        self._running = False
        self._wall = time.time()
        self.reload()

    # -- state from the journal ------------------------------------------------------------------

    def _resolved_rubric(self) -> Scoring:
        """The scenario's rubric with the team's variables filled in."""
        rubric = self.scenario.scoring or Scoring()
        return Scoring.model_validate(substitute_data(rubric.model_dump(), self.variant.values))

    def reload(self) -> None:
        """Rebuild what happened so far from the journal and the ledger (which other processes,
        such as a trainee's `cyder submit`, may have added to)."""
        journal = self.store.journal(self.team)
        self.steps: dict[str, dict[str, Any]] = {}
        self.injects: dict[str, dict[str, Any]] = {}
        self.reports: set[str] = set()
        self.hints: dict[str, int] = {}
        self.incident_declared = False
        self.last_round = 0.0
        self.bad_seen: dict[str, dict[str, Any]] = {}  # rule -> the first observation of its bad state
        self.faults: list[dict[str, Any]] = []
        for entry in journal:
            if entry.kind == "step":
                self.steps[entry.data["step"]] = entry.data
            elif entry.kind == "facts":
                self._facts = entry.data
            elif entry.kind == "inject":
                self.injects[entry.data["id"]] = entry.data
            elif entry.kind == "report":
                self.reports.add(entry.data["report"])
            elif entry.kind == "hint":
                self.hints[entry.data["step"]] = max(self.hints.get(entry.data["step"], 0), entry.data["tier"])
            elif entry.kind == "round":
                self.last_round = entry.time
            elif entry.kind == "observation":
                self.bad_seen.setdefault(entry.data["rule"], {**entry.data, "time": entry.time})
            elif entry.kind == "fault":
                self.faults.append({**entry.data, "time": entry.time})
        for step in self.steps.values():
            if step["outcome"] == "fault":
                self.faults.append({"what": f"step {step['step']}", "reason": step["reason"], "time": step["actual"]})
        ledger = self.store.ledger(self.team)
        self.credited_rules = {e.rule for e in ledger if e.points > 0 or e.rule.startswith("incident")
                               or e.evidence.get("capped_from")}
        self.incident_declared = any(e.rule == "incident" and e.points > 0 for e in ledger)
        self.credited_indicators = {(e.evidence["kind"], e.evidence["matched"]) for e in ledger
                                    if e.rule.startswith("indicator:") and e.points > 0}

    # -- clock ------------------------------------------------------------------------------------

    def now(self) -> float:
        """Seconds of exercise time since the start."""
        clock = self.clock
        if not self._running or not clock["started"] or clock["paused"] or clock["finished"]:
            return clock["offset"]
        return clock["offset"] + (time.time() - self._wall) * clock["speed"]

    @property
    def duration(self) -> float:
        """The planned length of the exercise, in seconds of exercise time."""
        return float(parse_offset(self.scenario.duration))

    def _set_clock(self, **changes: Any) -> None:
        current = self.now()
        self._wall = time.time()
        self.clock = {**self.clock, "offset": current, **changes}
        self.store.save_clock(self.team, self.clock)
        self.store.log(self.team, current, "clock", dict(self.clock))
        self._emit("clock", {"speed": self.clock["speed"], "paused": self.clock["paused"],
                             "finished": self.clock["finished"]})

    def _sync_staff_clock(self) -> None:
        """Keep the simulated staff's office day in step with the exercise clock."""
        population = self.range.population
        if population is None:
            return
        hours, minutes = population.clock.split(":")
        office = int(hours) * 3600 + int(minutes) * 60 + self.now()
        set_clock(self.backend, self.team, office=office, speed=self.clock["speed"],
                  paused=self.clock["paused"] or self.clock["finished"])

    async def pause(self) -> None:
        """Stop the clock: the attack, the injects and the staff wait."""
        if self.clock["paused"] or self.clock["finished"]:
            return
        self._set_clock(paused=True)
        await self._stop_attack()
        await asyncio.to_thread(self._sync_staff_clock)

    async def resume(self) -> None:
        """Start the clock again after a pause."""
        if not self.clock["paused"] or self.clock["finished"]:
            return
        self._set_clock(paused=False)
        await asyncio.to_thread(self._sync_staff_clock)
        self._start_attack()

    async def set_speed(self, speed: float) -> None:
        """Run the clock faster or slower (1 is real time)."""
        if speed <= 0:
            raise ExerciseError("speed must be positive")
        running = self._attack is not None
        await self._stop_attack()
        self._set_clock(speed=speed)
        await asyncio.to_thread(self._sync_staff_clock)
        if running:
            self._start_attack()

    # -- events -----------------------------------------------------------------------------------

    def _emit(self, kind: str, data: dict[str, Any]) -> None:
        event = ExerciseEvent(kind, self.now(), data)
        if self._on_event:
            self._on_event(event)
        loop = self._loop
        in_loop = loop is None or _running_loop() is loop
        for listener in self._listeners:
            # The team's actions run in worker threads; queues belong to the engine's loop.
            if in_loop:
                listener.put_nowait(event)
            else:
                loop.call_soon_threadsafe(listener.put_nowait, event)

    async def events(self) -> AsyncIterator[ExerciseEvent]:
        """Every event from now on (an endless async iterator)."""
        queue: asyncio.Queue = asyncio.Queue()
        self._listeners.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._listeners.remove(queue)

    def _credit(self, rule: str, points: float, phase: Phase | str, reason: str, evidence: dict[str, Any]) -> LedgerEntry:
        phase = Phase(phase).value
        if points > 0:
            # No phase goes above its maximum (a fallback's indicators, say, are not on the planned path).
            room = max(0.0, round(self.maximums()[phase] - self.store.totals(self.team)[phase], 1))
            if points > room:
                evidence = {**evidence, "capped_from": points}
                reason += f" (capped at the {phase} maximum: {points:g} due, {room:g} left)"
                points = room
        entry = self.store.credit(LedgerEntry(self.team, self.now(), rule, points, phase, reason, evidence))
        if points > 0 or "capped_from" in evidence:
            self.credited_rules.add(rule)
        self._emit("ledger", entry.to_json())
        return entry

    def totals(self) -> dict[str, float]:
        """Points per phase and in all, from the ledger."""
        return self.store.totals(self.team)

    # -- running ----------------------------------------------------------------------------------

    async def run(self, until_end: bool = True) -> dict[str, float]:
        """Bring the range up if needed, start or resume the clock, and run until the planned end
        (or until cancelled); return the totals."""
        self.claim()
        self._loop = asyncio.get_running_loop()
        if not self._prepared:
            await self.prepare()
        await self._take_baselines()
        await self._prepare_attack()
        await asyncio.to_thread(self._observe_rules)  # the state before the clock goes on
        if not self.clock["started"]:
            self._set_clock(started=True)
            self.store.log(self.team, 0.0, "start", {"seed": self.settings["seed"], "course": self.settings["course"]})
        else:
            self.store.log(self.team, self.now(), "resume", {"offset": self.clock["offset"]})
        self._running = True
        self._wall = time.time()
        await asyncio.to_thread(self._sync_staff_clock)
        tasks = []
        if self.evidence_store is not None and self.range.logging:
            self.feed = EvidenceFeed(self.backend, self.evidence_store, self.team, self.range.logging.collector)
            self.feed.on_problem = lambda problem: self._emit("evidence", {"problem": problem})
            tasks.append(asyncio.create_task(self.feed.run()))
        if not self.clock["paused"] and not self.clock["finished"]:
            self._start_attack()
        try:
            while not self.clock["finished"]:
                await self._tick()
                if until_end and self.now() >= self.duration:
                    await self.finish()
                    break
                self._heartbeat()
                await asyncio.sleep(0.5)
        finally:
            self._heartbeat()
            self._running = False
            await self._stop_attack()
            for task in tasks:
                task.cancel()
            if self.feed:
                self.feed.close()
            self.release()
        return self.totals()

    def claim(self) -> None:
        """Make this process the only one running the team's engine (until it exits); a second
        engine for the same team would drive the attack twice."""
        if self._claim is not None:
            return
        path = Path(str(self.store.path) + f".{self.team}.lock")
        handle = open(path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise ExerciseError(f"team {self.team}'s exercise is already running ({holder}); "
                                "close it first, or use another --team") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}")
        handle.flush()
        self._claim = handle

    def release(self) -> None:
        """Let another process run the team's engine again."""
        handle, self._claim = self._claim, None
        if handle is not None:
            handle.close()

    async def prepare(self, progress: ProgressCallback = no_progress) -> None:
        """Build missing images and bring the team's range up (or find it up), reporting progress."""
        self._emit("range", {"state": "images", "range": self.range.name})
        await asyncio.to_thread(self.backend.ensure_images, progress)
        statuses = await asyncio.to_thread(self.backend.status, self.team, False)
        if statuses and statuses[0].range_name != self.range.name:
            raise ExerciseError(f"team {self.team} has range {statuses[0].range_name} up, not {self.range.name}: "
                                f"run `cyder down --team {self.team}` first")
        if not statuses:
            self._emit("range", {"state": "starting", "range": self.range.name})
            await asyncio.to_thread(self.backend.up, self.running_range, self.team, progress)
        self._prepared = True
        self._emit("range", {"state": "ready", "range": self.range.name})

    def _heartbeat(self) -> None:
        """Save the clock's position, so a killed engine resumes within a moment of where it was."""
        offset = self.now()
        self._wall = time.time()
        self.clock = {**self.clock, "offset": offset}
        self.store.save_clock(self.team, self.clock)

    async def finish(self) -> None:
        """End the exercise: a last round of checks, then the clock stops for good."""
        await self._stop_attack()
        await self._round(final=True)
        self._set_clock(finished=True)
        self.store.log(self.team, self.now(), "finish", self.totals())
        await asyncio.to_thread(self._sync_staff_clock)
        self._emit("finish", self.totals())

    async def check_now(self) -> None:
        """Run a round of checks at once (calibration; instructors)."""
        await self._round()

    async def _take_baselines(self) -> None:
        for rule in [*self.rubric.responses, *self.rubric.recovery]:
            for key, host, command in baseline_keys(rule.check):
                if self.store.baseline(self.team, key) is None:
                    result = await asyncio.to_thread(self.backend.exec, self.team, host, command)
                    self.store.baseline(self.team, key, result.stdout.strip())

    def _attack_run(self, **options: Any) -> AttackRun:
        return AttackRun(self.backend, self.team, self.variant, speed=self.clock["speed"], on_event=self._on_step,
                         start_at=self.now(), previous=self._previous_outcomes(), facts=self._facts, **options)

    async def _prepare_attack(self) -> None:
        """Put the scenario's infrastructure in place and verify it before the clock goes on, and
        record the organisation's defensive posture once, before the first start (a resumed engine
        keeps the first one, or the team's changes would become the baseline)."""
        run = self._attack_run(posture={})
        await run.prepare_infrastructure()
        await asyncio.to_thread(self.record_posture, run)

    def record_posture(self, run: AttackRun | None = None) -> dict[str, str]:
        """The organisation's defensive posture on every way the attack and the checks take,
        recorded the first time and read back after (blocking)."""
        stored = self.store.baseline(self.team, "posture")
        if stored is None:
            run = run or self._attack_run(posture={})
            routes = run.routes() + [r for rule in [*self.rubric.responses, *self.rubric.recovery]
                                     if (r := check_route(self.view, rule.check)) is not None]
            routes += [availability_route(self.view, ref) for ref in self.rubric.availability.services]
            posture = take_posture(self.view, routes)
            stored = self.store.baseline(self.team, "posture", json.dumps(posture, ensure_ascii=False))
        self.view.posture = json.loads(stored)
        return self.view.posture

    def _previous_outcomes(self) -> dict[str, str]:
        """Steps already done, and how the chain went on after each (for resuming the attack)."""
        previous = {}
        for step_id, event in self.steps.items():
            if event["outcome"] != "blocked":
                previous[step_id] = event["outcome"]
                continue
            fallback = self.scenario.step(step_id).on_blocked if self.scenario.step(step_id) else "stop"
            if fallback == "stop":
                previous[step_id] = "blocked"
            elif fallback in self.steps:
                after = self.steps[fallback]["outcome"]
                previous[step_id] = "blocked-fallback" if after == "executed" else after
        return previous

    def _start_attack(self) -> None:
        if self._attack is not None and not self._attack.done():
            return
        run = self._attack_run(posture=self.view.posture, infrastructure_ready=True)
        self._attack = asyncio.create_task(run.run())

    async def _stop_attack(self) -> None:
        if self._attack is not None:
            self._attack.cancel()
            try:
                await self._attack
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - a cancelled step is re-run on resume
                pass
            self._attack = None

    def _on_step(self, event: StepEvent) -> None:
        data = event.to_json()
        self.steps[event.step] = data
        self.store.log(self.team, event.actual, "step", data)
        self.store.log(self.team, event.actual, "facts", self._facts)
        self._emit("step", data)
        if event.outcome == "fault":
            self._fault(f"step {event.step}", event.reason, log=False)
        self._observe_soon = True  # see the state the step left before the team can change it

    def _fault(self, what: str, reason: str, evidence: dict[str, Any] | None = None, log: bool = True) -> None:
        """Record a range fault (never scored) and show it to whoever runs the exercise."""
        record = {"what": what, "reason": reason, **({"evidence": evidence} if evidence else {})}
        if log:
            self.store.log(self.team, self.now(), "fault", record)
        self.faults.append({**record, "time": self.now()})
        self._emit("fault", record)

    async def _tick(self) -> None:
        """Deliver due injects; run a round of checks when one is due, or observe the rules when a
        step has just happened."""
        self.deliver_due_injects()
        if self.now() - self.last_round >= parse_offset(self.rubric.availability.round):
            await self._round()
        elif self._observe_soon:
            self._observe_soon = False
            await asyncio.to_thread(self._observe_rules)


    def deliver_due_injects(self) -> list[dict[str, Any]]:
        """Deliver every inject whose time or trigger has come; return the ones delivered now."""
        now = self.now()
        delivered = []
        for inject in self.scenario.injects:
            if inject.id in self.injects:
                continue
            due = self._inject_due(inject)
            if due is not None and now >= due:
                data = {"id": inject.id, "due": due,
                        "deadline": due + parse_offset(inject.deadline) if inject.deadline is not None else None,
                        "sender": _texts(inject.sender, self.variant.values), "recipient": inject.recipient,
                        "subject": _texts(inject.subject, self.variant.values),
                        "body": _texts(inject.body, self.variant.values)}
                self.injects[inject.id] = data
                self.store.log(self.team, now, "inject", data)
                self._emit("inject", data)
                delivered.append(data)
        return delivered

    def _inject_due(self, inject) -> float | None:
        if inject.at is not None:
            return float(parse_offset(inject.at))
        step = self.steps.get(inject.trigger)
        if step is None or step["outcome"] != "executed":
            return None
        return step["actual"] + parse_offset(inject.delay)

    async def _round(self, final: bool = False) -> None:
        """Probe availability, then observe every response and recovery rule not yet earned (one
        round at a time: two overlapping rounds would credit the same rule twice)."""
        self._round_lock = self._round_lock or asyncio.Lock()
        async with self._round_lock:
            now = self.now()
            self.last_round = now
            self._observe_soon = False
            results = await asyncio.to_thread(self._availability, now)
            results.update(await asyncio.to_thread(self._observe_rules, final))
            self.store.log(self.team, now, "round", {"final": final, "results": results})
            self._emit("round", {"final": final, "results": results})

    def _availability(self, now: float) -> dict[str, Any]:
        """Probe each business service from its users' host; a service down costs points only when
        it does not answer on its own host or something the team changed cuts its users off
        (otherwise the range is at fault). Blocking."""
        results: dict[str, Any] = {}
        rule = self.rubric.availability
        for ref in rule.services:
            probe = probe_service(self.view, ref)
            for pause in (1.0, 2.0):  # a daemon busy for a moment is not down
                if probe.passed:
                    break
                time.sleep(pause)
                probe = probe_service(self.view, ref)
            results[f"{ref.host}/{ref.service}"] = probe.passed
            if probe.passed:
                continue
            cause, evidence = self._unavailable_because(ref)
            if cause is None:
                self._fault(f"availability of {ref.service} on {ref.host}",
                            f"{probe.detail}, yet it answers on {ref.host} and nothing the team changed is in the way",
                            evidence)
            elif rule.penalty:
                self._credit(f"availability:{ref.host}/{ref.service}", -rule.penalty, Phase.recovery,
                             f"{probe.detail} in the round at {now:.0f} s: {cause}",
                             {"host": ref.host, "service": ref.service, "from": ref.from_, "round": now, **evidence})
        return results

    def _unavailable_because(self, ref) -> tuple[str | None, dict[str, Any]]:
        """Why a service's users cannot reach it, when it is the team's doing (None otherwise)."""
        try:
            local = self.backend.check_service(self.team, ref.host, ref.service)
        except CyderError as exc:
            return None, {"local": str(exc)}
        if not local:
            return f"{ref.service} does not answer on {ref.host} itself", {"local": "does not answer"}
        explanation = explain(self.view, availability_route(self.view, ref))
        return explanation.defence, {"local": "answers", "explanation": explanation.to_json()}

    def _observe_rules(self, final: bool = False) -> dict[str, str]:
        """Look at every response and recovery rule not yet earned: remember the first time its bad
        state is seen, and credit it when the good state follows once the rule is due. Blocking;
        rounds and the team's actions take turns."""
        results: dict[str, str] = {}
        with self._rules_lock:
            baselines = {key: self.store.baseline(self.team, key) or ""
                         for rule in [*self.rubric.responses, *self.rubric.recovery]
                         for key, _, _ in baseline_keys(rule.check)}
            for phase, rules in ((Phase.response, self.rubric.responses), (Phase.recovery, self.rubric.recovery)):
                for rule in rules:
                    if rule.id in self.credited_rules:
                        continue
                    check = run_check(self.view, rule.check, baselines)
                    results[rule.id] = check.state
                    if check.state == "bad" and rule.id not in self.bad_seen:
                        self._seen_bad(rule, check)
                    elif check.passed and rule.id in self.bad_seen and self._rule_due(rule) and (final or not rule.final):
                        self._credit_rule(rule, phase, check)
        return results

    def _seen_bad(self, rule: CheckRule, check: CheckResult) -> None:
        record = {"rule": rule.id, "state": check.state, "detail": check.detail}
        self.store.log(self.team, self.now(), "observation", record)
        self.bad_seen[rule.id] = {**record, "time": self.now()}

    def _credit_rule(self, rule: CheckRule, phase: Phase, check: CheckResult) -> None:
        elapsed = self._since_step(rule.step)
        bonus = scoring.time_bonus(rule.points, elapsed, self.rubric.time_bonus)
        before = self.bad_seen[rule.id]
        self._credit(rule.id, rule.points + bonus, phase,
                     f"{_en(rule.name)}: {check.detail}" + (f" (+{bonus:g} for speed)" if bonus else ""),
                     {"check": rule.check.model_dump(exclude_none=True),
                      "before": {"time": before["time"], "seen": before["detail"]},
                      "after": {"time": self.now(), "seen": check.detail, **check.evidence},
                      "step": rule.step, "step_outcome": self.steps.get(rule.step, {}).get("outcome") if rule.step else None,
                      "step_time": self.steps.get(rule.step, {}).get("actual") if rule.step else None})


    def _rule_due(self, rule: CheckRule) -> bool:
        """A rule can pay once its step was attempted against the range (executed, or blocked by the
        team: not skipped, not faulted, not merely planned) and the rule it follows has been earned."""
        if rule.step and self.steps.get(rule.step, {}).get("outcome") not in ("executed", "blocked"):
            return False
        return not rule.after or rule.after in self.credited_rules

    def _since_step(self, step: str | None) -> float | None:
        if not step:
            return None
        happened = self.steps.get(step)
        return self.now() - happened["actual"] if happened else 0.0

    # -- what the team submits --------------------------------------------------------------------

    def submit_indicator(self, kind: str, value: str, note: str = "") -> dict[str, Any]:
        """Judge an indicator against the team's ground truth and score it; return the verdict."""
        try:
            verdict = scoring.judge_indicator(kind, value, self.truth, self.credited_indicators)
        except IndicatorError as exc:
            raise ExerciseError(str(exc)) from None
        record = {"kind": kind, "value": value, "canonical": verdict.canonical, "note": note}
        if verdict.correct and verdict.duplicate:
            record["verdict"] = "already credited"
        elif verdict.correct:
            item = verdict.matched
            points = self.rubric.indicators.points[kind]
            bonus = scoring.time_bonus(points, self._since_step(item.step), self.rubric.time_bonus)
            self.credited_indicators.add((item.kind, item.value))
            self._credit(f"indicator:{kind}:{item.value}", points + bonus, Phase.detection,
                         f"{kind} {item.value} is a trace of step {item.step}" + (f" (+{bonus:g} for speed)" if bonus else ""),
                         {"kind": kind, "submitted": value, "matched": item.value, "step": item.step, "note": note})
            record["verdict"] = "correct"
        else:
            self._credit(f"wrong-indicator:{kind}", -self.rubric.indicators.wrong, Phase.detection,
                         f"{kind} {verdict.canonical} is not in this team's ground truth",
                         {"kind": kind, "submitted": value, "canonical": verdict.canonical, "note": note})
            record["verdict"] = "wrong"
        self.store.log(self.team, self.now(), "indicator", record)
        self._emit("indicator", record)
        return record

    def declare_incident(self, hosts: list[str], note: str = "") -> dict[str, Any]:
        """Declare the incident with the hosts the team believes affected."""
        rule = self.rubric.incident
        declared = {normalise("host", h).split(".")[0] for h in hosts if h.strip()}
        record = {"hosts": sorted(declared), "note": note}
        if rule is None or self.incident_declared:
            record["verdict"] = "recorded"
        else:
            needed = {h.lower() for h in rule.hosts}
            missing = sorted(needed - declared)
            if missing:
                self._credit("incident-incomplete", 0, Phase.detection,
                             f"incident declared without {', '.join(missing)}", {"declared": sorted(declared), "missing": missing})
                record["verdict"] = f"incomplete: {', '.join(missing)} missing"
            else:
                bonus = scoring.time_bonus(rule.points, self._since_step(rule.step), self.rubric.time_bonus)
                self._credit("incident", rule.points + bonus, Phase.detection,
                             f"incident declared with {', '.join(sorted(needed))}" + (f" (+{bonus:g} for speed)" if bonus else ""),
                             {"declared": sorted(declared), "expected": sorted(needed)})
                self.incident_declared = True
                record["verdict"] = "correct"
        self.store.log(self.team, self.now(), "incident", record)
        self._emit("incident", record)
        return record

    def act(self, action: str, params: dict[str, str]) -> str:
        """Carry out a response action on the range (blocking: call from a thread in async code)."""
        if self._running:
            self._observe_rules()  # the state the action is about to change, as it is right before
        outcome = take_action(self.backend, self.team, self.range, action, params)
        self.store.log(self.team, self.now(), "action", {"action": action, "params": params, "outcome": outcome})
        self._emit("action", {"action": action, "params": params, "outcome": outcome})
        if self._running:
            self._observe_rules()  # a state the action ended (or began) is seen at once, not a round later
        return outcome

    def save_draft(self, report: str, fields: dict[str, str]) -> None:
        """Keep a report draft (nothing typed is lost)."""
        self._report_rule(report)
        self.store.save_draft(self.team, report, fields)

    def submit_report(self, report: str, fields: dict[str, str]) -> dict[str, Any]:
        """File a report: each field is judged and scored; late reports keep a share of the points."""
        rule = self._report_rule(report)
        if report in self.reports:
            raise ExerciseError(f"report {report} was already filed")
        expected = {f.name: list(f.expect) for f in rule.fields}
        verdicts = scoring.judge_report(rule, fields, expected)
        deadline = self.injects.get(rule.inject, {}).get("deadline") if rule.inject else None
        late = deadline is not None and self.now() > deadline
        factor = rule.late_factor if late else 1.0
        for verdict in verdicts:
            self._credit(f"report:{report}:{verdict.name}", round(verdict.points * factor, 1), Phase.reporting,
                         f"{_en(rule.name)}, {verdict.name}: {verdict.reason}" + (" (late)" if late and verdict.points else ""),
                         {"report": report, "field": verdict.name, "text": fields.get(verdict.name, ""),
                          "deadline": deadline, "late": late})
        self.reports.add(report)
        self.store.save_draft(self.team, report, fields)
        record = {"report": report, "late": late, "fields": fields,
                  "points": sum(round(v.points * factor, 1) for v in verdicts)}
        self.store.log(self.team, self.now(), "report", record)
        self._emit("report", record)
        return record

    def _report_rule(self, report: str):
        rule = next((r for r in self.rubric.reports if r.id == report), None)
        if rule is None:
            raise ExerciseError(f"unknown report {report!r}; expected one of {', '.join(r.id for r in self.rubric.reports)}")
        return rule

    def take_hint(self, step: str) -> dict[str, Any]:
        """The next hint for a step, at its cost (course presets decide how many and how dear)."""
        hint = next((h for h in self.rubric.hints if h.step == step), None)
        offered = min(len(hint.tiers), self.preset.hint_tiers) if hint else 0
        taken = self.hints.get(step, 0)
        if taken >= offered:
            raise ExerciseError(f"no more hints for {step} in course {self.settings['course']}")
        tier = hint.tiers[taken]
        cost = round(tier.cost * self.preset.hint_cost, 1)
        self._credit(f"hint:{step}:{taken + 1}", -cost, Phase.detection, f"hint {taken + 1} for step {step}",
                     {"step": step, "tier": taken + 1, "text": _en(tier.text)})
        self.hints[step] = taken + 1
        record = {"step": step, "tier": taken + 1, "cost": cost, "text": _texts(tier.text, self.variant.values)}
        self.store.log(self.team, self.now(), "hint", record)
        return record

    # -- what interfaces show ---------------------------------------------------------------------

    def phase(self) -> str:
        """Where the team is in the day: the first phase with work left (detection until the
        incident is declared, response until every due response rule holds, reporting until every
        requested report is filed, then recovery), or "finished"."""
        if self.clock["finished"]:
            return "finished"
        if self.rubric.incident and not self.incident_declared:
            return Phase.detection.value
        if any(self._rule_due(r) and r.id not in self.credited_rules and not r.final for r in self.rubric.responses):
            return Phase.response.value
        if any(r.inject in self.injects and r.id not in self.reports for r in self.rubric.reports):
            return Phase.reporting.value
        return Phase.recovery.value

    def maximums(self, speed_bonus: bool = True) -> dict[str, float]:
        """The most each phase (and the whole) can earn on the planned path: every indicator, the
        incident, every check and report field, each at its full time bonus (without it when
        `speed_bonus` is false). No phase's subtotal ever goes above it."""
        rubric = self.rubric
        share = 1 + rubric.time_bonus.share if speed_bonus else 1
        # Indicators that only a fallback step leaves appear only when the team blocks early: not on
        # the planned path.
        chain = {p.step.id for p in self.variant.steps if p.fallback_for is None}
        incident = rubric.incident.points * (share if rubric.incident.step else 1) if rubric.incident else 0
        tops = {Phase.detection.value: sum(rubric.indicators.points[t.kind] * share for t in self.truth
                                           if t.step in chain) + incident,
                Phase.response.value: sum(r.points * (share if r.step else 1) for r in rubric.responses),
                Phase.reporting.value: sum(f.points for r in rubric.reports for f in r.fields),
                Phase.recovery.value: sum(r.points * (share if r.step else 1) for r in rubric.recovery)}
        return {**tops, "total": sum(tops.values())}

    def ledger(self) -> list[LedgerEntry]:
        """Every score change so far, oldest first."""
        return self.store.ledger(self.team)

    def submissions(self, kind: str) -> list[dict[str, Any]]:
        """What the team has submitted of a kind (indicator, incident, action, report, hint), oldest first."""
        return [{**entry.data, "time": entry.time} for entry in self.store.journal(self.team, (kind,))]

    def read_injects(self) -> set[str]:
        """Injects the team has opened."""
        return {entry.data["id"] for entry in self.store.journal(self.team, ("read",))}

    def mark_read(self, inject: str) -> None:
        """Remember that the team opened an inject."""
        if inject in self.injects and inject not in self.read_injects():
            self.store.log(self.team, self.now(), "read", {"id": inject})

    def draft(self, report: str) -> dict[str, str]:
        """The team's saved draft of a report (empty when none)."""
        self._report_rule(report)
        return self.store.draft(self.team, report)

    def hint_offers(self) -> list[dict[str, Any]]:
        """For each step with hints: how many the course offers, how many were taken (with their
        texts) and what the next costs."""
        offers = []
        for hint in self.rubric.hints:
            offered = min(len(hint.tiers), self.preset.hint_tiers)
            taken = self.hints.get(hint.step, 0)
            texts = [_texts(tier.text, self.variant.values) for tier in hint.tiers[:taken]]
            next_cost = round(hint.tiers[taken].cost * self.preset.hint_cost, 1) if taken < offered else None
            offers.append({"step": hint.step, "offered": offered, "taken": taken, "texts": texts, "next_cost": next_cost})
        return offers

    @staticmethod
    def action_specs() -> list[ActionSpec]:
        """The response actions a team can take, with their parameters."""
        return list(ACTIONS.values())

    def search(self, query: Query) -> list[StoredEvent]:
        """The team's stored evidence matching a query (empty when evidence is not collected)."""
        if self.evidence_store is None:
            return []
        return list(self.evidence_store.search(dataclasses.replace(query, team=self.team)))

    def evidence_after(self, after_id: int, limit: int = 1000) -> list[StoredEvent]:
        """The team's evidence stored after an event id, in order of arrival (for a live view)."""
        if self.evidence_store is None:
            return []
        return list(self.evidence_store.search(Query(self.team, after_id=after_id, limit=limit)))

    def evidence_count(self) -> int:
        """How many events the team has stored."""
        return self.evidence_store.count(self.team) if self.evidence_store is not None else 0

    def host_states(self) -> dict[str, str]:
        """Each host's state: running, degraded (a service does not answer), isolated (attached to
        no segment), booting, or down (blocking: call from a thread in async code)."""
        statuses = self.backend.status(self.team, True)
        known = {h.name: h for h in statuses[0].hosts} if statuses else {}
        states = {}
        for host in self.running_range.hosts:
            status = known.get(host.name)
            if status is None or status.state != "running":
                states[host.name] = "down"
            elif host.attachments and not status.addresses:
                states[host.name] = "isolated"
            elif not status.healthy:
                states[host.name] = "degraded"
            else:
                states[host.name] = "running"
        return states

    def host_detail(self, host: str, processes: int = 60, logs: int = 30) -> dict[str, Any]:
        """A host's addresses, services, processes and latest evidence (blocking)."""
        if self.running_range.host(host) is None:
            raise ExerciseError(f"unknown host {host!r}")
        status = self.backend.host_status(self.team, host)
        running = status is not None and status.state == "running"
        listing = self.backend.exec(self.team, host, ["ps", "-eo", "pid,user,etime,args", "--sort", "pid"]) \
            if running else None
        recent = self.search(Query(self.team, hosts=[host], limit=logs, newest_first=True))
        return {"host": host, "state": status.state if status else "down",
                "addresses": status.addresses if status else {}, "services": status.services if status else {},
                "processes": listing.stdout.splitlines()[:processes + 1] if listing and listing.ok else [],
                "logs": list(reversed(recent))}

    def shell_command(self, host: str) -> list[str]:
        """The command line of an interactive shell in one of the team's hosts."""
        if self.running_range.host(host) is None:
            raise ExerciseError(f"unknown host {host!r}")
        return self.backend.shell_command(self.team, host)


def _en(text) -> str:
    return text if isinstance(text, str) else text.en


def _texts(text, values: dict[str, Any]) -> dict[str, str]:
    """A text in both languages with the team's variables filled in."""
    if isinstance(text, str):
        return {"ja": substitute(text, values), "en": substitute(text, values)}
    return {"ja": substitute(text.ja, values), "en": substitute(text.en, values)}


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None

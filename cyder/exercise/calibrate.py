"""Calibration: a scenario played on real ranges with no defender and with an ideal one, per seed.

For each seed, the no-defender run must earn nothing and lose nothing, every step of its planned
chain must execute (not blocked, faulted or skipped), and every executed step must have left
evidence a team could find (one of its indicators in the collected logs, or packets in the
capture for steps that only show on the wire). The ideal defender, built from the scenario's
ground truth and model answer, must reach a set share of the rubric's maximum. Any seed that
fails one of these fails the calibration: a score that pays a team for the range's own faults, or
a chain that does not play as written, is caught here before a session.
"""

from __future__ import annotations

import asyncio
import ipaddress
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..backend.base import RangeBackend, check_team
from ..evidence.store import EvidenceStore, Query
from ..model.rubric import PHASES
from ..model.scenario import format_offset
from ..scenario.variant import substitute_data
from .engine import Exercise
from .store import ExerciseStore


@dataclass
class SeedResult:
    """One seed's two runs: the no-defender's score and steps, the ideal defender's score."""

    seed: int
    maximum: float
    passive: dict[str, float]
    steps: dict[str, str]
    step_reasons: dict[str, str]
    missing_evidence: list[str]
    ideal: dict[str, float]
    ideal_missed: list[str] = field(default_factory=list)
    passive_ledger: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    share: float = 0.85

    @property
    def not_executed(self) -> list[str]:
        """Planned steps of the no-defender run that did not execute, with their outcome."""
        return [f"{step} {outcome}" + (f" ({self.step_reasons[step]})" if self.step_reasons.get(step) else "")
                for step, outcome in self.steps.items() if outcome != "executed"]

    @property
    def problems(self) -> list[str]:
        """Why this seed fails (empty when it passes)."""
        problems = [f"no defender earned or lost points: {line}" for line in self.passive_ledger]
        problems += [f"no defender: step {line}" for line in self.not_executed]
        problems += [f"no evidence: {m}" for m in self.missing_evidence]
        if self.ideal["total"] < self.maximum * self.share:
            problems.append(f"ideal defender {self.ideal['total']:g} is below {self.share:.0%} of {self.maximum:g}")
        return problems

    @property
    def ok(self) -> bool:
        """Whether this seed holds."""
        return not self.problems


@dataclass
class CalibrationReport:
    """Every seed's result and the settings they ran with."""

    scenario: str
    speed: float
    staff: int | None
    share: float
    seeds: list[SeedResult]

    @property
    def ok(self) -> bool:
        """Whether every seed holds."""
        return bool(self.seeds) and all(s.ok for s in self.seeds)

    def table(self) -> str:
        """One row per seed, as a Markdown table (readable in a terminal too)."""
        rows = ["| seed | maximum | no defender | steps executed | faults | missing evidence | ideal defender | share | result |",
                "|---|---|---|---|---|---|---|---|---|"]
        for s in self.seeds:
            executed = sum(o == "executed" for o in s.steps.values())
            rows.append(f"| {s.seed} | {s.maximum:g} | {s.passive['total']:g} | {executed}/{len(s.steps)} | "
                        f"{len(s.faults)} | {len(s.missing_evidence)} | {s.ideal['total']:g} "
                        f"({_phases(s.ideal)}) | {s.ideal['total'] / s.maximum:.0%} | {'ok' if s.ok else 'FAILED'} |")
        return "\n".join(rows)

    def summary(self) -> str:
        """The table, every problem and every fault, and the verdict."""
        lines = [f"{self.scenario}: speed {self.speed:g}, staff {self.staff if self.staff is not None else 'as the range'}, "
                 f"ideal share {self.share:.0%}", self.table()]
        for s in self.seeds:
            lines += [f"seed {s.seed}: {p}" for p in s.problems]
            lines += [f"seed {s.seed}: range fault: {f}" for f in s.faults]
            lines += [f"seed {s.seed}: ideal defender missed: {m}" for m in s.ideal_missed]
        lines.append("calibration passed" if self.ok else "calibration FAILED")
        return "\n".join(lines)


def _phases(totals: dict[str, float]) -> str:
    return ", ".join(f"{p[:3]} {totals[p]:g}" for p in PHASES)


async def calibrate(backend: RangeBackend, scenario: Path, seeds: list[int] | None = None, speed: float = 300.0,
                    staff: int | None = None, share: float = 0.85, team_prefix: str = "cal",
                    progress: Callable[[str], None] = lambda _: None) -> CalibrationReport:
    """Run the no-defender and the ideal defender for each seed, one after the other on fresh
    ranges of their own (teams `<prefix>n<seed>` and `<prefix>i<seed>`, removed afterwards)."""
    seeds = seeds or [1]
    folder = Path(tempfile.mkdtemp(prefix="cyder-calibrate-"))
    store = ExerciseStore(folder / "exercises.sqlite")
    evidence = EvidenceStore(folder / "evidence.sqlite")
    results = []
    try:
        for seed in seeds:
            results.append(await _calibrate_seed(backend, scenario, seed, speed, staff, share, team_prefix,
                                                 store, evidence, folder, progress))
        return CalibrationReport(Path(scenario).stem, speed, staff, share, results)
    finally:
        store.close()
        evidence.close()
        shutil.rmtree(folder, ignore_errors=True)


async def _calibrate_seed(backend, scenario, seed, speed, staff, share, prefix, store, evidence, folder,
                          progress) -> SeedResult:
    passive_team, ideal_team = check_team(f"{prefix}n{seed}"), check_team(f"{prefix}i{seed}")
    for team in (passive_team, ideal_team):
        await asyncio.to_thread(backend.down, team)
    try:
        progress(f"seed {seed}: no defender ({passive_team})")
        passive = Exercise(backend, store, passive_team, scenario, seed=seed, speed=speed, staff=staff, evidence=evidence)
        floor = await passive.run()
        chain = [p.step.id for p in passive.variant.steps if p.fallback_for is None]
        steps = {s: passive.steps.get(s, {}).get("outcome", "not reached") for s in chain}
        reasons = {s: passive.steps.get(s, {}).get("reason", "") for s in chain}
        missing = await asyncio.to_thread(missing_evidence, backend, passive, evidence, folder / passive_team)
        earned = [f"{e.rule} {e.points:+g}: {e.reason}" for e in store.ledger(passive_team) if e.points]
        faults = [f"{f['what']}: {f['reason']}" for f in passive.faults]
        await asyncio.to_thread(backend.down, passive_team)
        progress(f"seed {seed}: no defender {floor['total']:g}, {sum(o == 'executed' for o in steps.values())}"
                 f"/{len(steps)} steps executed; the ideal defender ({ideal_team})")
        ideal_run = Exercise(backend, store, ideal_team, scenario, seed=seed, speed=speed, staff=staff)
        defender = asyncio.create_task(ideal_defender(ideal_run, progress))
        try:
            ideal = await ideal_run.run()
        finally:
            defender.cancel()
        missed = [f"{e.rule}: {e.reason}" for e in store.ledger(ideal_team) if e.points <= 0]
        missed += [f"{rule.id}: never earned" for rule in [*ideal_run.rubric.responses, *ideal_run.rubric.recovery]
                   if rule.id not in ideal_run.credited_rules]
        missed += [f"indicator {t.kind} {t.shown}: not credited" for t in ideal_run.truth
                   if (t.kind, t.value) not in ideal_run.credited_indicators
                   and t.step in {p.step.id for p in ideal_run.variant.steps if p.fallback_for is None}]
        faults += [f"ideal run: {f['what']}: {f['reason']}" for f in ideal_run.faults]
        progress(f"seed {seed}: ideal defender {ideal['total']:g} of {ideal_run.maximums()['total']:g}")
        return SeedResult(seed, ideal_run.maximums()["total"], floor, steps, reasons, missing, ideal, missed,
                          earned, faults, share)
    finally:
        for team in (passive_team, ideal_team):
            await asyncio.to_thread(backend.down, team)


async def ideal_defender(exercise: Exercise, progress: Callable[[str], None]) -> None:
    """Submit each step's indicators the moment it happens and declare the incident; take each
    model-answer action as soon as the step it names (`when:`) has happened, or, by default, once
    the chain is over (containing earlier would stop it); then file the model reports."""
    answer = substitute_data(exercise.rubric.model_answer.model_dump(), exercise.variant.values)
    chain = [p.step.id for p in exercise.variant.steps if p.fallback_for is None]
    incident = exercise.rubric.incident
    pending = list(answer["actions"])
    filed: set[str] = set()
    async for event in exercise.all_events():  # attack steps included: the ideal defender reacts to them
        if event.kind == "step" and event.data["outcome"] == "executed":
            for truth in exercise.truth:
                if truth.step == event.data["step"]:
                    exercise.submit_indicator(truth.kind, truth.shown)
            if incident and event.data["step"] == incident.step:
                exercise.declare_incident(incident.hosts)
        chain_over = all(step in exercise.steps for step in chain)
        due = [a for a in pending if (a.get("when") in exercise.steps) or (not a.get("when") and chain_over)]
        if due:
            pending = [a for a in pending if a not in due]
            await exercise.pause()  # an ideal team acts at once: no exercise time passes meanwhile
            for action in due:
                params = {k: v for k, v in action.items() if k not in ("action", "when")}
                outcome = await asyncio.to_thread(exercise.act, action["action"], params)
                progress(f"{format_offset(exercise.now())} ideal defender: {outcome}")
            await exercise.check_now()
            await exercise.resume()
        acted = chain_over and not pending
        for rule in exercise.rubric.reports:
            ready = rule.inject is None and acted or rule.inject in exercise.injects
            if rule.id not in filed and ready and rule.id in answer["reports"]:
                filed.add(rule.id)
                exercise.submit_report(rule.id, answer["reports"][rule.id])


def missing_evidence(backend: RangeBackend, exercise: Exercise, evidence: EvidenceStore, folder: Path) -> list[str]:
    """Executed steps none of whose indicators shows in the evidence (or, for steps seen only on
    the wire, whose source sent nothing in the capture)."""
    missing = []
    captures: dict[str, bytes] = {}
    for planned in exercise.variant.steps:
        event = exercise.steps.get(planned.step.id)
        if not event or event["outcome"] != "executed":
            continue
        words = []
        for category, values in planned.indicators.items():
            if category in ("subjects",):
                continue
            words += [v.rsplit("/", 1)[-1] if category == "files" else v for v in values]
        since = event["time"] - 30
        seen = any(next(iter(evidence.search(Query(exercise.team, text=[w], since=since, limit=1))), None)
                   for w in words if len(w) >= 3)
        if not seen and any("capture" in e for e in planned.step.evidence):
            if not captures:
                for path in backend.export_captures(exercise.team, str(folder / "pcap")):
                    captures[path] = Path(path).read_bytes()
            addresses = planned.indicators.get("addresses", [])
            seen = any(ipaddress.ip_address(a).packed in data for a in addresses for data in captures.values())
        if not seen:
            missing.append(f"{planned.step.id} ({', '.join(planned.step.evidence) or 'no evidence declared'})")
    return missing

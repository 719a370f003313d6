"""Calibration: run a scenario at high speed on a real range with no defender and with an ideal one.

The no-defender run must stay at the floor (nothing earned), every executed step must have left
evidence a team could find (one of its indicators in the collected logs, or packets in the
capture for steps that only show on the wire), and the ideal defender, built from the scenario's
ground truth and model answer, must reach the rubric's maximum within a tolerance.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..backend.base import RangeBackend
from ..model.scenario import format_offset
from ..scenario.variant import _substitute_data
from ..store.evidence import EvidenceStore, Query
from .engine import Exercise
from .store import ExerciseStore

NO_DEFENDER, IDEAL = "calnone", "calideal"


def maximum(exercise: Exercise) -> float:
    """The most a team can earn on the planned path: every indicator, the incident, every check
    and report field, each with its full time bonus where one applies."""
    return exercise.maximums(speed_bonus=True)["total"]


@dataclass
class CalibrationReport:
    """The score bounds and what failed."""

    maximum: float
    floor: dict[str, float]
    ideal: dict[str, float]
    tolerance: float
    missing_evidence: list[str] = field(default_factory=list)
    ideal_missed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the rubric holds: floor at zero, ideal near the maximum, evidence for every step."""
        return (self.floor["total"] <= 0 and self.ideal["total"] >= self.maximum * (1 - self.tolerance)
                and not self.missing_evidence)

    def summary(self) -> str:
        """A short text for the terminal."""
        lines = [f"maximum {self.maximum:g}",
                 f"no defender {self.floor['total']:g} ({_phases(self.floor)})",
                 f"ideal defender {self.ideal['total']:g} ({_phases(self.ideal)}), "
                 f"{self.ideal['total'] / self.maximum:.0%} of the maximum (tolerance {self.tolerance:.0%})"]
        lines += [f"no evidence: {m}" for m in self.missing_evidence]
        lines += [f"ideal defender missed: {m}" for m in self.ideal_missed]
        lines.append("calibration passed" if self.ok else "calibration FAILED")
        return "\n".join(lines)


def _phases(totals: dict[str, float]) -> str:
    return ", ".join(f"{p} {totals[p]:g}" for p in ("detection", "response", "reporting", "recovery"))


async def calibrate(backend: RangeBackend, scenario: Path, speed: float = 300.0, staff: int | None = 30,
                    tolerance: float = 0.15, store_path: str | None = None,
                    progress: Callable[[str], None] = lambda _: None) -> CalibrationReport:
    """Run both exercises one after the other on fresh ranges; return the report."""
    folder = Path(tempfile.mkdtemp(prefix="cyder-calibrate-"))
    store = ExerciseStore(store_path or folder / "exercises.sqlite")
    evidence = EvidenceStore(folder / "evidence.sqlite")
    try:
        for team in (NO_DEFENDER, IDEAL):
            await asyncio.to_thread(backend.down, team)
        progress("run 1: no defender")
        floor_run = Exercise(backend, store, NO_DEFENDER, scenario, seed=1, speed=speed, staff=staff, evidence=evidence)
        floor = await floor_run.run()
        missing = await asyncio.to_thread(missing_evidence, backend, floor_run, evidence, folder)
        await asyncio.to_thread(backend.down, NO_DEFENDER)
        progress(f"no defender: {floor['total']:g}; run 2: the ideal defender")
        ideal_run = Exercise(backend, store, IDEAL, scenario, seed=1, speed=speed, staff=staff)
        defender = asyncio.create_task(ideal_defender(ideal_run, progress))
        try:
            ideal = await ideal_run.run()
        finally:
            defender.cancel()
        missed = [f"{e.rule}: {e.reason}" for e in store.ledger(IDEAL) if e.points <= 0]
        await asyncio.to_thread(backend.down, IDEAL)
        return CalibrationReport(maximum(ideal_run), floor, ideal, tolerance, missing, missed)
    finally:
        store.close()
        evidence.close()


async def ideal_defender(exercise: Exercise, progress: Callable[[str], None]) -> None:
    """Submit each step's indicators the moment it happens and declare the incident; take each
    model-answer action as soon as the step it names (`when:`) has happened, or, by default, once
    the chain is over (containing earlier would stop it); then file the model reports."""
    answer = _substitute_data(exercise.rubric.model_answer.model_dump(), exercise.variant.values)
    chain = [p.step.id for p in exercise.variant.steps if p.fallback_for is None]
    incident = exercise.rubric.incident
    pending = list(answer["actions"])
    filed: set[str] = set()
    async for event in exercise.events():
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
            seen = any(_packed(a) in data for a in addresses for data in captures.values())
        if not seen:
            missing.append(f"{planned.step.id} ({', '.join(planned.step.evidence) or 'no evidence declared'})")
    return missing


def _packed(address: str) -> bytes:
    import ipaddress

    return ipaddress.ip_address(address).packed

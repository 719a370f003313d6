"""The team's score as it is written: every change of points goes to the ledger here, with its rule,
phase, reason and evidence, capped so that no phase goes above its maximum; range faults are
recorded here too, and never scored."""

from __future__ import annotations

from typing import Any, cast

from ..model.rubric import Phase
from .core import ExerciseCore
from .protocol import FaultRecord, Totals
from .store import LedgerEntry


class Ledger:
    """Credits, totals, maximums and faults of one team's exercise."""

    def __init__(self, core: ExerciseCore) -> None:
        self.core = core

    def credit(self, rule: str, points: float, phase: Phase | str, reason: str,
               evidence: dict[str, Any]) -> LedgerEntry:
        """Write a score change (capped at the phase's maximum) and announce it."""
        core = self.core
        phase = Phase(phase).value
        if points > 0:
            # No phase goes above its maximum (a fallback's indicators, say, are not on the planned path).
            room = max(0.0, round(self.maximums()[phase] - core.store.totals(core.team)[phase], 1))
            if points > room:
                evidence = {**evidence, "capped_from": points}
                reason += f" (capped at the {phase} maximum: {points:g} due, {room:g} left)"
                points = room
        entry = core.store.credit(LedgerEntry(core.team, core.now(), rule, points, phase, reason, evidence))
        if points > 0 or "capped_from" in evidence:
            core.state.credited_rules.add(rule)
        core.emit("ledger", entry.to_json())
        return entry

    def totals(self) -> Totals:
        """Points per phase and in all, from the ledger."""
        return self.core.store.totals(self.core.team)

    def maximums(self, speed_bonus: bool = True) -> Totals:
        """The most each phase (and the whole) can earn on the planned path: every indicator, the
        incident, every check and report field, each at its full time bonus (without it when
        `speed_bonus` is false). No phase's subtotal ever goes above it."""
        rubric = self.core.rubric
        share: float = 1 + rubric.time_bonus.share if speed_bonus else 1
        points = cast("dict[str, float]", rubric.indicators.points)  # by indicator kind
        # Indicators that only a fallback step leaves appear only when the team blocks early: not on
        # the planned path.
        chain = {p.step.id for p in self.core.variant.steps if p.fallback_for is None}
        incident = rubric.incident.points * (share if rubric.incident.step else 1) if rubric.incident else 0
        tops = {Phase.detection.value: sum(points[t.kind] * share for t in self.core.truth
                                           if t.step in chain) + incident,
                Phase.response.value: sum(r.points * (share if r.step else 1) for r in rubric.responses),
                Phase.reporting.value: sum(f.points for r in rubric.reports for f in r.fields),
                Phase.recovery.value: sum(r.points * (share if r.step else 1) for r in rubric.recovery)}
        return {**tops, "total": sum(tops.values())}

    def fault(self, what: str, reason: str, evidence: dict[str, Any] | None = None, log: bool = True) -> None:
        """Record a range fault (never scored) and show it to whoever runs the exercise."""
        core = self.core
        record: FaultRecord = {"what": what, "reason": reason}
        if evidence:
            record["evidence"] = evidence
        if log:
            core.store.log(core.team, core.now(), "fault", record)
        core.state.faults.append({**record, "time": core.now()})
        core.emit("fault", record)

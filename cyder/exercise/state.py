"""What has happened so far in one team's exercise, rebuilt from its journal and ledger: the steps
of the attack, the injects delivered, reports filed, hints taken, what the checks saw, the faults,
and which rules and indicators were credited. Other processes (a trainee's `cyder submit`) may add
to the journal and the ledger, so the state can be rebuilt at any time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from ..model.rubric import CheckRule
from .protocol import DeliveredInject
from .store import JournalEntry, LedgerEntry


class ExerciseState:
    """The team's exercise as its journal and ledger tell it (plus the attack's facts so far)."""

    def __init__(self) -> None:
        self.steps: dict[str, dict[str, Any]] = {}
        self.injects: dict[str, DeliveredInject] = {}
        self.reports: set[str] = set()
        self.hints: dict[str, int] = {}
        self.incident_declared = False
        self.last_round = 0.0
        self.bad_seen: dict[str, dict[str, Any]] = {}  # rule -> the first observation of its bad state
        self.faults: list[dict[str, Any]] = []
        self.credited_rules: set[str] = set()
        self.credited_indicators: set[tuple[str, str]] = set()
        self.facts: dict[str, Any] = {}  # what the attack learnt (shared with the running attack)

    def reload(self, journal: Sequence[JournalEntry], ledger: Sequence[LedgerEntry]) -> None:
        """Rebuild what happened so far from the journal and the ledger."""
        self.steps = {}
        self.injects = {}
        self.reports = set()
        self.hints = {}
        self.incident_declared = False
        self.last_round = 0.0
        self.bad_seen = {}
        self.faults = []
        for entry in journal:
            if entry.kind == "step":
                self.steps[entry.data["step"]] = entry.data
            elif entry.kind == "facts":
                self.facts = entry.data
            elif entry.kind == "inject":
                self.injects[entry.data["id"]] = cast(DeliveredInject, entry.data)  # as the engine logged it
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
        self.credited_rules = {e.rule for e in ledger if e.points > 0 or e.rule.startswith("incident")
                               or e.evidence.get("capped_from")}
        self.incident_declared = any(e.rule == "incident" and e.points > 0 for e in ledger)
        self.credited_indicators = {(e.evidence["kind"], e.evidence["matched"]) for e in ledger
                                    if e.rule.startswith("indicator:") and e.points > 0}

    def rule_due(self, rule: CheckRule) -> bool:
        """A rule can pay once its step was attempted against the range (executed, or blocked by the
        team: not skipped, not faulted, not merely planned) and the rule it follows has been earned."""
        if rule.step and self.steps.get(rule.step, {}).get("outcome") not in ("executed", "blocked"):
            return False
        return not rule.after or rule.after in self.credited_rules

    def since_step(self, step: str | None, now: Callable[[], float]) -> float | None:
        """Exercise seconds since a step (0 when it has not happened; None for no step)."""
        if not step:
            return None
        happened = self.steps.get(step)
        return now() - happened["actual"] if happened else 0.0

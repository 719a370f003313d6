"""The read side of one team's exercise: what interfaces show (the phase, the ledger, submissions,
drafts, hint offers, the actions on offer, the team's evidence, and its hosts as they run). Nothing
here changes the exercise; the host reads reach the range and block."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from ..evidence.store import Query, StoredEvent
from .actions import ACTIONS, ActionSpec
from .core import ExerciseCore, in_both_languages
from .protocol import ExerciseError, HintOffer, HostDetail, HostState, PhaseName, SubmissionKind
from .store import LedgerEntry
from .submissions import report_rule


class ReadSide:
    """What one team's exercise shows."""

    def __init__(self, core: ExerciseCore) -> None:
        self.core = core

    def phase(self) -> PhaseName | Literal["finished"]:
        """Where the team is in the day: the first phase with work left (detection until the
        incident is declared, response until every due response rule holds, reporting until every
        requested report is filed, then recovery), or "finished"."""
        core, state, rubric = self.core, self.core.state, self.core.rubric
        if core.clock.record["finished"]:
            return "finished"
        if rubric.incident and not state.incident_declared:
            return "detection"
        if any(state.rule_due(r) and r.id not in state.credited_rules and not r.final for r in rubric.responses):
            return "response"
        if any(r.inject in state.injects and r.id not in state.reports for r in rubric.reports):
            return "reporting"
        return "recovery"

    def ledger(self) -> list[LedgerEntry]:
        """Every score change so far, oldest first."""
        return self.core.store.ledger(self.core.team)

    def submissions(self, kind: SubmissionKind) -> list[dict[str, Any]]:
        """What the team has submitted of a kind, oldest first, each with its time."""
        return [{**entry.data, "time": entry.time} for entry in self.core.store.journal(self.core.team, (kind,))]

    def draft(self, report: str) -> dict[str, str]:
        """The team's saved draft of a report (empty when none)."""
        report_rule(self.core, report)
        return self.core.store.draft(self.core.team, report)

    def hint_offers(self) -> list[HintOffer]:
        """For each step with hints: how many the course offers, how many were taken (with their
        texts) and what the next costs."""
        core = self.core
        offers: list[HintOffer] = []
        for hint in core.rubric.hints:
            offered = min(len(hint.tiers), core.preset.hint_tiers)
            taken = core.state.hints.get(hint.step, 0)
            texts = [in_both_languages(tier.text, core.variant.values) for tier in hint.tiers[:taken]]
            next_cost = round(hint.tiers[taken].cost * core.preset.hint_cost, 1) if taken < offered else None
            offers.append({"step": hint.step, "offered": offered, "taken": taken, "texts": texts,
                           "next_cost": next_cost})
        return offers

    @staticmethod
    def action_specs() -> list[ActionSpec]:
        """The response actions a team can take, with their parameters."""
        return list(ACTIONS.values())

    def search(self, query: Query) -> list[StoredEvent]:
        """The team's stored evidence matching a query (empty when evidence is not collected)."""
        core = self.core
        if core.evidence_store is None:
            return []
        return list(core.evidence_store.search(dataclasses.replace(query, team=core.team)))

    def evidence_after(self, after_id: int, limit: int = 1000) -> list[StoredEvent]:
        """The team's evidence stored after an event id, in order of arrival (for a live view)."""
        core = self.core
        if core.evidence_store is None:
            return []
        return list(core.evidence_store.search(Query(core.team, after_id=after_id, limit=limit)))

    def evidence_count(self) -> int:
        """How many events the team has stored."""
        core = self.core
        return core.evidence_store.count(core.team) if core.evidence_store is not None else 0

    def host_states(self) -> dict[str, HostState]:
        """Each host's state: running, degraded (a service does not answer), isolated (attached to
        no segment), or down (blocking: call from a thread in async code)."""
        core = self.core
        statuses = core.backend.status(core.team, True)
        known = {h.name: h for h in statuses[0].hosts} if statuses else {}
        states: dict[str, HostState] = {}
        for host in core.running_range.hosts:
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

    def host_detail(self, host: str, processes: int = 60, logs: int = 30) -> HostDetail:
        """A host's addresses, services, processes and latest evidence (blocking)."""
        core = self.core
        if core.running_range.host(host) is None:
            raise ExerciseError(f"unknown host {host!r}")
        status = core.backend.host_status(core.team, host)
        running = status is not None and status.state == "running"
        listing = core.backend.exec(core.team, host, ["ps", "-eo", "pid,user,etime,args", "--sort", "pid"]) \
            if running else None
        recent = self.search(Query(core.team, hosts=[host], limit=logs, newest_first=True))
        return {"host": host, "state": status.state if status else "down",
                "addresses": status.addresses if status else {}, "services": status.services if status else {},
                "processes": listing.stdout.splitlines()[:processes + 1] if listing and listing.ok else [],
                "logs": list(reversed(recent))}

    def shell_command(self, host: str) -> list[str]:
        """The command line of an interactive shell in one of the team's hosts."""
        core = self.core
        if core.running_range.host(host) is None:
            raise ExerciseError(f"unknown host {host!r}")
        return core.backend.shell_command(core.team, host)

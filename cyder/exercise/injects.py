"""The scenario's injects (SOC alerts, a supervisor's requests) delivered to one team when their time
or their trigger step comes, in the team's words, and the team's read marks."""

from __future__ import annotations

from ..model.scenario import Inject, parse_offset
from .core import ExerciseCore, in_both_languages
from .protocol import DeliveredInject


class Injects:
    """Delivers one team's injects and remembers which the team opened."""

    def __init__(self, core: ExerciseCore) -> None:
        self.core = core

    def deliver_due(self) -> list[DeliveredInject]:
        """Deliver every inject whose time or trigger has come; return the ones delivered now."""
        core = self.core
        now = core.now()
        values = core.variant.values
        delivered = []
        for inject in core.scenario.injects:
            if inject.id in core.state.injects:
                continue
            due = self.due(inject)
            if due is not None and now >= due:
                data: DeliveredInject = {
                    "id": inject.id, "due": due,
                    "deadline": due + parse_offset(inject.deadline) if inject.deadline is not None else None,
                    "sender": in_both_languages(inject.sender, values), "recipient": inject.recipient,
                    "subject": in_both_languages(inject.subject, values),
                    "body": in_both_languages(inject.body, values)}
                core.state.injects[inject.id] = data
                core.store.log(core.team, now, "inject", data)
                core.emit("inject", data)
                delivered.append(data)
        return delivered

    def due(self, inject: Inject) -> float | None:
        """When an inject is due (exercise seconds), or None while its trigger step has not run."""
        if inject.at is not None:
            return float(parse_offset(inject.at))
        step = self.core.state.steps.get(inject.trigger) if inject.trigger is not None else None
        if step is None or step["outcome"] != "executed":
            return None
        due: float = step["actual"] + parse_offset(inject.delay)
        return due

    def read(self) -> set[str]:
        """Injects the team has opened."""
        core = self.core
        return {entry.data["id"] for entry in core.store.journal(core.team, ("read",))}

    def mark_read(self, inject: str) -> None:
        """Remember that the team opened an inject."""
        core = self.core
        if inject in core.state.injects and inject not in self.read():
            core.store.log(core.team, core.now(), "read", {"id": inject})

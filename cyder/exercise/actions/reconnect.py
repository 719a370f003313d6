"""The `reconnect` action: attach an isolated host again, with its addresses."""

from __future__ import annotations

from typing import ClassVar, Literal

from .base import ACTION_KINDS, Action, ActionContext


@ACTION_KINDS.register
class ReconnectAction(Action):
    """Attach an isolated host again, with its addresses."""

    action: Literal["reconnect"]
    host: str

    order: ClassVar[int] = 50
    help: ClassVar[str] = "attach an isolated host again"

    def run(self, ctx: ActionContext) -> str:
        """Connect the host to each of its segments."""
        host = ctx.host(self.host)
        for att in host.attachments:
            ctx.backend.connect(ctx.team, host.name, att.segment)
        return f"{host.name} reconnected"

"""The `isolate` action: pull a host's cables: detach it from every segment."""

from __future__ import annotations

from typing import ClassVar, Literal

from .base import ACTION_KINDS, Action, ActionContext


@ACTION_KINDS.register
class IsolateAction(Action):
    """Pull a host's cables: detach it from every segment."""

    action: Literal["isolate"]
    host: str

    order: ClassVar[int] = 40
    help: ClassVar[str] = "detach a host from every segment"

    def run(self, ctx: ActionContext) -> str:
        """Disconnect the host from each of its segments."""
        host = ctx.host(self.host)
        for att in host.attachments:
            ctx.backend.disconnect(ctx.team, host.name, att.segment)
        return f"{host.name} isolated from {', '.join(a.segment for a in host.attachments)}"

"""The `kill-process` action: kill every process of a host whose command line contains a pattern."""

from __future__ import annotations

from typing import ClassVar, Literal

from ..checks.base import self_safe
from .base import ACTION_KINDS, Action, ActionContext


@ACTION_KINDS.register
class KillProcessAction(Action):
    """Kill every process of a host whose command line contains a pattern."""

    action: Literal["kill-process"]
    host: str
    pattern: str

    order: ClassVar[int] = 60
    help: ClassVar[str] = "kill the processes whose command line contains a pattern"

    def run(self, ctx: ActionContext) -> str:
        """pgrep for the pattern, then pkill -KILL what it found."""
        pattern, host = self.pattern, self.host
        ctx.host(host)
        listed = ctx.backend.exec(ctx.team, host, ["pgrep", "-af", self_safe(pattern)]).stdout.strip()
        if not listed:
            return f"no process matches {pattern!r} on {host}"
        ctx.backend.exec(ctx.team, host, ["pkill", "-KILL", "-f", self_safe(pattern)])
        return f"killed on {host}: {listed[:300]}"

"""The `connected` precondition: the host still has its address on every segment it is attached to."""

from __future__ import annotations

from typing import ClassVar, Literal

from ...model.scenario import PRECONDITIONS
from ..defence import Explanation
from ..steps.base import Outcome, StepContext
from .base import PreconditionKind


@PRECONDITIONS.register
class ConnectedPrecondition(PreconditionKind):
    """`host` is not cut off from any of its segments (a cut-off host is the team's defence)."""

    check: Literal["connected"]

    order: ClassVar[int] = 40

    async def verify(self, ctx: StepContext) -> Outcome | None:
        """Every planned address of the host shows in `ip addr`."""
        host = self.host
        plan = {a.segment: str(a.address) for a in ctx.host(host).attachments}
        result = await ctx.run(host, "ip -o -4 addr show")
        missing = [seg for seg, addr in plan.items() if f" {addr}/" not in result.stdout]
        if result.ok and missing:
            why = f"{host} is cut off from {', '.join(missing)}"
            return Outcome(False, why, explanation=Explanation(why, [{"check": f"addresses of {host}", "answer": why}]))
        return None if result.ok else Outcome(False, f"addresses of {host} unreadable: {result.stderr.strip()}")

"""The `reachable` precondition: the host reaches a target's TCP port."""

from __future__ import annotations

from typing import ClassVar, Literal

from ...model.scenario import PRECONDITIONS
from ..defence import Route
from ..steps.base import Outcome, StepContext
from .base import PreconditionKind


@PRECONDITIONS.register
class ReachablePrecondition(PreconditionKind):
    """`host` reaches `target` (an address or a host name) on `port` (80 by default)."""

    check: Literal["reachable"]

    order: ClassVar[int] = 20
    needs: ClassVar[tuple[str, ...]] = ("target",)

    async def verify(self, ctx: StepContext) -> Outcome | None:
        """A TCP connection from the host to the target's port opens."""
        target = ctx.address(self.target, seen_from=self.host) if self.target else ""
        result = await ctx.run(self.host, ["nc", "-z", "-w", "2", target, str(self.port or 80)])
        return None if result.ok else Outcome(False, f"{self.host} cannot reach {self.target}:{self.port or 80}")

    def route(self, ctx: StepContext) -> Route:
        """From the host to the target."""
        if self.target:
            return Route(hosts=(self.host, self.target), addresses=ctx.addresses(self.host, self.target))
        return super().route(ctx)

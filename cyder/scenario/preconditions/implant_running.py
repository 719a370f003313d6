"""The `implant-running` precondition: the implant a step dropped on the host still runs."""

from __future__ import annotations

from typing import ClassVar, Literal

from ...model.scenario import PRECONDITIONS
from ..defence import Route
from ..implant import resident_pattern
from ..steps.base import Outcome, StepContext
from .base import PreconditionKind


@PRECONDITIONS.register
class ImplantRunningPrecondition(PreconditionKind):
    """The implant dropped on `host` runs as its resident process."""

    check: Literal["implant-running"]

    order: ClassVar[int] = 10

    async def verify(self, ctx: StepContext) -> Outcome | None:
        """Its resident process is found."""
        implant = ctx.implant_on(self.host)
        if implant is None:
            return Outcome(False, f"no implant was started on {self.host}")
        user, path = implant
        result = await ctx.run(self.host, ["pgrep", "-u", user, "-f", resident_pattern(path)])
        return None if result.ok else Outcome(False, f"the implant on {self.host} is not running")

    def route(self, ctx: StepContext) -> Route:
        """The implant."""
        return ctx.implant_route(self.host)

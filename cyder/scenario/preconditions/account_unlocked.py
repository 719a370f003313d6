"""The `account-unlocked` precondition: an account on the host is not locked."""

from __future__ import annotations

from typing import ClassVar, Literal

from ...model.scenario import PRECONDITIONS
from ..defence import Explanation, Route
from ..steps.base import Outcome, StepContext
from .base import PreconditionKind


@PRECONDITIONS.register
class AccountUnlockedPrecondition(PreconditionKind):
    """The account `user` on `host` is not locked (a locked one is the team's defence)."""

    check: Literal["account-unlocked"]

    order: ClassVar[int] = 30
    needs: ClassVar[tuple[str, ...]] = ("user",)

    async def verify(self, ctx: StepContext) -> Outcome | None:
        """`passwd -S` does not say L."""
        result = await ctx.run(self.host, ["passwd", "-S", self.user or ""])
        fields = result.stdout.split()
        if result.ok and len(fields) > 1 and fields[1] == "L":
            why = f"account {self.user} on {self.host} is locked"
            return Outcome(False, why, explanation=Explanation(why, [{"check": f"account {self.user}",
                                                                     "answer": "locked"}]))
        return None if result.ok else Outcome(False, f"account {self.user} on {self.host} could not be checked")

    def route(self, ctx: StepContext) -> Route:
        """The account."""
        return Route(accounts=((self.host, self.user or ""),))

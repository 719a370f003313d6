"""What every precondition check builds on.

A check is one class under cyder/scenario/preconditions/<check>.py, a subclass of the flat
model.scenario.Precondition that narrows `check` to its `Literal`, registered with
`@PRECONDITIONS.register`. PreconditionKind adds what the attack engine asks of it.
"""

from __future__ import annotations

from ...model.scenario import Precondition
from ..defence import Route
from ..steps.base import Outcome, StepContext


class PreconditionKind(Precondition):
    """A precondition check: what it asks of the live range, and the way it takes."""

    async def verify(self, ctx: StepContext) -> Outcome | None:
        """None when the precondition holds, else a failed outcome (with the defence already found
        when the failure is itself one). May raise when a host cannot be asked."""
        raise NotImplementedError(f"{type(self).__name__} checks nothing")

    def route(self, ctx: StepContext) -> Route:
        """The way the check takes through the organisation: by default, its host."""
        return Route(hosts=(self.host,))

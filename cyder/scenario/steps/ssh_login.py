"""The `ssh-login` step: lateral movement by an SSH login with a stolen credential."""

from __future__ import annotations

from typing import ClassVar, Literal

from ...model.scenario import STEP_ACTIONS, Ref
from ..defence import Route
from .base import Indicators, Outcome, StepContext, StepKind, failed_unless


@STEP_ACTIONS.register
class SshLoginAction(StepKind):
    """Lateral movement: an SSH login with a stolen credential, running a command."""

    kind: Literal["ssh-login"]
    source: Ref
    target: Ref
    user: str
    password: str
    command: str = "id; hostname"

    order: ClassVar[int] = 80
    host_fields: ClassVar[tuple[str, ...]] = ("source", "target")

    def indicators(self, found: Indicators) -> None:
        """The account used and the source's address."""
        found.add("accounts", self.user)
        found.add("addresses", found.address_of(self.source))

    async def run(self, ctx: StepContext) -> Outcome:
        """An SSH login with a stolen credential that runs a command."""
        target = ctx.address(self.target, seen_from=self.source)
        result = await ctx.run(self.source, ["sshpass", "-p", self.password, "ssh", "-o", "StrictHostKeyChecking=no",
                                             "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5",
                                             "-o", "PubkeyAuthentication=no", f"{self.user}@{target}", self.command],
                               timeout=30)
        outcome = failed_unless(result, f"login as {self.user} on {self.target} refused")
        if outcome.executed:
            outcome.details = {"output": result.stdout.strip()[:200]}
        return outcome

    def route(self, ctx: StepContext) -> Route:
        """From the source to the target, with the account."""
        return Route(hosts=(self.source, self.target), addresses=ctx.addresses(self.source, self.target),
                     accounts=((self.target, self.user),))

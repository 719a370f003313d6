"""The `collect` step: files copied from a share on the file server onto the infected PC."""

from __future__ import annotations

import shlex
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field

from ...model.range import safe_path
from ...model.scenario import STEP_ACTIONS, Ref
from ..defence import Route
from ..implant import loot_folder
from .base import Indicators, Outcome, StepContext, StepKind


@STEP_ACTIONS.register
class CollectAction(StepKind):
    """Collection: files copied from a file share onto the infected PC."""

    kind: Literal["collect"]
    host: Ref
    server: Ref
    share: str
    files: list[Annotated[str, AfterValidator(safe_path)]] = Field(min_length=1)
    user: Ref
    password: str | None = Field(None, description="default: the staff user's own password")

    order: ClassVar[int] = 90
    host_fields: ClassVar[tuple[str, ...]] = ("host", "server")
    user_fields: ClassVar[tuple[str, ...]] = ("user",)

    def indicators(self, found: Indicators) -> None:
        """The files on the share and the account that copied them."""
        for name in self.files:
            found.add("files", f"//{self.server}/{self.share}/{name}")
        found.add("accounts", self.user)

    async def run(self, ctx: StepContext) -> Outcome:
        """Files copied from a share on the file server into the implant's hidden folder."""
        implant = ctx.implant_on(self.host)
        user = implant[0] if implant else self.user
        password = self.password or ctx.staff_password(self.user)
        loot = loot_folder(user)
        server = ctx.address(self.server, seen_from=self.host)
        gets = "; ".join(f'get "{name}" "{loot}/{name}"' for name in self.files)
        command = (f"mkdir -p {loot} && smbclient -m SMB3 {shlex.quote(f'//{server}/{self.share}')} "
                   f"-U {shlex.quote(f'{self.user}%{password}')} -c {shlex.quote(gets)}")
        result = await ctx.run(self.host, command, user=user, timeout=30)
        if not result.ok or "NT_STATUS" in result.stdout + result.stderr:
            reason = next((w for w in (result.stdout + result.stderr).split() if w.startswith("NT_STATUS")), "")
            return Outcome(False, f"copy from //{self.server}/{self.share} failed {reason}".strip())
        ctx.facts.setdefault("loot", {})[self.host] = [f"{loot}/{name}" for name in self.files]
        return Outcome(True, details={"files": [f"{loot}/{name}" for name in self.files]})

    def route(self, ctx: StepContext) -> Route:
        """The implant, and the way to the file server with the account."""
        return ctx.implant_route(self.host).merged(Route(hosts=(self.host, self.server),
                                                         addresses=ctx.addresses(self.host, self.server),
                                                         accounts=((self.server, self.user),)))

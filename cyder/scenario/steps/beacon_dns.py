"""The `beacon-dns` step: C2 check-ins as DNS queries for names under the C2 domain."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, StrictInt

from ...model.scenario import STEP_ACTIONS, Ref, RefCheck
from ..defence import Route
from .base import Indicators, Outcome, StepContext, StepKind, check_ins


@STEP_ACTIONS.register
class DnsBeaconAction(StepKind):
    """C2 over DNS: the implant checks in with queries for names under the C2 domain."""

    kind: Literal["beacon-dns"]
    host: Ref
    domain: str
    interval: StrictInt = Field(60, ge=1)
    count: StrictInt = Field(3, ge=1)

    order: ClassVar[int] = 60
    host_fields: ClassVar[tuple[str, ...]] = ("host",)

    def check_refs(self, refs: RefCheck) -> None:
        """The domain is a DNS name."""
        refs.dns_name(self.domain, ("domain",))

    def duration(self) -> float:
        """Its interval times its count (less one)."""
        return self.interval * (self.count - 1)

    def indicators(self, found: Indicators) -> None:
        """The domain and its address."""
        found.domain(self.domain)

    async def run(self, ctx: StepContext) -> Outcome:
        """Check-ins with the C2 over DNS: names under the C2 domain, resolved through the city's DNS."""
        def check_in(path: str) -> list[str]:
            return ["python3", path, "beacon-dns", self.domain, ctx.view.infrastructure_address(self.domain)]

        return await check_ins(ctx, self.host, check_in, self.count, self.interval, "DNS check-in")

    def route(self, ctx: StepContext) -> Route:
        """The implant, and the way through the organisation's resolver to the domain."""
        return ctx.implant_route(self.host).merged(ctx.view.resolver_route(self.host, self.domain))

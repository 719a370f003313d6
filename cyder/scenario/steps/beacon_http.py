"""The `beacon-http` step: C2 check-ins over HTTP through the organisation's proxy."""

from __future__ import annotations

import shlex
from typing import ClassVar, Literal

from pydantic import Field, StrictInt

from ...model.scenario import STEP_ACTIONS, Ref
from ..defence import Route
from .base import Indicators, Outcome, StepContext, StepKind, check_ins


@STEP_ACTIONS.register
class HttpBeaconAction(StepKind):
    """C2 over HTTP: the implant checks in with the C2 server through the organisation's proxy."""

    kind: Literal["beacon-http"]
    host: Ref = Field(description="the infected PC")
    url: str
    interval: StrictInt = Field(60, ge=1, description="seconds between check-ins")
    count: StrictInt = Field(3, ge=1, description="check-ins this step makes")

    order: ClassVar[int] = 50
    host_fields: ClassVar[tuple[str, ...]] = ("host",)

    def duration(self) -> float:
        """Its interval times its count (less one)."""
        return self.interval * (self.count - 1)

    def indicators(self, found: Indicators) -> None:
        """The URL, its domain and the domain's address."""
        found.url(self.url)

    def c2_paths(self) -> list[str]:
        """The check-in URL."""
        return [self.url]

    async def run(self, ctx: StepContext) -> Outcome:
        """Check-ins with the C2 over HTTP through the proxy."""
        def check_in(path: str) -> str:
            return ctx.proxy_env() + f"python3 {shlex.quote(path)} beacon-http {shlex.quote(self.url)}"

        return await check_ins(ctx, self.host, check_in, self.count, self.interval, "check-in")

    def route(self, ctx: StepContext) -> Route:
        """The implant, and the way through the proxy to the URL."""
        return ctx.implant_route(self.host).merged(ctx.view.proxy_route(self.host, self.url))

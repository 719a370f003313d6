"""The `service` check: a service of a host answers (the range backend's own health check)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ...model.rubric import CHECKS
from ...scenario.defence import RangeView
from .base import Check, CheckResult, good_if


@CHECKS.register
class ServiceCheck(Check):
    """A service of a host answers."""

    kind: Literal["service"]
    service: str | None = Field(None, description="the service kind that must answer")

    order: ClassVar[int] = 80
    bad: ClassVar[str] = "`service` on `host` does not answer"
    good: ClassVar[str] = "it answers"
    needs: ClassVar[tuple[str, ...]] = ("service",)

    def run(self, view: RangeView, baselines: dict[str, str]) -> CheckResult:
        """Ask the backend whether the host's service answers."""
        service = self.given("service")
        ok = view.backend.check_service(view.team, self.host, service)
        return good_if(ok, f"{service} on {self.host} {'answers' if ok else 'does not answer'}")

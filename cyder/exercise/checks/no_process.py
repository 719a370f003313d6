"""The `no-process` check: no process of a host has a pattern in its command line (the implant stopped)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ...model.rubric import CHECKS
from ...scenario.defence import RangeView
from .base import Check, CheckResult, good_if, self_safe


@CHECKS.register
class NoProcessCheck(Check):
    """No process of a host has a pattern in its command line (the implant stopped)."""

    kind: Literal["no-process"]
    pattern: str | None = Field(None, description="what must not be found in a command line")

    order: ClassVar[int] = 20
    bad: ClassVar[str] = "a process on `host` has `pattern` in its command line"
    good: ClassVar[str] = "none has"
    needs: ClassVar[tuple[str, ...]] = ("pattern",)

    def run(self, view: RangeView, baselines: dict[str, str]) -> CheckResult:
        """pgrep for the pattern."""
        pattern = self.given("pattern")
        result = view.backend.exec(view.team, self.host, ["pgrep", "-af", self_safe(pattern)])
        return good_if(not result.ok, f"processes matching {pattern!r} on {self.host}: "
                                      + (result.stdout.strip()[:200] or "none"))

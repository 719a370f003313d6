"""The `file-absent` check: a file (a dropped implant, say) is gone from a host."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field

from ...model.range import safe_path
from ...model.rubric import CHECKS
from ...scenario.defence import RangeView
from .base import Check, CheckResult, good_if


@CHECKS.register
class FileAbsentCheck(Check):
    """A file (a dropped implant, say) is gone from a host."""

    kind: Literal["file-absent"]
    path: Annotated[str, AfterValidator(safe_path)] | None = Field(None, description="the file that must be gone")

    order: ClassVar[int] = 30
    bad: ClassVar[str] = "`path` exists on `host`"
    good: ClassVar[str] = "it does not"
    needs: ClassVar[tuple[str, ...]] = ("path",)

    def run(self, view: RangeView, baselines: dict[str, str]) -> CheckResult:
        """test -e the path."""
        path = self.given("path")
        result = view.backend.exec(view.team, self.host, ["test", "-e", path])
        return good_if(not result.ok, f"{path} on {self.host} {'still exists' if result.ok else 'is gone'}")

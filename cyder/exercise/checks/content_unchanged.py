"""The `content-unchanged` check: a file (a web page, say) is as it was at the start (recovery)."""

from __future__ import annotations

import shlex
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field

from ...model.range import safe_path
from ...model.rubric import CHECKS
from ...scenario.defence import RangeView
from .base import Baseline, Check, CheckResult, good_if


@CHECKS.register
class ContentUnchangedCheck(Check):
    """A file (a web page, say) is as it was at the start."""

    kind: Literal["content-unchanged"]
    path: Annotated[str, AfterValidator(safe_path)] | None = Field(None, description="the file")

    order: ClassVar[int] = 70
    bad: ClassVar[str] = "`path` on `host` differs from its SHA-256 at the start"
    good: ClassVar[str] = "it is as at the start"
    needs: ClassVar[tuple[str, ...]] = ("path",)

    def _hash_command(self) -> str:
        return f"sha256sum {shlex.quote(self.given('path'))} | cut -d' ' -f1"

    def baseline_keys(self) -> list[Baseline]:
        """The file's SHA-256 at the start."""
        return [(f"sha256:{self.host}:{self.path}", self.host, self._hash_command())]

    def run(self, view: RangeView, baselines: dict[str, str]) -> CheckResult:
        """The file's SHA-256 now, compared with the baseline (unknown without one)."""
        path, host = self.given("path"), self.host
        result = view.backend.exec(view.team, host, self._hash_command())
        current, before = result.stdout.strip(), baselines.get(f"sha256:{host}:{path}")
        if not before:
            return CheckResult("unknown", f"{path} on {host}: no baseline")
        return good_if(current == before, f"{path} on {host}: "
                                          + ("as at the start" if current == before else "changed or missing"))

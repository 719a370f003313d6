"""The `no-cron` check: what the attack left to restart itself (cron line, autostart entry) is gone."""

from __future__ import annotations

import shlex
from typing import ClassVar, Literal

from pydantic import Field

from ...model.rubric import CHECKS
from ...scenario.defence import RangeView
from ...scenario.implant import autostart_folder
from .base import Check, CheckResult, good_if


@CHECKS.register
class NoCronCheck(Check):
    """What the attack left to restart itself (a cron line, an autostart entry) is gone."""

    kind: Literal["no-cron"]
    pattern: str | None = Field(None, description="what must not be found in a cron line or autostart entry")
    user: str | None = Field(None, description="the account whose crontab and autostart folder are searched")

    order: ClassVar[int] = 40
    bad: ClassVar[str] = "a cron line or autostart entry of `user` mentions `pattern`"
    good: ClassVar[str] = "none does"
    needs: ClassVar[tuple[str, ...]] = ("user", "pattern")

    def run(self, view: RangeView, baselines: dict[str, str]) -> CheckResult:
        """grep the user's crontab and autostart entries for the pattern."""
        account = self.given("user")
        user, pattern = shlex.quote(account), shlex.quote(self.given("pattern"))
        autostart = autostart_folder(account)
        result = view.backend.exec(view.team, self.host, f"crontab -l -u {user} 2>/dev/null | grep -F {pattern}; "
                                                         f"grep -rlF {pattern} {autostart} 2>/dev/null")
        found = result.stdout.strip()
        return good_if(not found, f"persistence of {account} on {self.host}: " + (found[:200] or "none left"))

"""The `account-locked-or-reset` check: an account the attacker used is locked or has a new password."""

from __future__ import annotations

import shlex
from typing import ClassVar, Literal

from pydantic import Field

from ...model.rubric import CHECKS
from ...scenario.defence import RangeView
from .base import Baseline, Check, CheckResult, good_if


@CHECKS.register
class AccountLockedOrResetCheck(Check):
    """An account the attacker used is locked or has a new password."""

    kind: Literal["account-locked-or-reset"]
    user: str | None = Field(None, description="the account")

    order: ClassVar[int] = 50
    bad: ClassVar[str] = "`user` has the password hash it had at the start"
    good: ClassVar[str] = "it is locked, or its hash changed"
    needs: ClassVar[tuple[str, ...]] = ("user",)

    def _hash_command(self) -> str:
        return f"getent shadow {shlex.quote(self.given('user'))} | cut -d: -f2"

    def baseline_keys(self) -> list[Baseline]:
        """The account's password hash at the start."""
        return [(f"shadow:{self.host}:{self.user}", self.host, self._hash_command())]

    def run(self, view: RangeView, baselines: dict[str, str]) -> CheckResult:
        """passwd -S for the lock, and the hash compared with the baseline."""
        user, host = self.given("user"), self.host
        status = view.backend.exec(view.team, host, ["passwd", "-S", user]).stdout.split()
        current = view.backend.exec(view.team, host, self._hash_command()).stdout.strip()
        before = baselines.get(f"shadow:{host}:{user}")
        locked = len(status) > 1 and status[1] == "L"
        reset = bool(before) and current != before
        state = "locked" if locked else "password reset" if reset else "unchanged"
        return good_if(locked or reset, f"account {user} on {host}: {state}")

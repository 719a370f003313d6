"""The `mail-absent` check: a delivered mail (the phishing mail) is no longer in a user's mailbox."""

from __future__ import annotations

import shlex
from typing import ClassVar, Literal

from pydantic import Field

from ...model.rubric import CHECKS
from ...scenario.defence import RangeView
from ...services.smtp import SmtpService
from .base import Check, CheckResult


@CHECKS.register
class MailAbsentCheck(Check):
    """A delivered mail (the phishing mail) is no longer in a user's mailbox."""

    kind: Literal["mail-absent"]
    pattern: str | None = Field(None, description="the sender's address")
    user: str | None = Field(None, description="the account whose mailbox is searched")

    order: ClassVar[int] = 90
    bad: ClassVar[str] = "a mail from `pattern` (the sender's address) is in `user`'s mailbox"
    good: ClassVar[str] = ("it was delivered (Postfix logged it sent) and is no longer there; before delivery "
                            "it is unknown")
    needs: ClassVar[tuple[str, ...]] = ("user", "pattern")

    def run(self, view: RangeView, baselines: dict[str, str]) -> CheckResult:
        """Ask Postfix's log whether the mail was delivered, then the mailbox whether it is there."""
        # Absent only counts once the mail was delivered: a round between the attacker sending it
        # and Postfix delivering it would otherwise credit a team that did nothing. Delivery is asked
        # first, so a mail landing between the two questions does not look removed.
        backend, team, host = view.backend, view.team, self.host
        pattern, user = self.given("pattern"), self.given("user")
        delivered = backend.exec(team, host, SmtpService.MAIL_DELIVERED.format(
            sender=shlex.quote(f"from=<{pattern}"))).stdout.strip()
        found = backend.exec(team, host, SmtpService.MAIL_PRESENT.format(
            sender=shlex.quote(pattern), user=user)).stdout.strip()
        what = f"mail matching {pattern!r} for {user}"
        if found:
            return CheckResult("bad", f"{what}: still there")
        return CheckResult("good" if delivered else "unknown",
                           f"{what}: {'removed' if delivered else 'not delivered yet'}")

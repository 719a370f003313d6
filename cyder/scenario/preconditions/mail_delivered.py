"""The `mail-delivered` precondition: a mail from a sender is in a user's mailbox."""

from __future__ import annotations

import shlex
from typing import ClassVar, Literal

from ...model.scenario import PRECONDITIONS
from ...services.smtp import SmtpService
from ..defence import Explanation
from ..steps.base import Outcome, StepContext
from .base import PreconditionKind


@PRECONDITIONS.register
class MailDeliveredPrecondition(PreconditionKind):
    """The mail from `sender` is in `user`'s mailbox on `host` (the user opens only what arrived)."""

    check: Literal["mail-delivered"]

    order: ClassVar[int] = 50
    needs: ClassVar[tuple[str, ...]] = ("user", "sender")

    async def verify(self, ctx: StepContext) -> Outcome | None:
        """The mail is in the user's mailbox (None); was delivered and removed (the defence); or
        has not arrived yet (a failure the retries wait out)."""
        user, sender, host = self.user or "", self.sender or "", self.host
        # Delivery is asked first: the mail landing between the two questions must not look removed.
        delivered = await ctx.run(host, SmtpService.MAIL_DELIVERED.format(sender=shlex.quote(f"from=<{sender}")))
        present = await ctx.run(host, SmtpService.MAIL_PRESENT.format(sender=shlex.quote(sender), user=user))
        if present.stdout.strip():
            return None
        if delivered.stdout.strip():
            why = f"the mail from {sender} was removed from {user}'s mailbox on {host}"
            return Outcome(False, why, explanation=Explanation(why, [{"check": f"mailbox of {user}",
                                                                     "answer": "delivered, then removed"}]))
        return Outcome(False, f"the mail from {sender} has not reached {user}'s mailbox on {host} yet")

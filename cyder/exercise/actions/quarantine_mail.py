"""The `quarantine-mail` action: move a user's mails that contain a pattern (sender, subject) out of the mailbox."""

from __future__ import annotations

import shlex
from typing import ClassVar, Literal

from .base import ACTION_KINDS, AccountName, Action, ActionContext


@ACTION_KINDS.register
class QuarantineMailAction(Action):
    """Move a user's mails that contain a pattern (sender, subject) out of the mailbox."""

    action: Literal["quarantine-mail"]
    host: str
    user: AccountName
    pattern: str

    order: ClassVar[int] = 100
    help: ClassVar[str] = "move matching mail out of a mailbox"

    def run(self, ctx: ActionContext) -> str:
        """The matching files of the user's Maildir moved to /var/quarantine/<user>."""
        user, pattern = self.user, shlex.quote(self.pattern)
        out = ctx.sh(self.host, f"mkdir -p /var/quarantine/{user}; grep -rlF {pattern} /home/{user}/Maildir/new "
                                f"/home/{user}/Maildir/cur 2>/dev/null | while read f; do "
                                f"mv \"$f\" /var/quarantine/{user}/ && echo \"$f\"; done", "quarantining mail")
        count = len(out.split())
        return f"{count} mail(s) of {user} quarantined on {self.host}"

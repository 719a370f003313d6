"""The `remove-persistence` action: remove a user's cron lines and autostart entries that mention a pattern."""

from __future__ import annotations

import shlex
from typing import ClassVar, Literal

from ...scenario.implant import autostart_folder
from .base import ACTION_KINDS, AccountName, Action, ActionContext


@ACTION_KINDS.register
class RemovePersistenceAction(Action):
    """Remove a user's cron lines and autostart entries that mention a pattern."""

    action: Literal["remove-persistence"]
    host: str
    user: AccountName
    pattern: str

    order: ClassVar[int] = 90
    help: ClassVar[str] = "remove cron lines and autostart entries"

    def run(self, ctx: ActionContext) -> str:
        """The user's crontab without the lines that mention the pattern; the autostart entries that do, deleted."""
        user, pattern = self.user, shlex.quote(self.pattern)
        autostart = autostart_folder(user)
        ctx.sh(self.host, f"if crontab -l -u {user} >/tmp/.cron 2>/dev/null; then grep -vF {pattern} /tmp/.cron "
                          f"| crontab -u {user} -; fi; rm -f /tmp/.cron; "
                          f"grep -rlF {pattern} {autostart} 2>/dev/null | xargs -r rm -f",
               "removing persistence")
        return f"persistence of {user} mentioning {self.pattern!r} removed on {self.host}"

"""The `reset-password` action: give an account a new password."""

from __future__ import annotations

import shlex
from typing import ClassVar, Literal

from .base import ACTION_KINDS, AccountName, Action, ActionContext, ActionError, NewPassword


@ACTION_KINDS.register
class ResetPasswordAction(Action):
    """Give an account a new password."""

    action: Literal["reset-password"]
    host: str
    user: AccountName
    password: NewPassword

    order: ClassVar[int] = 80
    help: ClassVar[str] = "give an account a new password"

    def run(self, ctx: ActionContext) -> str:
        """chpasswd with the new password."""
        user, host = self.user, self.host
        result = ctx.backend.exec(ctx.team, host,
                                  ["sh", "-c", f"printf '%s:%s\\n' {user} {shlex.quote(self.password)} | chpasswd"])
        if not result.ok:
            raise ActionError(f"resetting the password failed on {host}: {result.stderr.strip()[:200]}")
        return f"password of {user} reset on {host}"

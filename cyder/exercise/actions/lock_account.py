"""The `lock-account` action: lock an account (password logins refused; Samba too when it has one)."""

from __future__ import annotations

from typing import ClassVar, Literal

from .base import ACTION_KINDS, AccountName, Action, ActionContext


@ACTION_KINDS.register
class LockAccountAction(Action):
    """Lock an account (password logins refused; Samba too when it has one)."""

    action: Literal["lock-account"]
    host: str
    user: AccountName

    order: ClassVar[int] = 70
    help: ClassVar[str] = "lock an account"

    def run(self, ctx: ActionContext) -> str:
        """usermod -L, and pdbedit's disable flag when Samba knows the account."""
        user = self.user
        ctx.sh(self.host, f"usermod -L {user} && (pdbedit -c '[D]' -u {user} >/dev/null 2>&1 || true)",
               "locking the account")
        return f"{user} locked on {self.host}"

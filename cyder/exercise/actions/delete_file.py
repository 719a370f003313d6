"""The `delete-file` action: delete a file (a dropped implant, say)."""

from __future__ import annotations

import shlex
from typing import ClassVar, Literal

from .base import ACTION_KINDS, AbsolutePath, Action, ActionContext


@ACTION_KINDS.register
class DeleteFileAction(Action):
    """Delete a file (a dropped implant, say)."""

    action: Literal["delete-file"]
    host: str
    path: AbsolutePath

    order: ClassVar[int] = 110
    help: ClassVar[str] = "delete a file"

    def run(self, ctx: ActionContext) -> str:
        """rm -f the file."""
        path = self.path
        ctx.sh(self.host, f"rm -f -- {shlex.quote(path)}", "deleting the file")
        return f"{path} deleted on {self.host}"

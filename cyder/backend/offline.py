"""A range backend for commands that never reach the range: submissions, the ledger, the debrief.

`OfflineBackend` is a real `RangeBackend` whose every method refuses with a `BackendError`, so an
exercise opened to take a submission or write a debrief needs no Docker engine, and a mistake that
would reach the range says so instead of connecting to one.
"""

from __future__ import annotations

from typing import NoReturn

from ..model.range import Range
from .base import (
    BackendError,
    ByteStream,
    ExecResult,
    HostStatus,
    HostUsage,
    ProgressCallback,
    RangeBackend,
    RangeStatus,
    no_progress,
)

MESSAGE = "this command does not reach the range"


def _refuse() -> NoReturn:
    raise BackendError(MESSAGE)


class OfflineBackend(RangeBackend):
    """Refuses everything: the backend of exercises opened by commands that never touch the range."""

    def up(self, rng: Range, team: str, progress: ProgressCallback = no_progress,
           timeout: float = 180.0) -> RangeStatus:
        """Refused."""
        _refuse()

    def down(self, team: str | None, progress: ProgressCallback = no_progress) -> int:
        """Refused."""
        _refuse()

    def status(self, team: str | None = None, health: bool = True) -> list[RangeStatus]:
        """Refused."""
        _refuse()

    def exec(self, team: str, host: str, command: list[str] | str, user: str = "root",
             timeout: float = 30.0) -> ExecResult:
        """Refused."""
        _refuse()

    def read_file(self, team: str, host: str, path: str) -> bytes:
        """Refused."""
        _refuse()

    def read_file_from(self, team: str, host: str, path: str, offset: int, limit: int) -> tuple[int, bytes]:
        """Refused."""
        _refuse()

    def follow_file(self, team: str, host: str, path: str, offset: int) -> ByteStream:
        """Refused."""
        _refuse()

    def usage(self, team: str, host: str) -> HostUsage:
        """Refused."""
        _refuse()

    def write_file(self, team: str, host: str, path: str, data: bytes, mode: int = 0o644) -> None:
        """Refused."""
        _refuse()

    def connect(self, team: str, host: str, segment: str) -> None:
        """Refused."""
        _refuse()

    def disconnect(self, team: str, host: str, segment: str) -> None:
        """Refused."""
        _refuse()

    def check_service(self, team: str, host: str, service: str) -> bool:
        """Refused."""
        _refuse()

    def host_status(self, team: str, host: str) -> HostStatus | None:
        """Refused."""
        _refuse()

    def ensure_images(self, progress: ProgressCallback = no_progress) -> None:
        """Refused."""
        _refuse()

    def shell_command(self, team: str, host: str, tty: bool = True) -> list[str]:
        """Refused."""
        _refuse()

    def export_captures(self, team: str, folder: str) -> list[str]:
        """Refused."""
        _refuse()

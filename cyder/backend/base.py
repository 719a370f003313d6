"""The range backend interface: the one small surface through which cyder runs and touches ranges.

A backend turns a Range into running infrastructure for a team and acts on it. Docker is the real
backend (cyder.backend.docker); another engine (Kubernetes, for centres that outgrow one machine)
would implement the same class. Backends report progress through a callback and never print.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Protocol

from ..errors import CyderError
from ..model.range import Range

TEAM_PATTERN = re.compile(r"[a-z][a-z0-9]{0,15}")
# Host and segment names as ranges allow them; anything else (a slash, "..", a newline) never
# reaches a Docker API path or a container name.
NAME_PATTERN = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def check_team(team: str) -> str:
    """Return the team name if it can be used in object names, else raise CyderError."""
    if not isinstance(team, str) or not TEAM_PATTERN.fullmatch(team):
        raise CyderError(f"team name {team!r} must be 1-16 lower-case letters and digits, starting with a "
                         "letter (for example team1)")
    return team


def check_name(name: str, what: str = "host") -> str:
    """Return a host or segment name if it is one a range can have, else raise BackendError."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise BackendError(f"{what} name {name!r} must be lower-case letters, digits and inner hyphens "
                           "(for example pc01 or juki-db)")
    return name


@dataclass(frozen=True)
class Progress:
    """One step of long work, for a progress display: what happened, to what, and how far along."""

    stage: str
    subject: str = ""
    done: int = 0
    total: int = 0
    message: str = ""


ProgressCallback = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    """A progress callback that ignores everything."""


@dataclass
class ExecResult:
    """Outcome of a command run inside a range host."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """Whether the command exited with status 0."""
        return self.exit_code == 0


@dataclass
class HostStatus:
    """A running host's state and the health of each of its services."""

    name: str
    state: str
    addresses: dict[str, str]
    services: dict[str, bool] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """Whether the host runs, booted cleanly, and every service answers."""
        return self.state == "running" and not self.failed and all(self.services.values())


@dataclass
class RangeStatus:
    """A team's running range."""

    team: str
    range_name: str
    range_hash: str
    hosts: list[HostStatus]
    segments: list[str]
    collector: str | None = None

    @property
    def healthy(self) -> bool:
        """Whether every host is healthy."""
        return bool(self.hosts) and all(h.healthy for h in self.hosts)

    def to_json(self) -> dict[str, Any]:
        """The status as plain data (for `cyder status --json`)."""
        return {
            "team": self.team, "range": self.range_name, "range_hash": self.range_hash,
            "healthy": self.healthy, "segments": self.segments, "collector": self.collector,
            "hosts": [{"name": h.name, "state": h.state, "addresses": h.addresses, "services": h.services,
                       "failed": h.failed, "healthy": h.healthy} for h in self.hosts],
        }


class ByteStream(Protocol):
    """Chunks of bytes as they come; `close()` (from any thread) ends the iteration."""

    def __iter__(self) -> Iterator[bytes]: ...

    def __next__(self) -> bytes: ...

    def close(self) -> None: ...


@dataclass
class HostUsage:
    """Resources a host has used since it started."""

    cpu_seconds: float
    memory_bytes: int


class RangeBackend(ABC):
    """Bring ranges up and down for teams, and act on their hosts."""

    @abstractmethod
    def up(self, rng: Range, team: str, progress: ProgressCallback = no_progress,
           timeout: float = 180.0) -> RangeStatus:
        """Bring up a team's copy of a range and wait until every service answers."""

    @abstractmethod
    def down(self, team: str | None, progress: ProgressCallback = no_progress) -> int:
        """Remove a team's range (every team's when `team` is None); return the objects removed."""

    @abstractmethod
    def status(self, team: str | None = None, health: bool = True) -> list[RangeStatus]:
        """The running ranges (one team's, or all)."""

    @abstractmethod
    def exec(self, team: str, host: str, command: list[str] | str, user: str = "root",
             timeout: float = 30.0) -> ExecResult:
        """Run a command inside a host and wait for it."""

    @abstractmethod
    def read_file(self, team: str, host: str, path: str) -> bytes:
        """Read a file from a host."""

    @abstractmethod
    def read_file_from(self, team: str, host: str, path: str, offset: int, limit: int) -> tuple[int, bytes]:
        """The file's current size and up to `limit` bytes from `offset` (for following a growing log)."""

    @abstractmethod
    def follow_file(self, team: str, host: str, path: str, offset: int) -> ByteStream:
        """The file's bytes from `offset` on, as they are written, until closed or the host stops."""

    @abstractmethod
    def usage(self, team: str, host: str) -> HostUsage:
        """CPU time and memory a host has used so far."""

    @abstractmethod
    def write_file(self, team: str, host: str, path: str, data: bytes, mode: int = 0o644) -> None:
        """Write a file on a host."""

    @abstractmethod
    def connect(self, team: str, host: str, segment: str) -> None:
        """Attach a host to a segment again (with its range address there)."""

    @abstractmethod
    def disconnect(self, team: str, host: str, segment: str) -> None:
        """Detach a host from a segment (for example to isolate an infected PC)."""

    @abstractmethod
    def check_service(self, team: str, host: str, service: str) -> bool:
        """Whether a host's service answers now."""

    def host_status(self, team: str, host: str) -> HostStatus | None:
        """One host's state, addresses and service health (None when it does not run)."""
        return next((h for s in self.status(team, True) for h in s.hosts if h.name == host), None)

    def ensure_images(self, progress: ProgressCallback = no_progress) -> None:
        """Build whatever images the backend needs and lacks (a no-op where there are none)."""

    def shell_command(self, team: str, host: str, tty: bool = True) -> list[str]:
        """The command line that opens an interactive shell in a host (run by an interface with the
        terminal handed over to it)."""
        raise BackendError(f"this backend offers no shell into {host}")

    @abstractmethod
    def export_captures(self, team: str, folder: str) -> list[str]:
        """Write the team's packet captures (one pcap file per segment) into a folder."""


class BackendError(CyderError):
    """A backend could not do what was asked; the message says how to fix it."""

"""The implant's contract with the range: where it is dropped, how it persists and how it is found.

One home for the strings that the steps, the ground truth (indicators), the defence probes, the
preconditions, the no-cron check and the remove-persistence action share: the implant's path for a
user, the verb that starts its resident process (cyder/agent/implant.py reads its argv; a test
checks it) and the pgrep pattern that finds it, and each persistence (cron or an XDG autostart
entry) with its install command and the file it leaves.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from importlib import resources

RESIDENT = "resident"
"""The implant's verb for its resident process (`implant.py resident`, cyder/agent/implant.py)."""
AUTOSTART_DIR = ".config/autostart"
"""A user's XDG autostart folder, under the home folder."""
AUTOSTART_ENTRY = "update.desktop"
"""The autostart entry the implant adds."""


def implant_bytes(seed: int) -> bytes:
    """The implant as dropped for this seed: cyder's harmless program with the variant's marker."""
    source = resources.files("cyder.agent").joinpath("implant.py").read_bytes()
    return source + f"\nVARIANT = {seed}\n".encode()


def implant_path(user: str, name: str) -> str:
    """Where the implant copies itself for a user: a hidden folder of the home."""
    return f"/home/{user}/.cache/{name}"


def loot_folder(user: str) -> str:
    """Where the implant of a user gathers collected files."""
    return f"/home/{user}/.cache/.d"


def resident_command(path: str) -> str:
    """The shell command that starts the implant at `path` as a resident process."""
    return f"python3 {shlex.quote(path)} {RESIDENT}"


def resident_pattern(path: str) -> str:
    """The `pgrep -f` pattern that finds the resident process of the implant at `path`."""
    return f"{path} {RESIDENT}"


def autostart_folder(user: str) -> str:
    """A user's XDG autostart folder."""
    return f"/home/{user}/{AUTOSTART_DIR}"


@dataclass(frozen=True)
class Persistence:
    """A way the implant restarts with the user's session; a subclass says how it is installed."""

    name: str

    def install(self, command: str) -> str:
        """The shell command, run as the user, that makes `command` start again."""
        raise NotImplementedError

    def indicator(self, user: str) -> str:
        """The file the persistence leaves for a user (a ground-truth indicator)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Cron(Persistence):
    """An `@reboot` line in the user's crontab."""

    def install(self, command: str) -> str:
        """Append the `@reboot` line to the user's crontab."""
        return f"(crontab -l 2>/dev/null; echo '@reboot {command}') | crontab -"

    def indicator(self, user: str) -> str:
        """The user's crontab file."""
        return f"/var/spool/cron/crontabs/{user}"


@dataclass(frozen=True)
class Autostart(Persistence):
    """An XDG autostart entry in the user's home."""

    def install(self, command: str) -> str:
        """Write the desktop entry (printf turns its `\\n` into lines)."""
        entry = f"[Desktop Entry]\\nType=Application\\nName=Update\\nExec={command}\\n"
        return f"mkdir -p ~/{AUTOSTART_DIR} && printf '{entry}' > ~/{AUTOSTART_DIR}/{AUTOSTART_ENTRY}"

    def indicator(self, user: str) -> str:
        """The desktop entry."""
        return f"{autostart_folder(user)}/{AUTOSTART_ENTRY}"


PERSISTENCE: dict[str, Persistence] = {p.name: p for p in (Cron("cron"), Autostart("autostart"))}
"""Each persistence by the name a step's `persistence:` gives."""

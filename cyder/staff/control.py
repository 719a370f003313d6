"""Control and observe the simulated staff of a running range: their office clock and what they did.

The staff containers (cyder/agent/staff.py) read their office clock from a small file and write
counts of their actions to another; this module reads and writes those files through the range
backend, so the exercise engine and the CLI can start the day at a given time, speed it up, pause
it, and report the activity. It is the runtime half of the staff (package cyder/staff; it was
cyder/staffing.py): who they are and their day's plan are in cyder/model/population.py.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from ..agent.contract import STAFF_CLOCK_PATH, STAFF_STATS_PATH
from ..backend.base import BackendError, RangeBackend
from ..model.population import is_staff_host

CLOCK_PATH = STAFF_CLOCK_PATH
STATS_PATH = STAFF_STATS_PATH


def parse_time_of_day(text: str) -> float:
    """Seconds since midnight of "HH:MM" or "HH:MM:SS"; ValueError otherwise."""
    parts = [int(p) for p in text.split(":")]
    if len(parts) not in (2, 3) or not 0 <= parts[0] < 48 or not all(0 <= p < 60 for p in parts[1:]):
        raise ValueError(f"not a time of day (HH:MM): {text!r}")
    return parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) == 3 else 0)


def format_time_of_day(seconds: float) -> str:
    """"HH:MM:SS" for seconds since midnight (past 24 h the hours go on counting)."""
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@dataclass
class StaffActivity:
    """What a team's simulated staff have done since their containers started."""

    pcs: int = 0
    done: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    dropped: int = 0
    office: float | None = None
    speed: float | None = None
    paused: bool = False

    @property
    def actions(self) -> int:
        """Actions carried out successfully."""
        return sum(self.done.values())

    def to_json(self) -> dict:
        """Plain data for --json output and benchmark reports."""
        return {"pcs": self.pcs, "done": self.done, "failed": self.failed, "skipped": self.skipped,
                "dropped": self.dropped, "office": self.office, "speed": self.speed, "paused": self.paused}


def staff_hosts(backend: RangeBackend, team: str) -> list[str]:
    """The team's containers that simulate staff PCs."""
    statuses = backend.status(team, health=False)
    return [h.name for s in statuses for h in s.hosts if is_staff_host(h.name)]


def activity(backend: RangeBackend, team: str) -> StaffActivity:
    """The staff's action counts, summed over their containers."""
    total = StaffActivity()
    for host in staff_hosts(backend, team):
        try:
            stats = json.loads(backend.read_file(team, host, STATS_PATH))
        except (BackendError, ValueError):
            continue  # not written yet: the generator writes it every two seconds
        total.pcs += stats.get("pcs", 0)
        for key in ("done", "failed"):
            for kind, count in stats.get(key, {}).items():
                getattr(total, key)[kind] = getattr(total, key).get(kind, 0) + count
        total.skipped += stats.get("skipped", 0)
        total.dropped += stats.get("dropped", 0)
        total.office, total.speed, total.paused = stats.get("office"), stats.get("speed"), stats.get("paused", False)
    return total


def set_clock(backend: RangeBackend, team: str, office: float | None = None, speed: float | None = None,
              paused: bool | None = None) -> int:
    """Move, speed up or pause the staff's office clock; return how many containers took it."""
    hosts = staff_hosts(backend, team)
    now = time.time()
    for host in hosts:
        try:
            state = json.loads(backend.read_file(team, host, CLOCK_PATH))
        except (BackendError, ValueError):
            state = {"office": 10 * 3600.0, "wall": now, "speed": 1.0, "paused": False}
        current = state["office"] if state.get("paused") else state["office"] + (now - state["wall"]) * state["speed"]
        state = {"office": current if office is None else office, "wall": now,
                 "speed": state["speed"] if speed is None else speed,
                 "paused": state.get("paused", False) if paused is None else paused}
        backend.write_file(team, host, CLOCK_PATH, json.dumps(state).encode())
    return len(hosts)

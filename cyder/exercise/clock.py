"""The exercise clock of one team: where it stands, how fast it runs, whether it is paused or
finished. Every change is saved, journaled and announced. The clock only runs while an engine runs
it; elsewhere (a CLI submitting, an engine that was killed) it stands at its last saved position,
so downtime is not exercise time."""

from __future__ import annotations

import time
from typing import Any, cast

from ..backend.base import RangeBackend
from ..model.range import Population
from ..staff.control import set_clock
from .events import EventBus
from .protocol import ClockChange, ClockState
from .store import ExerciseStore


class ExerciseClock:
    """The team's clock as saved (`record`), running from a wall-clock moment while an engine runs it."""

    def __init__(self, store: ExerciseStore, team: str, record: ClockState, bus: EventBus) -> None:
        self.store, self.team, self.bus = store, team, bus
        self.record = record
        self.running = False  # an engine runs the clock in this process
        self.wall = time.time()  # the wall-clock moment the record's offset was taken

    def now(self) -> float:
        """Seconds of exercise time since the start."""
        clock = self.record
        if not self.running or not clock["started"] or clock["paused"] or clock["finished"]:
            return clock["offset"]
        return clock["offset"] + (time.time() - self.wall) * clock["speed"]

    def set(self, **changes: Any) -> None:
        """Change the clock (speed, paused, started, finished, offset): save, journal and announce it."""
        current = self.now()
        self.wall = time.time()
        self.record = cast(ClockState, {**self.record, "offset": current, **changes})
        self.store.save_clock(self.team, self.record)
        self.store.log(self.team, current, "clock", dict(self.record))
        change: ClockChange = {"speed": self.record["speed"], "paused": self.record["paused"],
                               "finished": self.record["finished"]}
        self.bus.emit("clock", self.now(), change)

    def heartbeat(self) -> None:
        """Save the clock's position, so a killed engine resumes within a moment of where it was."""
        offset = self.now()
        self.wall = time.time()
        self.record = {**self.record, "offset": offset}
        self.store.save_clock(self.team, self.record)

    def sync_staff(self, backend: RangeBackend, population: Population | None) -> None:
        """Keep the simulated staff's office day in step with the exercise clock (blocking)."""
        if population is None:
            return
        hours, minutes = population.clock.split(":")
        office = int(hours) * 3600 + int(minutes) * 60 + self.now()
        set_clock(backend, self.team, office=office, speed=self.record["speed"],
                  paused=self.record["paused"] or self.record["finished"])

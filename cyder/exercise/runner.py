"""Running one team's engine in this process: claim the team (one engine per team), bring the range
up, start or resume the clock, and tick until the planned end (injects, rounds of checks, the
evidence feed, the attack), with the instructor's controls (pause, resume, speed, a round now, the
end). A killed engine loses nothing: the clock is saved on every tick, and everything else as it
happens."""

from __future__ import annotations

import asyncio
import fcntl
import os
import time
from pathlib import Path
from typing import IO

from ..backend.base import ProgressCallback, no_progress
from ..evidence.collect import EvidenceFeed
from ..model.scenario import parse_offset
from .attack import AttackDriver
from .core import ExerciseCore
from .injects import Injects
from .ledger import Ledger
from .protocol import EvidenceProblem, ExerciseError, RangeProgress, Totals
from .rounds import Rounds


class Runner:
    """The lifecycle of one team's engine in this process."""

    def __init__(self, core: ExerciseCore, ledger: Ledger, rounds: Rounds, attack: AttackDriver,
                 injects: Injects) -> None:
        self.core, self.ledger, self.rounds, self.attack, self.injects = core, ledger, rounds, attack, injects
        self.feed: EvidenceFeed | None = None
        self.claimed: IO[str] | None = None  # the open lock file while this process runs the team's engine
        self.prepared = False  # images checked and the range found or brought up (run() skips it then)

    async def run(self, until_end: bool = True) -> Totals:
        """Bring the range up if needed, start or resume the clock, and run until the planned end
        (or until cancelled); return the totals."""
        core, clock = self.core, self.core.clock
        self.claim()
        core.bus.loop = asyncio.get_running_loop()
        if not self.prepared:
            await self.prepare()
        await self.rounds.take_baselines()
        await self.attack.prepare()
        await asyncio.to_thread(self.rounds.observe_rules)  # the state before the clock goes on
        if not clock.record["started"]:
            clock.set(started=True)
            core.store.log(core.team, 0.0, "start", {"seed": core.settings["seed"], "course": core.settings["course"]})
        else:
            core.store.log(core.team, core.now(), "resume", {"offset": clock.record["offset"]})
        clock.running = True
        clock.wall = time.time()
        await asyncio.to_thread(self.sync_staff_clock)
        tasks = []
        if core.evidence_store is not None and core.range.logging:
            self.feed = EvidenceFeed(core.backend, core.evidence_store, core.team, core.range.logging.collector)
            self.feed.on_problem = self._evidence_problem
            tasks.append(asyncio.create_task(self.feed.run()))
        if not clock.record["paused"] and not clock.record["finished"]:
            self.attack.start()
        try:
            while not clock.record["finished"]:
                await self.tick()
                if until_end and core.now() >= core.duration:
                    await self.finish()
                    break
                clock.heartbeat()
                await asyncio.sleep(0.5)
        finally:
            clock.heartbeat()
            clock.running = False
            await self.attack.stop()
            for task in tasks:
                task.cancel()
            if self.feed:
                self.feed.close()
            self.release()
        return self.ledger.totals()

    def _evidence_problem(self, problem: str | None) -> None:
        """The evidence feed cannot store what it reads, or can again: say so."""
        record: EvidenceProblem = {"problem": problem}
        self.core.emit("evidence", record)

    def claim(self) -> None:
        """Make this process the only one running the team's engine (until it exits); a second
        engine for the same team would drive the attack twice."""
        if self.claimed is not None:
            return
        team = self.core.team
        path = Path(str(self.core.store.path) + f".{team}.lock")
        handle = open(path, "a+")  # noqa: SIM115 - held open (and locked) while this process runs the engine
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise ExerciseError(f"team {team}'s exercise is already running ({holder}); "
                                "close it first, or use another --team") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}")
        handle.flush()
        self.claimed = handle

    def release(self) -> None:
        """Let another process run the team's engine again."""
        handle, self.claimed = self.claimed, None
        if handle is not None:
            handle.close()

    async def prepare(self, progress: ProgressCallback = no_progress) -> None:
        """Build missing images and bring the team's range up (or find it up), reporting progress."""
        core = self.core
        name = core.range.name
        self._range_progress({"state": "images", "range": name})
        await asyncio.to_thread(core.backend.ensure_images, progress)
        statuses = await asyncio.to_thread(core.backend.status, core.team, False)
        if statuses and statuses[0].range_name != name:
            raise ExerciseError(f"team {core.team} has range {statuses[0].range_name} up, not {name}: "
                                f"run `cyder down --team {core.team}` first")
        if not statuses:
            self._range_progress({"state": "starting", "range": name})
            await asyncio.to_thread(core.backend.up, core.running_range, core.team, progress)
        self.prepared = True
        self._range_progress({"state": "ready", "range": name})

    def _range_progress(self, record: RangeProgress) -> None:
        self.core.emit("range", record)

    async def tick(self) -> None:
        """Deliver due injects; run a round of checks when one is due, or observe the rules when a
        step has just happened."""
        core = self.core
        self.injects.deliver_due()
        if core.now() - core.state.last_round >= parse_offset(core.rubric.availability.round):
            await self.rounds.round()
        elif self.rounds.observe_soon:
            self.rounds.observe_soon = False
            await asyncio.to_thread(self.rounds.observe_rules)

    async def finish(self) -> None:
        """End the exercise: a last round of checks, then the clock stops for good."""
        core = self.core
        await self.attack.stop()
        await self.rounds.round(final=True)
        core.clock.set(finished=True)
        core.store.log(core.team, core.now(), "finish", self.ledger.totals())
        await asyncio.to_thread(self.sync_staff_clock)
        core.emit("finish", self.ledger.totals())

    async def check_now(self) -> None:
        """Run a round of checks at once (calibration; instructors)."""
        await self.rounds.round()

    async def pause(self) -> None:
        """Stop the clock: the attack, the injects and the staff wait."""
        clock = self.core.clock
        if clock.record["paused"] or clock.record["finished"]:
            return
        clock.set(paused=True)
        await self.attack.stop()
        await asyncio.to_thread(self.sync_staff_clock)

    async def resume(self) -> None:
        """Start the clock again after a pause."""
        clock = self.core.clock
        if not clock.record["paused"] or clock.record["finished"]:
            return
        clock.set(paused=False)
        await asyncio.to_thread(self.sync_staff_clock)
        self.attack.start()

    async def set_speed(self, speed: float) -> None:
        """Run the clock faster or slower (1 is real time)."""
        if speed <= 0:
            raise ExerciseError("speed must be positive")
        running = self.attack.task is not None
        await self.attack.stop()
        self.core.clock.set(speed=speed)
        await asyncio.to_thread(self.sync_staff_clock)
        if running:
            self.attack.start()

    def sync_staff_clock(self) -> None:
        """Keep the simulated staff's office day in step with the exercise clock (blocking)."""
        self.core.clock.sync_staff(self.core.backend, self.core.range.population)


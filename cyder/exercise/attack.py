"""The attack chain of one team's exercise, driven from the engine: its infrastructure checked before
the clock starts, the organisation's defensive posture recorded once, the chain started, stopped
and resumed where it was, and each step's outcome journaled as it happens."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any, cast

from ..scenario.defence import take_posture
from ..scenario.engine import AttackRun, StepEvent
from .checks import availability_route, check_route
from .core import ExerciseCore
from .ledger import Ledger
from .rounds import Rounds


class AttackDriver:
    """Runs the team's attack chain as an asyncio task while the clock runs."""

    def __init__(self, core: ExerciseCore, ledger: Ledger, rounds: Rounds) -> None:
        self.core, self.ledger, self.rounds = core, ledger, rounds
        self.task: asyncio.Task[Any] | None = None  # the running chain

    def attack_run(self, **options: Any) -> AttackRun:
        """The chain from where it stands, at the clock's speed, reporting each step here."""
        core = self.core
        return AttackRun(core.backend, core.team, core.variant, speed=core.clock.record["speed"],
                         on_event=self.on_step, start_at=core.now(), previous=self.previous_outcomes(),
                         facts=core.state.facts, **options)

    async def prepare(self) -> None:
        """Put the scenario's infrastructure in place and verify it before the clock goes on, and
        record the organisation's defensive posture once, before the first start (a resumed engine
        keeps the first one, or the team's changes would become the baseline)."""
        run = self.attack_run(posture={})
        await run.prepare_infrastructure()
        await asyncio.to_thread(self.record_posture, run)

    def record_posture(self, run: AttackRun | None = None) -> dict[str, str]:
        """The organisation's defensive posture on every way the attack and the checks take,
        recorded the first time and read back after (blocking)."""
        core = self.core
        stored = core.store.baseline(core.team, "posture")
        if stored is None:
            run = run or self.attack_run(posture={})
            routes = run.routes() + [r for rule in [*core.rubric.responses, *core.rubric.recovery]
                                     if (r := check_route(core.view, rule.check)) is not None]
            routes += [availability_route(core.view, ref) for ref in core.rubric.availability.services]
            posture = take_posture(core.view, routes)
            stored = core.store.baseline(core.team, "posture", json.dumps(posture, ensure_ascii=False))
        core.view.posture = json.loads(cast(str, stored))
        return core.view.posture

    def previous_outcomes(self) -> dict[str, str]:
        """Steps already done, and how the chain went on after each (for resuming the attack)."""
        steps, scenario = self.core.state.steps, self.core.scenario
        previous = {}
        for step_id, event in steps.items():
            if event["outcome"] != "blocked":
                previous[step_id] = event["outcome"]
                continue
            planned = scenario.step(step_id)
            fallback = planned.on_blocked if planned else "stop"
            if fallback == "stop":
                previous[step_id] = "blocked"
            elif fallback in steps:
                after = steps[fallback]["outcome"]
                previous[step_id] = "blocked-fallback" if after == "executed" else after
        return previous

    def start(self) -> None:
        """Start the chain (unless it runs)."""
        if self.task is not None and not self.task.done():
            return
        run = self.attack_run(posture=self.core.view.posture, infrastructure_ready=True)
        self.task = asyncio.create_task(run.run())

    async def stop(self) -> None:
        """Stop the chain; a step cut short is run again on resume."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
            self.task = None

    def on_step(self, event: StepEvent) -> None:
        """A step happened: journal it with the chain's facts, announce it, and have the rules
        observed before the team can change what it left."""
        core = self.core
        data = event.to_json()
        core.state.steps[event.step] = data
        core.store.log(core.team, event.actual, "step", data)
        core.store.log(core.team, event.actual, "facts", core.state.facts)
        core.emit("step", data)
        if event.outcome == "fault":
            self.ledger.fault(f"step {event.step}", event.reason, log=False)
        self.rounds.observe_soon = True  # see the state the step left before the team can change it

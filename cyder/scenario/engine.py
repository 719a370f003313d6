"""Replays a team's variant of a scenario against its running range, on a real or accelerated clock.

The chain is event-driven: a step with `at:` waits for its time, a step with `after:` waits until
the step it follows has completed (ran, or was blocked and its fallback ran) and then for its
delay. Before each step its preconditions are checked against the live range; a failed check, or
an action that cannot get through, marks the step blocked with the reason, and the chain follows
`on_blocked` or stops. Every step emits a ground-truth event. Nothing here imports Docker: the
range is reached through the backend interface.
"""

from __future__ import annotations

import asyncio
import shlex
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

from ..backend.base import RangeBackend
from ..model.scenario import Precondition, Step
from .steps import STEP_KINDS, Outcome, StepContext
from .variant import PlannedStep, Variant


@dataclass
class StepEvent:
    """Ground truth of one step: when it was planned and ran, its outcome, hosts and indicators."""

    step: str
    technique: str
    outcome: str  # executed, blocked, skipped
    planned: float
    actual: float
    time: float
    hosts: list[str]
    indicators: dict[str, list[str]]
    reason: str = ""
    fallback_for: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def lateness(self) -> float:
        """Seconds of scenario time by which the step started after its planned time."""
        return self.actual - self.planned

    def to_json(self) -> dict[str, Any]:
        """The event as plain data."""
        return {"step": self.step, "technique": self.technique, "outcome": self.outcome,
                "planned": round(self.planned, 3), "actual": round(self.actual, 3), "time": self.time,
                "hosts": self.hosts, "indicators": self.indicators, "reason": self.reason,
                "fallback_for": self.fallback_for, "details": self.details}


class AttackRun:
    """One replay of a variant against a team's range."""

    def __init__(self, backend: RangeBackend, team: str, variant: Variant, speed: float = 1.0,
                 on_event: Callable[[StepEvent], None] = lambda _: None, until: float | None = None,
                 start_at: float = 0.0, previous: dict[str, bool] | None = None,
                 facts: dict[str, Any] | None = None):
        """`start_at`, `previous` (step -> whether the chain went on after it) and `facts` resume a
        run that was stopped: finished steps are not run again, the clock goes on from `start_at`."""
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.backend, self.team, self.variant, self.speed = backend, team, variant, speed
        self.until = until
        self.on_event = on_event
        self.events: list[StepEvent] = []
        self.ctx = StepContext(backend, team, variant, speed, facts if facts is not None else {})
        self.start_at = start_at
        self.previous = dict(previous or {})
        self._done: dict[str, asyncio.Future[bool]] = {}
        self._start = 0.0

    def scenario_time(self) -> float:
        """Seconds of scenario time since the run started."""
        return (time.monotonic() - self._start) * self.speed

    async def _sleep_until(self, offset: float) -> None:
        delay = (offset - self.scenario_time()) / self.speed
        if delay > 0:
            await asyncio.sleep(delay)

    async def run(self) -> list[StepEvent]:
        """Prepare the attacker's infrastructure, then run the chain to its end; return the events."""
        await self.prepare_infrastructure()
        self._start = time.monotonic() - self.start_at / self.speed
        loop = asyncio.get_running_loop()
        self._done = {p.step.id: loop.create_future() for p in self.variant.steps}
        for step_id, went_on in self.previous.items():
            if step_id in self._done:
                self._done[step_id].set_result(went_on)
        chain = [p for p in self.variant.steps if p.fallback_for is None and p.step.id not in self.previous]
        await asyncio.gather(*(self._run_chain_step(p) for p in chain))
        return self.events

    async def prepare_infrastructure(self) -> None:
        """Give attacker hosts this team's addresses and register the C2 names with the attacker DNS."""
        for infra in self.variant.infrastructure:
            host = self.ctx.host(infra["host"])
            segment = self.variant.range.segment(host.attachments[0].segment)
            dev = f"$(ip -o -4 addr show | awk '/ {host.primary_address}\\// {{print $2; exit}}')"
            await self.ctx.run(infra["host"], f"ip addr replace {infra['address']}/{segment.subnet.prefixlen} dev {dev}")
            if infra.get("dns_server") and infra["names"]:
                await self._register_names(infra["dns_server"], infra["names"], infra["address"])
            if host.service("http") is not None:
                await self._publish_c2_paths(host.name, infra["names"])

    async def _publish_c2_paths(self, host: str, names: list[str]) -> None:
        """Give the C2's web server an answer for every check-in URL, as a real C2 would."""
        for planned in self.variant.steps:
            if planned.step.action.kind == "beacon-http":
                url = urlsplit(planned.step.action.url)
                if url.hostname in names and url.path.strip("/"):
                    await self.ctx.write(host, f"/var/www/{host}/{url.path.strip('/')}", b"OK\n")

    async def _register_names(self, server: str, names: list[str], address: str) -> None:
        stanzas = []
        for name in names:
            zone = (f"$TTL 60\n@ IN SOA ns.{name}. hostmaster.{name}. (1 3600 600 86400 60)\n"
                    f"@ IN NS ns.{name}.\nns IN A {address}\n@ IN A {address}\n* IN A {address}\n")
            await self.ctx.write(server, f"/etc/bind/cyder/scenario/db.{name}", zone.encode())
            stanzas.append(f'zone "{name}" {{ type master; file "/etc/bind/cyder/scenario/db.{name}"; }};\n')
        await self.ctx.write(server, "/etc/bind/cyder/scenario.conf", "".join(stanzas).encode())
        include = 'include "/etc/bind/cyder/scenario.conf";'
        await self.ctx.run(server, f"grep -qF {shlex.quote(include)} /etc/bind/named.conf || "
                                   f"echo {shlex.quote(include)} >> /etc/bind/named.conf; pkill -HUP -x named")
        for name in names:  # named reloads in the background; wait until it answers for the new zone
            await self.ctx.run(server, f"for i in $(seq 50); do dig +short @127.0.0.1 {name} | grep -q . && exit 0; "
                                       "sleep 0.1; done; exit 1")

    async def _run_chain_step(self, planned: PlannedStep) -> None:
        step = planned.step
        if step.after is not None:
            completed = await self._done[step.after.step]
            if not completed:
                self._record(planned, "skipped", f"{step.after.step} did not complete", self.scenario_time())
                self._done[step.id].set_result(False)
                return
        if self.until is not None and planned.offset > self.until:
            self._record(planned, "skipped", "planned after the end of this run (--until)", self.scenario_time())
            self._done[step.id].set_result(False)
            return
        await self._sleep_until(planned.offset)
        self._done[step.id].set_result(await self._attempt(planned))

    async def _attempt(self, planned: PlannedStep) -> bool:
        """Run one step (and its fallback when it is blocked); return whether the chain may go on."""
        step = planned.step
        started = self.scenario_time()
        reason = await self._failed_precondition(step)
        outcome = Outcome(False, reason) if reason else await self._execute(step)
        if outcome.executed:
            self._record(planned, "executed", "", started, outcome.details)
            return True
        self._record(planned, "blocked", outcome.reason, started, outcome.details)
        if step.on_blocked == "stop":
            return False
        fallback = self.variant.planned(step.on_blocked)
        completed = await self._attempt(fallback)
        self._done[fallback.step.id].set_result(completed)
        return completed

    async def _execute(self, step: Step) -> Outcome:
        try:
            return await STEP_KINDS[step.action.kind](step.action).run(self.ctx)
        except Exception as exc:  # noqa: BLE001 - a step that cannot run is blocked, with the reason
            return Outcome(False, f"{type(exc).__name__}: {exc}")

    async def _failed_precondition(self, step: Step) -> str:
        """The reason the first failing precondition gives, or '' when all hold."""
        for pre in step.requires:
            reason = await self.check_precondition(pre)
            if reason:
                return reason
        return ""

    async def check_precondition(self, pre: Precondition) -> str:
        """Check one precondition against the live range; '' when it holds, else why not."""
        host = pre.host
        try:
            if pre.check == "connected":
                plan = {a.segment: str(a.address) for a in self.ctx.host(host).attachments}
                result = await self.ctx.run(host, "ip -o -4 addr show")
                missing = [seg for seg, addr in plan.items() if f" {addr}/" not in result.stdout]
                return f"{host} is not connected to {', '.join(missing)}" if missing else ""
            if pre.check == "implant-running":
                implant = self.ctx.implant_on(host)
                if implant is None:
                    return f"no implant was started on {host}"
                user, path = implant
                result = await self.ctx.run(host, ["pgrep", "-u", user, "-f", f"{path} resident"])
                return "" if result.ok else f"the implant on {host} is not running"
            if pre.check == "reachable":
                target = self.ctx.address(pre.target, seen_from=host) if pre.target else ""
                result = await self.ctx.run(host, ["nc", "-z", "-w", "2", target, str(pre.port or 80)])
                return "" if result.ok else f"{host} cannot reach {pre.target}:{pre.port or 80}"
            if pre.check == "account-unlocked":
                result = await self.ctx.run(host, ["passwd", "-S", pre.user or ""])
                fields = result.stdout.split()
                return "" if result.ok and len(fields) > 1 and fields[1] != "L" else f"account {pre.user} on {host} is locked"
        except Exception as exc:  # noqa: BLE001 - a host that cannot be asked fails the check
            return f"{pre.check} on {host} could not be checked: {exc}"
        return ""

    def _record(self, planned: PlannedStep, outcome: str, reason: str, started: float,
                details: dict[str, Any] | None = None) -> None:
        event = StepEvent(step=planned.step.id, technique=planned.step.technique, outcome=outcome,
                          planned=planned.offset, actual=started, time=time.time(), hosts=planned.hosts,
                          indicators=planned.indicators, reason=reason, fallback_for=planned.fallback_for,
                          details=details or {})
        self.events.append(event)
        self.on_event(event)

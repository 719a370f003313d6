"""Replays a team's variant of a scenario against its running range, on a real or accelerated clock.

The chain is event-driven: a step with `at:` waits for its time, a step with `after:` waits until
the step it follows has completed (ran, or was blocked and its fallback ran) and then for its
delay. Before each step its preconditions are checked against the live range. When a step does
not get through, the defence probes (cyder.scenario.defence) look for what the team changed on its
way: found, the step is `blocked` and the chain follows `on_blocked` or stops; not found, it is a
fault of the range, retried with a bounded back-off and, if it still fails, recorded as `fault`
(the chain stops there; a fault never counts for or against the team). Every step emits a
ground-truth event with what was checked. Nothing here imports Docker: the range is reached
through the backend interface.
"""

from __future__ import annotations

import asyncio
import shlex
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

from ..backend.base import RangeBackend
from ..errors import CyderError
from ..model.scenario import Precondition, Step
from ..services.dns import DnsService
from ..services.http import HttpService
from ..services.smtp import SmtpService
from .defence import Route, explain, take_posture
from .preconditions import as_precondition
from .steps import Outcome, StepContext, as_step
from .variant import PlannedStep, Variant

# Real seconds between tries of a step that failed with no defence on its way: a daemon slow under
# load or a cache not yet warm gets about half a minute to recover before the step is a fault.
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)
OUTCOMES = ("executed", "blocked", "fault", "skipped")


class InfrastructureError(CyderError):
    """The scenario's attacker infrastructure could not be put in place or did not answer."""


@dataclass
class StepEvent:
    """Ground truth of one step: when it was planned and ran, its outcome, hosts and indicators.

    `outcome` is one of OUTCOMES: executed; blocked by the team (the defence is in `reason` and
    what was checked in `details`); fault (the range failed, not the defence: never worth points);
    skipped (the step it follows did not complete, or it was planned after the end of the run).
    """

    step: str
    technique: str
    outcome: str
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
                 start_at: float = 0.0, previous: dict[str, str] | None = None,
                 facts: dict[str, Any] | None = None, posture: dict[str, str] | None = None,
                 retry_delays: tuple[float, ...] = RETRY_DELAYS, infrastructure_ready: bool = False):
        """`start_at`, `previous` (step -> the outcome the chain went on with) and `facts` resume a
        run that was stopped: finished steps are not run again, the clock goes on from `start_at`.
        `posture` is the organisation's defensive posture recorded before the clock started (taken
        by `prepare` when not given); `infrastructure_ready` skips putting the infrastructure in
        place when the caller has just done it."""
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.backend, self.team, self.variant, self.speed = backend, team, variant, speed
        self.until = until
        self.on_event = on_event
        self.events: list[StepEvent] = []
        self.ctx = StepContext(backend, team, variant, speed, facts if facts is not None else {})
        self.view = self.ctx.view
        self.view.posture = dict(posture or {})
        self.start_at = start_at
        self.previous = dict(previous or {})
        self.retry_delays = retry_delays
        self._done: dict[str, asyncio.Future[str]] = {}
        self._start = 0.0
        self._prepared = posture is not None
        self.infrastructure_ready = infrastructure_ready

    def scenario_time(self) -> float:
        """Seconds of scenario time since the run started."""
        return (time.monotonic() - self._start) * self.speed

    async def _sleep_until(self, offset: float) -> None:
        delay = (offset - self.scenario_time()) / self.speed
        if delay > 0:
            await asyncio.sleep(delay)

    async def run(self) -> list[StepEvent]:
        """Prepare the attacker's infrastructure, then run the chain to its end; return the events."""
        await self.prepare()
        self._start = time.monotonic() - self.start_at / self.speed
        loop = asyncio.get_running_loop()
        self._done = {p.step.id: loop.create_future() for p in self.variant.steps}
        for step_id, outcome in self.previous.items():
            if step_id in self._done:
                self._done[step_id].set_result(outcome)
        chain = [p for p in self.variant.steps if p.fallback_for is None and p.step.id not in self.previous]
        await asyncio.gather(*(self._run_chain_step(p) for p in chain))
        return self.events

    async def prepare(self) -> dict[str, str]:
        """Put the attacker's infrastructure in place and verify it answers; record the defensive
        posture unless it was given. Safe to repeat (a resumed run does it again). Returns the posture."""
        if not self.infrastructure_ready:
            await self.prepare_infrastructure()
            self.infrastructure_ready = True
        if not self._prepared:
            self.view.posture = await asyncio.to_thread(take_posture, self.view, self.routes())
            self._prepared = True
        return self.view.posture

    def routes(self) -> list[Route]:
        """The way every step takes through the organisation (for recording the posture)."""
        routes = [as_step(p.step.action).route(self.ctx) for p in self.variant.steps]
        routes += [self._precondition_route(pre) for p in self.variant.steps for pre in p.step.requires]
        return routes

    async def prepare_infrastructure(self) -> None:
        """Give attacker hosts this team's addresses, register the C2 names with the attacker DNS,
        publish the C2's answers, and check from the firewall and the internet's resolver that all
        of it answers (without a trace in the organisation's logs)."""
        for infra in self.variant.infrastructure:
            host = self.ctx.host(infra["host"])
            segment = self.variant.range.segment(host.attachments[0].segment)
            dev = f"$(ip -o -4 addr show | awk '/ {host.primary_address}\\// {{print $2; exit}}')"
            await self._must(infra["host"], f"ip addr replace {infra['address']}/{segment.subnet.prefixlen} dev {dev}",
                             f"address {infra['address']} on {infra['host']}")
            if infra.get("dns_server") and infra["names"]:
                await self._register_names(infra["dns_server"], infra["names"], infra["address"])
            if host.service(HttpService) is not None:
                await self._publish_c2_paths(host.name, infra["names"])
        await self.verify_infrastructure()

    async def verify_infrastructure(self, attempts: int = 40) -> None:
        """Wait until every infrastructure address answers from the firewall's side (its neighbour
        entry fresh) and every name resolves through the internet's resolvers; InfrastructureError
        after about 20 seconds."""
        rng = self.variant.range
        firewall = rng.firewall.host if rng.firewall else None
        resolvers = [h.name for h in rng.hosts if h.service(DnsService) and not rng.is_organisation_host(h)]
        for infra in self.variant.infrastructure:
            host = self.ctx.host(infra["host"])
            port = 80 if host.service(HttpService) is not None else 25 if host.service(SmtpService) is not None else None
            if firewall and port:
                await self.ctx.run(firewall, f"ip neigh flush to {infra['address']} 2>/dev/null; true")
                await self._until(firewall, f"nc -z -w 2 {infra['address']} {port}",
                                  f"{infra['host']} at {infra['address']}:{port} does not answer from {firewall}", attempts)
            for name in infra["names"]:
                for resolver in resolvers:
                    await self._until(resolver, f"dig +short +time=2 +tries=1 @127.0.0.1 {name} | grep -qxF {infra['address']}",
                                      f"{name} does not resolve to {infra['address']} at {resolver}", attempts)

    async def _until(self, host: str, command: str, failure: str, attempts: int) -> None:
        for _ in range(attempts):
            result = await self.ctx.run(host, command, timeout=10)
            if result.ok:
                return
            await asyncio.sleep(0.5)
        raise InfrastructureError(f"the scenario's infrastructure is not ready: {failure}")

    async def _must(self, host: str, command: str, what: str) -> None:
        result = await self.ctx.run(host, command)
        if not result.ok:
            raise InfrastructureError(f"{what}: {(result.stderr or result.stdout).strip()[:200]}")

    async def _publish_c2_paths(self, host: str, names: list[str]) -> None:
        """Give the C2's web server an answer for every check-in URL, as a real C2 would."""
        for planned in self.variant.steps:
            for c2_url in as_step(planned.step.action).c2_paths():
                url = urlsplit(c2_url)
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
        await self._must(server, f"grep -qF {shlex.quote(include)} /etc/bind/named.conf || "
                                 f"echo {shlex.quote(include)} >> /etc/bind/named.conf; pkill -HUP -x named",
                         f"reloading the name server on {server}")
        for name in names:  # named reloads in the background; wait until it answers for the new zone
            await self._until(server, f"dig +short @127.0.0.1 {name} | grep -qxF {address}",
                              f"{name} is not served by {server}", 50)

    async def _run_chain_step(self, planned: PlannedStep) -> None:
        step = planned.step
        if step.after is not None:
            before = await self._done[step.after.step]
            if before not in ("executed", "blocked-fallback"):
                why = {"blocked": "was blocked", "fault": "failed with a range fault"}.get(before, "did not run")
                self._record(planned, "skipped", f"{step.after.step} {why}", self.scenario_time())
                self._done[step.id].set_result("skipped")
                return
        if self.until is not None and planned.offset > self.until:
            self._record(planned, "skipped", "planned after the end of this run (--until)", self.scenario_time())
            self._done[step.id].set_result("skipped")
            return
        await self._sleep_until(planned.offset)
        self._done[step.id].set_result(await self._attempt(planned))

    async def _attempt(self, planned: PlannedStep) -> str:
        """Run one step (and its fallback when it is blocked), retrying range faults; return how the
        chain goes on: executed, blocked-fallback (the fallback ran), blocked, fault or skipped."""
        step = planned.step
        started = self.scenario_time()
        tries: list[dict[str, Any]] = []
        delays = [*self.retry_delays, None]
        for delay in delays:
            outcome, route = await self._try(step)
            if outcome.executed:
                details = {**outcome.details, **({"faults_before": tries} if tries else {})}
                self._record(planned, "executed", "", started, details)
                return "executed"
            explanation = outcome.explanation or await asyncio.to_thread(explain, self.view, route, outcome.reason)
            tries.append({"reason": outcome.reason, **explanation.to_json()})
            if explanation.is_defence:
                why = explanation.defence if explanation.defence == outcome.reason else f"{explanation.defence} ({outcome.reason})"
                self._record(planned, "blocked", why, started,
                             {**outcome.details, "attempts": tries})
                return await self._fallback(step)
            if delay is not None:
                await asyncio.sleep(delay)
        self._record(planned, "fault", f"range fault after {len(tries)} tries: {tries[-1]['reason']}", started,
                     {"attempts": tries})
        return "fault"

    async def _fallback(self, step: Step) -> str:
        if step.on_blocked == "stop":
            return "blocked"
        fallback = self.variant.planned(step.on_blocked)
        went_on = await self._attempt(fallback)
        self._done[fallback.step.id].set_result(went_on)
        return "blocked-fallback" if went_on in ("executed", "blocked-fallback") else went_on

    async def _try(self, step: Step) -> tuple[Outcome, Route]:
        """One try: the preconditions, then the action; the outcome and the way it took."""
        for pre in step.requires:
            outcome = await self.check_precondition(pre)
            if outcome is not None:
                return outcome, self._precondition_route(pre)
        kind = as_step(step.action)
        try:
            outcome = await kind.run(self.ctx)
        except Exception as exc:  # noqa: BLE001 - a step that cannot run is a fault unless a defence explains it
            outcome = Outcome(False, f"{type(exc).__name__}: {exc}")
        return outcome, kind.route(self.ctx)

    def _precondition_route(self, pre: Precondition) -> Route:
        return as_precondition(pre).route(self.ctx)

    async def check_precondition(self, pre: Precondition) -> Outcome | None:
        """Check one precondition against the live range: None when it holds, else a failed
        outcome (with the defence already found when the failure itself is one)."""
        try:
            return await as_precondition(pre).verify(self.ctx)
        except Exception as exc:  # noqa: BLE001 - a host that cannot be asked fails the check
            return Outcome(False, f"{pre.check} on {pre.host} could not be checked: {exc}")

    def _record(self, planned: PlannedStep, outcome: str, reason: str, started: float,
                details: dict[str, Any] | None = None) -> None:
        event = StepEvent(step=planned.step.id, technique=planned.step.technique, outcome=outcome,
                          planned=planned.offset, actual=started, time=time.time(), hosts=planned.hosts,
                          indicators=planned.indicators, reason=reason, fallback_for=planned.fallback_for,
                          details=details or {})
        self.events.append(event)
        self.on_event(event)

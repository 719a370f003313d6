"""What every attack step kind builds on: the running step's context, its outcome and the base class.

A step kind is one class under cyder/scenario/steps/<kind>.py: the pydantic model of its `action:`
fields (derived from model.scenario.StepParams, which the model layer knows), its facts as
ClassVars and its behaviour as methods, registered with `@STEP_ACTIONS.register`. StepKind adds to
StepParams what the variant (hosts, duration, indicators) and the attack engine (run, route, the
C2's answers) ask of a step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from ...backend.base import ExecResult, RangeBackend
from ...model.range import Host, Range
from ...model.scenario import Step, StepParams
from ...services.proxy import ProxyService
from ..defence import Explanation, RangeView, Route


class PlannedView(Protocol):
    """What a step reads of another planned step of the variant."""

    @property
    def step(self) -> Step:
        """The step, with its variables filled in."""
        ...


class VariantView(Protocol):
    """What a step reads of the team's variant (cyder.scenario.variant.Variant). A protocol, so that
    variant.py, which asks the steps for their hosts and indicators, may import them."""

    @property
    def range(self) -> Range:
        """The team's range."""
        ...

    @property
    def seed(self) -> int:
        """The team's seed."""
        ...

    @property
    def infrastructure(self) -> list[dict[str, Any]]:
        """The attacker's infrastructure, with its variables filled in."""
        ...

    @property
    def steps(self) -> Sequence[PlannedView]:
        """The planned steps."""
        ...

    @property
    def implant_sha256(self) -> str:
        """SHA-256 of the implant file this team's PC receives."""
        ...


@dataclass
class Outcome:
    """What happened when a step ran."""

    executed: bool
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    explanation: Explanation | None = None
    """Set when the failure is itself the defence (an isolated host, a locked account)."""


@dataclass
class StepContext:
    """What a running step may use: the team's range through the backend, its variant, shared facts."""

    backend: RangeBackend
    team: str
    variant: VariantView
    speed: float
    facts: dict[str, Any] = field(default_factory=dict)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    view: RangeView = None  # type: ignore[assignment]  # made from the others when not given

    def __post_init__(self) -> None:
        if self.view is None:
            self.view = RangeView(self.backend, self.team, self.variant.range,
                                  infrastructure=self.variant.infrastructure)

    async def run(self, host: str, command: str | list[str], user: str = "root", timeout: float = 60) -> ExecResult:
        """Run a command in a range host without blocking the event loop."""
        return await asyncio.to_thread(self.backend.exec, self.team, host, command, user, timeout)

    async def write(self, host: str, path: str, data: bytes, mode: int = 0o644) -> None:
        """Write a file in a range host."""
        await asyncio.to_thread(self.backend.write_file, self.team, host, path, data, mode)

    def host(self, name: str) -> Host:
        """A host of the range."""
        host = self.variant.range.host(name)
        if host is None:
            raise KeyError(name)
        return host

    def address(self, name: str, seen_from: str | None = None) -> str:
        """A host's address (on a segment shared with `seen_from` when there is one), or the name itself."""
        host = self.variant.range.host(name)
        if host is None:
            return name
        viewer = self.variant.range.host(seen_from) if seen_from else None
        return str(host.address_seen_from(viewer) if viewer else host.primary_address)

    def staff_password(self, user: str) -> str:
        """A staff member's password, from the range."""
        return next(s.password for s in self.variant.range.staff if s.user == user)

    def implant_on(self, host: str) -> tuple[str, str] | None:
        """(user, path) of the implant dropped on a host, when a step has dropped one."""
        found: tuple[str, str] | None = self.facts.get("implants", {}).get(host)
        return found

    def proxy_env(self) -> str:
        """Shell prefix that gives a command the organisation's proxy settings, as staff sessions have."""
        return ProxyService.CLIENT_ENV

    def addresses(self, *names: str) -> tuple[str, ...]:
        """Every address of the named hosts (or infrastructure names), for a route."""
        return self.view.addresses(*names)

    def implant_route(self, host: str) -> Route:
        """The implant on a host, as a need of a route (nothing when none was dropped there)."""
        implant = self.implant_on(host)
        return Route(implant=(host, implant[0], implant[1])) if implant else Route()


class Indicators:
    """What a defender could find of one step, by category (addresses, domains, urls, hashes,
    accounts, files, mail, subjects), as the step's kind adds it."""

    def __init__(self, variant: VariantView) -> None:
        self.variant = variant
        self.range = variant.range
        self.found: dict[str, list[str]] = {}

    def add(self, category: str, value: str | None) -> None:
        """Add a value to a category once (nothing for an empty value)."""
        if value and value not in self.found.setdefault(category, []):
            self.found[category].append(value)

    def address_of(self, name: str) -> str | None:
        """The address of an infrastructure name or a host of the range, or None."""
        for infra in self.variant.infrastructure:
            if name in infra["names"]:
                address: str = infra["address"]
                return address
        host = self.range.host(name)
        return str(host.primary_address) if host else None

    def url(self, url: str) -> None:
        """A URL the attack reaches, its domain and the domain's address."""
        self.add("urls", url)
        domain = urlsplit(url).hostname or ""
        self.add("domains", domain)
        self.add("addresses", self.address_of(domain))

    def domain(self, domain: str) -> None:
        """A domain the attack uses, and its address."""
        self.add("domains", domain)
        self.add("addresses", self.address_of(domain))


def failed_unless(result: ExecResult, what: str) -> Outcome:
    """Executed when the command succeeded, else a failure that says `what` with the last line it printed."""
    if result.ok:
        return Outcome(True)
    reason = (result.stderr.strip() or result.stdout.strip() or f"exit {result.exit_code}").splitlines()[-1]
    return Outcome(False, f"{what}: {reason[:200]}")


async def check_ins(ctx: StepContext, host: str, check_in: Callable[[str], str | list[str]], count: int,
                    interval: int, label: str) -> Outcome:
    """The implant on `host` checks in with the C2 `count` times, `interval` scenario seconds apart
    (a beacon), each time with the command `check_in` gives for the implant's path: a failed one
    ends the step, with the number that went through."""
    implant = ctx.implant_on(host)
    if implant is None:
        return Outcome(False, f"no implant on {host}")
    user, path = implant
    command = check_in(path)
    for number in range(1, count + 1):
        result = await ctx.run(host, command, user=user, timeout=30)
        if not result.ok:
            return Outcome(False, f"{label} {number} failed: {(result.stderr.strip() or 'no answer')[-200:]}",
                           {"check_ins": number - 1})
        if number < count:
            await ctx.sleep(interval / ctx.speed)
    return Outcome(True, details={"check_ins": count})


class StepKind(StepParams):
    """An attack step kind: what it needs of the range, how it runs, and what it leaves."""

    def duration(self) -> float:
        """How long the step itself runs, in scenario seconds (a step after it starts later)."""
        return 0.0

    def hosts(self, rng: Range) -> list[str]:
        """The hosts the step involves: those its host fields name, and those its kind adds."""
        return [getattr(self, name) for name in self.host_fields if getattr(self, name, None)]

    def indicators(self, found: Indicators) -> None:
        """Add what a defender could find of this step; nothing by default."""

    def c2_paths(self) -> list[str]:
        """URLs the C2's web server must answer for this step (it publishes their paths); none by default."""
        return []

    def route(self, ctx: StepContext) -> Route:
        """The way the step takes through the organisation (what a defence could have changed)."""
        return Route()

    async def run(self, ctx: StepContext) -> Outcome:
        """Carry out the action against the live range."""
        raise NotImplementedError(f"{type(self).__name__} does not run")

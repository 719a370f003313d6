"""Checks on the real state of a team's range, for scoring response, recovery and availability.

A check asks the range, not the team: a C2 blocked by a firewall rule typed by hand passes the
same as one blocked with `cyder act`. Each check sees one of three states: `bad` (what the attack
left is there: the C2 answers, the implant runs), `good` (it is gone, and for network checks a
change the team made explains why), or `unknown` (the host could not be asked, the mail is not
delivered yet, or the C2 is silent with nothing the team changed on its way: a range fault).
Baselines (file hashes, password hashes) are taken when the exercise starts, so "unchanged" and
"reset" compare with the range as it was.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Literal

from ..backend.base import BackendError
from ..model.rubric import Check, ServiceRef
from ..scenario.defence import RangeView, Route, explain
from ..services import ports_of, service_kind
from ..services.proxy import ProxyService
from ..services.smtp import SmtpService

State = Literal["good", "bad", "unknown"]
PROXY_ENV = ProxyService.CLIENT_ENV
MAIL_PRESENT, MAIL_DELIVERED = SmtpService.MAIL_PRESENT, SmtpService.MAIL_DELIVERED


@dataclass(frozen=True)
class CheckResult:
    """What a check saw: the state, a line for people, and what it ran into (for the ledger)."""

    state: State
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Whether the good state was seen."""
        return self.state == "good"


def self_safe(pattern: str) -> str:
    """A pgrep/pkill pattern that does not match the command line that carries it."""
    escaped = re.escape(pattern)
    return f"[{escaped[0]}]{escaped[1:]}" if escaped and escaped[0].isalnum() else escaped


def baseline_keys(check: Check) -> list[tuple[str, str, str]]:
    """(key, host, command) of the baselines a check compares with, taken at the start."""
    if check.kind == "content-unchanged":
        return [(f"sha256:{check.host}:{check.path}", check.host, f"sha256sum {shlex.quote(check.path)} | cut -d' ' -f1")]
    if check.kind == "account-locked-or-reset":
        return [(f"shadow:{check.host}:{check.user}", check.host, f"getent shadow {shlex.quote(check.user)} | cut -d: -f2")]
    return []


def check_route(view: RangeView, check: Check) -> Route | None:
    """The way a network check takes, for recording the posture before the start."""
    if check.kind == "unreachable" and check.url:
        return view.proxy_route(check.host, check.url)
    return None


def run_check(view: RangeView, check: Check, baselines: dict[str, str]) -> CheckResult:
    """Run one check (blocking: call it in a thread from async code); a host that cannot be asked
    gives `unknown`."""
    try:
        return _run(view, check, baselines)
    except BackendError as exc:
        return CheckResult("unknown", f"{check.kind} on {check.host} could not be checked: {exc}")


def _good_if(good: bool, detail: str, **evidence: Any) -> CheckResult:
    return CheckResult("good" if good else "bad", detail, evidence)


def _run(view: RangeView, check: Check, baselines: dict[str, str]) -> CheckResult:
    backend, team, rng, host = view.backend, view.team, view.range, check.host
    if check.kind == "service":
        ok = backend.check_service(team, host, check.service)
        return _good_if(ok, f"{check.service} on {host} {'answers' if ok else 'does not answer'}")
    if check.kind == "connected":
        spec = rng.host(host)
        shown = backend.exec(team, host, "ip -o -4 addr show")
        if not shown.ok:
            return CheckResult("unknown", f"addresses of {host} unreadable")
        missing = [a.segment for a in spec.attachments if f" {a.address}/" not in shown.stdout]
        return _good_if(not missing, f"{host} is {'connected' if not missing else 'cut off from ' + ', '.join(missing)}")
    if check.kind == "unreachable":
        return _unreachable(view, check)
    if check.kind == "no-process":
        result = backend.exec(team, host, ["pgrep", "-af", self_safe(check.pattern)])
        return _good_if(not result.ok, f"processes matching {check.pattern!r} on {host}: "
                                       + (result.stdout.strip()[:200] or "none"))
    if check.kind == "file-absent":
        result = backend.exec(team, host, ["test", "-e", check.path])
        return _good_if(not result.ok, f"{check.path} on {host} {'still exists' if result.ok else 'is gone'}")
    if check.kind == "no-cron":
        user, pattern = shlex.quote(check.user), shlex.quote(check.pattern)
        result = backend.exec(team, host, f"crontab -l -u {user} 2>/dev/null | grep -F {pattern}; "
                                          f"grep -rlF {pattern} /home/{check.user}/.config/autostart 2>/dev/null")
        found = result.stdout.strip()
        return _good_if(not found, f"persistence of {check.user} on {host}: " + (found[:200] or "none left"))
    if check.kind == "account-locked-or-reset":
        status = backend.exec(team, host, ["passwd", "-S", check.user]).stdout.split()
        current = backend.exec(team, host, f"getent shadow {shlex.quote(check.user)} | cut -d: -f2").stdout.strip()
        before = baselines.get(f"shadow:{host}:{check.user}")
        locked = len(status) > 1 and status[1] == "L"
        reset = bool(before) and current != before
        state = "locked" if locked else "password reset" if reset else "unchanged"
        return _good_if(locked or reset, f"account {check.user} on {host}: {state}")
    if check.kind == "content-unchanged":
        result = backend.exec(team, host, f"sha256sum {shlex.quote(check.path)} | cut -d' ' -f1")
        current, before = result.stdout.strip(), baselines.get(f"sha256:{host}:{check.path}")
        if not before:
            return CheckResult("unknown", f"{check.path} on {host}: no baseline")
        return _good_if(current == before, f"{check.path} on {host}: "
                                           + ("as at the start" if current == before else "changed or missing"))
    if check.kind == "mail-absent":
        # Absent only counts once the mail was delivered: a round between the attacker sending it
        # and Postfix delivering it would otherwise credit a team that did nothing. Delivery is asked
        # first, so a mail landing between the two questions does not look removed.
        delivered = backend.exec(team, host, MAIL_DELIVERED.format(sender=shlex.quote(f"from=<{check.pattern}"))).stdout.strip()
        found = backend.exec(team, host, MAIL_PRESENT.format(sender=shlex.quote(check.pattern), user=check.user)).stdout.strip()
        what = f"mail matching {check.pattern!r} for {check.user}"
        if found:
            return CheckResult("bad", f"{what}: still there")
        return CheckResult("good" if delivered else "unknown", f"{what}: {'removed' if delivered else 'not delivered yet'}")
    raise ValueError(f"unknown check kind {check.kind!r}")


def _unreachable(view: RangeView, check: Check) -> CheckResult:
    """The URL answers from the host (bad), or it does not and a defence explains why (good), or
    nothing the team changed explains the silence (unknown: the range is at fault)."""
    host = check.host
    command = (PROXY_ENV + f"curl -s -m 15 -o /dev/null -D - -w 'HTTP-CODE %{{http_code}}\\n' {shlex.quote(check.url)}")
    result = view.backend.exec(view.team, host, command, timeout=25)
    code = next((line.split()[1] for line in result.stdout.splitlines() if line.startswith("HTTP-CODE ")), "000")
    squid = next((line.split(":", 1)[1].strip() for line in result.stdout.splitlines()
                  if line.lower().startswith("x-squid-error:")), "")
    seen = f"HTTP {code}" + (f" {squid}" if squid else "") if code != "000" else "no answer"
    if code[:1] in "23" and not squid:
        return CheckResult("bad", f"{check.url} from {host}: {seen}")
    route = check_route(view, check)
    explanation = explain(view, route, f"{seen} {result.stderr}") if route else None
    if explanation and explanation.is_defence:
        return CheckResult("good", f"{check.url} from {host}: {seen}; {explanation.defence}",
                           {"explanation": explanation.to_json()})
    return CheckResult("unknown", f"{check.url} from {host}: {seen}, and nothing the team changed explains it",
                       {"explanation": explanation.to_json() if explanation else None})


def availability_route(view: RangeView, ref: ServiceRef) -> Route:
    """The way a business service's users reach it."""
    return Route(hosts=(ref.from_, ref.host), addresses=view.addresses(ref.from_, ref.host))


def probe_service(view: RangeView, ref: ServiceRef) -> CheckResult:
    """Whether a business service answers over the network from where its users are, as a CCDC
    scoring engine checks it (a server isolated by the team does not answer, even if its daemon
    runs): good when it answers, bad when it does not."""
    rng = view.range
    target, source = rng.host(ref.host), rng.host(ref.from_)
    address = target.address_seen_from(source)
    kind = service_kind(ref.service)
    if kind is None:
        raise KeyError(f"unknown service kind {ref.service!r}")
    command = kind.probe_command(str(address), ports_of(target, kind)[0][1])
    try:
        ok = view.backend.exec(view.team, ref.from_, command, timeout=10).ok
    except BackendError:
        ok = False
    return _good_if(ok, f"{ref.service} on {ref.host} from {ref.from_}: {'answers' if ok else 'no answer'}")

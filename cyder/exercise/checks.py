"""Checks on the real state of a team's range, for scoring response, recovery and availability.

A check asks the range, not the team: a C2 blocked by a firewall rule typed by hand passes the
same as one blocked with `cyder act`. Baselines (file hashes, password hashes) are taken when the
exercise starts, so "unchanged" and "reset" compare with the range as it was.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from ..backend.base import RangeBackend
from ..model.range import Range
from ..model.rubric import Check, ServiceRef
from ..provision.services import service_ports


@dataclass(frozen=True)
class CheckResult:
    """Whether a check passed, and what was seen."""

    passed: bool
    detail: str


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


def run_check(backend: RangeBackend, team: str, rng: Range, check: Check, baselines: dict[str, str]) -> CheckResult:
    """Run one check (blocking: call it in a thread from async code)."""
    host = check.host
    if check.kind == "service":
        ok = backend.check_service(team, host, check.service)
        return CheckResult(ok, f"{check.service} on {host} {'answers' if ok else 'does not answer'}")
    if check.kind == "connected":
        spec = rng.host(host)
        shown = backend.exec(team, host, "ip -o -4 addr show").stdout
        missing = [a.segment for a in spec.attachments if f" {a.address}/" not in shown]
        return CheckResult(not missing, f"{host} is {'connected' if not missing else 'cut off from ' + ', '.join(missing)}")
    if check.kind == "unreachable":
        command = ("[ -f /etc/profile.d/proxy.sh ] && . /etc/profile.d/proxy.sh; "
                   f"curl -s -m 6 -o /dev/null -w '%{{http_code}}' {shlex.quote(check.url)}")
        result = backend.exec(team, host, command, timeout=15)
        code = result.stdout.strip()[-3:] or "000"
        answered = result.ok and code[:1] in "23"
        return CheckResult(not answered, f"{check.url} from {host}: " + (f"HTTP {code}" if code != "000" else "no answer"))
    if check.kind == "no-process":
        result = backend.exec(team, host, ["pgrep", "-af", self_safe(check.pattern)])
        return CheckResult(not result.ok, f"processes matching {check.pattern!r} on {host}: "
                                          + (result.stdout.strip()[:200] or "none"))
    if check.kind == "file-absent":
        result = backend.exec(team, host, ["test", "-e", check.path])
        return CheckResult(not result.ok, f"{check.path} on {host} {'still exists' if result.ok else 'is gone'}")
    if check.kind == "no-cron":
        user, pattern = shlex.quote(check.user), shlex.quote(check.pattern)
        result = backend.exec(team, host, f"crontab -l -u {user} 2>/dev/null | grep -F {pattern}; "
                                          f"grep -rlF {pattern} /home/{check.user}/.config/autostart 2>/dev/null")
        found = result.stdout.strip()
        return CheckResult(not found, f"persistence of {check.user} on {host}: " + (found[:200] or "none left"))
    if check.kind == "account-locked-or-reset":
        status = backend.exec(team, host, ["passwd", "-S", check.user]).stdout.split()
        current = backend.exec(team, host, f"getent shadow {shlex.quote(check.user)} | cut -d: -f2").stdout.strip()
        before = baselines.get(f"shadow:{host}:{check.user}")
        locked = len(status) > 1 and status[1] == "L"
        reset = bool(before) and current != before
        state = "locked" if locked else "password reset" if reset else "unchanged"
        return CheckResult(locked or reset, f"account {check.user} on {host}: {state}")
    if check.kind == "content-unchanged":
        current = backend.exec(team, host, f"sha256sum {shlex.quote(check.path)} | cut -d' ' -f1").stdout.strip()
        before = baselines.get(f"sha256:{host}:{check.path}")
        return CheckResult(bool(current) and current == before,
                           f"{check.path} on {host}: " + ("as at the start" if current == before else "changed or missing"))
    if check.kind == "mail-absent":
        pattern = shlex.quote(check.pattern)
        result = backend.exec(team, host, f"grep -rlF {pattern} /home/{check.user}/Maildir/new "
                                          f"/home/{check.user}/Maildir/cur 2>/dev/null")
        found = result.stdout.strip()
        # Absent only counts once the mail was delivered: a round between the attacker sending it
        # and Postfix delivering it would otherwise credit a team that did nothing.
        delivered = backend.exec(team, host, DELIVERED.format(sender=shlex.quote(f"from=<{check.pattern}")),
                                 ).stdout.strip()
        state = "still there" if found else "removed" if delivered else "not delivered yet"
        return CheckResult(bool(delivered) and not found, f"mail matching {check.pattern!r} for {check.user}: {state}")
    raise ValueError(f"unknown check kind {check.kind!r}")


# Prints "delivered" when Postfix's log on the host shows a message from the sender delivered
# (its queue id logged with from=<...>, and a status=sent line for the same id).
DELIVERED = ("for id in $(grep -F {sender} /var/log/mail.log 2>/dev/null | sed -n 's/.*: \\([0-9A-Za-z]\\{{6,\\}}\\): from=.*/\\1/p'); "
             "do grep -F \"$id: to=\" /var/log/mail.log | grep -q 'status=sent' && echo delivered && break; done")


def probe_service(backend: RangeBackend, team: str, rng: Range, ref: ServiceRef) -> CheckResult:
    """Whether a business service answers over the network from where its users are, as a CCDC
    scoring engine checks it (a server isolated by the team does not answer, even if its daemon runs)."""
    target, source = rng.host(ref.host), rng.host(ref.from_)
    address = target.address_seen_from(source)
    port = service_ports(target, ref.service)[0][1]
    if ref.service == "http":
        command = f"curl -s -m 4 --noproxy '*' -o /dev/null -w '%{{http_code}}' http://{address}:{port}/ | grep -q '^[23]'"
    else:
        command = f"nc -z -w 3 {address} {port}"
    result = backend.exec(team, ref.from_, command, timeout=10)
    return CheckResult(result.ok, f"{ref.service} on {ref.host} from {ref.from_}: {'answers' if result.ok else 'no answer'}")

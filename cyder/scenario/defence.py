"""Telling a defence from a range fault.

When an attack step (or a check on the range) does not get through, the cause is either something
the team changed on the organisation's side of the range (a firewall rule, a sinkhole, a proxy
deny, a cable pulled, a killed implant, a locked account) or a fault of the range itself (a daemon
slow under load, a host that stopped, attacker infrastructure that broke). Only the first may
change the chain or earn points.

The organisation's defensive posture is recorded before the clock starts (`take_posture`): the
firewall rules and routes of the hosts on the attack's way, the DNS server's and the proxy's
configuration, the accounts the attack uses. `explain` then looks for positive evidence of a
defence: a change from that posture that lies on the failed attempt's way, or a state (implant
gone, host cut off, account locked) that only the team brings about. No evidence means a fault.
Every probe it ran goes with the answer, so the ledger and the debrief can show what was checked.
Nothing here imports Docker: the range is reached through the backend interface.
"""

from __future__ import annotations

import ipaddress
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..backend.base import BackendError, RangeBackend
from ..model.range import Range
from ..services.dns import DnsService
from ..services.proxy import organisation_proxy
from .implant import resident_pattern

# Commands whose output is the posture of one aspect of a host.
FIREWALL = "iptables-save -t filter 2>/dev/null | grep -E '^(:|-A )' | sed -E 's/ \\[[0-9]+:[0-9]+\\]$//'"
ROUTES = "ip -4 route show table all 2>/dev/null | grep -v ' table local ' | sort"
CONFIG_FILES = "find {folder} -type f 2>/dev/null | sort | xargs -r -d '\\n' sha256sum"
ACCOUNT = ("printf 'shadow %s\\n' \"$(getent shadow {user} | cut -d: -f2)\"; "
           "grep -s '^{user}:' /etc/samba/smbpasswd | cut -d: -f4,5 | sed 's/^/smb /'")
BLOCKING_TARGETS = ("-j DROP", "-j REJECT")


@dataclass(frozen=True)
class Route:
    """What an attack step (or a check) needs from the organisation's side to get through."""

    hosts: tuple[str, ...] = ()
    """Organisation hosts on the way: they must keep their segments, rules and routes."""
    addresses: tuple[str, ...] = ()
    """Addresses of the endpoints and hops, to tell which firewall rules lie on the way."""
    names: tuple[tuple[str, str], ...] = ()
    """(domain, address it should resolve to) for names looked up through the organisation's DNS."""
    proxied: bool = False
    """Whether the way goes through the organisation's web proxy."""
    accounts: tuple[tuple[str, str], ...] = ()
    """(host, user) of accounts the attempt logs in with."""
    implant: tuple[str, str, str] | None = None
    """(host, user, path) of the implant that makes the attempt."""

    def merged(self, other: "Route") -> "Route":
        """Both routes' needs together."""
        return Route(tuple(dict.fromkeys(self.hosts + other.hosts)),
                     tuple(dict.fromkeys(self.addresses + other.addresses)),
                     tuple(dict.fromkeys(self.names + other.names)), self.proxied or other.proxied,
                     tuple(dict.fromkeys(self.accounts + other.accounts)), self.implant or other.implant)


@dataclass
class Explanation:
    """Why an attempt failed: the defence found (None when none is: a range fault), and every
    probe that was run with what it answered."""

    defence: str | None
    checked: list[dict[str, str]] = field(default_factory=list)

    @property
    def is_defence(self) -> bool:
        """Whether something the team changed explains the failure."""
        return self.defence is not None

    def to_json(self) -> dict[str, Any]:
        """Plain data for the journal and the ledger's evidence."""
        return {"defence": self.defence, "checked": self.checked}


@dataclass
class RangeView:
    """One team's range as the defence probes see it: the backend, the range model, where the
    organisation's DNS and proxy are, and the posture recorded before the clock started."""

    backend: RangeBackend
    team: str
    range: Range
    posture: dict[str, str] = field(default_factory=dict)
    infrastructure: list[dict[str, Any]] = field(default_factory=list)
    """The scenario's attacker infrastructure for this team (addresses and the names they carry)."""

    def run(self, host: str, command: str | list[str], timeout: float = 20) -> tuple[bool, str]:
        """(exit status 0, output) of a command in a host; (False, reason) when it cannot run."""
        try:
            result = self.backend.exec(self.team, host, command, timeout=timeout)
        except BackendError as exc:
            return False, str(exc)
        return result.ok, (result.stdout or result.stderr).strip()

    @property
    def firewall(self) -> str | None:
        """The range's firewall host."""
        return self.range.firewall.host if self.range.firewall else None

    @property
    def dns_server(self) -> str | None:
        """The organisation's DNS server (the one serving its own domain)."""
        return next((z.server for z in self.range.dns if z.domain == self.range.domain), None)

    @property
    def proxy(self) -> str | None:
        """The organisation's web proxy."""
        proxy = organisation_proxy(self.range)
        return proxy.name if proxy else None

    def organisation(self, names: tuple[str, ...]) -> list[str]:
        """Those of the names that are organisation hosts of the range."""
        return [n for n in names if (h := self.range.host(n)) is not None and self.range.is_organisation_host(h)]

    def infrastructure_address(self, name: str) -> str:
        """The address the scenario's infrastructure gives a DNS name ('' when it gives none)."""
        return next((i["address"] for i in self.infrastructure if name in i["names"]), "")

    def addresses(self, *names: str) -> tuple[str, ...]:
        """Every address of the named hosts (or infrastructure names), for a route."""
        found: list[str] = []
        for name in names:
            host = self.range.host(name)
            if host is not None:
                found += [str(a.address) for a in host.attachments]
            elif address := self.infrastructure_address(name):
                found.append(address)
        return tuple(dict.fromkeys(found))

    def resolver_route(self, host: str, domain: str) -> Route:
        """Names under `domain` looked up from `host` through the organisation's DNS and the servers
        it forwards to."""
        dns = self.dns_server
        hops: list[str] = []
        if dns:
            service = self.range.host(dns).service(DnsService)
            hops = [dns, *(service.forwarders if service else [])]
        servers = [i["dns_server"] for i in self.infrastructure if domain in i["names"] and i.get("dns_server")]
        return Route(hosts=tuple(h for h in (host, dns) if h), addresses=self.addresses(host, *hops, *servers),
                     names=((domain, self.infrastructure_address(domain)),))

    def proxy_route(self, host: str, url: str) -> Route:
        """A URL fetched from `host` through the organisation's proxy (which looks its name up)."""
        domain = urlsplit(url).hostname or ""
        proxy = self.proxy
        through = self.resolver_route(proxy, domain) if proxy else Route()
        return Route(hosts=tuple(h for h in (host, proxy) if h), addresses=self.addresses(host, domain),
                     proxied=proxy is not None).merged(through)


def posture_keys(view: RangeView, route: Route) -> dict[str, tuple[str, str]]:
    """key -> (host, command) of every posture item a route depends on."""
    keys: dict[str, tuple[str, str]] = {}
    hosts = view.organisation(route.hosts)
    if view.firewall:
        hosts = [view.firewall, *[h for h in hosts if h != view.firewall]]
    for host in hosts:
        keys[f"firewall:{host}"] = (host, FIREWALL)
        keys[f"routes:{host}"] = (host, ROUTES)
    if route.names and view.dns_server:
        keys[f"config:{view.dns_server}"] = (view.dns_server, CONFIG_FILES.format(folder="/etc/bind"))
    if route.proxied and view.proxy:
        keys[f"config:{view.proxy}"] = (view.proxy, CONFIG_FILES.format(folder="/etc/squid"))
    for host, user in route.accounts:
        keys[f"account:{host}:{user}"] = (host, ACCOUNT.format(user=shlex.quote(user)))
    return keys


def take_posture(view: RangeView, routes: list[Route]) -> dict[str, str]:
    """Record the posture items the routes depend on (call before the clock starts)."""
    wanted: dict[str, tuple[str, str]] = {}
    for route in routes:
        wanted.update(posture_keys(view, route))
    posture = {}
    for key, (host, command) in wanted.items():
        ok, output = view.run(host, command)
        if ok or key.startswith("account:"):
            posture[key] = output
    return posture


def explain(view: RangeView, route: Route, answer: str = "") -> Explanation:
    """Look for a defence that explains why an attempt along `route` failed with `answer`."""
    checked: list[dict[str, str]] = []

    def note(what: str, seen: str) -> None:
        checked.append({"check": what, "answer": seen[:300]})

    for probe in (_implant, _isolation, _accounts, _proxy, _dns, _firewalls, _routes):
        found = probe(view, route, answer, note)
        if found:
            return Explanation(found, checked)
    return Explanation(None, checked)


def _implant(view: RangeView, route: Route, answer: str, note) -> str | None:
    if route.implant is None:
        return None
    host, user, path = route.implant
    ok, output = view.run(host, ["pgrep", "-u", user, "-f", resident_pattern(path)])
    if not ok and "has no host" in output:
        note(f"implant on {host}", output)
        return None  # the host itself is gone: not something a team does
    note(f"implant on {host}", "running" if ok else "not running")
    if not ok:
        return f"the implant on {host} is not running (stopped by the team)"
    present, _ = view.run(host, ["test", "-e", path])
    note(f"implant file {path} on {host}", "present" if present else "deleted")
    return None if present else f"the implant file {path} on {host} was deleted"


def _isolation(view: RangeView, route: Route, answer: str, note) -> str | None:
    for name in view.organisation(route.hosts):
        host = view.range.host(name)
        ok, shown = view.run(name, "ip -o -4 addr show")
        if not ok:
            note(f"addresses of {name}", shown)
            continue
        missing = [a.segment for a in host.attachments if f" {a.address}/" not in shown]
        note(f"addresses of {name}", "cut off from " + ", ".join(missing) if missing else "connected")
        if missing:
            return f"{name} is cut off from {', '.join(missing)}"
    return None


def _accounts(view: RangeView, route: Route, answer: str, note) -> str | None:
    for host, user in route.accounts:
        key = f"account:{host}:{user}"
        ok, now = view.run(host, ACCOUNT.format(user=shlex.quote(user)))
        before = view.posture.get(key)
        if not ok and not now:
            continue
        lines = dict(line.split(" ", 1) for line in now.splitlines() if " " in line)
        locked = lines.get("shadow", "").startswith("!") or "D" in lines.get("smb", "").split(":")[-1]
        changed = before is not None and now != before
        note(f"account {user} on {host}", "locked" if locked else "changed since the start" if changed else "unchanged")
        if locked:
            return f"account {user} on {host} is locked"
        if changed:
            return f"the password of {user} on {host} was changed"
    return None


def _config_change(view: RangeView, host: str, folder: str) -> list[str]:
    """Files of a configuration folder that differ from the posture (added, removed or changed)."""
    key = f"config:{host}"
    if key not in view.posture:
        return []
    ok, now = view.run(host, CONFIG_FILES.format(folder=folder))
    if not ok:
        return []
    before, after = _hashes(view.posture[key]), _hashes(now)
    return sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))


def _hashes(listing: str) -> dict[str, str]:
    out = {}
    for line in listing.splitlines():
        digest, _, path = line.partition("  ")
        if path:
            out[path] = digest
    return out


def _proxy(view: RangeView, route: Route, answer: str, note) -> str | None:
    if not route.proxied or view.proxy is None:
        return None
    changed = _config_change(view, view.proxy, "/etc/squid")
    note(f"configuration of {view.proxy}", ", ".join(changed) or "as at the start")
    # Squid denies a request only because its configuration says so.
    if "ERR_ACCESS_DENIED" in answer:
        return f"the proxy {view.proxy} denied the request" + (f" ({', '.join(changed)} changed)" if changed else "")
    return None


def _dns(view: RangeView, route: Route, answer: str, note) -> str | None:
    server = view.dns_server
    if not route.names or server is None:
        return None
    changed = _config_change(view, server, "/etc/bind")
    note(f"configuration of {server}", ", ".join(changed) or "as at the start")
    if not changed:
        return None
    for name, expected in route.names:
        mentioned = [path for path in changed
                     if view.run(server, f"grep -qsF {shlex.quote(name)} {shlex.quote(path)}")[0]]
        if mentioned:
            return f"{name} is in the changed DNS configuration of {server} ({', '.join(mentioned)})"
        # Some other change (forwarders removed, a policy zone): does the name still resolve?
        ok, resolved = view.run(server, ["dig", "+short", "+time=2", "+tries=1", "@127.0.0.1", name])
        note(f"{name} at {server}", resolved or "no answer")
        if expected and expected not in resolved.split():
            return f"{name} no longer resolves to {expected} at {server} after its configuration changed"
    return None


def _firewalls(view: RangeView, route: Route, answer: str, note) -> str | None:
    addresses = _addresses(route)
    for host in _rule_hosts(view, route):
        key = f"firewall:{host}"
        if key not in view.posture:
            continue
        ok, now = view.run(host, FIREWALL)
        if not ok:
            note(f"firewall rules of {host}", now)
            continue
        before, after = view.posture[key].splitlines(), now.splitlines()
        added = [r for r in after if r not in before]
        removed = [r for r in before if r not in after]
        note(f"firewall rules of {host}", f"{len(added)} added, {len(removed)} removed since the start")
        for rule in added:
            if rule.startswith(":") and rule.split()[1] in ("DROP", "REJECT"):
                return f"{host}: chain policy changed to {rule.split()[1]} ({rule})"
            if any(t in rule for t in BLOCKING_TARGETS) and rule_on_the_way(rule, addresses):
                return f"{host}: rule added on the attack's way: {rule}"
        for rule in removed:
            if "-j ACCEPT" in rule and rule_on_the_way(rule, addresses):
                return f"{host}: rule removed on the attack's way: {rule}"
    return None


def _routes(view: RangeView, route: Route, answer: str, note) -> str | None:
    addresses = _addresses(route)
    for host in _rule_hosts(view, route):
        key = f"routes:{host}"
        if key not in view.posture:
            continue
        ok, now = view.run(host, ROUTES)
        if not ok:
            continue
        before, after = view.posture[key].splitlines(), now.splitlines()
        added = [r for r in after if r not in before and r.split()[:1] in (["blackhole"], ["unreachable"], ["prohibit"])]
        removed = [r for r in before if r not in after]
        for line in added:
            if _route_on_the_way(line, addresses):
                return f"{host}: route added: {line}"
        for line in removed:
            if line.startswith("default") or _route_on_the_way(line, addresses):
                return f"{host}: route removed: {line}"
    return None


def _rule_hosts(view: RangeView, route: Route) -> list[str]:
    hosts = view.organisation(route.hosts)
    if view.firewall and view.firewall not in hosts:
        hosts.insert(0, view.firewall)
    return hosts


def _addresses(route: Route) -> list[ipaddress.IPv4Address]:
    out = []
    for text in route.addresses:
        try:
            out.append(ipaddress.ip_address(text))
        except ValueError:
            continue
    return out


def rule_on_the_way(rule: str, addresses: list[ipaddress.IPv4Address]) -> bool:
    """Whether an iptables rule could match traffic between the route's addresses: every address
    match it has (-s, -d) contains one of them; a rule with no address match applies to all."""
    words = rule.split()
    for i, word in enumerate(words):
        if word not in ("-s", "-d", "--source", "--destination") or i + 1 >= len(words):
            continue
        if i > 0 and words[i - 1] == "!":
            continue  # "anything but": may well be on the way
        try:
            networks = [ipaddress.ip_network(v, strict=False) for v in words[i + 1].split(",")]
        except ValueError:
            continue
        if not any(a in n for a in addresses for n in networks):
            return False
    return True


def _route_on_the_way(line: str, addresses: list[ipaddress.IPv4Address]) -> bool:
    words = line.split()
    target = words[1] if words[0] in ("blackhole", "unreachable", "prohibit") and len(words) > 1 else words[0]
    if target == "default":
        return True
    try:
        network = ipaddress.ip_network(target, strict=False)
    except ValueError:
        return False
    return any(a in network for a in addresses)


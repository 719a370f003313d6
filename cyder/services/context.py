"""What every planner of a range's hosts shares: the plan being built and the facts of the range.

`HostPlan` (one host's plan), `ServicePlan` (one daemon in it), `RangeContext` (the range with
its staff, addresses, gateways and collector) and the shell health checks of a daemon
(`banner_check`, `banner_free_check`). The service kinds (cyder/services/<kind>.py) and the host
planner (cyder/provision/) both build on it; it sits in this package, under the kinds, so that
provision may import the kinds and the kinds never import provision. Finding the host of one kind
(the organisation's proxy, a host's DNS server) is the kind's own: `proxy.organisation_proxy`,
`dns.resolver_for`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ..model.population import StaffPc, staffed, workforce
from ..model.range import Host, Range, Segment, SegmentKind


@dataclass
class ServicePlan:
    """How to start one service and how to tell, from inside its host, that it answers."""

    name: str
    start: list[str]
    check: str


@dataclass
class HostPlan:
    """Everything the agent needs to bring one host up."""

    name: str
    role: str
    interfaces: list[dict[str, Any]]
    routes: list[dict[str, str]]
    nameservers: list[str]
    search: str
    hosts_entries: list[tuple[str, list[str]]]
    users: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    first: list[str] = field(default_factory=list)
    services: list[ServicePlan] = field(default_factory=list)
    forwarding: bool = False
    aliases: list[str] = field(default_factory=list)
    bulk_users: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The plan as the agent reads it."""
        return {
            "name": self.name, "role": self.role, "interfaces": self.interfaces, "routes": self.routes,
            "nameservers": self.nameservers, "search": self.search, "hosts_entries": self.hosts_entries,
            "users": self.users, "files": self.files, "first": self.first,
            "aliases": self.aliases, "bulk_users": self.bulk_users,
            "services": [{"name": s.name, "start": s.start, "check": s.check} for s in self.services],
        }

    def add_file(self, path: str, content: str, owner: str = "root", mode: str = "0644") -> None:
        """Place a file on the host (a later file at the same path wins)."""
        self.files = [f for f in self.files if f["path"] != path]
        self.files.append({"path": path, "content": content, "owner": owner, "mode": mode})

    def add_bulk_user(self, name: str, full_name: str) -> None:
        """An account written straight into the account files at boot: fast for a thousand staff."""
        if all(user["name"] != name for user in self.bulk_users):
            self.bulk_users.append({"name": name, "full_name": full_name})

    def add_user(self, name: str, password: str, full_name: str = "", groups: list[str] | None = None,
                 shell: str = "/bin/bash") -> None:
        """Create an account on the host (once per name)."""
        if all(u["name"] != name for u in self.users):
            self.users.append({"name": name, "password": password, "full_name": full_name,
                               "groups": groups or [], "shell": shell})


class RangeContext:
    """Facts about a range that several hosts' plans need: its staff, gateways, subnets and collector."""

    def __init__(self, rng: Range) -> None:
        self.range = staffed(rng)
        self.firewall = rng.host(rng.firewall.host) if rng.firewall else None
        self.people: tuple[StaffPc, ...] = workforce(rng)

    def host(self, name: str) -> Host:
        """A host that a checked range has (a service's reference to another host)."""
        host = self.range.host(name)
        if host is None:
            raise KeyError(f"the range has no host {name!r}")
        return host

    def segment(self, name: str) -> Segment:
        """A segment that a checked range has (a service's reference to a segment)."""
        segment = self.range.segment(name)
        if segment is None:
            raise KeyError(f"the range has no segment {name!r}")
        return segment

    def people_in(self, container: str) -> list[StaffPc]:
        """The simulated staff whose PCs a staff container runs."""
        return [p for p in self.people if p.container == container]

    def gateway(self, segment: str) -> ipaddress.IPv4Address | None:
        """The router address on a segment."""
        seg = self.range.segment(segment)
        if seg and seg.gateway:
            return seg.gateway
        return self.firewall.address_on(segment) if self.firewall else None

    def collector(self) -> Host | None:
        """The log collector, if the range has one."""
        return self.range.host(self.range.logging.collector) if self.range.logging else None

    def organisation_subnets(self) -> list[ipaddress.IPv4Network]:
        """Subnets of every segment that is not the internet."""
        return [s.subnet for s in self.range.segments if s.kind != SegmentKind.internet]

    def fqdn(self, host: Host) -> str:
        """The host's fully qualified name."""
        if self.range.is_organisation_host(host):
            return f"{host.name}.{self.range.domain}"
        zone = next((z for z in self.range.dns if z.server == host.name), None)
        return f"{host.name}.{zone.domain}" if zone else host.name


def banner_check(port: int, expect: str) -> str:
    """A shell check that a TCP service on this host greets with `expect`."""
    return (f"timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}; head -c {len(expect)} <&3' "
            f"| grep -q '^{expect}'")


def banner_free_check(port: int) -> str:
    """A shell check that something listens on a TCP port of this host."""
    return f"timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}'"

"""The `dns` service: a BIND name server, authoritative for its zones and a resolver.

It writes the zones naming this host as their server (with the organisation's hosts and staff
PCs, and reverse zones for the organisation's own zone), forwards other queries when it has
forwarders, logs every query to syslog (the `named` tag), and includes the sinkhole zones that
the defenders add (`cyder act block-domain-dns` writes SINKHOLE_DIR and SINKHOLE_CONF).
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field

from ..model.population import is_staff_host
from ..model.range import SERVICES, AddProblem, Host, Name, Ports, Range, RangeIndex, SegmentKind, Zone
from ..model.yamlsource import PathKey
from .base import LogParser, Parsed, Service
from .context import HostPlan, RangeContext, ServicePlan

DNS_QUERY = re.compile(r"client @\S+ (?P<client>[\d.]+)#\d+ \((?P<name>[^)]+)\): "
                       r"query: (?P<query>\S+) IN (?P<type>\S+)")


def parse_query(message: str) -> Parsed | None:
    """A query that BIND logged (`querylog yes`): the client, the name and the record type."""
    m = DNS_QUERY.search(message)
    if not m:
        return None
    return ("dns-query", {"client": m["client"], "query": m["query"].rstrip(".").lower(), "type": m["type"]})


@SERVICES.register
class DnsService(Service):
    """A BIND name server: authoritative for the zones naming this host as server, and a resolver."""

    kind: Literal["dns"] = "dns"
    forwarders: list[Name] = Field([], description="hosts to forward other queries to")

    order: ClassVar[int] = 10
    ports: ClassVar[Ports] = (("udp", 53), ("tcp", 53))
    daemon: ClassVar[str] = "BIND 9"
    evidence: ClassVar[str] = "query log (syslog)"
    log_parsers: ClassVar[dict[str, tuple[LogParser, ...]]] = {"named": (parse_query,)}
    SINKHOLE_CONF: ClassVar[str] = "/etc/bind/cyder/blocked.conf"
    """The zones the defenders sinkhole, one `zone` stanza a line, included by the organisation's DNS."""
    SINKHOLE_DIR: ClassVar[str] = "/etc/bind/cyder/blocked"
    """Where the sinkholed zones' files go (db.<domain>)."""

    def check_range(self, host: Host, where: PathKey, index: RangeIndex, add: AddProblem) -> None:
        """Every forwarder is a host with a DNS server."""
        for f, fwd in enumerate(self.forwarders):
            index.check_service_ref((*where, "forwarders", f), fwd, DnsService, add)

    def plan(self, ctx: RangeContext, host: Host, plan: HostPlan) -> None:
        """named.conf, the zone files of the zones it serves, and the sinkhole include."""
        rng = ctx.range
        zones = [z for z in rng.dns if z.server == host.name]
        forwarders = [str(ctx.host(f).address_seen_from(host)) for f in self.forwarders]
        options = [
            'directory "/var/cache/bind";', "listen-on { any; };", "listen-on-v6 { none; };",
            "allow-query { any; };", "dnssec-validation no;", "querylog yes;",
            f"recursion {'yes' if forwarders else 'no'};",
        ]
        if forwarders:
            options += [f"forwarders {{ {' '.join(f + ';' for f in forwarders)} }};", "forward only;",
                        "allow-recursion { any; };"]
        conf = ["options {", *("    " + o for o in options), "};",
                "logging {", "    channel to_syslog { syslog daemon; severity info; print-category yes; };",
                "    category queries { to_syslog; };", "    category default { to_syslog; };",
                "    category lame-servers { null; };", "};"]
        for zone in zones:
            path = f"/etc/bind/cyder/db.{zone.domain}"
            conf.append(f'zone "{zone.domain}" {{ type master; file "{path}"; }};')
            plan.add_file(path, zone_file(ctx, zone, host))
            if zone.include_hosts and zone.domain == rng.domain:
                for name, content in reverse_zones(ctx, host).items():
                    conf.append(f'zone "{name}" {{ type master; file "/etc/bind/cyder/db.{name}"; }};')
                    plan.add_file(f"/etc/bind/cyder/db.{name}", content)
                # Domains the defenders sinkhole (`cyder act block-domain-dns`) are added here.
                conf.append(f'include "{self.SINKHOLE_CONF}";')
                plan.add_file(self.SINKHOLE_CONF, "")
        plan.add_file("/etc/bind/named.conf", "\n".join(conf) + "\n")
        probe = zones[0].domain if zones else "."
        plan.services.append(ServicePlan(
            "dns", ["mkdir -p /run/named && chown bind:bind /run/named /var/cache/bind", "named -u bind"],
            f"dig +time=1 +tries=1 @127.0.0.1 {probe} SOA >/dev/null"))


def resolver_for(rng: Range, host: Host) -> Host | None:
    """The DNS server a host uses: its segment's resolver, else a DNS server on its internet
    segment, else the server of the organisation's zone."""
    seg = rng.segment(host.attachments[0].segment) if host.attachments else None
    if seg and seg.resolver:
        return rng.host(seg.resolver)
    if seg and seg.kind == SegmentKind.internet:
        return next((h for h in rng.hosts_on(seg.name) if h.service(DnsService)), None)
    org_zone = next((z for z in rng.dns if z.domain == rng.domain), None)
    return rng.host(org_zone.server) if org_zone else None


def reverse_zones(ctx: RangeContext, server: Host) -> dict[str, str]:
    """PTR zones (one per /24) naming the organisation's hosts and staff PCs, so that logs such as
    Postfix's "connect from soumu-012.city.saida.lg.jp[10.20.12.12]" show the PC's name."""
    rng = ctx.range
    inside = ctx.organisation_subnets()
    names = [(a.address, f"{h.name}.{rng.domain}.") for h in rng.hosts
             if rng.is_organisation_host(h) and not is_staff_host(h.name) for a in h.attachments
             if any(a.address in subnet for subnet in inside)]
    names += [(p.address, f"{p.pc}.{rng.domain}.") for p in ctx.people]
    zones: dict[str, list[str]] = {}
    for address, name in names:
        octets = str(address).split(".")
        zone = f"{octets[2]}.{octets[1]}.{octets[0]}.in-addr.arpa"
        if zone not in zones:
            zones[zone] = ["$TTL 300",
                           f"@ IN SOA {server.name}.{rng.domain}. hostmaster.{rng.domain}. (1 3600 600 86400 300)",
                           f"@ IN NS {server.name}.{rng.domain}."]
        zones[zone].append(f"{octets[3]} IN PTR {name}")
    return {zone: "\n".join(lines) + "\n" for zone, lines in zones.items()}


def zone_file(ctx: RangeContext, zone: Zone, server: Host) -> str:
    """A BIND zone file for one zone, with the organisation's hosts when the zone includes them."""
    rng = ctx.range
    lines = ["$TTL 300",
             f"@ IN SOA {server.name}.{zone.domain}. hostmaster.{zone.domain}. (1 3600 600 86400 300)",
             f"@ IN NS {server.name}.{zone.domain}."]
    names = {r.name for r in zone.records}
    if server.name not in names:
        lines.append(f"{server.name} IN A {server.address_seen_from(server)}")
        names.add(server.name)
    if zone.include_hosts:
        for host in rng.hosts:
            if rng.is_organisation_host(host) and host.name not in names and host.attachments:
                lines.append(f"{host.name} IN A {host.primary_address}")
        lines += [f"{p.pc} IN A {p.address}" for p in ctx.people if p.pc not in names]
    for record in zone.records:
        value = record.value
        if record.type == "MX":
            value = f"{record.priority} {value}"
        elif record.type == "TXT":
            value = '"' + value.replace('"', '\\"') + '"'
        lines.append(f"{record.name} IN {record.type} {value}")
    return "\n".join(lines) + "\n"


"""The firewall host's plan: iptables between segments, deny unless a flow allows it, and ulogd2
logging each new accepted flow (`FW ACCEPT <flow>`) and each denied packet (`FW DENY`) to syslog.

The log lines reach the collector with everything else; `parse_firewall` reads them (the `ulogd`
tag) for the evidence parser.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..model.range import Host, SegmentKind
from ..services import ports_of, service_kind
from ..services.base import Parsed
from ..services.context import HostPlan, RangeContext, ServicePlan
from ..services.syslog import SyslogService

FIREWALL = re.compile(r"FW (?P<action>ACCEPT|DENY) (?:(?P<flow>\S+) )?\s*IN=(?P<in>\S*) OUT=(?P<out>\S*) .*?"
                      r"SRC=(?P<src>[\d.]+) DST=(?P<dst>[\d.]+) .*?PROTO=(?P<proto>\w+)"
                      r"(?: SPT=(?P<spt>\d+) DPT=(?P<dpt>\d+))?")


def parse_firewall(message: str) -> Parsed | None:
    """An accept or deny that ulogd2 logged: action, flow, addresses, protocol and ports."""
    m = FIREWALL.search(message)
    if not m:
        return None
    fields: dict[str, Any] = {"action": m["action"].lower(), "src": m["src"], "dst": m["dst"],
                              "proto": m["proto"].lower()}
    if m["flow"]:
        fields["flow"] = m["flow"]
    if m["dpt"]:
        fields["sport"], fields["dport"] = int(m["spt"]), int(m["dpt"])
    return ("firewall", fields)


def plan_firewall(ctx: RangeContext, host: Host, plan: HostPlan) -> None:
    """iptables between segments: deny unless a flow allows it; ulogd2 logs accepts and denies."""
    plan.add_file("/etc/cyder/firewall.rules", firewall_rules(ctx))
    plan.add_file("/etc/ulogd.conf", (
        "[global]\nlogfile=\"syslog\"\nloglevel=5\n"
        'plugin="/usr/lib/cyder-ulogd/ulogd_inppkt_NFLOG.so"\n'
        'plugin="/usr/lib/cyder-ulogd/ulogd_raw2packet_BASE.so"\n'
        'plugin="/usr/lib/cyder-ulogd/ulogd_filter_IFINDEX.so"\n'
        'plugin="/usr/lib/cyder-ulogd/ulogd_filter_IP2STR.so"\n'
        'plugin="/usr/lib/cyder-ulogd/ulogd_filter_PRINTPKT.so"\n'
        'plugin="/usr/lib/cyder-ulogd/ulogd_output_SYSLOG.so"\n'
        "stack=log1:NFLOG,base1:BASE,ifi1:IFINDEX,ip2str1:IP2STR,print1:PRINTPKT,sys1:SYSLOG\n"
        "[log1]\ngroup=0\n[sys1]\nfacility=LOG_LOCAL6\nlevel=LOG_NOTICE\n"))
    plan.services.append(ServicePlan(
        "firewall",
        ["iptables-restore < /etc/cyder/firewall.rules",
         "ln -sfn /usr/lib/$(uname -m)-linux-gnu/ulogd /usr/lib/cyder-ulogd", "ulogd -d"],
        "iptables -S FORWARD | grep -q -- '-P FORWARD DROP' && pgrep -x ulogd >/dev/null"))


def firewall_rules(ctx: RangeContext) -> str:
    """The firewall's iptables-restore input: declared flows, logging flows, then log-and-deny."""
    rng = ctx.range
    lines = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]",
             "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"]

    def sources(names: list[str]) -> list[str]:
        out = []
        for name in names:
            if seg := rng.segment(name):
                out.append(str(seg.subnet))
            elif host := rng.host(name):
                out += [f"{a.address}/32" for a in host.attachments]
        return out

    def allow(label: str, src: list[str], destinations: list[str], ports: Sequence[tuple[str, int]]) -> None:
        for s in src:
            for d in destinations:
                for proto, port in ports:
                    match = f"-s {s} -d {d} -p {proto} --dport {port} -m conntrack --ctstate NEW"
                    lines.append(f'-A FORWARD {match} -j NFLOG --nflog-group 0 --nflog-prefix "FW ACCEPT {label} "')
                    lines.append(f"-A FORWARD {match} -j ACCEPT")

    for i, flow in enumerate(rng.firewall.flows if rng.firewall else []):
        label = (flow.name or f"flow{i + 1}").replace('"', "")[:20]
        kind = service_kind(flow.service)
        if kind is None:
            raise KeyError(f"flow {label!r} names an unknown service kind {flow.service!r}")
        if target := rng.host(flow.to):
            allow(label, sources(flow.from_), [f"{a.address}/32" for a in target.attachments], ports_of(target, kind))
        else:
            # A flow to a segment opens the service's ports on the whole segment, so addresses the
            # scenario gives attackers later (inside that segment) are reachable too.
            offering = [h for h in rng.hosts_on(flow.to) if h.service(kind)]
            ports = sorted({p for h in offering for p in ports_of(h, kind)})
            allow(label, sources(flow.from_), [str(ctx.segment(flow.to).subnet)], ports)
    collector = ctx.collector()
    if collector:
        org_segments = [s.name for s in rng.segments if s.kind != SegmentKind.internet]
        allow("logging", sources(org_segments), [f"{a.address}/32" for a in collector.attachments],
              ports_of(collector, SyslogService))
    lines.append('-A FORWARD -j NFLOG --nflog-group 0 --nflog-prefix "FW DENY "')
    lines.append("COMMIT")
    return "\n".join(lines) + "\n"

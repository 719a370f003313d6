"""The machine's own networks (interface addresses and routes), so ranges never overlap them.

Read with iproute2's JSON output; nothing is sent anywhere. It lives with the Docker backend (it
was cyder/hostnet.py) because only that backend checks a range's subnets against the machine's.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class HostNetwork:
    """A network the machine is on: where it was seen (interface or route) and the prefix."""

    network: ipaddress.IPv4Network
    source: str


def machine_networks(ignore_interfaces: tuple[str, ...] = ()) -> list[HostNetwork]:
    """IPv4 networks on the machine's interfaces and in all its routing tables (default routes excluded)."""
    found: list[HostNetwork] = []
    addrs = json.loads(_ip("-j", "-4", "addr", "show"))
    for dev in addrs:
        if ignore_interfaces and dev.get("ifname", "").startswith(ignore_interfaces):
            continue
        for info in dev.get("addr_info", []):
            net = ipaddress.ip_network(f"{info['local']}/{info['prefixlen']}", strict=False)
            if not net.is_loopback:
                found.append(HostNetwork(net, f"interface {dev['ifname']}"))
    # Every routing table, not just main: VPN clients and policy routing put their routes in others.
    for route in json.loads(_ip("-j", "-4", "route", "show", "table", "all")):
        dst, dev = route.get("dst", ""), route.get("dev", "")
        if dst in ("default", "") or (ignore_interfaces and dev.startswith(ignore_interfaces)):
            continue
        if route.get("type") in ("broadcast", "multicast"):
            continue
        net = ipaddress.ip_network(dst if "/" in dst else f"{dst}/32", strict=False)
        if not net.is_loopback:
            table = f" table {route['table']}" if route.get("table") not in (None, "main") else ""
            found.append(HostNetwork(net, f"route {dst} dev {dev or '-'}{table}"))
    return found


def overlaps(networks: list[ipaddress.IPv4Network], machine: list[HostNetwork]) -> list[tuple[ipaddress.IPv4Network, HostNetwork]]:
    """Pairs of (range network, machine network) that overlap."""
    return [(n, m) for n in networks for m in machine if n.overlaps(m.network)]


def _ip(*args: str) -> str:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=True).stdout or "[]"

"""The `proxy` service: a Squid forward proxy that the organisation's PCs use to reach the internet.

Every client PC of the organisation gets a profile (CLIENT_PROFILE) that sets http_proxy to it;
shell commands that browse as a user source it first (CLIENT_ENV). Squid logs every request to a
file and to syslog (tags `squid...`), and denies the domains in DENY_FILE, which `cyder act
block-domain-proxy` appends to.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field

from ..model.range import SERVICES, AddProblem, Host, Name, Port, Ports, Range, RangeIndex
from ..model.yamlsource import PathKey
from .base import LogParser, Parsed, Service
from .context import HostPlan, RangeContext, ServicePlan, banner_free_check
from .dns import resolver_for

SQUID = re.compile(r"^(?P<ts>[\d.]+)\s+(?P<elapsed>\d+) (?P<client>[\d.]+) (?P<result>[A-Z_]+)/(?P<status>\d{3}) "
                   r"(?P<bytes>\d+) (?P<method>\S+) (?P<url>\S+) \S+ (?P<hierarchy>[A-Z_]+)/(?P<server>\S+)")


def parse_access(message: str) -> Parsed | None:
    """A request in Squid's native log format: client, URL and its domain, status, size, result."""
    m = SQUID.match(message)
    if not m:
        return None
    url = m["url"]
    domain = re.sub(r"^[a-z]+://", "", url).split("/")[0].split(":")[0].lower()
    return ("proxy-access", {"client": m["client"], "method": m["method"], "url": url, "domain": domain,
                             "status": int(m["status"]), "bytes": int(m["bytes"]), "result": m["result"],
                             "server": m["server"]})


@SERVICES.register
class ProxyService(Service):
    """A Squid forward proxy that clients must use to reach the internet segment."""

    kind: Literal["proxy"] = "proxy"
    port: Port = 3128
    allow_from: list[Name] = Field([], description="segments allowed to use the proxy; default: every "
                                                    "non-internet segment")

    order: ClassVar[int] = 50
    ports: ClassVar[Ports] = (("tcp", 3128),)
    daemon: ClassVar[str] = "Squid"
    evidence: ClassVar[str] = "access log (file and syslog)"
    log_parsers: ClassVar[dict[str, tuple[LogParser, ...]]] = {"squid": (parse_access,)}
    log_tag_prefixes: ClassVar[tuple[str, ...]] = ("squid",)
    DENY_FILE: ClassVar[str] = "/etc/squid/blocked-domains"
    """Domains the proxy denies, one `.domain` a line (Squid wants the file non-empty)."""
    CLIENT_PROFILE: ClassVar[str] = "/etc/profile.d/proxy.sh"
    """Sets http_proxy, https_proxy and no_proxy on the organisation's client PCs."""
    CLIENT_ENV: ClassVar[str] = f"[ -f {CLIENT_PROFILE} ] && . {CLIENT_PROFILE}; "
    """A shell prefix that gives a command the client's proxy settings (when the host has them)."""

    def listens_on(self) -> Ports:
        """Its own `port:` replaces the default."""
        return (("tcp", self.port),)

    def check_range(self, host: Host, where: PathKey, index: RangeIndex, add: AddProblem) -> None:
        """The segments in allow_from exist."""
        for f, seg_name in enumerate(self.allow_from):
            if index.segment(seg_name) is None:
                add((*where, "allow_from", f), f"unknown segment {seg_name!r}")

    def plan(self, ctx: RangeContext, host: Host, plan: HostPlan) -> None:
        """squid.conf with the staff's subnets allowed and the deny list."""
        allowed = [ctx.segment(s).subnet for s in self.allow_from] or ctx.organisation_subnets()
        resolver = resolver_for(ctx.range, host)
        dns = f"dns_nameservers {resolver.address_seen_from(host)}\n" if resolver else ""
        plan.add_file("/etc/squid/squid.conf", (
            f"http_port {self.port}\n"
            f"acl staff src {' '.join(str(n) for n in allowed)}\n"
            "acl SSL_ports port 443\nacl CONNECT method CONNECT\n"
            "http_access deny CONNECT !SSL_ports\n"
            # Domains the defenders deny (`cyder act block-domain-proxy`); Squid wants the file non-empty.
            f'acl blocked dstdomain "{self.DENY_FILE}"\nhttp_access deny blocked\n'
            "http_access allow staff\nhttp_access deny all\n"
            "access_log daemon:/var/log/squid/access.log squid\n"
            "access_log syslog:local7.info squid\n"
            "cache deny all\ncache_mem 8 MB\nmemory_pools off\n" + dns +
            f"visible_hostname {ctx.fqdn(host)}\npid_filename /run/squid.pid\n"
            "coredump_dir /var/spool/squid\nshutdown_lifetime 1 seconds\n"
            "forwarded_for on\nvia on\nconnect_timeout 10 seconds\n"))
        plan.add_file(self.DENY_FILE, ".blocked.invalid\n")
        plan.services.append(ServicePlan(
            "proxy", ["mkdir -p /var/log/squid && chown proxy:proxy /var/log/squid", "squid"],
            banner_free_check(self.port)))

    def plan_client(self, ctx: RangeContext, server: Host, client: Host, plan: HostPlan) -> None:
        """A client PC of the organisation: its users' web traffic goes through this proxy on `server`,
        but for the organisation's own names and subnets."""
        rng = ctx.range
        address = server.address_seen_from(client)
        no_proxy = ",".join(["localhost", "127.0.0.1", f".{rng.domain}"] + [str(n) for n in ctx.organisation_subnets()])
        plan.add_file(self.CLIENT_PROFILE,
                      f"export http_proxy=http://{address}:{self.port}/\nexport https_proxy=$http_proxy\n"
                      f"export no_proxy={no_proxy}\n")


def organisation_proxy(rng: Range) -> Host | None:
    """The organisation's web proxy: its first host with the proxy service."""
    return next((h for h in rng.hosts if h.service(ProxyService) and rng.is_organisation_host(h)), None)

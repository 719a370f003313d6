"""The `syslog` service: the range's rsyslog collector, and the logging of every host.

Every host runs rsyslog with local files; an organisation host also sends a copy of every line to
the collector (`logging: collector:`) over RELP, which acknowledges each line, through a
disk-assisted queue, so a collector restart loses none (`plan_logging`). The collector writes one
file per host and program under /var/log/remote/ and every line to COLLECTOR_LOG, which cyder
follows as the evidence feed.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from ..model.range import SERVICES, Host, Ports
from .base import Service
from .context import HostPlan, RangeContext, ServicePlan, banner_free_check

RELP_PORT = 2514
"""Reliable syslog (RELP) between the hosts and the collector."""


@SERVICES.register
class SyslogService(Service):
    """An rsyslog collector receiving every host's logs (UDP and TCP 514)."""

    kind: Literal["syslog"] = "syslog"

    order: ClassVar[int] = 100
    ports: ClassVar[Ports] = (("udp", 514), ("tcp", 514), ("tcp", RELP_PORT))
    daemon: ClassVar[str] = f"rsyslog collector (RELP {RELP_PORT}, syslog 514)"
    evidence: ClassVar[str] = "`/var/log/remote/<host>/<program>.log` and `all.log`"
    COLLECTOR_LOG: ClassVar[str] = "/var/log/remote/all.log"
    """Every line the collector receives, from every host, in rsyslog's file format."""

    def plan(self, ctx: RangeContext, host: Host, plan: HostPlan) -> None:
        """Nothing to start: plan_logging gives this host's rsyslog its network inputs, and rsyslog
        starts before the services; the check is that RELP listens."""
        plan.services.append(ServicePlan("syslog", ["true"], banner_free_check(RELP_PORT)))


def plan_logging(ctx: RangeContext, host: Host, plan: HostPlan) -> None:
    """rsyslog on every host: local files, and for the organisation a copy to the collector."""
    collector = ctx.collector()
    forward = ""
    if collector and collector.name != host.name and ctx.range.is_organisation_host(host):
        target = collector.address_seen_from(host)
        # RELP acknowledges every line, and the disk-assisted queue keeps lines while the collector
        # is away, so a collector restart loses none (plain TCP syslog drops what was in flight).
        forward = ('module(load="omrelp")\n'
                   f'action(type="omrelp" target="{target}" port="{RELP_PORT}" '
                   'queue.type="LinkedList" queue.filename="to-collector" queue.saveOnShutdown="on" '
                   'action.resumeRetryCount="-1" action.resumeInterval="1")\n')
    receive = ""
    if host.service(SyslogService):
        receive = ('module(load="imudp")\ninput(type="imudp" port="514" ruleset="remote")\n'
                   'module(load="imtcp")\ninput(type="imtcp" port="514" ruleset="remote")\n'
                   f'module(load="imrelp")\ninput(type="imrelp" port="{RELP_PORT}" ruleset="remote")\n'
                   'template(name="per-host" type="string" '
                   'string="/var/log/remote/%HOSTNAME%/%PROGRAMNAME:::secpath-replace%.log")\n'
                   'ruleset(name="remote") {\n'
                   '  action(type="omfile" dynaFile="per-host" dirCreateMode="0755" createDirs="on")\n'
                   f'  action(type="omfile" file="{SyslogService.COLLECTOR_LOG}")\n}}\n')
    plan.add_file("/etc/rsyslog.conf", (
        'global(workDirectory="/var/spool/rsyslog" maxMessageSize="64k")\n'
        'module(load="imuxsock" SysSock.ParseHostname="on")\n'
        'module(load="builtin:omfile" template="RSYSLOG_FileFormat")\n'
        + receive +
        "*.*;auth,authpriv,mail,local5,local6,local7.none\t-/var/log/syslog\n"
        "auth,authpriv.*\t/var/log/auth.log\n"
        "mail.*\t-/var/log/mail.log\n"
        "local5.*\t-/var/log/file-access.log\n"
        "local6.*\t-/var/log/firewall.log\n"
        "local7.*\t-/var/log/web-access.log\n"
        + forward))
    plan.first += ["mkdir -p /var/spool/rsyslog", "rm -f /run/rsyslogd.pid", "rsyslogd"]

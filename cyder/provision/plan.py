"""Turn a Range into one provisioning plan per host: addresses, routes, accounts, files, services.

A plan is plain JSON-ready data that the in-container agent (cyder/agent/agent.py) carries out.
It is the same whatever engine runs the range; a backend only adds each interface's transport
subnet (how its engine delivers the segment) before handing the plan over. The plan's types and the
range's shared facts (`HostPlan`, `RangeContext`) are in cyder/services/context.py; each daemon is
planned by its service kind (cyder/services/<kind>.py); the firewall, the staff containers and the
PCs' process monitor by firewall.py, staff.py and procmon.py here.
"""

from __future__ import annotations

from ..model.population import is_staff_host
from ..model.range import Host, Range, Role, english
from ..services import as_service
from ..services.context import HostPlan, RangeContext
from ..services.dns import resolver_for
from ..services.proxy import ProxyService, organisation_proxy
from ..services.syslog import plan_logging
from .firewall import plan_firewall
from .procmon import plan_process_monitor
from .staff import plan_staff, staff_readme


def build_plans(rng: Range) -> dict[str, HostPlan]:
    """Plan every host of a range."""
    ctx = RangeContext(rng)
    return {host.name: plan_host(ctx, host) for host in ctx.range.hosts}


def plan_host(ctx: RangeContext, host: Host) -> HostPlan:
    """Plan one host: network, accounts, files, logging and services."""
    rng = ctx.range
    interfaces = [{"segment": a.segment, "address": str(a.address),
                   "prefix": ctx.segment(a.segment).subnet.prefixlen} for a in host.attachments]
    routes = []
    if host.role != Role.firewall and host.attachments:
        gateway = ctx.gateway(host.attachments[0].segment)
        if gateway is not None and gateway != host.attachments[0].address:
            routes.append({"to": "default", "via": str(gateway)})
    resolver = resolver_for(rng, host)
    nameservers = [str(resolver.address_seen_from(host))] if resolver else []
    org = rng.is_organisation_host(host)
    entries = [(str(a.address), [ctx.fqdn(host), host.name]) for a in host.attachments[:1]]
    plan = HostPlan(
        name=host.name, role=host.role.value, interfaces=interfaces, routes=routes,
        nameservers=nameservers, search=rng.domain if org else "", hosts_entries=entries,
        forwarding=host.role == Role.firewall,
    )
    for user in host.users:
        plan.add_user(user.name, user.password, user.full_name or "",
                      list(user.groups) + (["sudo"] if user.sudo else []))
    for member in rng.staff:
        if member.pc == host.name:
            plan.add_user(member.user, member.password, english(member.name))
            plan.add_file(f"/home/{member.user}/Documents/README.txt", staff_readme(ctx, member), owner=member.user)
    for spec in host.files:
        plan.add_file(spec.path, spec.content, spec.owner, spec.mode)
    if is_staff_host(host.name):
        plan_staff(ctx, host, plan)
    elif host.role == Role.client and org:
        plan_process_monitor(plan)
    if (org and (proxy := organisation_proxy(rng)) and proxy.name != host.name and host.role == Role.client
            and (service := proxy.service(ProxyService))):
        service.plan_client(ctx, proxy, host, plan)
    plan_logging(ctx, host, plan)
    if host.role == Role.firewall:
        plan_firewall(ctx, host, plan)
    for svc in host.services:
        as_service(svc).plan(ctx, host, plan)
    return plan

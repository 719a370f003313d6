"""Turn a Range into one provisioning plan per host: addresses, routes, accounts, files, services.

A plan is plain JSON-ready data that the in-container agent (cyder/agent/agent.py) carries out.
It is the same whatever engine runs the range; a backend only adds each interface's transport
subnet (how its engine delivers the segment) before handing the plan over. The plan's types and the
range's shared facts (`HostPlan`, `RangeContext`) are in context.py; the daemons' planners in
services.py.
"""

from __future__ import annotations

from ..model.population import is_staff_host
from ..model.range import Host, Range, Role, english
from . import services
from .context import HostPlan, RangeContext


def build_plans(rng: Range) -> dict[str, HostPlan]:
    """Plan every host of a range."""
    ctx = RangeContext(rng)
    return {host.name: plan_host(ctx, host) for host in ctx.range.hosts}


def plan_host(ctx: RangeContext, host: Host) -> HostPlan:
    """Plan one host: network, accounts, files, logging and services."""
    rng = ctx.range
    interfaces = [{"segment": a.segment, "address": str(a.address),
                   "prefix": rng.segment(a.segment).subnet.prefixlen} for a in host.attachments]
    routes = []
    if host.role != Role.firewall and host.attachments:
        gateway = ctx.gateway(host.attachments[0].segment)
        if gateway is not None and gateway != host.attachments[0].address:
            routes.append({"to": "default", "via": str(gateway)})
    resolver = ctx.resolver_for(host)
    nameservers = [str(resolver.address_seen_from(host))] if resolver else []
    org = rng.is_organisation_host(host)
    entries = [(str(a.address), [ctx.fqdn(host), host.name]) for a in host.attachments[:1]]
    plan = HostPlan(
        name=host.name, role=host.role.value, interfaces=interfaces, routes=routes,
        nameservers=nameservers, search=rng.domain if org else "", hosts_entries=entries,
        forwarding=host.role == Role.firewall,
    )
    for user in host.users:
        plan.add_user(user.name, user.password, user.full_name or "", list(user.groups) + (["sudo"] if user.sudo else []))
    for member in rng.staff:
        if member.pc == host.name:
            plan.add_user(member.user, member.password, english(member.name))
            plan.add_file(f"/home/{member.user}/Documents/README.txt",
                          services.staff_readme(ctx, member), owner=member.user)
    for spec in host.files:
        plan.add_file(spec.path, spec.content, spec.owner, spec.mode)
    if is_staff_host(host.name):
        services.plan_staff(ctx, host, plan)
    elif host.role == Role.client and org:
        services.plan_process_monitor(plan)
    if org and (proxy := ctx.proxy()) and proxy.name != host.name and host.role == Role.client:
        address = proxy.address_seen_from(host)
        port = proxy.service("proxy").port
        no_proxy = ",".join(["localhost", "127.0.0.1", f".{rng.domain}"] + [str(n) for n in ctx.organisation_subnets()])
        plan.add_file("/etc/profile.d/proxy.sh",
                      f"export http_proxy=http://{address}:{port}/\nexport https_proxy=$http_proxy\n"
                      f"export no_proxy={no_proxy}\n")
    services.plan_logging(ctx, host, plan)
    if host.role == Role.firewall:
        services.plan_firewall(ctx, host, plan)
    for svc in host.services:
        services.plan_service(ctx, host, svc, plan)
    return plan

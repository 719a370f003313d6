"""The simulated staff's side of provisioning: the staff containers and the named staff's notes.

A staff container (`staff-N`) holds one address alias per simulated PC and runs the activity
generator (cyder/agent/staff.py) with a configuration naming the organisation's DNS, proxy, mail,
IMAP and file servers and the servers IT staff log in to. (The staff's office clock at run time
is cyder/staff/.)
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from ..agent.contract import STAFF_PROGRAM
from ..model.population import file_server
from ..model.range import Host, Staff, english, japanese
from ..services.context import HostPlan, RangeContext, ServicePlan
from ..services.dns import resolver_for
from ..services.imap import ImapService
from ..services.proxy import ProxyService, organisation_proxy
from ..services.smb import SmbService


def staff_readme(ctx: RangeContext, member: Staff) -> str:
    """A short note in a staff member's Documents folder, as a new PC would have."""
    mail = ctx.range.mail_server()
    return (f"{japanese(member.name)} ({english(member.name)})\n"
            f"所属 / Department: {japanese(member.department, '-')} / {english(member.department, '-')}\n"
            f"メール / Mail: {member.user}@{ctx.range.domain}"
            + (f" (IMAP: {mail.name}.{ctx.range.domain})" if mail else "") + "\n")


def plan_staff(ctx: RangeContext, host: Host, plan: HostPlan) -> None:
    """A staff container: one address alias per simulated PC, and the activity generator."""
    rng = ctx.range
    population = rng.population
    if population is None:
        raise ValueError(f"{host.name} is a staff container, but the range has no population")
    people = ctx.people_in(host.name)
    prefix = ctx.segment(population.segment).subnet.prefixlen
    plan.aliases = [f"{p.address}/{prefix}" for p in people[1:]]
    proxy = organisation_proxy(rng)
    proxy_service = proxy.service(ProxyService) if proxy else None
    mail = rng.mail_server()
    imap = next((h for h in rng.hosts if h.service(ImapService) and rng.is_organisation_host(h)), mail)
    server = file_server(rng)
    smb = server.service(SmbService) if server else None
    resolver = resolver_for(rng, host)

    def internal(domain: str) -> bool:
        return domain == rng.domain or domain.endswith("." + rng.domain)

    logins = []
    for name in population.logins:
        target = ctx.host(name)
        admin = next(u for u in target.users if u.sudo)
        logins.append({"host": name, "address": str(target.address_seen_from(host)), "user": admin.name,
                       "password": admin.password})
    servers = [h.name for h in rng.hosts if rng.is_organisation_host(h) and h.role.value == "server"]
    lookups = ([f"{n}.{rng.domain}" for n in servers] + [f"{n}.{rng.domain}" for n in ("wpad", "isatap", "ntp")]
               + [s.domain for s in population.sites])
    config: dict[str, Any] = {
        "seed": population.seed, "clock": population.clock, "domain": rng.domain,
        "profile": population.profile.model_dump(mode="json"),
        "dns": str(resolver.address_seen_from(host)) if resolver else None,
        "proxy": [str(proxy.address_seen_from(host)), proxy_service.port] if proxy and proxy_service else None,
        "mail": str(mail.address_seen_from(host)) if mail else None,
        "imap": str(imap.address_seen_from(host)) if imap else None,
        "file_server": {"name": server.name, "address": str(server.address_seen_from(host)),
                        "workgroup": smb.workgroup, "common": smb.shares[0].name if smb.shares else ""}
        if server and smb else None,
        "logins": logins, "lookups": lookups,
        "sites": [{"domain": s.domain, "paths": s.paths, "weight": s.weight, "internal": internal(s.domain)}
                  for s in population.sites],
        "colleagues": [{"user": p.user, "department": p.department.code} for p in ctx.people],
        "pcs": [{"pc": p.pc, "fqdn": f"{p.pc}.{rng.domain}", "address": str(p.address), "user": p.user,
                 "password": p.password, "name": japanese(p.name), "department": p.department.code,
                 "share": p.department.share, "admin": p.department.admins} for p in people],
    }
    plan.add_file("/etc/cyder/staff.json", json.dumps(config, ensure_ascii=False), mode="0600")
    for module in ("staff.py", "workday.py"):
        plan.add_file(f"/opt/cyder/{module}",
                      resources.files("cyder.agent").joinpath(module).read_text(encoding="utf-8"), mode="0755")
    plan.services.append(ServicePlan(
        "staff", [f"setsid python3 {STAFF_PROGRAM} >/dev/null 2>>/var/log/cyder-staff.log < /dev/null &"],
        f"pgrep -f {STAFF_PROGRAM} >/dev/null"))

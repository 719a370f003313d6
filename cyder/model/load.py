"""Read range files: YAML syntax, then pydantic types, then the checks that span the whole range.

Every problem is reported at its file, line and column, all at once, so an instructor can fix a
file in one pass.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import InputError, Problem
from ..yamlsource import PathKey, SourceMap, load_yaml
from .range import Range, Role, SegmentKind

M = TypeVar("M", bound=BaseModel)

# Addresses reserved for documentation and benchmarking (RFC 5737, RFC 2544): they look public but
# belong to nobody, so a range's "internet" can never be mistaken for the real one.
RESERVED_INTERNET = tuple(ipaddress.ip_network(n) for n in
                          ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/15"))


def transport_pool() -> ipaddress.IPv4Network:
    """The block that range backends may use for their own plumbing; ranges must stay out of it."""
    import os

    return ipaddress.ip_network(os.environ.get("CYDER_TRANSPORT_POOL", "198.19.0.0/16"))


def load_range(path: str | Path) -> Range:
    """Load and check a range file; raise InputError listing every problem found."""
    data, smap = load_yaml(path)
    return parse_range(data, smap)


def validate_document(model: type[M], data: Any, smap: SourceMap, what: str) -> M:
    """Validate parsed YAML as `model`; raise InputError with one located problem per mistake."""
    if not isinstance(data, dict):
        raise InputError([smap.problem((), f"a {what} file must be a mapping of fields")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(pydantic_problems(exc, data, smap)) from None


def parse_range(data: Any, smap: SourceMap) -> Range:
    """Validate already-parsed YAML data as a range."""
    model = validate_document(Range, data, smap, "range")
    problems = [smap.problem(path, message) for path, message in check_range(model)]
    if problems:
        raise InputError(problems)
    return model


def pydantic_problems(exc: ValidationError, data: Any, smap: SourceMap) -> list[Problem]:
    """Turn pydantic's errors into located problems, one per error."""
    problems = []
    for error in exc.errors():
        if _other_branch(error["loc"], data):
            continue
        path = _data_path(error["loc"], data)
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "union_tag_invalid":
            message = f"unknown kind {error['input'].get('kind')!r}; expected one of {error['ctx']['expected_tags']}"
        elif error["type"] == "union_tag_not_found":
            message = "missing kind"
        problems.append(smap.problem(path, message))
    return problems


def _data_path(loc: Iterable[str | int], data: Any) -> PathKey:
    """Map pydantic's error location onto the YAML data, dropping union tags and aliases it adds."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part == "from_" and "from" in node:
            part = "from"
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(part, str) and _is_tag(part):
            continue
        else:
            path.append(part)  # a missing field: name it under its parent
            break
        path.append(part)
    return tuple(path)


def _other_branch(loc: Iterable[str | int], data: Any) -> bool:
    """Whether an error belongs to a union member that the data plainly is not (a string where a
    mapping was written, or the reverse), so that one mistake gives one error, not one per member."""
    node = data
    for part in loc:
        if part in ("str", "int") and isinstance(node, (dict, list)):
            return True
        if part == "LocalText" and not isinstance(node, dict):
            return True
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, dict) and part == "from_" and "from" in node:
            node = node["from"]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
    return False


def _is_tag(part: str) -> bool:
    """Whether a location part is a union member's tag that pydantic adds, not a field of the data."""
    from .range import SERVICE_KINDS
    from .scenario import ACTION_KINDS, VARIABLE_KINDS

    return part in SERVICE_KINDS or part in ACTION_KINDS or part in VARIABLE_KINDS or part in ("str", "int", "LocalText")


def check_range(r: Range) -> list[tuple[PathKey, str]]:
    """Checks that need the whole range: names, addresses, references, flows. Returns (path, message)."""
    found: list[tuple[PathKey, str]] = []
    add = lambda path, message: found.append((tuple(path), message))  # noqa: E731

    for what, items in (("segment", r.segments), ("host", r.hosts)):
        counts = Counter(item.name for item in items)
        for i, item in enumerate(items):
            if counts[item.name] > 1:
                add((f"{what}s", i, "name"), f"{what} name {item.name!r} is used more than once")

    pool = transport_pool()
    for i, seg in enumerate(r.segments):
        for other in r.segments[:i]:
            if seg.subnet.overlaps(other.subnet):
                add(("segments", i, "subnet"), f"{seg.subnet} overlaps segment {other.name!r} ({other.subnet})")
        if seg.subnet.overlaps(pool):
            add(("segments", i, "subnet"), f"{seg.subnet} overlaps {pool}, which cyder reserves for its own plumbing")
        if seg.kind == SegmentKind.internet and not any(seg.subnet.subnet_of(n) for n in RESERVED_INTERNET):
            add(("segments", i, "subnet"), "an internet segment must use documentation or benchmarking "
                "addresses (198.51.100.0/24, 203.0.113.0/24, 198.18.0.0/15, 192.0.2.0/24)")
        if seg.gateway is not None and seg.gateway not in seg.subnet:
            add(("segments", i, "gateway"), f"{seg.gateway} is outside the segment's subnet {seg.subnet}")
        _check_service_ref(r, ("segments", i, "resolver"), seg.resolver, "dns", add)

    used: dict[ipaddress.IPv4Address, str] = {}
    for i, host in enumerate(r.hosts):
        if not host.attachments:
            add(("hosts", i, "name"), f"host {host.name!r} is on no segment (give it attachments)")
        for j, att in enumerate(host.attachments):
            seg = r.segment(att.segment)
            where = ("hosts", i, "attachments", j)
            if seg is None:
                add((*where, "segment"), f"unknown segment {att.segment!r}")
                continue
            if att.address not in seg.subnet:
                add((*where, "address"), f"{att.address} is outside segment {seg.name!r} ({seg.subnet})")
            elif att.address in (seg.subnet.network_address, seg.subnet.broadcast_address):
                add((*where, "address"), f"{att.address} is the network or broadcast address of {seg.subnet}")
            if att.address in used:
                add((*where, "address"), f"{att.address} is already used by host {used[att.address]!r}")
            used.setdefault(att.address, host.name)
        if any(n > 1 for n in Counter(a.segment for a in host.attachments).values()):
            add(("hosts", i, "attachments"), "the host is attached to the same segment twice")
        kinds = Counter(s.kind for s in host.services)
        for k, svc in enumerate(host.services):
            where = ("hosts", i, "services", k)
            if kinds[svc.kind] > 1:
                add((*where, "kind"), f"service {svc.kind!r} is declared twice on this host")
            if svc.kind == "dns":
                for f, fwd in enumerate(svc.forwarders):
                    _check_service_ref(r, (*where, "forwarders", f), fwd, "dns", add)
            elif svc.kind == "smtp":
                _check_service_ref(r, (*where, "relay_to"), svc.relay_to, "smtp", add)
                _check_service_ref(r, (*where, "relayhost"), svc.relayhost, "smtp", add)
            elif svc.kind == "app":
                _check_service_ref(r, (*where, "database"), svc.database, "postgres", add)
            elif svc.kind == "proxy":
                for f, seg_name in enumerate(svc.allow_from):
                    if r.segment(seg_name) is None:
                        add((*where, "allow_from", f), f"unknown segment {seg_name!r}")
            elif svc.kind == "imap" and host.service("smtp") is None:
                add((*where, "kind"), "imap needs the smtp service on the same host (it serves its mailboxes)")
        user_names = {u.name for u in host.users} | {s.user for s in r.staff if s.pc == host.name}
        for k, spec in enumerate(host.files):
            if spec.owner != "root" and spec.owner not in user_names:
                add(("hosts", i, "files", k, "owner"), f"unknown user {spec.owner!r} on host {host.name!r}")

    _check_firewall(r, add)

    for z, zone in enumerate(r.dns):
        _check_service_ref(r, ("dns", z, "server"), zone.server, "dns", add)
    if r.dns and not any(zone.domain == r.domain for zone in r.dns):
        add(("domain",), f"no zone in dns: serves the organisation's domain {r.domain!r}")

    staff_counts = Counter(s.user for s in r.staff)
    for s, member in enumerate(r.staff):
        pc = r.host(member.pc)
        if pc is None:
            add(("staff", s, "pc"), f"unknown host {member.pc!r}")
        elif pc.role != Role.client:
            add(("staff", s, "pc"), f"host {member.pc!r} is a {pc.role.value}, not a client PC")
        if staff_counts[member.user] > 1:
            add(("staff", s, "user"), f"staff user {member.user!r} is listed more than once")
    if r.staff and not r.mail_server():
        add(("staff",), "staff need a mailbox: no host offers smtp for the organisation's domain")

    if r.logging:
        _check_service_ref(r, ("logging", "collector"), r.logging.collector, "syslog", add)
    _check_population(r, add)
    return found


def _check_service_ref(r: Range, path: PathKey, name: str | None, kind: str, add) -> None:
    if name is None:
        return
    host = r.host(name)
    if host is None:
        add(path, f"unknown host {name!r}")
    elif host.service(kind) is None:
        add(path, f"host {name!r} offers no {kind} service")


def _check_firewall(r: Range, add) -> None:
    fw = r.firewall
    if fw is None:
        if len([s for s in r.segments if s.kind != SegmentKind.isolated]) > 1:
            add(("segments",), "a range with several routed segments needs a firewall: section")
        return
    host = r.host(fw.host)
    if host is None:
        add(("firewall", "host"), f"unknown host {fw.host!r}")
        return
    if host.role != Role.firewall:
        add(("firewall", "host"), f"host {fw.host!r} has role {host.role.value}, not firewall")
    for seg in r.segments:
        if seg.kind != SegmentKind.isolated and host.address_on(seg.name) is None and seg.gateway is None:
            add(("firewall", "host"), f"firewall {fw.host!r} is not attached to segment {seg.name!r}")
    for f, flow in enumerate(fw.flows):
        where = ("firewall", "flows", f)
        for s, source in enumerate(flow.from_):
            if r.host(source) is None and r.segment(source) is None:
                add((*where, "from", s), f"unknown segment or host {source!r}")
        target_host, target_seg = r.host(flow.to), r.segment(flow.to)
        if target_host is None and target_seg is None:
            add((*where, "to"), f"unknown segment or host {flow.to!r}")
            continue
        offering = [target_host] if target_host else r.hosts_on(flow.to)
        if not any(h.service(flow.service) for h in offering):
            add((*where, "service"), f"no host in {flow.to!r} offers a {flow.service!r} service")


def _check_population(r: Range, add) -> None:
    from .population import free_addresses, is_staff_host

    pop = r.population
    if pop is None:
        return
    where = ("population",)
    segment = r.segment(pop.segment)
    if segment is None:
        add((*where, "segment"), f"unknown segment {pop.segment!r}")
        return
    if not pop.pool.subnet_of(segment.subnet):
        add((*where, "pool"), f"{pop.pool} is not inside segment {segment.name!r} ({segment.subnet})")
        return
    free = len(free_addresses(r, pop))
    if free < pop.staff:
        add((*where, "staff"), f"{pop.staff} staff PCs need {pop.staff} addresses; the pool {pop.pool} has {free} free")
    for i, host in enumerate(r.hosts):
        if is_staff_host(host.name):
            add(("hosts", i, "name"), "host names staff-N are kept for the containers of the simulated staff")
    codes = Counter(d.code for d in pop.departments)
    server = r.host(pop.file_server) if pop.file_server else None
    if pop.file_server:
        _check_service_ref(r, (*where, "file_server"), pop.file_server, "smb", add)
    else:
        server = next((h for h in r.hosts if h.service("smb") and r.is_organisation_host(h)), None)
    shares = {s.name for s in server.service("smb").shares} if server and server.service("smb") else set()
    for d, dept in enumerate(pop.departments):
        if codes[dept.code] > 1:
            add((*where, "departments", d, "code"), f"department code {dept.code!r} is used more than once")
        if dept.share is not None and dept.share not in shares:
            add((*where, "departments", d, "share"), f"no share {dept.share!r} on the file server")
        if r.host(f"{dept.code}-001"):
            add((*where, "departments", d, "code"), f"PC names {dept.code}-NNN clash with host {dept.code}-001")
    zones = {z.domain for z in r.dns}
    for s, site in enumerate(pop.sites):
        if not any(site.domain == z or site.domain.endswith("." + z) for z in zones):
            add((*where, "sites", s, "domain"), f"no zone in dns: serves {site.domain!r}")
    for s, name in enumerate(pop.logins):
        _check_service_ref(r, (*where, "logins", s), name, "ssh", add)
        host = r.host(name)
        if host and not any(u.sudo for u in host.users):
            add((*where, "logins", s), f"host {name!r} has no sudo user for IT staff to log in as")
    if pop.staff and not r.mail_server():
        add((*where, "staff"), "staff need a mailbox: no host offers smtp for the organisation's domain")

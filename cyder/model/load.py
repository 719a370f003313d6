"""Read range files: YAML syntax, then pydantic types, then the checks that span the whole range.

Every problem is reported at its file, line and column, all at once, so an instructor can fix a
file in one pass: a type error does not hide the other problems of the file (the items with type
errors are left out and the rest is still checked), and each message says in words what is
expected. Telling a range file from a scenario file (`check_file`) is in cyder/model/files.py.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import types
import typing
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Iterable, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from ..errors import InputError, Problem
from .kinds import KindUnion
from .range import RULES, SERVICES, AddProblem, Host, Range, Role, Segment, SegmentKind, ServiceParams, shown
from .yamlsource import PathKey, SourceMap, gc_paused, load_yaml

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


def parse_range(data: Any, smap: SourceMap) -> Range:
    """Validate already-parsed YAML data as a range."""
    partial = validate_partially(Range, data, smap, "range")
    problems = list(partial.problems)
    if partial.model is not None:
        with gc_paused():
            problems += partial.checked(check_range(partial.model))
    if problems:
        raise InputError(problems)
    return partial.model


# -- pydantic's errors as located, readable problems ----------------------------------------------

@dataclass
class Partial(Generic[M]):
    """A document validated as a model with the items that had type errors left out, so that the
    checks spanning the document can still run on the rest."""

    model: M | None
    problems: list[Problem]
    data: Any
    smap: SourceMap
    original: Any = None
    removed: set[PathKey] = field(default_factory=set)
    _kept: dict[PathKey, list[int]] = field(default_factory=dict, repr=False)

    def checked(self, found: Iterable[tuple[PathKey, str]]) -> list[Problem]:
        """Located problems of the cross checks, less those that a left-out item could explain: in
        the same top-level item, or naming a left-out item ('unknown host ...')."""
        owners = {_owner(path) for path in self.removed}
        names = {name for path in self.removed for name in _names(self.original, path) | _names(self.original,
                                                                                               _owner(path))}
        problems = []
        for path, message in found:
            path = self._original_path(path)
            if any(path[:k] in owners for k in range(1, len(path) + 1)) or names & set(QUOTED.findall(message)):
                continue
            problems.append(self.smap.problem(path, message))
        return problems

    def _original_path(self, path: PathKey) -> PathKey:
        """A path in the data with items left out, as a path in the file's data."""
        if not self.removed:
            return tuple(path)
        node, out = self.original, []
        for part in path:
            if isinstance(node, list) and isinstance(part, int):
                base = tuple(out)
                if base not in self._kept:
                    self._kept[base] = [i for i in range(len(node)) if (*base, i) not in self.removed]
                kept = self._kept[base]
                part = kept[part] if part < len(kept) else part
            out.append(part)
            node = _child(node, part)
        return tuple(out)


def validate_partially(model: type[M], data: Any, smap: SourceMap, what: str) -> Partial[M]:
    """Validate parsed YAML as `model`. With type errors, their problems, and the model of the data
    without the list items (or optional fields) that hold them, when that is valid."""
    if not isinstance(data, dict):
        return Partial(None, [smap.problem((), f"a {what} file must be a mapping of fields")], data, smap, data)
    try:
        with gc_paused():
            return Partial(model.model_validate(data), [], data, smap, data)
    except ValidationError as exc:
        errors = exc.errors()
    problems = pydantic_problems(errors, data, smap, model) or [smap.problem((), f"not a valid {what}")]
    targets = set()
    for error in errors:
        path, _ = _walk(error, data)
        target = _removable(model, data, path)
        if target is None:
            return Partial(None, problems, data, smap, data)
        targets.add(target)
    removed: set[PathKey] = set()
    for target in sorted(targets, key=len):  # an item inside one already left out needs no leaving out
        if not any(target[:k] in removed for k in range(1, len(target))):
            removed.add(target)
    pruned = _without(data, (), removed, {p[:k] for p in removed for k in range(len(p) + 1)})
    try:
        rest = model.model_validate(pruned)
    except ValidationError:
        rest = None
    return Partial(rest, problems, pruned, smap, data, removed)


def pydantic_problems(errors: list[dict], data: Any, smap: SourceMap, model: type[BaseModel] | None
                         ) -> list[Problem]:
    """Located problems for pydantic's error dicts: errors of a union's members are merged into
    one, that of the member the value plainly is (a mapping for a {ja:, en:} text, ...)."""
    plain: list[tuple[PathKey, str]] = []
    unions: dict[PathKey, list[tuple[str, dict, PathKey]]] = defaultdict(list)
    for error in errors:
        path, tags = _walk(error, data)
        if tags:
            at, member = tags[0]
            unions[path[:at]].append((member, error, path))
        else:
            plain.append((path, _message(error, _value(data, path), model, data, path)))
    for at, members in unions.items():
        node = _value(data, at)
        fitting = [(m, e, p) for m, e, p in members if _member_fits(m, node)]
        names = list(dict.fromkeys(m for m, _, _ in fitting))
        if len(names) > 1:
            precise = [(m, e, p) for m, e, p in fitting if not e["type"].endswith(("_type", "_parsing"))
                       and e["type"] != "literal_error"]
            fitting = [x for x in precise if x[0] == precise[0][0]] if precise else []
        if fitting:
            plain += [(p, _message(e, _value(data, p), model, data, p)) for _, e, p in fitting]
        else:
            expected = " or ".join(dict.fromkeys(_describe_member(m) for m, _, _ in members))
            plain.append((at, f"expected {expected}, not {_describe(node)}"))
    # `step:` for `steps:` is one mistake: "did you mean steps?" says it, "steps: required" would repeat it.
    meant = {(*path[:-1], message.rsplit(" ", 1)[-1].rstrip("?")) for path, message in plain
             if "; did you mean " in message}
    plain = [(path, message) for path, message in plain if not (message == MISSING and path in meant)]
    return [smap.problem(path, message) for path, message in dict.fromkeys(plain)]


def _walk(error: dict, data: Any) -> tuple[PathKey, list[tuple[int, str]]]:
    """Map pydantic's error location onto the data: the data path, and the union members that the
    location passes through (as (depth, member name)), which are not part of the data."""
    loc = error["loc"]
    path: list[str | int] = []
    tags: list[tuple[int, str]] = []
    node = data
    for n, part in enumerate(loc):
        last = n == len(loc) - 1
        if isinstance(node, dict) and part == "from_" and "from" in node:
            part = "from"
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif part == "[key]":
            continue  # the error is about the key itself, already the last part of the path
        elif isinstance(node, dict) and node.get("kind") == part:
            continue  # the tag of a discriminated union (kind: proxy): the data says it already
        elif last and error["type"] in ("missing", "extra_forbidden"):
            path.append(part)  # a missing field: name it under its parent
            break
        else:
            tags.append((len(path), str(part)))
            continue
        path.append(part)
    return tuple(path), tags


def _member_fits(member: str, node: Any) -> bool:
    """Whether a union member is of the value's shape (a mapping, a list or a scalar)."""
    if member[:1].isupper():
        return isinstance(node, dict)
    if member.startswith(("list[", "tuple[")):
        return isinstance(node, list)
    return not isinstance(node, (dict, list))


def _describe_member(member: str) -> str:
    if member == "LocalText":
        return "a mapping of ja: and en:"
    if member in ("str", "constrained-str") or member.startswith("function-"):
        return "text"
    if member in ("int", "constrained-int"):
        return "a whole number"
    if member.startswith("literal["):
        return member[len("literal["):-1]
    if member.startswith("list["):
        return "a list"
    return f"a mapping ({member})" if member[:1].isupper() else member


def _describe(value: Any) -> str:
    """A value as an instructor wrote it, for messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {shown(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


MISSING = "required field missing"
QUOTED = re.compile(r"'([^']*)'")  # names in messages: unknown host 'pc1'...
EXPECTED = {"string": "text", "int": "a whole number", "float": "a number", "bool": "true or false",
            "list": "a list", "dict": "a mapping of fields", "model": "a mapping of fields",
            "model_attributes": "a mapping of fields", "tuple": "a list", "set": "a list"}


def _message(error: dict, node: Any, model: type[BaseModel] | None, data: Any, path: PathKey) -> str:
    """One pydantic error in words an instructor can act on."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "missing":
        return MISSING
    if kind == "extra_forbidden":
        known = _field_names(model, data, path[:-1]) if model else []
        close = difflib.get_close_matches(str(path[-1]), known, n=1, cutoff=0.6)
        return "unknown field" + (f"; did you mean {close[0]}?" if close else "")
    if kind == "union_tag_invalid":
        tags = [t.strip(" '") for t in ctx["expected_tags"].split(",")]
        close = difflib.get_close_matches(str(ctx.get("tag")), tags, n=1, cutoff=0.6)
        return (f"unknown kind {ctx.get('tag')!r}" + (f"; did you mean {close[0]}?" if close else "")
                + f" (the kinds are {', '.join(tags)})")
    if kind == "union_tag_not_found":
        return "missing kind"
    if kind == "string_pattern_mismatch":
        words = RULES.get(ctx.get("pattern", ""), "it does not have the form this field needs")
        return f"{shown(str(value))} is not allowed; {words}"
    if kind == "value_error":
        return str(ctx.get("error") or error["msg"]).removeprefix("Value error, ")
    if kind in ("ip_v4_address", "ip_any_address"):
        return f"{value!r} is not an IPv4 address; write four numbers from 0 to 255 with dots, e.g. 10.20.1.5"
    if kind in ("ip_v4_network", "ip_any_network"):
        return f"{value!r} is not an IPv4 network; write an address and a prefix length, e.g. 10.20.1.0/24"
    if kind in ("literal_error", "enum"):
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.6) if isinstance(value, str) else []
        meant = f"; did you mean {close[0]}?" if close else ""
        return f"expected {ctx.get('expected')}, not {_describe(value)}{meant}"
    if kind in ("too_short", "too_long"):
        return error["msg"].split(" after validation")[0].replace("List should have", "needs")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        words = {"greater_than": "more than", "greater_than_equal": "at least", "less_than": "less than",
                 "less_than_equal": "at most"}[kind]
        limit = next(iter(ctx.values()), "")
        return f"must be {words} {limit}, not {value}"
    base = kind.removesuffix("_type").removesuffix("_parsing").removesuffix("_from_float")
    if base in EXPECTED:
        hint = ""
        if base == "string" and isinstance(value, bool):
            hint = " (YAML reads yes, no, on, off, true and false as booleans: put the text in quotes)"
        elif base == "string" and isinstance(value, (int, float)):
            hint = " (put it in quotes to make it text)"
        elif isinstance(value, str) and _reads_as(base, value):
            hint = " (write it without quotes)"
        return f"expected {EXPECTED[base]}, not {_describe(value)}{hint}"
    return error["msg"]


def _reads_as(base: str, text: str) -> bool:
    """Whether quoted text would be a number or boolean of that kind without its quotes."""
    if base == "bool":
        return text.lower() in ("true", "false", "yes", "no", "on", "off")
    try:
        (int if base == "int" else float)(text)
        return base in ("int", "float")
    except ValueError:
        return False


# -- walking models and data ----------------------------------------------------------------------

def _unwrap(annotation: Any, node: Any) -> Any:
    """The model or container type an annotation stands for at a value (a union is resolved by the
    value's kind: or shape; None when that is not clear)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            base, *metadata = typing.get_args(annotation)
            marker = next((m for m in metadata if isinstance(m, KindUnion)), None)
            if marker is not None:  # one of a registry's kinds (Host.services): the one the value names
                return marker.model_at(node)
            annotation = base
        elif origin is typing.Union or origin is types.UnionType:
            members = [typing.get_args(a)[0] if typing.get_origin(a) is typing.Annotated else a
                       for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            if not isinstance(node, dict) or not models:
                return None
            kind = node.get("kind")
            annotation = next((m for m in models if "kind" in m.model_fields
                               and kind in typing.get_args(m.model_fields["kind"].annotation)), models[0])
        else:
            return annotation


def _annotation(info: FieldInfo) -> Any:
    """A field's type with its KindUnion marker: pydantic keeps the metadata of a field's own
    `Annotated` apart from its annotation (CheckRule.check), unlike that of an inner one (Host.services)."""
    markers = [m for m in info.metadata if isinstance(m, KindUnion)]
    return typing.Annotated[(info.annotation, *markers)] if markers else info.annotation


def _field(model: type[BaseModel], key: Any):
    return next((f for name, f in model.model_fields.items() if key in (name, f.alias)), None)


def _type_at(model: type[BaseModel], data: Any, path: PathKey) -> Any:
    """The model (or container type) that describes the value at `path`, or None."""
    annotation, node = model, data
    for part in path:
        annotation = _unwrap(annotation, node)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = _field(annotation, part)
            if info is None:
                return None
            annotation = _annotation(info)
        elif typing.get_origin(annotation) in (list, tuple, set) and isinstance(part, int):
            args = typing.get_args(annotation)
            annotation = args[0] if args else None
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        else:
            return None
        node = _child(node, part)
    return _unwrap(annotation, node)


def _field_names(model: type[BaseModel], data: Any, path: PathKey) -> list[str]:
    at = _type_at(model, data, path)
    if isinstance(at, type) and issubclass(at, BaseModel):
        return [f.alias or name for name, f in at.model_fields.items()]
    return []


def _removable(model: type[BaseModel], data: Any, path: PathKey) -> PathKey | None:
    """The smallest part of the data around an error that can be left out: a list item, a mapping's
    entry, or an optional field. None when the error is in a required field outside every list."""
    for k in range(len(path), 0, -1):
        prefix = path[:k]
        if isinstance(prefix[-1], int):
            return prefix
        parent = _type_at(model, data, prefix[:-1])
        if typing.get_origin(parent) is dict:
            return prefix
        if isinstance(parent, type) and issubclass(parent, BaseModel):
            info = _field(parent, prefix[-1])
            if info is not None and not info.is_required() and isinstance(_value(data, prefix[:-1]), dict) \
                    and prefix[-1] in _value(data, prefix[:-1]):
                return prefix
    return None


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _value(data: Any, path: PathKey) -> Any:
    for part in path:
        data = _child(data, part)
    return data


def _without(node: Any, path: PathKey, removed: set[PathKey], above: set[PathKey]) -> Any:
    """A copy of the data without the removed paths (parts that hold none, not `above` any removed
    path, are shared rather than copied)."""
    if path not in above:
        return node
    if isinstance(node, dict):
        return {k: _without(v, (*path, k), removed, above) for k, v in node.items() if (*path, k) not in removed}
    if isinstance(node, list):
        return [_without(v, (*path, i), removed, above) for i, v in enumerate(node) if (*path, i) not in removed]
    return node


def _owner(path: PathKey) -> PathKey:
    """The top-level item a path lies in: a path up to its first list index, or its first field."""
    for i, part in enumerate(path):
        if isinstance(part, int):
            return path[:i + 1]
    return path[:1]


def _names(data: Any, path: PathKey) -> set[str]:
    """Names that other parts of the document may use to refer to the item at path."""
    item = _value(data, path)
    if isinstance(item, str):
        return {item}
    if isinstance(item, dict):
        return {v for k in ("name", "id", "user", "code", "domain") if isinstance(v := item.get(k), str)}
    return set()


class _Index:
    """Hosts and segments by name, so the checks of a range of thousands of hosts stay linear."""

    def __init__(self, r: Range):
        self.range = r
        self.hosts: dict[str, Host] = {}
        self.on: dict[str, list[Host]] = defaultdict(list)
        for h in r.hosts:
            self.hosts.setdefault(h.name, h)
            for att in h.attachments:
                self.on[att.segment].append(h)
        self.segments = {}
        for seg in r.segments:
            self.segments.setdefault(seg.name, seg)

    def host(self, name: str) -> Host | None:
        """The host of that name, or None."""
        return self.hosts.get(name)

    def segment(self, name: str) -> Segment | None:
        """The segment of that name, or None."""
        return self.segments.get(name)

    def check_service_ref(self, path: PathKey, name: str | None, kind: type[ServiceParams] | str,
                          add: AddProblem) -> None:
        """Report at `path` when `name` is set and names no host, or one without that service (a
        kind's class, or its tag where the range format refers to a kind)."""
        tag = kind if isinstance(kind, str) else SERVICES.tag_of(kind)
        if name is None:
            return
        host = self.host(name)
        if host is None:
            add(path, f"unknown host {name!r}")
        elif not host.offers(tag):
            add(path, f"host {name!r} offers no {tag} service")


def check_range(r: Range) -> list[tuple[PathKey, str]]:
    """Checks that need the whole range: names, addresses, references, flows. Returns (path, message)."""
    found: list[tuple[PathKey, str]] = []
    add = lambda path, message: found.append((tuple(path), message))  # noqa: E731
    index = _Index(r)

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
        _check_service_ref(index, ("segments", i, "resolver"), seg.resolver, "dns", add)

    used: dict[ipaddress.IPv4Address, str] = {}
    staff_by_pc: dict[str, set[str]] = defaultdict(set)
    for member in r.staff:
        staff_by_pc[member.pc].add(member.user)
    for i, host in enumerate(r.hosts):
        if not host.attachments:
            add(("hosts", i, "name"), f"host {host.name!r} is on no segment (give it attachments)")
        for j, att in enumerate(host.attachments):
            seg = index.segment(att.segment)
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
        ports: dict[tuple[str, int], str] = {}
        for k, svc in enumerate(host.services):
            where = ("hosts", i, "services", k)
            if kinds[svc.kind] > 1:
                add((*where, "kind"), f"service {svc.kind!r} is declared twice on this host")
            for proto, port in svc.listens_on():
                other = ports.setdefault((proto, port), svc.kind)
                if other != svc.kind:
                    add((*where, "port" if hasattr(svc, "port") else "kind"),
                        f"{proto.upper()} port {port} is already used by the {other} service of this host")
            svc.check_range(host, where, index, add)
        user_names = {u.name for u in host.users} | staff_by_pc.get(host.name, set())
        for k, spec in enumerate(host.files):
            if spec.owner != "root" and spec.owner not in user_names:
                add(("hosts", i, "files", k, "owner"), f"unknown user {spec.owner!r} on host {host.name!r}")

    _check_firewall(index, add)

    for z, zone in enumerate(r.dns):
        _check_service_ref(index, ("dns", z, "server"), zone.server, "dns", add)
        for k, record in enumerate(zone.records):
            full = zone.domain if record.name == "@" else f"{record.name}.{zone.domain}"
            if len(full) > 253:
                add(("dns", z, "records", k, "name"), f"the name is {len(full)} characters long with the zone "
                    f"({zone.domain}); a DNS name has at most 253")
    if r.dns and not any(zone.domain == r.domain for zone in r.dns):
        add(("domain",), f"no zone in dns: serves the organisation's domain {r.domain!r}")

    staff_counts = Counter(s.user for s in r.staff)
    for s, member in enumerate(r.staff):
        pc = index.host(member.pc)
        if pc is None:
            add(("staff", s, "pc"), f"unknown host {member.pc!r}")
        elif pc.role != Role.client:
            add(("staff", s, "pc"), f"host {member.pc!r} is a {pc.role.value}, not a client PC")
        if staff_counts[member.user] > 1:
            add(("staff", s, "user"), f"staff user {member.user!r} is listed more than once")
    if r.staff and not r.mail_server():
        add(("staff",), "staff need a mailbox: no host offers smtp for the organisation's domain")

    if r.logging:
        _check_service_ref(index, ("logging", "collector"), r.logging.collector, "syslog", add)
    _check_population(index, add)
    return found


def _check_service_ref(index: _Index, path: PathKey, name: str | None, kind: str, add: AddProblem) -> None:
    """A reference of the range format to a host offering a service kind (a segment's resolver, a
    zone's server, the log collector, the staff's file server and login hosts). The model names the
    kind by its tag: it sits below cyder/services/, where the kinds' classes are."""
    index.check_service_ref(path, name, kind, add)


def _check_firewall(index: _Index, add) -> None:
    r = index.range
    fw = r.firewall
    if fw is None:
        if len([s for s in r.segments if s.kind != SegmentKind.isolated]) > 1:
            add(("segments",), "a range with several routed segments needs a firewall: section")
        return
    host = index.host(fw.host)
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
            if index.host(source) is None and index.segment(source) is None:
                add((*where, "from", s), f"unknown segment or host {source!r}")
        target_host, target_seg = index.host(flow.to), index.segment(flow.to)
        if target_host is None and target_seg is None:
            add((*where, "to"), f"unknown segment or host {flow.to!r}")
            continue
        offering = [target_host] if target_host else index.on.get(flow.to, [])
        if not any(h.offers(flow.service) for h in offering):
            add((*where, "service"), f"no host in {flow.to!r} offers a {flow.service!r} service")


def _check_population(index: _Index, add) -> None:
    from .population import free_addresses, is_staff_host

    r = index.range
    pop = r.population
    if pop is None:
        return
    where = ("population",)
    segment = index.segment(pop.segment)
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
    server = index.host(pop.file_server) if pop.file_server else None
    if pop.file_server:
        _check_service_ref(index, (*where, "file_server"), pop.file_server, "smb", add)
    else:
        server = next((h for h in r.hosts if any(s.serves_files for s in h.services) and r.is_organisation_host(h)),
                      None)
    files = next((s for s in server.services if s.serves_files), None) if server else None
    shares = set(files.share_names()) if files else set()
    for d, dept in enumerate(pop.departments):
        if codes[dept.code] > 1:
            add((*where, "departments", d, "code"), f"department code {dept.code!r} is used more than once")
        if dept.share is not None and dept.share not in shares:
            add((*where, "departments", d, "share"), f"no share {dept.share!r} on the file server")
        if index.host(f"{dept.code}-001"):
            add((*where, "departments", d, "code"), f"PC names {dept.code}-NNN clash with host {dept.code}-001")
    zones = {z.domain for z in r.dns}
    for s, site in enumerate(pop.sites):
        if not any(site.domain == z or site.domain.endswith("." + z) for z in zones):
            add((*where, "sites", s, "domain"), f"no zone in dns: serves {site.domain!r}")
    for s, name in enumerate(pop.logins):
        _check_service_ref(index, (*where, "logins", s), name, "ssh", add)
        host = index.host(name)
        if host and not any(u.sudo for u in host.users):
            add((*where, "logins", s), f"host {name!r} has no sudo user for IT staff to log in as")
    if pop.staff and not r.mail_server():
        add((*where, "staff"), "staff need a mailbox: no host offers smtp for the organisation's domain")

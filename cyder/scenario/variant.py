"""A team's variant of a scenario: variables chosen from a seed, the timeline, and the ground truth.

Everything here is deterministic for a seed, so the same team always faces the same attacker
addresses, domains, file names and hashes, and another team faces different ones. Nothing here
touches Docker.
"""

from __future__ import annotations

import hashlib
import ipaddress
import random
import secrets
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from ..model.range import Range
from ..model.scenario import HOST_FIELDS, VAR_PATTERN, Scenario, Step, parse_offset


@dataclass(frozen=True)
class StaffValue:
    """A chosen member of staff."""

    user: str
    pc: str
    mail: str

    def __str__(self) -> str:
        return self.user


def new_seed() -> int:
    """A fresh random seed for a new exercise. It is the team's answer key (every address, domain
    and file name of its ground truth follows from it), so it is kept in the store and never
    derived from names anyone can guess."""
    return secrets.randbelow(2**31)


def choose_variables(sc: Scenario, rng: Range, seed: int) -> dict[str, Any]:
    """Pick every variable's value for this seed."""
    chooser = random.Random(seed)
    values: dict[str, Any] = {}
    taken: set[ipaddress.IPv4Address] = {a.address for h in rng.hosts for a in h.attachments}
    for name in sorted(sc.variables):
        var = sc.variables[name]
        if var.kind == "address":
            segment = rng.segment(var.segment)
            free = [a for a in segment.subnet.hosts() if a not in taken and a != segment.gateway]
            choice = chooser.choice(free[:250] if len(free) > 250 else free)
            taken.add(choice)
            values[name] = str(choice)
        elif var.kind == "domain":
            first, second = chooser.sample(var.words, 2)
            values[name] = f"{first}-{second}{chooser.randint(10, 99)}.{var.suffix}"
        elif var.kind == "choice":
            values[name] = chooser.choice(var.values)
        elif var.kind == "filename":
            values[name] = f"{chooser.choice(var.stems)}_{chooser.randint(1000, 9999)}{var.extension}"
        elif var.kind == "staff":
            members = [s for s in rng.staff if not var.among or s.user in var.among]
            member = chooser.choice(members)
            values[name] = StaffValue(member.user, member.pc, f"{member.user}@{rng.domain}")
        elif var.kind == "integer":
            values[name] = chooser.randint(var.min, var.max)
    return values


def substitute(text: str, values: dict[str, Any]) -> str:
    """Replace `${name}` and `${name.attr}` in a string."""
    def replace(match) -> str:
        value = values[match.group(1)]
        return str(getattr(value, match.group(2)) if match.group(2) else value)

    return VAR_PATTERN.sub(replace, text)


def substitute_data(data: Any, values: dict[str, Any]) -> Any:
    """`substitute` applied to every string inside plain data (dicts and lists, as a model dumps)."""
    if isinstance(data, dict):
        return {k: substitute_data(v, values) for k, v in data.items()}
    if isinstance(data, list):
        return [substitute_data(v, values) for v in data]
    if isinstance(data, str):
        return substitute(data, values)
    return data


_substitute_data = substitute_data  # the old private name, for callers not moved yet (issue 13 removes it)


def implant_bytes(seed: int) -> bytes:
    """The implant as dropped for this seed: cyder's harmless program with the variant's marker."""
    source = resources.files("cyder.agent").joinpath("implant.py").read_bytes()
    return source + f"\nVARIANT = {seed}\n".encode()


@dataclass
class PlannedStep:
    """One step of a team's timeline, with its variables filled in."""

    step: Step
    offset: float | None
    fallback_for: str | None
    hosts: list[str]
    indicators: dict[str, list[str]]


@dataclass
class Variant:
    """A scenario as one team will face it."""

    scenario: Scenario
    range: Range
    seed: int
    values: dict[str, Any]
    steps: list[PlannedStep] = field(default_factory=list)
    infrastructure: list[dict[str, Any]] = field(default_factory=list)

    @property
    def implant_sha256(self) -> str:
        """SHA-256 of the implant file this team's PC receives."""
        return hashlib.sha256(implant_bytes(self.seed)).hexdigest()

    def planned(self, step_id: str) -> PlannedStep:
        """The planned step with this id."""
        return next(p for p in self.steps if p.step.id == step_id)

    def all_indicators(self) -> dict[str, list[str]]:
        """Every indicator of every step, by category, without duplicates."""
        merged: dict[str, list[str]] = {}
        for planned in self.steps:
            for category, items in planned.indicators.items():
                for item in items:
                    if item not in merged.setdefault(category, []):
                        merged[category].append(item)
        return merged


def make_variant(sc: Scenario, rng: Range, seed: int) -> Variant:
    """Resolve variables, steps and infrastructure for a seed, and derive times and indicators."""
    values = choose_variables(sc, rng, seed)
    variant = Variant(sc, rng, seed, values)
    variant.infrastructure = [substitute_data(i.model_dump(), values) for i in sc.infrastructure]
    resolved = [Step.model_validate(substitute_data(s.model_dump(by_alias=True), values)) for s in sc.steps]
    jitter = random.Random(seed ^ 0x5EED)
    fallback_of = {s.on_blocked: s.id for s in resolved if s.on_blocked != "stop"}
    offsets: dict[str, float] = {}

    def offset_of(step: Step) -> float:
        if step.id in offsets:
            return offsets[step.id]
        if step.id in fallback_of:
            base = offset_of(next(s for s in resolved if s.id == fallback_of[step.id]))
        elif step.at is not None:
            base = parse_offset(step.at)
        else:
            parent = next(s for s in resolved if s.id == step.after.step)
            base = offset_of(parent) + parse_offset(step.after.delay) + _duration(parent)
        spread = parse_offset(step.jitter)
        offsets[step.id] = base + (jitter.uniform(0, spread) if spread else 0)
        return offsets[step.id]

    for step in resolved:
        variant.steps.append(PlannedStep(step, offset_of(step), fallback_of.get(step.id),
                                         _hosts(step, rng), {}))
    for planned in variant.steps:
        planned.indicators = indicators(planned.step, variant)
    variant.steps.sort(key=lambda p: (p.offset, p.fallback_for is not None))
    return variant


def _duration(step: Step) -> float:
    """How long a step itself runs (beacons take their interval times their count)."""
    action = step.action
    if action.kind in ("beacon-http", "beacon-dns"):
        return action.interval * (action.count - 1)
    return 0.0


def _hosts(step: Step, rng: Range) -> list[str]:
    action = step.action
    names = [getattr(action, f) for f in HOST_FIELDS if getattr(action, f, None)]
    if action.kind == "scan":
        names += [t for t in action.targets if rng.host(t)]
    if action.kind in ("user-execution", "usb-infection"):
        member = next((s for s in rng.staff if s.user == action.user), None)
        names += [member.pc] if member else []
    return list(dict.fromkeys(names))


def _address_of(name: str, variant: Variant) -> str | None:
    for infra in variant.infrastructure:
        if name in infra["names"]:
            return infra["address"]
    host = variant.range.host(name)
    return str(host.primary_address) if host else None


def indicators(step: Step, variant: Variant) -> dict[str, list[str]]:
    """What a defender could find of this step: addresses, domains, URLs, hashes, accounts, paths, mail."""
    a, rng = step.action, variant.range
    found: dict[str, list[str]] = {}

    def add(category: str, value: str | None) -> None:
        if value and value not in found.setdefault(category, []):
            found[category].append(value)

    if a.kind == "phishing":
        add("mail", a.sender)
        add("mail", f"{a.to}@{rng.domain}")
        add("files", a.attachment)
        add("hashes", variant.implant_sha256)
        add("addresses", _address_of(a.source, variant))
        add("subjects", a.subject)
    elif a.kind in ("user-execution", "usb-infection"):
        if a.kind == "usb-infection":
            add("files", f"/media/{a.user}/{a.volume}/{a.implant}")
        add("files", f"/home/{a.user}/.cache/{a.implant}")
        add("hashes", variant.implant_sha256)
        add("accounts", a.user)
        add("files", f"/home/{a.user}/.config/autostart/update.desktop" if a.persistence == "autostart"
            else f"/var/spool/cron/crontabs/{a.user}")
    elif a.kind == "beacon-http" or a.kind == "exfil-http":
        add("urls", a.url)
        domain = urlsplit(a.url).hostname or ""
        add("domains", domain)
        add("addresses", _address_of(domain, variant))
    elif a.kind in ("beacon-dns", "exfil-dns"):
        add("domains", a.domain)
        add("addresses", _address_of(a.domain, variant))
    elif a.kind == "scan":
        source = rng.host(a.source)
        add("addresses", str(source.primary_address) if source else _address_of(a.source, variant))
    elif a.kind in ("ssh-guess", "ssh-login"):
        add("accounts", a.user)
        add("addresses", _address_of(a.source, variant))
    elif a.kind == "collect":
        for name in a.files:
            add("files", f"//{a.server}/{a.share}/{name}")
        add("accounts", a.user)
    elif a.kind == "web-attack":
        add("addresses", _address_of(a.source, variant))
        add("urls", f"http://{a.target}.{rng.domain}{a.path}")
    return found

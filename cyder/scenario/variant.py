"""A team's variant of a scenario: variables chosen from a seed, the timeline, and the ground truth.

Everything here is deterministic for a seed, so the same team always faces the same attacker
addresses, domains, file names and hashes, and another team faces different ones. Nothing here
touches Docker.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from dataclasses import dataclass, field
from typing import Any

from ..model.range import Range
from ..model.scenario import VAR_PATTERN, Scenario, Step, parse_offset
from .implant import implant_bytes
from .steps import Indicators, as_step
from .variables import Choosing, StaffValue, as_variable

__all__ = ["PlannedStep", "StaffValue", "Variant", "choose_variables", "implant_bytes", "indicators", "make_variant",
           "new_seed", "substitute", "substitute_data"]


def new_seed() -> int:
    """A fresh random seed for a new exercise. It is the team's answer key (every address, domain
    and file name of its ground truth follows from it), so it is kept in the store and never
    derived from names anyone can guess."""
    return secrets.randbelow(2**31)


def choose_variables(sc: Scenario, rng: Range, seed: int) -> dict[str, Any]:
    """Pick every variable's value for this seed (in the order of their names, each by its kind)."""
    choosing = Choosing(random.Random(seed), rng, {a.address for h in rng.hosts for a in h.attachments})
    return {name: as_variable(sc.variables[name]).choose(choosing) for name in sorted(sc.variables)}


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
            base = offset_of(parent) + parse_offset(step.after.delay) + as_step(parent.action).duration()
        spread = parse_offset(step.jitter)
        offsets[step.id] = base + (jitter.uniform(0, spread) if spread else 0)
        return offsets[step.id]

    for step in resolved:
        variant.steps.append(PlannedStep(step, offset_of(step), fallback_of.get(step.id),
                                         hosts(step, rng), {}))
    for planned in variant.steps:
        planned.indicators = indicators(planned.step, variant)
    variant.steps.sort(key=lambda p: (p.offset, p.fallback_for is not None))
    return variant


def hosts(step: Step, rng: Range) -> list[str]:
    """The hosts a step involves (its ground truth's `hosts`), each once."""
    return list(dict.fromkeys(as_step(step.action).hosts(rng)))


def indicators(step: Step, variant: Variant) -> dict[str, list[str]]:
    """What a defender could find of this step: addresses, domains, URLs, hashes, accounts, paths, mail."""
    found = Indicators(variant)
    as_step(step.action).indicators(found)
    return found.found

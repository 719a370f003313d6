"""Judging what a team submits against its own ground truth (pure functions, no I/O).

A submitted indicator matches when its canonical form equals one of the team's ground-truth
indicators of that kind; each ground-truth indicator pays once. A report field earns its points
when filled and, for fields with expected values, when the text names every one of them. Time
bonuses shrink linearly from the moment the related step really happened.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.rubric import COURSE_PRESETS, CoursePreset, ReportRule, Scoring, TimeBonus
from ..model.scenario import parse_offset
from ..scenario.variant import Variant
from .normalise import CATEGORY_KINDS, IndicatorError, file_matches, normalise


@dataclass(frozen=True)
class TruthIndicator:
    """One indicator a team could find: its kind, canonical value, and the step that left it."""

    kind: str
    value: str
    step: str
    shown: str


def ground_truth(variant: Variant, scoring: Scoring) -> list[TruthIndicator]:
    """Every scoreable indicator of a team's variant (each once, with the first step that left it)."""
    found: dict[tuple[str, str], TruthIndicator] = {}
    rng = variant.range
    for planned in variant.steps:
        # The organisation's own hosts a step touched are "host" indicators (the attacker's are not
        # something a defender can name).
        hosts = [h for h in planned.hosts if rng.host(h) and rng.is_organisation_host(rng.host(h))]
        if "host" in scoring.indicators.points and "hosts" not in scoring.indicators.ignore:
            for host in hosts:
                found.setdefault(("host", host), TruthIndicator("host", host, planned.step.id, host))
        for category, values in planned.indicators.items():
            kind = CATEGORY_KINDS.get(category)
            if kind is None or category in scoring.indicators.ignore or kind not in scoring.indicators.points:
                continue
            for value in values:
                try:
                    canonical = normalise(kind, value)
                except IndicatorError:
                    continue
                found.setdefault((kind, canonical), TruthIndicator(kind, canonical, planned.step.id, value))
    return list(found.values())


@dataclass(frozen=True)
class IndicatorVerdict:
    """How a submitted indicator was judged."""

    kind: str
    canonical: str
    matched: TruthIndicator | None
    duplicate: bool = False

    @property
    def correct(self) -> bool:
        """Whether it is one of the team's ground-truth indicators."""
        return self.matched is not None


def judge_indicator(kind: str, value: str, truth: list[TruthIndicator], credited: set[tuple[str, str]]) -> IndicatorVerdict:
    """Judge one submission; IndicatorError when it is not an indicator of its kind at all."""
    canonical = normalise(kind, value)
    if kind == "host":
        canonical = canonical.split(".")[0]  # pc01.city.saida.lg.jp names pc01
    for item in truth:
        if item.kind != kind:
            continue
        if item.value == canonical or (kind == "file" and file_matches(canonical, item.value)):
            return IndicatorVerdict(kind, canonical, item, duplicate=(item.kind, item.value) in credited)
    return IndicatorVerdict(kind, canonical, None)


def time_bonus(points: float, elapsed: float | None, rule: TimeBonus) -> float:
    """Extra points for acting `elapsed` seconds after the step happened (None: no bonus)."""
    if elapsed is None or points <= 0:
        return 0.0
    full, zero = parse_offset(rule.full), parse_offset(rule.zero)
    elapsed = max(0.0, elapsed)
    if elapsed <= full:
        factor = 1.0
    elif elapsed >= zero:
        factor = 0.0
    else:
        factor = (zero - elapsed) / (zero - full)
    return round(points * rule.share * factor, 1)


@dataclass(frozen=True)
class FieldVerdict:
    """How one report field was judged."""

    name: str
    points: float
    reason: str


def judge_report(rule: ReportRule, fields: dict[str, str], expected: dict[str, list[str]]) -> list[FieldVerdict]:
    """Judge a report's fields: filled in, and naming what the ground truth says they must."""
    verdicts = []
    for spec in rule.fields:
        text = (fields.get(spec.name) or "").strip()
        if not text:
            verdicts.append(FieldVerdict(spec.name, 0, "left empty"))
            continue
        wanted = expected.get(spec.name, [])
        lowered = text.lower()
        missing = [w for w in wanted if w.lower() not in lowered]
        if missing:
            verdicts.append(FieldVerdict(spec.name, 0, f"does not name {', '.join(missing)}"))
        else:
            verdicts.append(FieldVerdict(spec.name, spec.points, "complete" + (" and matches the ground truth" if wanted else "")))
    return verdicts


def preset(course: str) -> CoursePreset:
    """The guidance of a course level (A gives the most, C none)."""
    return COURSE_PRESETS[course]

"""The scoring rubric of a scenario: what earns and costs points in each phase of the day.

CYDER scores a team through 検知 detection, 対応 response, 報告 reporting and 回復 recovery. The
rubric lives in the scenario's `scoring:` section: points per ground-truth indicator, the
declaration of the incident, checks on the real range (response and recovery), report forms with
deadlines, availability rounds, a time bonus measured from when a step really happened, hints with
their cost, and course presets. Strings may use the scenario's `${variables}`. Plain data.
"""

from __future__ import annotations

import typing
from enum import Enum
from typing import Annotated, ClassVar, Literal, Union

from pydantic import ConfigDict, Field, StrictBool, StrictFloat, StrictInt

from .kinds import KindModel, KindRegistry, KindUnion
from .range import Name, Strict, Text, rule

RuleId = Annotated[str, Field(pattern=rule(r"^[a-z][a-z0-9-]{0,40}$",
                                           "use an id of up to 41 lower-case letters, digits and '-', starting with a "
                                           "letter, e.g. block-c2"))]
Offset = Annotated[Union[StrictInt, str], Field(description="seconds, or H:MM[:SS]")]
Points = Annotated[StrictInt, Field(ge=0, description="points (never negative: costs have their own fields)")]


class Phase(str, Enum):
    """The four phases of a CYDER day."""

    detection = "detection"
    response = "response"
    reporting = "reporting"
    recovery = "recovery"


PhaseName = Literal["detection", "response", "reporting", "recovery"]
"""A phase by its name (the values of Phase), as ledger entries and totals carry it."""
PHASES: tuple[PhaseName, ...] = typing.get_args(PhaseName)
"""The phases in the order of the day."""
if tuple(p.value for p in Phase) != PHASES:
    raise TypeError("PhaseName and Phase name different phases")

IndicatorKind = Literal["ip", "domain", "url", "hash", "account", "file", "mail", "host"]
"""What an indicator is: an address, a domain name, a URL, a file hash, an account, a file, a mail
(its sender) or a host of the organisation."""
INDICATOR_KINDS: tuple[IndicatorKind, ...] = typing.get_args(IndicatorKind)
"""Every indicator kind, in the order forms and messages list them."""


class IndicatorRules(Strict):
    """Points for each ground-truth indicator found, by kind, and the cost of a wrong one."""

    points: dict[IndicatorKind, Points] = Field(
        default_factory=lambda: {"ip": 10, "domain": 10, "url": 5, "hash": 10, "account": 5, "file": 5, "mail": 5,
                                 "host": 5})
    wrong: StrictInt = Field(3, ge=0, description="points lost per wrong indicator (guessing does not pay)")
    ignore: list[str] = Field([], description="ground-truth categories not scored, e.g. subjects")


class IncidentRule(Strict):
    """Declaring the incident with the affected hosts."""

    points: Points = 10
    hosts: list[str] = Field(min_length=1, description="hosts the declaration must name (may use ${var})")
    step: str | None = Field(None, description="step whose real time starts the time bonus")


class CheckParams(Strict, KindModel):
    """Base of every check kind's parameters: a check on the real range, which passes whatever way
    the team brought the state about.

    Each kind is one class in its own module under cyder/exercise/checks/ (its YAML fields, its
    facts as ClassVars, how it runs as methods), registered in CHECKS."""

    kind: str
    """The YAML tag; each kind narrows it to its own `Literal`."""
    host: str = Field(description="where the check runs (may use ${var})")
    needs: ClassVar[tuple[str, ...]] = ()
    """Fields the check cannot run without. They are optional in the model, so that a scenario
    missing one is told "a KIND check needs FIELD:" when it is loaded."""


CHECKS: KindRegistry[CheckParams] = KindRegistry("check", "cyder.exercise.checks")
"""The check kinds, one module each under cyder/exercise/checks/ (imported when first needed)."""


class CheckRule(Strict):
    """Points while a check passes at the end of a round (response and recovery)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # check: built when first used

    id: RuleId
    name: Text
    points: Points
    check: Annotated[CheckParams, KindUnion(CHECKS)]
    step: str | None = Field(None, description="step whose real time starts the time bonus")
    after: RuleId | None = Field(None, description="only counts once this other rule has passed (recovery after response)")
    final: StrictBool = Field(False, description="checked only at the end of the exercise (e.g. the C2 is still blocked)")


class ReportField(Strict):
    """A field of a report form and what it is worth."""

    name: Literal["detection_time", "affected_systems", "incident_type", "attack_vector", "indicators",
                  "functional_impact", "information_impact", "actions_taken", "current_status", "next_steps"]
    points: Points = 2
    expect: list[str] = Field([], description="for affected_systems and indicators: values the answer must name")


class ReportRule(Strict):
    """A report form (初報, external report, 報告書) with its fields, deadline and lateness factor."""

    id: RuleId
    form: Literal["first", "external", "final"]
    name: Text
    fields: list[ReportField] = Field(min_length=1)
    inject: str | None = Field(None, description="the inject that asks for it; its deadline applies")
    late_factor: StrictFloat = Field(0.5, ge=0, le=1, description="share of the points a late report keeps")


class ServiceRef(Strict):
    """A business service that must stay available, probed over the network from a user's host."""

    host: Name
    service: str
    from_: Name = Field(alias="from", description="the host that probes it, as its users would reach it")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Availability(Strict):
    """Business services checked in rounds; each service down in a round costs points."""

    services: list[ServiceRef] = []
    round: Offset = 60
    penalty: StrictInt = Field(1, ge=0, description="points lost per service down per round")


class TimeBonus(Strict):
    """Extra points for speed, measured from when the step really happened."""

    share: StrictFloat = Field(0.5, ge=0, le=2, description="bonus as a share of the rule's points at best")
    full: Offset = Field("0:15:00", description="full bonus when done within this time")
    zero: Offset = Field("1:00:00", description="no bonus after this time (linear in between)")


class HintTier(Strict):
    """One hint, from gentle to explicit."""

    text: Text
    cost: StrictInt = Field(ge=0)


class Hint(Strict):
    """Tiered hints for a step."""

    step: str
    tiers: list[HintTier] = Field(min_length=1)


class CoursePreset(Strict):
    """How much guidance a course level gives."""

    hint_tiers: StrictInt = Field(ge=0, description="how many tiers of each hint are offered")
    hint_cost: StrictFloat = Field(ge=0, description="multiplier of hint costs")


COURSE_PRESETS = {
    "A": CoursePreset(hint_tiers=3, hint_cost=0.5),
    "B-1": CoursePreset(hint_tiers=2, hint_cost=1.0),
    "B-2": CoursePreset(hint_tiers=1, hint_cost=1.0),
    "C": CoursePreset(hint_tiers=0, hint_cost=1.0),
}


class ModelAnswer(Strict):
    """What an ideal team does: the calibration's scripted defender follows it."""

    indicators: list[tuple[str, str]] = Field([], description="(kind, value) pairs, may use ${var}")
    actions: list[dict[str, str]] = Field([], description="response actions as for `cyder act` (action: and its "
                                          "parameters), in order; `when: STEP` takes one as soon as that step has "
                                          "happened, otherwise once the chain is over")
    reports: dict[str, dict[str, str]] = Field({}, description="report id -> field -> text")


class Scoring(Strict):
    """A scenario's rubric."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # holds CheckRule

    indicators: IndicatorRules = IndicatorRules()
    incident: IncidentRule | None = None
    responses: list[CheckRule] = []
    recovery: list[CheckRule] = []
    reports: list[ReportRule] = []
    availability: Availability = Availability()
    time_bonus: TimeBonus = TimeBonus()
    hints: list[Hint] = []
    model_answer: ModelAnswer = ModelAnswer()


CHECKS.depends(CheckRule, Scoring)

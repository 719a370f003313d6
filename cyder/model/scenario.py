"""Typed model of an attack scenario: metadata, per-team variables, steps, injects.

Instructors write scenarios in `scenarios/*.yaml`. A step's action is one of a small library of
kinds (scan, phishing, user execution, C2 beacon ...), each with validated parameters; strings
may refer to variables as `${name}` (or `${target.pc}` for a staff member's PC), which are
chosen per team from a seed. Like the range model, this knows nothing of Docker.

The kinds of step actions, preconditions and variables live above the model, one module each
(cyder/scenario/steps/, preconditions/, variables/), found through the registries STEP_ACTIONS,
PRECONDITIONS and VARIABLES (cyder.model.kinds); this module holds their bases.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum
from typing import Annotated, ClassVar, Literal, Protocol

from pydantic import ConfigDict, Field

from .kinds import AsKind, KindModel, KindRegistry, KindTag, KindUnion
from .range import Name, Port, Range, Strict, Text, rule
from .rubric import CHECKS, Offset, Scoring
from .yamlsource import PathKey

StepId = Annotated[str, Field(pattern=rule(r"^[a-z][a-z0-9-]{0,40}$",
                                           "use an id of up to 41 lower-case letters, digits and '-', starting with a "
                                           "letter, e.g. c2-http"),
                              description="lower-case letters, digits and '-'")]
Technique = Annotated[str, Field(pattern=rule(r"^T\d{4}(\.\d{3})?$",
                                              "write a MITRE ATT&CK technique id: T and four digits, and a sub-technique "
                                              "after a dot if any, e.g. T1566 or T1566.001"),
                                 description="MITRE ATT&CK technique id, e.g. T1566.001")]
VAR_PATTERN = re.compile(r"\$\{([a-z_][a-z0-9_]*)(?:\.([a-z_]+))?\}")
Ref = Annotated[str, Field(description="a name, or a ${variable} that gives one")]


class Course(str, Enum):
    """CYDER course levels."""

    A = "A"
    B1 = "B-1"
    B2 = "B-2"
    C = "C"


# -- variables, step actions and preconditions: the kinds ---------------------------------------


class RefCheck(Protocol):
    """What a kind may check of the names it refers to, when a scenario is checked against its range
    (cyder.model.scenario_load gives it; `where` is a path inside the kind's own mapping)."""

    @property
    def range(self) -> Range:
        """The scenario's range."""
        ...

    def host(self, value: str, where: PathKey, allow_address: bool = False) -> None:
        """Report when `value` names no host of the range (nor a variable that gives one, nor an
        address when allowed)."""

    def staff_user(self, value: str, where: PathKey) -> None:
        """Report when `value` names no staff user of the range (a ${variable} is checked once chosen)."""

    def dns_name(self, value: str, where: PathKey) -> None:
        """Report when `value` is no valid DNS name (the parts from ${variables} are checked once chosen)."""

    def problem(self, where: PathKey, message: str) -> None:
        """Report a problem at `where`."""


class VariableParams(Strict, KindModel):
    """Base of every variable kind's parameters (a scenario's `variables:`).

    Each kind is one class in its own module under cyder/scenario/variables/ (its YAML fields, its
    behaviour as methods: how a seed chooses its value), registered in VARIABLES. This base holds
    what the model layer asks of any variable."""

    kind: str
    """The YAML tag; each kind narrows it to its own `Literal`."""
    attributes: ClassVar[tuple[str, ...]] = ()
    """The `${name.attr}` attributes its value has (a staff member's pc, mail and user)."""

    def names_host(self, attribute: str | None, allow_address: bool) -> bool:
        """Whether `${name}` (or `${name.attribute}`) names a host, or an address where one is allowed."""
        return False

    def check_range(self, rng: Range, where: PathKey, add: Callable[[PathKey, str], None]) -> None:
        """Check what the variable refers to in the range (`where` is its path); nothing by default."""


VARIABLES: KindRegistry[VariableParams] = KindRegistry("variable", "cyder.scenario.variables")
"""The variable kinds, one module each under cyder/scenario/variables/ (imported when first needed)."""


class StepParams(Strict, KindModel):
    """Base of every attack step kind's parameters (a step's `action:`).

    Each kind is one class in its own module under cyder/scenario/steps/ (its YAML fields, its facts
    as ClassVars, its behaviour as methods: how it runs, its route, hosts and indicators),
    registered in STEP_ACTIONS. This base holds what the model layer asks of any step."""

    kind: str
    """The YAML tag; each kind narrows it to its own `Literal`."""
    host_fields: ClassVar[tuple[str, ...]] = ()
    """Fields that name a host of the range (checked against it; the step's hosts)."""
    user_fields: ClassVar[tuple[str, ...]] = ()
    """Fields that name a staff user (checked against the range's staff)."""

    def check_refs(self, refs: RefCheck) -> None:
        """Check what the step refers to besides its host and user fields; nothing by default."""


STEP_ACTIONS: KindRegistry[StepParams] = KindRegistry("step", "cyder.scenario.steps")
"""The attack step kinds, one module each under cyder/scenario/steps/ (imported when first needed)."""


PRECONDITIONS: KindRegistry[Precondition] = KindRegistry("precondition", "cyder.scenario.preconditions", tag="check")
"""The precondition kinds (by their `check:`), one module each under cyder/scenario/preconditions/.
A precondition is one flat model in the YAML and the schema (every check may carry every field);
each kind is a subclass that narrows `check` and adds the behaviour (see kinds.AsKind)."""


class Precondition(Strict, KindModel):
    """A check against the live range before a step runs."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # check: built when first used

    check: Annotated[str, KindTag(PRECONDITIONS)]
    host: Ref
    target: str | None = Field(None, description="reachable: address or host name")
    port: Port | None = None
    user: Ref | None = Field(None, description="account-unlocked: the account; mail-delivered: the mailbox's owner")
    sender: str | None = Field(None, description="mail-delivered: the sender's address of the mail that must be in "
                                                 "the mailbox (the user opens only what arrived)")

    needs: ClassVar[tuple[str, ...]] = ()
    """The optional fields this check needs (checked when the scenario is read)."""


# -- steps and injects ----------------------------------------------------------------------------


class After(Strict):
    """Run after another step, plus a delay."""

    step: StepId
    delay: Offset = 0


class Step(Strict):
    """One attack action with its timing, preconditions, expected evidence and fallback."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # kinds: built when first used

    id: StepId
    technique: Technique
    name: Text
    at: Offset | None = None
    after: After | None = None
    jitter: Offset | str = Field(0, description="up to this many seconds later, chosen per team (may be ${var})")
    requires: list[Annotated[Precondition, AsKind(PRECONDITIONS)]] = []
    action: Annotated[StepParams, KindUnion(STEP_ACTIONS)]
    evidence: list[str] = Field([], description="where the step leaves traces, e.g. proxy access log")
    on_blocked: StepId | Literal["stop"] = "stop"


class Inject(Strict):
    """A scripted message to the team: an alert, a request, a report."""

    id: StepId
    at: Offset | None = None
    trigger: StepId | None = Field(None, description="deliver when this step has run")
    delay: Offset = 0
    sender: Text
    recipient: str = Field(description="role that receives it, e.g. it-staff, supervisor")
    subject: Text
    body: Text
    deadline: Offset | None = Field(None, description="time to answer after delivery")


class Infrastructure(Strict):
    """Attacker infrastructure prepared before the chain starts: an address on a host, a DNS name."""

    host: Ref = Field(description="attacker host that takes the address")
    address: str
    names: list[str] = Field([], description="DNS names pointing at the address")
    dns_server: Ref | None = Field(None, description="attacker host with the dns service that serves the names")


class Scenario(Strict):
    """An attack case on a range."""

    schema_: str | None = Field(None, alias="$schema")
    name: Name
    title: Text
    description: Text | None = None
    course: Course
    duration: Offset = Field(description="planned length of the exercise")
    range: str = Field(description="the range it runs on (a shipped name or a path)")
    variables: dict[Annotated[str, Field(pattern=rule(r"^[a-z_][a-z0-9_]*$", "use a variable name of lower-case letters, "
                                                      "digits and '_', starting with a letter or '_', e.g. c2_domain"))],
                    Annotated[VariableParams, KindUnion(VARIABLES)]] = {}
    infrastructure: list[Infrastructure] = Field([], description="attacker addresses and DNS names set up per team")
    steps: list[Step] = Field(min_length=1)
    injects: list[Inject] = []
    scoring: Scoring | None = Field(None, description="the rubric: points per indicator, action, report field and check")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    def step(self, step_id: str) -> Step | None:
        """The step with this id, or None."""
        return next((s for s in self.steps if s.id == step_id), None)


CHECKS.depends(Scenario)  # after CheckRule and Scoring (rubric.py): rebuilt innermost first
STEP_ACTIONS.depends(Step, Scenario)
VARIABLES.depends(Scenario)
PRECONDITIONS.depends(Precondition, Step, Scenario)


def parse_offset(value: int | str) -> int:
    """Seconds from an offset given as seconds or H:MM[:SS]; ValueError when malformed."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int):
        if value < 0:
            raise ValueError("must not be negative")
        return value
    match = re.fullmatch(r"(\d+):([0-5]\d)(?::([0-5]\d))?", value.strip())
    if not match:
        raise ValueError(f"{value!r} is not seconds or H:MM[:SS]")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def format_offset(seconds: float) -> str:
    """H:MM:SS for a number of seconds."""
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"

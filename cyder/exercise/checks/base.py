"""What every check kind builds on: its result, its base class and the dispatcher that runs one.

A check kind is one class under cyder/exercise/checks/<kind>.py: the pydantic model of its YAML
fields (derived from Check here, itself derived from model.rubric.CheckParams, which the model
layer knows), registered with `@CHECKS.register`. It says which baselines it compares with
(`baseline_keys`), which way over the network it takes (`route`) and how it asks the range (`run`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from ...backend.base import BackendError
from ...model.rubric import CHECKS, CheckParams
from ...scenario.defence import RangeView, Route

State = Literal["good", "bad", "unknown"]
Baseline = tuple[str, str, str]
"""(key, host, command): a value a check compares with, taken when the exercise starts."""


@dataclass(frozen=True)
class CheckResult:
    """What a check saw: the state, a line for people, and what it ran into (for the ledger)."""

    state: State
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Whether the good state was seen."""
        return self.state == "good"


def good_if(good: bool, detail: str, **evidence: Any) -> CheckResult:
    """Good when the condition holds, bad otherwise."""
    return CheckResult("good" if good else "bad", detail, evidence)


def self_safe(pattern: str) -> str:
    """A pgrep/pkill pattern that does not match the command line that carries it."""
    escaped = re.escape(pattern)
    return f"[{escaped[0]}]{escaped[1:]}" if escaped and escaped[0].isalnum() else escaped


class Check(CheckParams):
    """A check kind: a question to the team's range whose answer is good, bad or unknown."""

    bad: ClassVar[str] = ""
    """What the bad state is, in words (the docs' checks table)."""
    good: ClassVar[str] = ""
    """What the good state is, in words (the docs' checks table)."""

    def given(self, name: str) -> str:
        """A field the kind `needs` (scenario validation made sure it is set)."""
        value = getattr(self, name)
        if not isinstance(value, str):
            raise ValueError(f"a {self.kind} check needs {name}:")
        return value

    def baseline_keys(self) -> list[Baseline]:
        """The baselines the check compares with, taken at the start; none by default."""
        return []

    def route(self, view: RangeView) -> Route | None:
        """The way a network check takes, for recording the posture before the start; None by default."""
        return None

    def run(self, view: RangeView, baselines: dict[str, str]) -> CheckResult:
        """Ask the range (blocking); BackendError when the host cannot be asked."""
        raise NotImplementedError(f"{type(self).__name__} cannot run")


def check_kinds() -> tuple[type[Check], ...]:
    """Every check kind's class, in the registry's order."""
    kinds = CHECKS.models()
    wrong = [cls for cls in kinds if not issubclass(cls, Check)]
    if wrong:
        raise TypeError(f"check kind {wrong[0].__name__} ({wrong[0].__module__}) does not derive from "
                        "cyder.exercise.checks.base.Check")
    return tuple(cls for cls in kinds if issubclass(cls, Check))


def as_check(check: CheckParams) -> Check:
    """A rubric's check with the behaviour of its kind (every registered kind is a Check)."""
    if not isinstance(check, Check):
        raise TypeError(f"check kind {type(check).__name__} ({type(check).__module__}) does not derive from "
                        "cyder.exercise.checks.base.Check")
    return check


def baseline_keys(check: CheckParams) -> list[Baseline]:
    """(key, host, command) of the baselines a check compares with, taken at the start."""
    return as_check(check).baseline_keys()


def check_route(view: RangeView, check: CheckParams) -> Route | None:
    """The way a network check takes, for recording the posture before the start."""
    return as_check(check).route(view)


def run_check(view: RangeView, check: CheckParams, baselines: dict[str, str]) -> CheckResult:
    """Run one check (blocking: call it in a thread from async code); a host that cannot be asked
    gives `unknown`."""
    try:
        return as_check(check).run(view, baselines)
    except BackendError as exc:
        return CheckResult("unknown", f"{check.kind} on {check.host} could not be checked: {exc}")

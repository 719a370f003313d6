"""The step library: one module per attack step kind (scan.py, phishing.py ... web_attack.py).

Each module holds one class, registered in `STEP_ACTIONS`: the pydantic model of the step's
`action:` fields (`{kind: beacon-http, host: ..., url: ...}`), its facts as ClassVars and its
behaviour as methods, run inside the right range container through the backend's interface:
scans and DNS tunnelling are crafted with scapy inside the PC or attacker host, mail goes out
through swaks on the attacker's mail server, the implant runs as the staff member. A step that
does not get through reports that it failed, with what answered; each kind also says which way it
takes through the organisation (`route`), so the engine can tell a defence on that way (blocked)
from a fault of the range (retried, then recorded as a fault). Adding a kind is adding a module
here; validation, the schema, the variant and the engine find it through the registry. base.py
hold what the kinds build on (the implant's own contract is cyder/scenario/implant.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from ...model.scenario import STEP_ACTIONS, StepParams
from .base import Indicators, Outcome, StepContext, StepKind

__all__ = ["STEP_ACTIONS", "STEP_KINDS", "Indicators", "Outcome", "StepContext", "StepKind", "as_step"]


def as_step(action: StepParams) -> StepKind:
    """A step's action with the behaviour of its kind (every registered kind is a StepKind)."""
    if not isinstance(action, StepKind):
        raise TypeError(f"step kind {type(action).__name__} ({type(action).__module__}) does not derive from "
                        "cyder.scenario.steps.base.StepKind")
    return action


class _StepKinds(Mapping[str, Callable[[StepParams], StepKind]]):
    """The old table of step kinds, for callers written before the registry: a tag gives a function
    that turns an action of that kind into its step (the action itself, since it is one)."""

    def __getitem__(self, tag: str) -> Callable[[StepParams], StepKind]:
        if STEP_ACTIONS.model_for(tag) is None:
            raise KeyError(tag)
        return as_step

    def __iter__(self) -> Iterator[str]:
        return iter(STEP_ACTIONS.kinds())

    def __len__(self) -> int:
        return len(STEP_ACTIONS.kinds())


STEP_KINDS: Mapping[str, Callable[[StepParams], StepKind]] = _StepKinds()
"""Deprecated: `as_step(action)`, or the action's own methods, do what `STEP_KINDS[kind](action)` did."""

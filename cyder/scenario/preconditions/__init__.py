"""Preconditions of a step: one module per check (connected.py, implant_running.py ... reachable.py).

A step's `requires:` lists checks against the live range that must hold just before it runs. In
the YAML and the schema a precondition is one flat model (model.scenario.Precondition: every check
may carry every field); each check is a subclass of it, in its own module here, registered in
`PRECONDITIONS` by its `check:` tag, with the fields it needs (`needs`) and its behaviour: what it
asks of the range (`verify`) and which way it takes (`route`). Validation makes every precondition
an instance of its check's class. base.py holds what the checks build on.
"""

from __future__ import annotations

from ...model.scenario import PRECONDITIONS, Precondition
from .base import PreconditionKind

__all__ = ["PRECONDITIONS", "PreconditionKind", "as_precondition"]


def as_precondition(pre: Precondition) -> PreconditionKind:
    """A step's precondition with the behaviour of its check (validation makes each one an instance of
    its check's class, which derives from PreconditionKind)."""
    if not isinstance(pre, PreconditionKind):
        raise TypeError(f"precondition {type(pre).__name__} ({type(pre).__module__}) does not derive from "
                        "cyder.scenario.preconditions.base.PreconditionKind")
    return pre

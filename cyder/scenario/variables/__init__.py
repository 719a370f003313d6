"""The scenario's variables: one module per kind (address.py, domain.py ... integer.py).

Each module holds one class, registered in `VARIABLES`: the pydantic model of the variable's YAML
fields (`{kind: domain, words: [...]}`) and its behaviour as methods (`choose` draws its value from
the team's seed; `check_range` checks what it refers to in the range). Adding a kind is adding a
module here; validation, the schema and the variant find it through the registry. base.py holds
what the kinds build on.
"""

from __future__ import annotations

from ...model.scenario import VARIABLES, VariableParams
from .base import Choosing, VariableKind
from .staff import StaffValue

__all__ = ["VARIABLES", "Choosing", "StaffValue", "VariableKind", "as_variable", "variable_kinds"]


def variable_kinds() -> tuple[type[VariableKind], ...]:
    """Every variable kind's class, in the registry's order."""
    kinds = []
    for cls in VARIABLES.models():
        if not issubclass(cls, VariableKind):
            raise _not_a_kind(cls)
        kinds.append(cls)
    return tuple(kinds)


def as_variable(var: VariableParams) -> VariableKind:
    """A scenario's variable with the behaviour of its kind (every registered kind is a VariableKind)."""
    if not isinstance(var, VariableKind):
        raise _not_a_kind(type(var))
    return var


def _not_a_kind(cls: type[VariableParams]) -> TypeError:
    return TypeError(f"variable kind {cls.__name__} ({cls.__module__}) does not derive from "
                     "cyder.scenario.variables.base.VariableKind")

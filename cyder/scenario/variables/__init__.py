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

__all__ = ["VARIABLES", "Choosing", "StaffValue", "VariableKind", "as_variable"]


def as_variable(var: VariableParams) -> VariableKind:
    """A scenario's variable with the behaviour of its kind (every registered kind is a VariableKind)."""
    if not isinstance(var, VariableKind):
        raise TypeError(f"variable kind {type(var).__name__} ({type(var).__module__}) does not derive from "
                        "cyder.scenario.variables.base.VariableKind")
    return var

"""The `choice` variable: one of the listed values."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ...model.scenario import VARIABLES
from .base import Choosing, VariableKind


@VARIABLES.register
class ChoiceVar(VariableKind):
    """One of the listed values."""

    kind: Literal["choice"]
    values: list[str] = Field(min_length=1)

    order: ClassVar[int] = 30
    example: ClassVar[str] = "`{kind: choice, values: [a, b, c]}`"
    gives: ClassVar[str] = "one of the values"

    def choose(self, choosing: Choosing) -> str:
        """One of the values."""
        return choosing.random.choice(self.values)

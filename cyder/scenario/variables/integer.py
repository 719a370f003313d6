"""The `integer` variable: a whole number between min and max."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

from pydantic import StrictInt

from ...model.range import Range
from ...model.scenario import VARIABLES
from ...model.yamlsource import PathKey
from .base import Choosing, VariableKind


@VARIABLES.register
class IntegerVar(VariableKind):
    """A whole number between min and max, e.g. timing jitter in seconds."""

    kind: Literal["integer"]
    min: StrictInt = 0
    max: StrictInt

    order: ClassVar[int] = 60
    example: ClassVar[str] = "`{kind: integer, min: 0, max: 90}`"
    gives: ClassVar[str] = "e.g. timing jitter in seconds"

    def check_range(self, rng: Range, where: PathKey, add: Callable[[PathKey, str], None]) -> None:
        """min is not larger than max."""
        if self.min > self.max:
            add((*where, "min"), "min is larger than max")

    def choose(self, choosing: Choosing) -> int:
        """A number from min to max, both included."""
        return choosing.random.randint(self.min, self.max)

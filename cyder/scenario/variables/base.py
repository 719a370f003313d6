"""What every variable kind builds on: the base class and what a choice draws on.

A variable kind is one class under cyder/scenario/variables/<kind>.py: the pydantic model of its
YAML fields (derived from model.scenario.VariableParams, which the model layer knows) and its
behaviour as methods, registered with `@VARIABLES.register`.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass
from typing import Any, ClassVar

from ...model.range import Range
from ...model.scenario import VariableParams


@dataclass
class Choosing:
    """What the choice of a team's variables draws on: the random numbers of its seed (one stream for
    every variable, in the order of their names), the range, and the addresses already taken."""

    random: random.Random
    range: Range
    taken: set[ipaddress.IPv4Address]


class VariableKind(VariableParams):
    """A variable kind: how a team's seed chooses its value."""

    example: ClassVar[str] = ""
    """How it is written, for the docs' variables table."""
    gives: ClassVar[str] = ""
    """What it gives, in words, for the docs' variables table."""

    def choose(self, choosing: Choosing) -> Any:
        """The value for this team (a string, a number, or a StaffValue)."""
        raise NotImplementedError(f"{type(self).__name__} chooses no value")

"""The `address` variable: a free address in a segment, e.g. a per-team C2 address."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

from ...model.range import Name, Range
from ...model.scenario import VARIABLES
from ...model.yamlsource import PathKey
from .base import Choosing, VariableKind


@VARIABLES.register
class AddressVar(VariableKind):
    """A free address in a segment (not used by any host), e.g. a per-team C2 address."""

    kind: Literal["address"]
    segment: Name

    order: ClassVar[int] = 10
    example: ClassVar[str] = "`{kind: address, segment: internet}`"
    gives: ClassVar[str] = "a free address in the segment, e.g. `203.0.113.149`"

    def names_host(self, attribute: str | None, allow_address: bool) -> bool:
        """An address stands for a host where an address is allowed."""
        return allow_address

    def check_range(self, rng: Range, where: PathKey, add: Callable[[PathKey, str], None]) -> None:
        """The segment exists."""
        if rng.segment(self.segment) is None:
            add((*where, "segment"), f"unknown segment {self.segment!r} in range {rng.name}")

    def choose(self, choosing: Choosing) -> str:
        """One of the segment's first 250 free addresses (neither a host's nor the gateway)."""
        segment = choosing.range.segment(self.segment)
        if segment is None:
            raise KeyError(self.segment)
        free = [a for a in segment.subnet.hosts() if a not in choosing.taken and a != segment.gateway]
        choice = choosing.random.choice(free[:250] if len(free) > 250 else free)
        choosing.taken.add(choice)
        return str(choice)

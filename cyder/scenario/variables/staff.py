"""The `staff` variable: one member of the range's staff, with their PC and mail address."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import Field

from ...model.range import Range
from ...model.scenario import VARIABLES
from ...model.yamlsource import PathKey
from .base import Choosing, VariableKind


@dataclass(frozen=True)
class StaffValue:
    """A chosen member of staff."""

    user: str
    pc: str
    mail: str

    def __str__(self) -> str:
        return self.user


@VARIABLES.register
class StaffVar(VariableKind):
    """One member of the range's staff; `${v}` is the user, `${v.pc}` the PC, `${v.mail}` the address."""

    kind: Literal["staff"]
    among: list[str] = Field([], description="only these users; default: all staff")

    order: ClassVar[int] = 50
    attributes: ClassVar[tuple[str, ...]] = ("pc", "mail", "user")
    example: ClassVar[str] = "`{kind: staff, among: [sato]}`"
    gives: ClassVar[str] = "a staff member (`among` optional)"

    def names_host(self, attribute: str | None, allow_address: bool) -> bool:
        """`${v.pc}` names the member's PC."""
        return attribute == "pc"

    def check_range(self, rng: Range, where: PathKey, add: Callable[[PathKey, str], None]) -> None:
        """The users in `among` are staff, and the range has staff to choose from."""
        staff = {s.user for s in rng.staff}
        for j, user in enumerate(self.among):
            if user not in staff:
                add((*where, "among", j), f"unknown staff user {user!r} in range {rng.name}")
        if not staff:
            add(where, f"range {rng.name} has no staff to choose from")

    def choose(self, choosing: Choosing) -> StaffValue:
        """One of the staff (of `among`, when given)."""
        rng = choosing.range
        members = [s for s in rng.staff if not self.among or s.user in self.among]
        member = choosing.random.choice(members)
        return StaffValue(member.user, member.pc, f"{member.user}@{rng.domain}")

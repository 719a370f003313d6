"""The `domain` variable: a domain made of two words and a number under a suffix."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field

from ...model.range import dns_name_problem, rule
from ...model.scenario import VARIABLES
from .base import Choosing, VariableKind


def _dns_suffix(value: str) -> str:
    if problem := dns_name_problem(value):
        raise ValueError(f"{value!r} {problem}")
    return value


Word = Annotated[str, Field(pattern=rule(r"^[a-z0-9]+$", "use lower-case letters and digits only, e.g. update"))]


@VARIABLES.register
class DomainVar(VariableKind):
    """A domain made of two words and a number under a suffix, e.g. `cdn-update42.example`."""

    kind: Literal["domain"]
    words: list[Word] = Field(min_length=2)
    suffix: Annotated[str, AfterValidator(_dns_suffix)] = Field(
        "example", pattern=rule(r"^[a-z0-9.-]+$", "use a domain suffix of lower-case letters, digits, '-' and dots, "
                                                  "e.g. example or example.org"))

    order: ClassVar[int] = 20
    example: ClassVar[str] = "`{kind: domain, words: [cdn, update, sync], suffix: example}`"
    gives: ClassVar[str] = "e.g. `sync-cdn42.example`"

    def choose(self, choosing: Choosing) -> str:
        """Two of the words, a number from 10 to 99, and the suffix."""
        first, second = choosing.random.sample(self.words, 2)
        return f"{first}-{second}{choosing.random.randint(10, 99)}.{self.suffix}"

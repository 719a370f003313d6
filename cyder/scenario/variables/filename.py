"""The `filename` variable: a file name made of a stem, a number and an extension."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ...model.scenario import VARIABLES
from .base import Choosing, VariableKind


@VARIABLES.register
class FilenameVar(VariableKind):
    """A file name: one of the stems, a number, and the extension, e.g. `請求書_0412.pdf.exe`."""

    kind: Literal["filename"]
    stems: list[str] = Field(min_length=1)
    extension: str = ""

    order: ClassVar[int] = 40
    example: ClassVar[str] = "`{kind: filename, stems: [請求書, 見積書], extension: .pdf.exe}`"
    gives: ClassVar[str] = "e.g. `請求書_4021.pdf.exe`"

    def choose(self, choosing: Choosing) -> str:
        """One of the stems, `_`, a number from 1000 to 9999, and the extension."""
        return f"{choosing.random.choice(self.stems)}_{choosing.random.randint(1000, 9999)}{self.extension}"

"""Errors that cyder reports to people: located problems in input files and operational failures.

A `Problem` names a file, line, column and field so an instructor can jump straight to it;
`InputError` carries one or more problems. `CyderError` is any failure the command line should
print as one line (with the command that fixes it) instead of a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong at one place in an input file."""

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class CyderError(Exception):
    """A failure worth one clear line to the user; the CLI exits with `exit_code`."""

    exit_code = 1


class InputError(CyderError):
    """One or more problems in input files (exit code 2)."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column, p.field))
        super().__init__("\n".join(str(p) for p in self.problems))

"""Commands on range and scenario files: `cyder validate` and `cyder schema`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..errors import InputError
from . import render
from .options import Registrars, Subparsers

if TYPE_CHECKING:
    from ..application import Application


def register_validate(sub: Subparsers) -> None:
    """Add `cyder validate`."""
    p = sub.add_parser("validate", help="check range and scenario files; report every problem with file:line:col")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_validate)


def register_schema(sub: Subparsers) -> None:
    """Add `cyder schema`."""
    p = sub.add_parser("schema", help="print a JSON Schema for editors (yaml-language-server)")
    p.add_argument("kind", choices=["range", "scenario"])
    p.set_defaults(func=cmd_schema)


COMMANDS: Registrars = {"validate": register_validate, "schema": register_schema}


def cmd_validate(args: argparse.Namespace, app: Application) -> int:
    """Check each file as a range or a scenario (told apart by their fields): a line for each valid
    one, every problem of the others as file:line:col; exit 2 when any file has a problem."""
    from ..model.files import check_file

    problems = []
    for file in args.files:
        kind, found = check_file(file)
        if found:
            problems += found
        else:
            render.print_validated(file, kind)
    if problems:
        # A scenario's range is checked with it: its problems are listed once even when the range
        # file is named on the command line too.
        raise InputError(list(dict.fromkeys(problems)))
    return 0


def cmd_schema(args: argparse.Namespace, app: Application) -> int:
    """Print the JSON Schema of a file kind."""
    from ..model.schema import SCHEMAS

    render.print_json(SCHEMAS[args.kind](), indent=2)
    return 0

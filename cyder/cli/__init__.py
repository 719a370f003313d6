"""The `cyder` command line: validate ranges, build images, bring ranges up and down, show status,
replay attacks, and play, run, score and debrief exercises.

It parses arguments, asks the application (`cyder.application.Application`) for the stores, the
backend and the team's exercise, and renders what they return or report; it holds no range or
exercise logic of its own. One module per group of commands (`files`, `attack`, `ranges`,
`evidence`, `exercise`, `images`), each with a `COMMANDS` table of parser builders; `render` is
the only module that prints.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import CyderError, InputError
from ..output import echo
from . import attack, evidence, exercise, files, images, ranges
from .options import DEFAULT_RANGE, DEFAULT_TEAM, settings_from
from .render import ProgressPrinter, print_status

if TYPE_CHECKING:
    from ..application import Application

__all__ = ["DEFAULT_RANGE", "DEFAULT_TEAM", "ProgressPrinter", "build_parser", "main", "print_status"]

# The order `cyder --help` lists the commands in.
ORDER = ("validate", "schema", "plan", "attack", "up", "logs", "staff", "play", "run", "act", "submit", "ledger",
         "debrief", "calibrate", "pcap", "down", "status", "images")


def main(argv: Sequence[str] | None = None, app: Application | None = None) -> int:
    """Entry point of the `cyder` console script. `app` is the application the command uses (tests
    pass one with their own settings and backend); by default one is built from the command's
    options and closed when it ends."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    owned = app is None
    if app is None:
        from ..application import Application

        app = Application(settings_from(args))
    try:
        return args.func(args, app) or 0
    except InputError as exc:
        for problem in exc.problems:
            echo(problem, file=sys.stderr)
        return exc.exit_code
    except CyderError as exc:
        echo(f"cyder: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        echo("cyder: interrupted", file=sys.stderr)
        return 130
    finally:
        if owned:
            app.close()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand, each added by its module."""
    parser = argparse.ArgumentParser(prog="cyder", description="Cyber-defense exercise simulator.")
    sub = parser.add_subparsers(metavar="COMMAND")
    builders = {name: build for module in (files, attack, ranges, evidence, exercise, images)
                for name, build in module.COMMANDS.items()}
    assert sorted(builders) == sorted(ORDER), "every command is listed in ORDER once"
    for name in ORDER:
        builders[name](sub)
    return parser


if __name__ == "__main__":
    sys.exit(main())

"""Options the command line's subcommands share, and the settings the application is built from."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from ..errors import CyderError

if TYPE_CHECKING:
    from ..application import Settings
    from ..exercise.opening import ExerciseOptions

DEFAULT_RANGE = "saida-city"
DEFAULT_TEAM = "team1"

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"  # what `add_subparsers()` returns
Registrars: TypeAlias = "dict[str, Callable[[Subparsers], None]]"
"""A module's commands: each name with the function that adds its parser (and `func`: the command,
called with the parsed arguments and the application, returning the exit status)."""


def add_exercise_options(p: argparse.ArgumentParser) -> None:
    """The options of commands that read or write a team's exercise."""
    p.add_argument("--team", default=DEFAULT_TEAM, help=f"team name (default {DEFAULT_TEAM})")
    p.add_argument("--store", help="exercise database (default $CYDER_DATA/exercises.sqlite)")


def add_run_options(p: argparse.ArgumentParser) -> None:
    """The options of commands that run an exercise (`play`, `run`)."""
    add_exercise_options(p)
    p.add_argument("--seed", type=int, help="variant seed (default: a new random one, kept in the store)")
    p.add_argument("--speed", type=float, help="clock speed: 60 runs an hour in a minute (default 1, or as it was)")
    p.add_argument("--course", choices=["A", "B-1", "B-2", "C"], help="course level (default: the scenario's)")
    p.add_argument("--staff", type=int, metavar="N", help="simulated staff PCs (default: the range's)")


def exercise_options(args: argparse.Namespace, default_scenario: str | None = None) -> ExerciseOptions:
    """The run options given (`add_run_options`), checked, for opening the team's exercise."""
    from ..exercise.opening import ExerciseOptions

    if args.speed is not None and args.speed <= 0:
        raise CyderError("--speed must be positive")
    return ExerciseOptions(seed=args.seed, speed=args.speed, course=args.course, staff=args.staff,
                           default_scenario=default_scenario)


def pairs(words: list[str], what: str) -> dict[str, str]:
    """KEY=VALUE words as a dict; anything else is an error naming `what` they are."""
    found = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise CyderError(f"{what} are KEY=VALUE; got {word!r}")
        found[key] = value
    return found


def settings_from(args: argparse.Namespace) -> Settings:
    """The application's settings from the command's options: `--store` names the exercise
    database (the evidence database beside it), or for `cyder logs` the evidence database."""
    from ..application import Settings

    store = getattr(args, "store", None)
    evidence = getattr(args, "evidence_store", None)
    return Settings(exercise_store=Path(store) if store else None,
                    evidence_store=Path(evidence) if evidence else None)

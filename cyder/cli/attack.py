"""Commands on a scenario's attack: `cyder plan` (a team's timeline) and `cyder attack` (a replay)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..errors import CyderError
from . import render
from .options import DEFAULT_TEAM, Registrars, Subparsers

if TYPE_CHECKING:
    from ..application import Application
    from ..model.range import Range
    from ..model.scenario import Scenario
    from ..scenario.variant import Variant


SEED_STORE_HELP = "exercise database to read the team's seed from (default $CYDER_DATA/exercises.sqlite)"


def register_plan(sub: Subparsers) -> None:
    """Add `cyder plan`."""
    p = sub.add_parser("plan", help="print a team's attack timeline and indicators (no Docker needed)")
    p.add_argument("scenario", help="scenario file or shipped name")
    p.add_argument("--team", default=DEFAULT_TEAM, help=f"team name (default {DEFAULT_TEAM})")
    p.add_argument("--seed", type=int, help="variant seed (default: the team's exercise's own, from the store)")
    p.add_argument("--store", help=SEED_STORE_HELP)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_plan)


def register_attack(sub: Subparsers) -> None:
    """Add `cyder attack`."""
    p = sub.add_parser("attack", help="replay a scenario against a team's running range")
    p.add_argument("scenario", help="scenario file or shipped name")
    p.add_argument("--team", default=DEFAULT_TEAM, help=f"team name (default {DEFAULT_TEAM})")
    p.add_argument("--seed", type=int, help="variant seed (default: the team's exercise's own, else a new random one)")
    p.add_argument("--store", help=SEED_STORE_HELP)
    p.add_argument("--speed", type=float, default=1.0, help="clock speed: 60 runs an hour in a minute (default 1)")
    p.add_argument("--until", help="stop before steps planned after this time (H:MM[:SS] or seconds)")
    p.add_argument("--json", action="store_true", help="print each event as a JSON line")
    p.set_defaults(func=cmd_attack)


COMMANDS: Registrars = {"plan": register_plan, "attack": register_attack}


def _variant(args: argparse.Namespace, app: Application,
             random_seed: bool = False) -> tuple[Scenario, Range, int, Variant]:
    """The scenario, its range, the seed and the team's variant. The seed is --seed, else the one
    `exercise.opening.seed_for` finds (the team's exercise's own, else a new random one when
    `random_seed`, else an error)."""
    from ..backend.base import check_team
    from ..exercise.opening import seed_for
    from ..model.scenario_load import load_scenario
    from ..paths import resolve_scenario
    from ..scenario.variant import make_variant

    check_team(args.team)
    scenario, rng = load_scenario(resolve_scenario(args.scenario))
    seed = args.seed if args.seed is not None else seed_for(app.exercises, args.team, scenario, random_seed)
    return scenario, rng, seed, make_variant(scenario, rng, seed)


def cmd_plan(args: argparse.Namespace, app: Application) -> int:
    """Print the timeline of a team's variant of a scenario."""
    scenario, rng, seed, variant = _variant(args, app)
    render.print_plan(scenario, rng, args.team, seed, variant, args.json)
    return 0


def cmd_attack(args: argparse.Namespace, app: Application) -> int:
    """Replay a scenario against a team's range, printing each step's outcome as it happens."""
    import asyncio

    from ..model.scenario import parse_offset
    from ..scenario.engine import OUTCOMES, AttackRun

    scenario, rng, seed, variant = _variant(args, app, random_seed=True)
    if args.speed <= 0:
        raise CyderError("--speed must be positive")
    try:
        until = parse_offset(args.until) if args.until else None
    except ValueError as exc:
        raise CyderError(f"--until: {exc}") from None
    backend = app.backend
    statuses = backend.status(args.team, health=False)
    if not statuses or statuses[0].range_name != rng.name:
        raise CyderError(f"team {args.team} has no {rng.name} range up: run `cyder up {rng.name} --team {args.team}`")
    render.say(f"{scenario.name} against team {args.team} ({rng.name}), seed {seed}, speed {args.speed:g}",
               err=True, flush=True)
    run = AttackRun(backend, args.team, variant, speed=args.speed, on_event=render.step_printer(args.json),
                    until=until)
    events = asyncio.run(run.run())
    counts = {outcome: sum(e.outcome == outcome for e in events) for outcome in OUTCOMES}
    render.say(", ".join(f"{n} {outcome}" for outcome, n in counts.items()), err=True)
    return 1 if counts["fault"] else 0

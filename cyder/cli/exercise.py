"""Commands on a team's exercise: `cyder play`, `run`, `act`, `submit`, `ledger`, `debrief`, `calibrate`.

They open the exercise through the application (`Application.open_exercise`, which follows
`exercise.opening`'s rules) and render what it returns; they hold no exercise logic.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CyderError
from ..paths import resolve_range
from . import render
from .options import Registrars, Subparsers, add_exercise_options, add_run_options, exercise_options, pairs

if TYPE_CHECKING:
    from ..application import Application


def register_play(sub: Subparsers) -> None:
    """Add `cyder play`."""
    p = sub.add_parser("play", help="play an exercise in the trainee app: builds images, brings the range up, "
                                    "starts or resumes the team's exercise (the main command)")
    p.add_argument("scenario", nargs="?", help="scenario file or shipped name (default: the team's exercise if it "
                                               "has one, else targeted-email)")
    add_run_options(p)
    p.add_argument("--lang", choices=["en", "ja"], help="language of the app (default: CYDER_LANG, else the locale)")
    p.add_argument("--results", default="results", help="folder for the debrief at the end (default ./results)")
    p.add_argument("--web", action="store_true", help="serve the app to a browser (textual-serve) instead")
    p.add_argument("--host", default="127.0.0.1", help="with --web: address to listen on (default 127.0.0.1, "
                                                       "loopback only)")
    p.add_argument("--port", type=int, default=8000, help="with --web: port (default 8000)")
    p.add_argument("--public-url", metavar="URL", help="with --web: the address browsers use, e.g. behind a "
                                                       "proxy (default: the address each browser used)")
    p.add_argument("--max-sessions", type=int, metavar="N", help="with --web: browser sessions at once "
                                                                 "(default 2: the team's and a spare)")
    p.set_defaults(func=cmd_play)


def register_run(sub: Subparsers) -> None:
    """Add `cyder run`."""
    p = sub.add_parser("run", help="run a whole exercise for a team without a user interface, then write the results")
    p.add_argument("scenario", nargs="?", help="scenario file or shipped name (not needed to resume)")
    add_run_options(p)
    p.add_argument("--headless", action="store_true", help="no user interface (the only mode of `cyder run`)")
    p.add_argument("--results", default="results", help="folder for the ledger and the debrief (default ./results)")
    p.add_argument("--json", action="store_true", help="print each event as a JSON line")
    p.set_defaults(func=cmd_run)


def register_act(sub: Subparsers) -> None:
    """Add `cyder act` (its help lists the response actions)."""
    from ..exercise.actions import ACTIONS

    p = sub.add_parser("act", help="take a response action on a team's range (scored by the range's state)")
    p.add_argument("action", help=", ".join(ACTIONS))
    p.add_argument("params", nargs="*", metavar="KEY=VALUE", help="e.g. address=203.0.113.51 or host=pc01 pattern=x")
    add_exercise_options(p)
    p.set_defaults(func=cmd_act)


def register_submit(sub: Subparsers) -> None:
    """Add `cyder submit indicator|incident|report|hint`."""
    p = sub.add_parser("submit", help="submit an indicator, the incident, a report or take a hint for a team")
    what = p.add_subparsers(metavar="WHAT", dest="what")
    q = what.add_parser("indicator", help="an indicator: ip, domain, url, hash, account, host, file or mail")
    q.add_argument("kind")
    q.add_argument("value")
    q.add_argument("--note", default="")
    q = what.add_parser("incident", help="declare the incident with the affected hosts")
    q.add_argument("hosts", nargs="+")
    q = what.add_parser("report", help="file a report form: field=text ...")
    q.add_argument("report", help="report id, e.g. first-report")
    q.add_argument("fields", nargs="*", metavar="FIELD=TEXT")
    q = what.add_parser("hint", help="take the next hint for a step (it costs points)")
    q.add_argument("step")
    for q in what.choices.values():
        add_exercise_options(q)
    p.set_defaults(func=cmd_submit)


def register_ledger(sub: Subparsers) -> None:
    """Add `cyder ledger`."""
    p = sub.add_parser("ledger", help="print a team's ledger: every point with its reason")
    add_exercise_options(p)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="as JSON with the totals")
    group.add_argument("--csv", action="store_true", help="as CSV")
    p.set_defaults(func=cmd_ledger)


def register_debrief(sub: Subparsers) -> None:
    """Add `cyder debrief`."""
    p = sub.add_parser("debrief", help="write a team's debrief in Markdown and HTML")
    add_exercise_options(p)
    p.add_argument("--all", action="store_true", help="every team in the store")
    p.add_argument("--out", default="results", help="folder to write to (default ./results)")
    p.set_defaults(func=cmd_debrief)


def register_calibrate(sub: Subparsers) -> None:
    """Add `cyder calibrate`."""
    p = sub.add_parser("calibrate", help="play a scenario with no defender and with an ideal one for several seeds; "
                                         "fail when the passive team scores or a step does not play as written")
    p.add_argument("scenario", help="scenario file or shipped name")
    p.add_argument("--seeds", type=int, default=5, metavar="N", help="seeds 1..N, one pair of runs each (default 5)")
    p.add_argument("--speed", type=float, default=300.0, help="clock speed of every run (default 300)")
    p.add_argument("--staff", type=int, metavar="N", help="simulated staff PCs (default: the range's own)")
    p.add_argument("--share", type=float, default=0.85,
                   help="share of the maximum the ideal defender must reach (default 0.85: it contains only once "
                        "the chain has run, so it loses part of the speed bonus of the early steps)")
    p.add_argument("--team-prefix", default="cal", help="prefix of the calibration teams' names (default cal)")
    p.set_defaults(func=cmd_calibrate)


COMMANDS: Registrars = {"play": register_play, "run": register_run, "act": register_act, "submit": register_submit,
            "ledger": register_ledger, "debrief": register_debrief, "calibrate": register_calibrate}


def cmd_play(args: argparse.Namespace, app: Application) -> int:
    """The trainee app for a team's exercise, in this terminal or served to a browser."""
    from ..backend.base import check_team
    from ..exercise.opening import DEFAULT_SCENARIO
    from ..ui import play

    check_team(args.team)
    if args.web:
        sessions = play.DEFAULT_WEB_SESSIONS if args.max_sessions is None else args.max_sessions
        return play.serve_web(play.web_argv(args), args.host, args.port, f"cyder: {args.team}",
                              public_url=args.public_url, max_sessions=sessions)
    exercise = app.open_exercise(args.team, args.scenario, exercise_options(args, default_scenario=DEFAULT_SCENARIO),
                                 collect_evidence=True)
    return play.run_app(exercise, args.lang, Path(args.results))


def cmd_run(args: argparse.Namespace, app: Application) -> int:
    """Run (or resume) a team's exercise to its end, then write the ledger and the debrief."""
    import asyncio

    from ..exercise.debrief import write_debrief

    exercise = app.open_exercise(args.team, args.scenario, exercise_options(args), collect_evidence=True,
                                 on_event=render.exercise_printer(args.json))
    totals = asyncio.run(exercise.run())
    folder = Path(args.results) / args.team
    paths = write_debrief(exercise, folder)
    render.print_totals(totals)
    if exercise.faults:
        render.say(f"{len(exercise.faults)} range fault(s), none of them scored: see the debrief", err=True)
    render.print_paths(paths)
    return 0


def cmd_act(args: argparse.Namespace, app: Application) -> int:
    """Take a response action; through the team's exercise when it has one (so it is journaled)."""
    from ..exercise.actions import take_action
    from ..model import load_range

    params = pairs(args.params, "action parameters")
    if app.exercises.load(args.team) is not None:
        render.say(app.open_exercise(args.team).act(args.action, params))
        return 0
    backend = app.backend
    statuses = backend.status(args.team, health=False)
    if not statuses:
        raise CyderError(f"team {args.team} has no range up: `cyder status` lists them")
    rng = load_range(resolve_range(statuses[0].range_name))
    render.say(take_action(backend, args.team, rng, args.action, params))
    return 0


def cmd_submit(args: argparse.Namespace, app: Application) -> int:
    """Submit to the team's exercise and print the verdict."""
    from typing import Any

    from ..exercise.protocol import TeamSession

    if not args.what:
        raise CyderError("submit what? indicator, incident, report or hint")
    # what a trainee may do, here or through a session server; nothing here reaches the range
    exercise: TeamSession = app.open_exercise(args.team, needs_range=False)
    result: Any
    if args.what == "indicator":
        result = exercise.submit_indicator(args.kind, args.value, args.note)
    elif args.what == "incident":
        result = exercise.declare_incident(args.hosts)
    elif args.what == "report":
        result = exercise.submit_report(args.report, pairs(args.fields, "report fields"))
    else:
        result = exercise.take_hint(args.step)
    render.print_json(result, default=str)
    return 0


def cmd_ledger(args: argparse.Namespace, app: Application) -> int:
    """Print the ledger and the totals derived from it."""
    store = app.exercises
    if store.load(args.team) is None:
        raise CyderError(f"team {args.team} has no exercise in {store.path}")
    if args.json:
        render.say(store.export_json(args.team))
    elif args.csv:
        render.say(store.export_csv(args.team), end="")
    else:
        render.print_ledger(store.ledger(args.team), store.totals(args.team))
    return 0


def cmd_debrief(args: argparse.Namespace, app: Application) -> int:
    """Write the team's debrief (Markdown and HTML)."""
    from ..exercise.debrief import write_debrief

    teams = app.exercises.teams() if args.all else [args.team]
    if not teams:
        raise CyderError("no exercise in the store")
    for team in teams:
        render.print_paths(write_debrief(app.open_exercise(team, needs_range=False), Path(args.out) / team))
    return 0


def cmd_calibrate(args: argparse.Namespace, app: Application) -> int:
    """Calibrate a scenario over several seeds; exit 1 when any seed does not hold."""
    import asyncio

    from ..exercise.calibrate import calibrate
    from ..paths import resolve_scenario

    if args.seeds < 1:
        raise CyderError("--seeds must be 1 or more")
    if args.speed <= 0:
        raise CyderError("--speed must be positive")
    if not 0 < args.share <= 1:
        raise CyderError("--share must be above 0 and at most 1")
    report = asyncio.run(calibrate(app.backend, resolve_scenario(args.scenario), seeds=list(range(1, args.seeds + 1)),
                                   speed=args.speed, staff=args.staff, share=args.share, team_prefix=args.team_prefix,
                                   progress=lambda line: render.say(line, err=True, flush=True)))
    render.say(report.summary())
    return 0 if report.ok else 1

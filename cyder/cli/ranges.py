"""Commands on a team's running range: `cyder up`, `down`, `status`, `pcap` and `staff`."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from ..errors import CyderError
from ..paths import resolve_range
from . import render
from .options import DEFAULT_RANGE, DEFAULT_TEAM, Registrars, Subparsers

if TYPE_CHECKING:
    from ..application import Application
    from ..model.range import Range


def register_up(sub: Subparsers) -> None:
    """Add `cyder up`."""
    p = sub.add_parser("up", help="bring up a team's range and wait until every service answers")
    p.add_argument("range", nargs="?", default=DEFAULT_RANGE,
                   help=f"range file or shipped name (default {DEFAULT_RANGE})")
    p.add_argument("--team", default=DEFAULT_TEAM, help=f"team name (default {DEFAULT_TEAM})")
    p.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for health checks")
    p.add_argument("--staff", type=int, metavar="N",
                   help="simulate N staff PCs instead of the range's head count (0 for none)")
    p.set_defaults(func=cmd_up)


def register_staff(sub: Subparsers) -> None:
    """Add `cyder staff`."""
    p = sub.add_parser("staff", help="show the simulated staff's activity; move, speed up or pause their day")
    p.add_argument("--team", default=DEFAULT_TEAM, help=f"team name (default {DEFAULT_TEAM})")
    p.add_argument("--clock", metavar="HH:MM", help="set the office time")
    p.add_argument("--speed", type=float, help="office clock speed (1 = real time)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--pause", action="store_true", help="stop the staff's activity")
    group.add_argument("--resume", action="store_true", help="carry on after --pause")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_staff)


def register_pcap(sub: Subparsers) -> None:
    """Add `cyder pcap`."""
    p = sub.add_parser("pcap", help="export a team's packet captures (one pcap per segment)")
    p.add_argument("--team", default=DEFAULT_TEAM, help=f"team name (default {DEFAULT_TEAM})")
    p.add_argument("--out", default="pcap", help="folder to write them to (default ./pcap)")
    p.set_defaults(func=cmd_pcap)


def register_down(sub: Subparsers) -> None:
    """Add `cyder down`."""
    p = sub.add_parser("down", help="remove a team's range (or every range) without a trace")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--team", help=f"team name (default {DEFAULT_TEAM})")
    group.add_argument("--all", action="store_true", help="every team's range")
    p.set_defaults(func=cmd_down)


def register_status(sub: Subparsers) -> None:
    """Add `cyder status`."""
    p = sub.add_parser("status", help="show running ranges and the health of their services")
    p.add_argument("--team", help="only this team")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_status)


COMMANDS: Registrars = {"up": register_up, "staff": register_staff, "pcap": register_pcap, "down": register_down,
            "status": register_status}


def _check_again(rng: Range) -> None:
    """Re-check a range changed on the command line (e.g. more staff than its address pool holds)."""
    from ..model.load import check_range

    problems = check_range(rng)
    if problems:
        path, message = problems[0]
        raise CyderError(f"{'.'.join(map(str, path))}: {message}")


def cmd_up(args: argparse.Namespace, app: Application) -> int:
    """Bring up a range for a team and print its status."""
    from ..model import load_range
    from ..model.population import with_staff

    rng = load_range(resolve_range(args.range))
    if args.staff is not None:
        if args.staff < 0:
            raise CyderError("--staff must be 0 or more")
        if rng.population is None and args.staff:
            raise CyderError(f"range {rng.name} has no population: section to take --staff from")
        rng = with_staff(rng, args.staff)
        _check_again(rng)
    status = app.backend.up(rng, args.team, progress=render.ProgressPrinter(), timeout=args.timeout)
    render.print_status([status])
    return 0


def cmd_staff(args: argparse.Namespace, app: Application) -> int:
    """Print the simulated staff's activity, after changing their clock if asked."""
    from ..staff.control import activity, parse_time_of_day, set_clock

    backend = app.backend
    if not backend.status(args.team, health=False):
        raise CyderError(f"team {args.team} has no range up: `cyder status` lists them")
    try:
        office = parse_time_of_day(args.clock) if args.clock else None
    except ValueError as exc:
        raise CyderError(f"--clock: {exc}") from None
    if args.speed is not None and args.speed <= 0:
        raise CyderError("--speed must be positive")
    if office is not None or args.speed is not None or args.pause or args.resume:
        paused = True if args.pause else False if args.resume else None
        changed = set_clock(backend, args.team, office, args.speed, paused)
        if not changed:
            raise CyderError(f"team {args.team}'s range simulates no staff")
        time.sleep(2.5)  # the generators report every two seconds
    found = activity(backend, args.team)
    if args.json:
        render.print_json(found.to_json())
        return 0
    render.print_staff(args.team, found)
    return 0


def cmd_pcap(args: argparse.Namespace, app: Application) -> int:
    """Export a team's captures; Wireshark and tshark open them."""
    render.print_paths(app.backend.export_captures(args.team, args.out))
    return 0


def cmd_down(args: argparse.Namespace, app: Application) -> int:
    """Remove one team's range or all of them."""
    team = None if args.all else (args.team or DEFAULT_TEAM)
    removed = app.backend.down(team, progress=render.ProgressPrinter())
    render.say(f"removed {removed} objects" + (f" of team {team}" if team else " of every team"))
    return 0


def cmd_status(args: argparse.Namespace, app: Application) -> int:
    """Print running ranges; exit 1 when a range is unhealthy."""
    statuses = app.backend.status(args.team)
    if args.json:
        render.print_json([s.to_json() for s in statuses], indent=2)
    elif not statuses:
        render.say("no range is up" + (f" for team {args.team}" if args.team else ""))
    else:
        render.print_status(statuses)
    return 0 if all(s.healthy for s in statuses) else 1

"""Commands on a team's evidence: `cyder logs`."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from ..errors import CyderError
from . import render
from .options import DEFAULT_TEAM, Registrars, Subparsers

if TYPE_CHECKING:
    from ..application import Application


def register_logs(sub: Subparsers) -> None:
    """Add `cyder logs` (its --store is the evidence database)."""
    p = sub.add_parser("logs", help="search a team's evidence (every log line of its range), in time order")
    p.add_argument("query", nargs="*", help="host:H source:S kind:K field=value and words of the line")
    p.add_argument("--team", default=DEFAULT_TEAM, help=f"team name (default {DEFAULT_TEAM})")
    p.add_argument("--since", help="only events from this long ago (e.g. 10m, 2h) or later")
    p.add_argument("--limit", type=int, help="at most this many events")
    p.add_argument("--follow", action="store_true", help="keep printing new matching events")
    p.add_argument("--json", action="store_true", help="one JSON object per event")
    p.add_argument("--store", dest="evidence_store", metavar="STORE",
                   help="evidence database (default $CYDER_DATA/cyder.sqlite)")
    p.set_defaults(func=cmd_logs)


COMMANDS: Registrars = {"logs": register_logs}


def cmd_logs(args: argparse.Namespace, app: Application) -> int:
    """Bring the team's evidence up to date from its collector, then print what matches."""
    import asyncio
    import re

    from ..evidence.collect import EvidenceFeed, sync
    from ..evidence.store import Query

    since = None
    if args.since:
        match = re.fullmatch(r"(\d+)([smhd])", args.since)
        if not match:
            raise CyderError("--since takes a number and a unit: 30s, 10m, 2h, 1d")
        since = time.time() - int(match[1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match[2]]
    backend = app.backend
    statuses = backend.status(args.team, health=False)
    if not statuses:
        raise CyderError(f"team {args.team} has no range up: `cyder status` lists them")
    collector = statuses[0].collector
    if collector is None:
        raise CyderError(f"range {statuses[0].range_name} has no log collector (logging: collector:)")
    store = app.evidence
    sync(backend, store, args.team, collector)
    try:
        query = Query.parse(args.team, args.query, since=since, limit=args.limit)
    except ValueError as exc:
        raise CyderError(f"query: {exc}") from None
    show = render.evidence_printer(args.json)
    for stored in store.search(query):
        show(stored)
    if args.follow:
        async def follow() -> None:
            feed = EvidenceFeed(backend, store, args.team, collector)
            ingest = asyncio.create_task(feed.run())
            try:
                async for stored in feed.stream(Query.parse(args.team, args.query)):
                    show(stored)
            finally:
                ingest.cancel()
                feed.close()

        asyncio.run(follow())
    return 0

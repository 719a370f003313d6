"""Benchmark: the trainee app's evidence area over a million stored events.

Drives the real app (headless, 100x30) on a store of synthetic events shaped like the range's
(bench/evidence_search.py makes them; an existing store with enough events is reused) and times
what a trainee waits for: the live view opening, new events reaching the screen during a burst,
searches typed into the search box, and paging through 5,000 results.

Usage: .venv/bin/python bench/ui_evidence.py [--events 1000000] [--store /tmp/bench-evidence.sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evidence_search import synthetic  # noqa: E402

from cyder.backend.base import RangeBackend  # noqa: E402
from cyder.evidence.parse import Evidence  # noqa: E402
from cyder.evidence.store import EvidenceStore  # noqa: E402
from cyder.exercise.engine import Exercise  # noqa: E402
from cyder.exercise.store import ExerciseStore  # noqa: E402
from cyder.ui.app import CyderApp  # noqa: E402
from cyder.ui.evidence import EventList, EvidencePane  # noqa: E402
from cyder.ui.testing import settle  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TEAM = "bench"


class IdleBackend(RangeBackend):
    """No range: the app's host views stay empty; only the evidence store is exercised."""

    def status(self, team=None, health=True):
        return []

    def _none(self, *args, **kwargs):
        raise NotImplementedError("no range in this benchmark")

    up = down = exec = read_file = read_file_from = follow_file = usage = write_file = _none
    connect = disconnect = check_service = export_captures = _none


def filled_store(path: str, events: int) -> EvidenceStore:
    """The store at path with at least `events` events for the bench team (filled when short)."""
    store = EvidenceStore(path)
    have = store.count(TEAM)
    if have < events:
        print(f"filling {path} with {events - have:,} events (a few minutes)…", file=sys.stderr, flush=True)
        batch = []
        for event in synthetic(events - have, seed=have + 1):
            batch.append(event)
            if len(batch) == 50_000:
                store.add(TEAM, batch)
                batch = []
        store.add(TEAM, batch)
    return store


async def measure(exercise: Exercise, store: EvidenceStore) -> list[tuple[str, str]]:
    """Drive the app; return (what, figure) rows."""
    rows = []
    app = CyderApp(exercise, run_engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        began = time.perf_counter()
        await pilot.press("3")
        pane, listing = app.query_one(EvidencePane), app.query_one(EventList)
        while not pane.loaded:
            await pilot.pause(0.01)
        rows.append(("open the live view (newest 500 of all events)", f"{(time.perf_counter() - began) * 1000:.0f} ms"))

        # A burst of new events, 100 every 0.1 s: time from commit to the list.
        latencies = []
        for burst in range(20):
            stamp = time.time()
            marker = f"burst-{burst}"
            store.add(TEAM, [Evidence(stamp, "proxy", "squid", "proxy-access", {"client": "10.20.12.9"},
                                      f"{marker} line {n}") for n in range(100)])
            committed = time.perf_counter()
            while not listing.events or marker not in listing.events[-1].evidence.raw:
                await pilot.pause(0.01)
            latencies.append(time.perf_counter() - committed)
            await pilot.pause(0.1)
        latencies.sort()
        rows.append(("new events on screen after commit, p50 / p95 (1,000 events/s)",
                     f"{statistics.median(latencies) * 1000:.0f} / {latencies[int(len(latencies) * 0.95) - 1] * 1000:.0f} ms"))
        rows.append(("lines kept by the live view", f"{len(listing.events):,} (bound {listing.max_lines:,})"))

        searches = {
            "search `kind:proxy-access domain=mail-cloud95.example`": "kind:proxy-access domain=mail-cloud95.example",
            "search `client=10.20.17.42`": "client=10.20.17.42",
            "search `kind:auth result=failure user=fsadmin`": "kind:auth result=failure user=fsadmin",
            "search `host:fw` (more than 5,000 matches: newest 5,000)": "host:fw",
            "search text `mail-cloud95`": "mail-cloud95",
        }
        # Searches are submitted as the enter key does (Input's submit action), and timed until the
        # results are in the list. (Pilot's simulated key presses keep the app's thread busy for
        # about 0.1 s each, which slows the search thread: not what a terminal does.)
        query = app.query_one("#evidence-query")
        for name, text in searches.items():
            times = []
            for _ in range(3):
                query.value = text
                before = listing.events
                began = time.perf_counter()
                await query.action_submit()
                while listing.events is before:
                    await asyncio.sleep(0.001)
                times.append(time.perf_counter() - began)
                shown = len(listing.events)
                pane.action_live()
                await settle(pilot)
                await asyncio.sleep(0.3)
            rows.append((f"{name}: {shown:,} shown", f"{statistics.median(times) * 1000:.0f} ms"))

        query.value = "host:fw"
        before = listing.events
        await query.action_submit()
        while listing.events is before:
            await asyncio.sleep(0.001)
        await settle(pilot)
        times = []
        for top in range(0, len(listing.events), 250):
            listing.scroll_to(y=top, animate=False, immediate=True)
            began = time.perf_counter()
            for y in range(listing.size.height):
                listing.render_line(y)
            times.append(time.perf_counter() - began)
        rows.append((f"draw one screen ({listing.size.height} lines) anywhere in {len(listing.events):,} results, "
                     "median / max", f"{statistics.median(times) * 1000:.1f} / {max(times) * 1000:.1f} ms"))
    return rows


def main() -> int:
    """Fill or reuse the store, drive the app, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--store", default="/tmp/bench-evidence.sqlite")
    args = parser.parse_args()
    store = filled_store(args.store, args.events)
    with tempfile.TemporaryDirectory() as folder:
        exercise = Exercise(IdleBackend(), ExerciseStore(Path(folder) / "ex.sqlite"), TEAM,
                            ROOT / "scenarios" / "targeted-email.yaml", evidence=store)
        rows = asyncio.run(measure(exercise, store))
    print(f"\n{store.count(TEAM):,} events stored for the team\n")
    print("| what | figure |\n|---|---|")
    for what, figure in rows:
        print(f"| {what} | {figure} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

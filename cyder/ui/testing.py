"""Helpers for driving the app with Textual's Pilot (tests and benchmarks)."""

from __future__ import annotations

from textual.worker import WorkerCancelled

# Workers that run as long as the app does: waiting for them would never end.
ENDLESS_GROUPS = ("events", "engine")


async def settle(pilot, rounds: int = 3) -> None:
    """Wait until the app's pending work is done (not its endless workers) and the screen is drawn."""
    for _ in range(rounds):
        busy = [w for w in pilot.app.workers if w.group not in ENDLESS_GROUPS and not w.is_finished]
        if busy:
            try:
                await pilot.app.workers.wait_for_complete(busy)
            except WorkerCancelled:
                pass  # an exclusive worker replaced by a newer one: the next round waits for that
        await pilot.pause()

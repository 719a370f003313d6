"""Benchmark: how closely the attack engine keeps to its schedule, and how long a replay takes.

Brings up Saida City for a bench team, then replays targeted-email (fixed seed):
- at speed 1 up to --until (default 0:09:00 of scenario time, so about nine real minutes),
- at speed 60 to the end,
- at speed 100 to the end, timing the whole replay.
Lateness is how long after its planned time a step started, in real seconds; for a step that
follows another, it includes the real time the earlier steps took to run (the plan counts only
their delays and beacon intervals). Each replay runs on a fresh range.

Usage (as root, after scripts/setup.sh):
    .venv/bin/python bench/attack_replay.py [--until 0:09:00] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

from cyder.backend.docker import DockerBackend, build_images
from cyder.model.scenario import parse_offset
from cyder.model.scenario_load import load_scenario
from cyder.paths import resolve_scenario
from cyder.scenario.engine import AttackRun
from cyder.scenario.variant import make_variant

TEAM = "benchatk"


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def replay(backend: DockerBackend, scenario, rng, seed: int, speed: float, until: float | None) -> tuple[list, float]:
    """Replay on a fresh range; return (events, wall seconds of the replay)."""
    backend.down(TEAM)
    backend.up(rng, TEAM, timeout=240)
    variant = make_variant(scenario, rng, seed)
    started = time.monotonic()
    events = asyncio.run(AttackRun(backend, TEAM, variant, speed=speed, until=until).run())
    wall = time.monotonic() - started
    backend.down(TEAM)
    return events, wall


def main() -> int:
    """Run the three replays and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="targeted-email")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--until", default="0:09:00", help="end of the speed-1 run (scenario time)")
    args = parser.parse_args()
    scenario, rng = load_scenario(resolve_scenario(args.scenario))
    backend = DockerBackend()
    build_images(backend.client)
    rows = []
    try:
        for speed, until in ((1.0, parse_offset(args.until)), (60.0, None), (100.0, None)):
            events, wall = replay(backend, scenario, rng, args.seed, speed, until)
            ran = [e for e in events if e.outcome != "skipped"]
            late = [e.lateness / speed for e in ran]
            print(f"speed {speed:g}: {len(ran)} steps, wall {wall:.1f}s, "
                  + ", ".join(f"{e.step}={e.lateness / speed:+.2f}s" for e in ran), file=sys.stderr)
            rows.append((speed, len(ran), statistics.median(late), percentile(late, 0.95), max(late), wall,
                         sum(e.outcome == "executed" for e in ran)))
    finally:
        backend.down(TEAM)
    print(f"\n{scenario.name}, seed {args.seed}; lateness in real seconds\n")
    print("| speed | steps run | executed | lateness p50 (s) | p95 (s) | max (s) | replay wall time (s) |")
    print("|---|---|---|---|---|---|---|")
    for speed, count, p50, p95, worst, wall, executed in rows:
        print(f"| {speed:g} | {count} | {executed} | {p50:.2f} | {p95:.2f} | {worst:.2f} | {wall:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: does the attack play as written against a team that does nothing, at every speed?

For each speed and seed, a fresh range of the scenario (with the range's own simulated staff
unless --staff says otherwise) runs a passive team's exercise until the planned chain is over and
a round of checks has followed its last step; then the exercise ends with its final round. It
reports, per run: how many steps of the chain executed, the range faults, how many failed tries
the retries absorbed before a step executed, the lateness of the steps, and the points earned
(which must be 0). Exit status 1 when any run does not hold.

Usage (as root, after scripts/setup.sh; the speed-1 run takes about half an hour):
    .venv/bin/python bench/passive_play.py --scenario targeted-email --speeds 1,10,30,60,300 --seeds 3
    .venv/bin/python bench/passive_play.py --speeds 300 --seeds 5 --seeds-at 1=1,10=2
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import string
import sys
import tempfile
import time
from pathlib import Path

from cyder.backend.docker import DockerBackend, build_images
from cyder.exercise.engine import Exercise
from cyder.exercise.store import ExerciseStore
from cyder.paths import resolve_scenario


async def play_passive(exercise: Exercise, timeout: float) -> float:
    """Run until the chain is over and a round followed it; end the exercise; return wall seconds."""
    chain = [p.step.id for p in exercise.variant.steps if p.fallback_for is None]
    started = time.monotonic()
    running = asyncio.create_task(exercise.run())

    def over() -> bool:
        if not all(step in exercise.steps for step in chain):
            return False
        last = max(exercise.steps[step]["actual"] for step in chain)
        return exercise.last_round > last

    while not over():
        if running.done():
            running.result()  # raises what stopped it
            break
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"the chain was not over after {timeout:.0f} s: {sorted(exercise.steps)}")
        await asyncio.sleep(0.5)
    if not exercise.clock["finished"]:
        await exercise.finish()
    await asyncio.wait_for(running, 300)
    return time.monotonic() - started


def one_run(backend: DockerBackend, scenario: Path, team: str, seed: int, speed: float, staff: int | None,
            folder: Path) -> dict:
    """A passive exercise on a fresh range; the figures of the run."""
    backend.down(team)
    store = ExerciseStore(folder / f"{team}.sqlite")
    try:
        exercise = Exercise(backend, store, team, scenario, seed=seed, speed=speed, staff=staff)
        chain = [p.step.id for p in exercise.variant.steps if p.fallback_for is None]
        wall = asyncio.run(play_passive(exercise, timeout=max(600.0, 3 * 3600 / speed)))
        steps = {s: exercise.steps.get(s, {}) for s in chain}
        lateness = [e["actual"] - e["planned"] for e in steps.values() if e.get("outcome") == "executed"]
        return {
            "speed": speed, "seed": seed, "wall": wall,
            "executed": sum(e.get("outcome") == "executed" for e in steps.values()), "chain": len(chain),
            "not_executed": {s: f"{e.get('outcome', 'not reached')}: {e.get('reason', '')}"
                             for s, e in steps.items() if e.get("outcome") != "executed"},
            "faults": [f"{f['what']}: {f['reason']}" for f in exercise.faults],
            "retried": sum(len(e.get("details", {}).get("faults_before", [])) for e in steps.values()),
            "late_max": max(lateness, default=0.0) / speed,
            "points": [f"{e.rule} {e.points:+g}: {e.reason}" for e in exercise.ledger() if e.points],
            "total": exercise.totals()["total"],
        }
    finally:
        store.close()
        backend.down(team)


def main() -> int:
    """Run every speed and seed; print a Markdown table and every problem."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="targeted-email")
    parser.add_argument("--speeds", default="1,10,30,60,300", help="comma-separated clock speeds")
    parser.add_argument("--seeds", type=int, default=3, help="seeds 1..N at each speed")
    parser.add_argument("--seeds-at", default="1=1", help="fewer seeds at some speeds, e.g. 1=1,10=2")
    parser.add_argument("--staff", type=int, help="simulated staff PCs (default: the range's own)")
    args = parser.parse_args()
    speeds = [float(s) for s in args.speeds.split(",")]
    fewer = {float(k): int(v) for k, v in (item.split("=") for item in args.seeds_at.split(",") if item)}
    backend = DockerBackend()
    build_images(backend.client)
    scenario = resolve_scenario(args.scenario)
    prefix = "bp" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(4))
    rows, problems = [], []
    with tempfile.TemporaryDirectory(prefix="cyder-passive-") as tmp:
        for speed in speeds:
            for seed in range(1, min(args.seeds, fewer.get(speed, args.seeds)) + 1):
                team = f"{prefix}{int(speed)}s{seed}"[:16]
                print(f"speed {speed:g}, seed {seed} ({team}) ...", file=sys.stderr, flush=True)
                row = one_run(backend, scenario, team, seed, speed, args.staff, Path(tmp))
                rows.append(row)
                print(f"  {row['executed']}/{row['chain']} executed, {len(row['faults'])} faults, "
                      f"{row['retried']} retried tries, {row['total']:g} points, {row['wall']:.0f} s",
                      file=sys.stderr, flush=True)
                problems += [f"speed {speed:g} seed {seed}: step {s} {why}" for s, why in row["not_executed"].items()]
                problems += [f"speed {speed:g} seed {seed}: fault {f}" for f in row["faults"]]
                problems += [f"speed {speed:g} seed {seed}: earned {p}" for p in row["points"]]
    print(f"{Path(scenario).stem}, staff {args.staff if args.staff is not None else 'as the range'}\n")
    print("| speed | seed | steps executed | range faults | failed tries retried | latest step (real s) | points | wall (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['speed']:g} | {r['seed']} | {r['executed']}/{r['chain']} | {len(r['faults'])} | {r['retried']} | "
              f"{r['late_max']:.1f} | {r['total']:g} | {r['wall']:.0f} |")
    for problem in problems:
        print(problem)
    print("all runs held" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

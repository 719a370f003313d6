"""Benchmark: a thousand simulated staff on saida-city, their evidence ingested live, then searched.

Brings up saida-city for one team with N staff PCs (default 1,000), runs their office day in real
time for M minutes (default 10) while an EvidenceFeed follows the log collector into a fresh store,
and reports:
  - staff actions and collector lines per second (generated) and events per second (ingested);
  - end-to-end latency from a line's syslog time in its container to the event being stored and
    available to the engine (p50, p95, max);
  - CPU (share of one core) and memory of the staff containers (the generator), the collector,
    the whole range, and this process (the ingester);
  - filtered searches over at least a million stored events: the run's own events, topped up
    with copies of them shifted into earlier days (median of 5 runs).

Usage: .venv/bin/python bench/evidence.py [--staff 1000] [--minutes 10] [--search-events 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evidence_search import timing_table  # noqa: E402

from cyder.backend.docker import DockerBackend  # noqa: E402
from cyder.evidence.collect import COLLECTOR_LOG, EvidenceFeed  # noqa: E402
from cyder.evidence.store import EvidenceStore, Query  # noqa: E402
from cyder.model import load_range  # noqa: E402
from cyder.model.population import is_staff_host, with_staff  # noqa: E402
from cyder.paths import resolve_range  # noqa: E402
from cyder.staff.control import activity, parse_time_of_day, set_clock  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values fall."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def collector_lines(backend: DockerBackend, team: str, collector: str) -> int:
    """Lines the collector has written so far."""
    result = backend.exec(team, collector, f"wc -l < {COLLECTOR_LOG}")
    return int(result.stdout.strip() or 0)


def usage(backend: DockerBackend, team: str, hosts: list[str]) -> dict[str, tuple[float, int]]:
    """CPU seconds and memory bytes per host."""
    found = {}
    for host in hosts:
        u = backend.usage(team, host)
        found[host] = (u.cpu_seconds, u.memory_bytes)
    return found


async def live_run(backend: DockerBackend, store: EvidenceStore, team: str, collector: str, minutes: float,
                   hosts: list[str]) -> dict:
    """Run the office for `minutes` with a feed ingesting; return the measurements."""
    feed = EvidenceFeed(backend, store, team, collector)
    latencies: list[float] = []
    window = {"start": float("inf")}

    def observe(events, stored_at):
        latencies.extend(stored_at - e.time for e in events if e.time >= window["start"])

    feed.observers.append(observe)
    ingest = asyncio.create_task(feed.run())
    await asyncio.sleep(5)  # catch up with the lines written while the range booted
    set_clock(backend, team, office=parse_time_of_day("10:00"), speed=1.0, paused=False)
    window["start"] = time.time()
    before = await asyncio.to_thread(usage, backend, team, hosts)
    lines_before = await asyncio.to_thread(collector_lines, backend, team, collector)
    actions_before = (await asyncio.to_thread(activity, backend, team)).actions
    stored_before, own_before = feed.stored, resource.getrusage(resource.RUSAGE_SELF)
    began = time.monotonic()
    while (elapsed := time.monotonic() - began) < minutes * 60:
        await asyncio.sleep(min(30, minutes * 60 - elapsed))
        print(f"{time.monotonic() - began:6.0f}s  {feed.stored - stored_before:>8,} events stored  "
              f"p95 latency so far {percentile(latencies, 0.95):.2f} s", file=sys.stderr, flush=True)
    duration = time.monotonic() - began
    after = await asyncio.to_thread(usage, backend, team, hosts)
    lines_after = await asyncio.to_thread(collector_lines, backend, team, collector)
    staff = await asyncio.to_thread(activity, backend, team)
    own_after = resource.getrusage(resource.RUSAGE_SELF)
    stored = feed.stored - stored_before
    await asyncio.sleep(3)  # let the last lines of the window arrive before stopping
    ingest.cancel()
    feed.close()
    return {"window": (window["start"], window["start"] + duration), "duration": duration, "before": before, "after": after, "lines": lines_after - lines_before,
            "actions": staff.actions - actions_before, "staff": staff, "stored": stored, "latencies": latencies,
            "ingester_cpu": (own_after.ru_utime + own_after.ru_stime) - (own_before.ru_utime + own_before.ru_stime),
            "ingester_rss": own_after.ru_maxrss * 1024, "reconnects": feed.reconnects}


def top_up(store: EvidenceStore, team: str, target: int) -> float:
    """Copy the run's events into earlier days until the store holds `target`; return seconds taken."""
    began = time.monotonic()
    originals = [s.evidence for s in store.search(Query(team=team))]
    day = 0
    while store.count(team) < target and originals:
        day += 1
        shift = day * 86400
        batch = [dataclasses.replace(e, time=e.time - shift) for e in originals]
        for i in range(0, len(batch), 50_000):
            store.add(team, batch[i:i + 50_000][:max(0, target - store.count(team))])
    return time.monotonic() - began


def main() -> int:
    """Run the benchmark and print Markdown tables for docs/performance.md."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--staff", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--team", default="bevid")
    parser.add_argument("--store", default="/tmp/bench-evidence-live.sqlite")
    parser.add_argument("--search-events", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="leave the range up afterwards")
    args = parser.parse_args()
    for suffix in ("", "-wal", "-shm"):
        Path(args.store + suffix).unlink(missing_ok=True)
    backend = DockerBackend()
    rng = with_staff(load_range(resolve_range("saida-city")), args.staff)
    backend.down(args.team)
    began = time.monotonic()
    status = backend.up(rng, args.team, timeout=300)
    print(f"saida-city with {args.staff} staff up in {time.monotonic() - began:.1f} s", file=sys.stderr)
    hosts = [h.name for h in status.hosts]
    staff_hosts = [h for h in hosts if is_staff_host(h)]
    store = EvidenceStore(args.store)
    try:
        run = asyncio.run(live_run(backend, store, args.team, status.collector, args.minutes, hosts))
        filled = top_up(store, args.team, args.search_events)
        report(args, run, staff_hosts, status.collector, hosts)
        print(f"\ntopped the store up to {store.count(args.team):,} events in {filled:.0f} s\n")
        queries = queries_for(store, args.team, run["window"][0])
        print(timing_table(store, queries))
    finally:
        store.close()
        if not args.keep:
            backend.down(args.team)
    return 0


def report(args, run: dict, staff_hosts: list[str], collector: str, hosts: list[str]) -> None:
    """Print the throughput, latency and resource tables."""
    seconds = run["duration"]
    lat = run["latencies"]
    print(f"\n{args.staff} staff, {seconds / 60:.1f} min of office time at speed 1 (from 10:00)\n")
    print("| measure | value |\n|---|---|")
    print(f"| staff actions carried out | {run['actions']:,} ({run['actions'] / seconds:.1f}/s) |")
    print(f"| staff actions failed | {sum(run['staff'].failed.values()):,} |")
    print(f"| lines written by the collector (generated) | {run['lines']:,} ({run['lines'] / seconds:.1f}/s) |")
    print(f"| events ingested into the store | {run['stored']:,} ({run['stored'] / seconds:.1f}/s) |")
    print(f"| latency line → engine, p50 | {percentile(lat, 0.5) * 1000:.0f} ms |")
    print(f"| latency line → engine, p95 | {percentile(lat, 0.95) * 1000:.0f} ms |")
    print(f"| latency line → engine, max | {max(lat) * 1000 if lat else float('nan'):.0f} ms |")
    print(f"| feed reconnects | {run['reconnects']} |")

    def cpu(names):
        return sum(run["after"][h][0] - run["before"][h][0] for h in names) / seconds * 100

    def memory(names):
        return sum(run["after"][h][1] for h in names) / 2**20

    print("\n| part | CPU (% of one core) | memory (MiB) |\n|---|---|---|")
    print(f"| generator ({len(staff_hosts)} staff containers) | {cpu(staff_hosts):.1f} | {memory(staff_hosts):.0f} |")
    print(f"| collector ({collector}) | {cpu([collector]):.1f} | {memory([collector]):.0f} |")
    print(f"| ingester (this process) | {run['ingester_cpu'] / seconds * 100:.1f} | {run['ingester_rss'] / 2**20:.0f} (peak RSS) |")
    print(f"| whole range ({len(hosts)} containers) | {cpu(hosts):.1f} | {memory(hosts):.0f} |")
    print("\nby kind: " + ", ".join(f"{k} {v:,}" for k, v in sorted(run["staff"].done.items())))


def queries_for(store: EvidenceStore, team: str, start: float) -> dict[str, Query]:
    """Typical filtered queries built from values the run really produced (from `start` on)."""
    first = next(store.search(Query(team=team, kinds=["dns-query"], since=start + 60, limit=1)))
    pc = first.evidence.fields["client"]
    login = next(store.search(Query(team=team, kinds=["auth"], since=start + 60, limit=1))).evidence.fields["user"]
    return {
        "one PC's DNS queries in the run's hour": Query.parse(team, ["kind:dns-query", f"client={pc}"],
                                                             since=start, until=start + 3600),
        "proxy access to one domain (all days)": Query.parse(team, ["kind:proxy-access", "domain=www.weather.example"]),
        "one member of staff's logins (all days)": Query.parse(team, ["kind:auth", f"user={login}"]),
        "text search 'weather', first 100": Query.parse(team, ["weather"], limit=100),
        "the firewall's events in 10 minutes": Query.parse(team, ["host:fw"], since=start, until=start + 600),
        "everything from one PC (all days), first 1000": Query.parse(team, [f"client={pc}"], limit=1000),
        "free text: one PC's address, first 100": Query.parse(team, [pc], limit=100),
    }


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: time until every health check of a range passes, and time to tear it down.

For 1 team and for N teams at once (default 5), with cyder's DockerBackend and with a naive
baseline that starts the same containers with plain parallel `docker run` (CLI), connects their
extra networks, and polls the same health checks with `docker exec`. Both use the same images,
the same plans and the same sealed internal networks, so the difference is cyder's own overhead.

Usage (as root, after scripts/setup.sh):
    .venv/bin/python bench/range_up.py [--range saida-city] [--teams 5] [--rounds 2] [--staff N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cyder.backend.docker import DockerBackend, build_images
from cyder.backend.docker.backend import (AGENT, LABEL_APP, LABEL_HASH, LABEL_HOST, LABEL_PLAN, LABEL_RANGE,
                                          LABEL_TEAM, LABEL_TRANSPORT, object_name, range_hash)
from cyder.model import load_range
from cyder.model.population import staffed, with_staff
from cyder.paths import resolve_range
from cyder.provision import build_plans


def cyder_up(backend: DockerBackend, rng, teams: list[str]) -> tuple[float, float]:
    """Bring the teams up with cyder in parallel; return (seconds to healthy, seconds to tear down)."""
    start = time.monotonic()
    with ThreadPoolExecutor(len(teams)) as pool:
        list(pool.map(lambda t: backend.up(rng, t, timeout=300), teams))
    ready = time.monotonic() - start
    start = time.monotonic()
    with ThreadPoolExecutor(len(teams)) as pool:
        list(pool.map(backend.down, teams))
    return ready, time.monotonic() - start


def naive_up(backend: DockerBackend, rng, teams: list[str], image: str) -> tuple[float, float]:
    """The same range with plain `docker run` per host in parallel; networks made by cyder's code
    beforehand and not timed, so the baseline is not penalised for them."""
    plans = build_plans(rng)
    networks = {t: backend._create_networks(rng, t, lambda _: None) for t in teams}  # noqa: SLF001
    workdir = Path(tempfile.mkdtemp(prefix="cyder-bench-"))
    jobs = []
    for team in teams:
        for host in rng.hosts:
            plan = plans[host.name].to_json()
            for iface in plan["interfaces"]:
                iface["transport"] = networks[team][iface["segment"]].attrs["Labels"][LABEL_TRANSPORT]
            path = workdir / f"{team}-{host.name}"
            path.mkdir()
            (path / "host.json").write_text(json.dumps(plan), encoding="utf-8")
            jobs.append((team, host, path, plan))

    def run_host(job) -> None:
        team, host, path, plan = job
        name = object_name(team, host.name)
        labels = {LABEL_APP: "cyder", LABEL_TEAM: team, LABEL_RANGE: rng.name, LABEL_HASH: range_hash(rng),
                  LABEL_HOST: host.name, LABEL_PLAN: json.dumps({"interfaces": plan["interfaces"]})}
        label_args = [arg for k, v in labels.items() for arg in ("--label", f"{k}={v}")]
        forwarding = "1" if plans[host.name].forwarding else "0"
        subprocess.run(["docker", "create", "--name", name, "--hostname", host.name, "--init",
                        "--cap-add", "NET_ADMIN", "--sysctl", f"net.ipv4.ip_forward={forwarding}",
                        "--sysctl", "net.ipv6.conf.all.disable_ipv6=1",
                        "--network", object_name(team, host.attachments[0].segment), *label_args, image],
                       check=True, capture_output=True)
        subprocess.run(["docker", "cp", str(path), f"{name}:/etc/cyder"], check=True, capture_output=True)
        for att in host.attachments[1:]:
            subprocess.run(["docker", "network", "connect", object_name(team, att.segment), name],
                           check=True, capture_output=True)
        subprocess.run(["docker", "start", name], check=True, capture_output=True)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            out = subprocess.run(["docker", "exec", name, *AGENT, "health"], capture_output=True, text=True).stdout
            try:
                report = json.loads(out)
            except ValueError:
                report = {}
            if report.get("booted") and all(report.get("checks", {}).values()):
                return
            time.sleep(0.2)
        raise RuntimeError(f"{name} not healthy")

    start = time.monotonic()
    with ThreadPoolExecutor(32) as pool:
        list(pool.map(run_host, jobs))
    ready = time.monotonic() - start
    start = time.monotonic()
    names = [object_name(team, host.name) for team in teams for host in rng.hosts]
    subprocess.run(["docker", "rm", "-f", *names], check=True, capture_output=True)
    for team in teams:
        backend.down(team)  # networks and host rules
    return ready, time.monotonic() - start


def main() -> int:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--range", default="saida-city")
    parser.add_argument("--teams", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--staff", type=int, help="simulated staff PCs (default: the range's own head count)")
    args = parser.parse_args()
    rng = load_range(resolve_range(args.range))
    if args.staff is not None:
        rng = with_staff(rng, args.staff)
    rng = staffed(rng)  # the baseline starts the staff containers too
    backend = DockerBackend()
    images = build_images(backend.client)
    backend.down(None)
    results: dict[tuple[str, int], list[tuple[float, float]]] = {}
    try:
        for count in (1, args.teams):
            teams = [f"bench{i}" for i in range(count)]
            for _ in range(args.rounds):
                for method in ("cyder", "naive"):
                    if method == "cyder":
                        figures = cyder_up(backend, rng, teams)
                    else:
                        figures = naive_up(backend, rng, teams, images.node)
                    results.setdefault((method, count), []).append(figures)
                    print(f"{method:<6} teams={count} ready={figures[0]:.1f}s down={figures[1]:.1f}s", file=sys.stderr)
    finally:
        backend.down(None)
    print(f"\n{args.range}, {len(rng.hosts)} hosts per team, median of {args.rounds} rounds\n")
    print("| teams | cyder ready (s) | naive ready (s) | ratio | cyder down (s) | naive down (s) |")
    print("|---|---|---|---|---|---|")
    for count in (1, args.teams):
        c_ready = statistics.median(r for r, _ in results[("cyder", count)])
        n_ready = statistics.median(r for r, _ in results[("naive", count)])
        c_down = statistics.median(d for _, d in results[("cyder", count)])
        n_down = statistics.median(d for _, d in results[("naive", count)])
        print(f"| {count} | {c_ready:.1f} | {n_ready:.1f} | {c_ready / n_ready:.2f} | {c_down:.1f} | {n_down:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: filtered searches over a million stored evidence events.

Fills a fresh store with synthetic events shaped like the range's real lines (DNS queries, proxy
and web access, mail, SSH logins, firewall decisions, file access) from 1,000 staff PCs over an
eight-hour day, then times typical filtered queries (median of 5 runs each).

Usage: .venv/bin/python bench/evidence_search.py [--events 1000000] [--store /tmp/bench-evidence.sqlite]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from cyder.evidence.parse import Evidence
from cyder.evidence.store import EvidenceStore, Query

DAY_START = 1_795_400_000.0
DOMAINS = [f"site{n}.example" for n in range(400)] + ["mail-cloud95.example"]


def synthetic(count: int, seed: int = 1):
    """Events of every kind, in time order, from 1,000 PCs (10.20.16.0/22 and beyond)."""
    chooser = random.Random(seed)
    step = 8 * 3600 / count
    for n in range(count):
        when = DAY_START + n * step
        pc = chooser.randrange(1000)
        address = f"10.20.{16 + pc // 250}.{pc % 250 + 1}"
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(when))
        roll = chooser.random()
        domain = chooser.choice(DOMAINS)
        if roll < 0.35:
            raw = f"{stamp} dns named[63]: queries: client @0x7f {address}#5353 ({domain}): query: {domain} IN A + (10.20.1.53)"
            yield Evidence(when, "dns", "named", "dns-query", {"client": address, "query": domain, "type": "A"}, raw)
        elif roll < 0.65:
            raw = (f"{stamp} proxy (squid-1): {when:.3f} 12 {address} TCP_MISS/200 5120 GET http://{domain}/ - "
                   f"HIER_DIRECT/203.0.113.80 text/html")
            yield Evidence(when, "proxy", "squid", "proxy-access", {"client": address, "method": "GET",
                           "url": f"http://{domain}/", "domain": domain, "status": 200}, raw)
        elif roll < 0.75:
            user = f"staff{pc:04d}"
            raw = f"{stamp} groupware postfix/local[242]: 2FF{n:08X}: to=<{user}@city.saida.lg.jp>, relay=local, status=sent"
            yield Evidence(when, "groupware", "postfix", "mail", {"to": f"{user}@city.saida.lg.jp", "status": "sent"}, raw)
        elif roll < 0.85:
            raw = (f"{stamp} fw ulogd[46]: FW ACCEPT lgwan-proxy IN=eth2 OUT=eth1 SRC={address} DST=10.20.1.8 "
                   f"PROTO=TCP SPT={chooser.randrange(30000, 60000)} DPT=8080")
            yield Evidence(when, "fw", "ulogd", "firewall", {"action": "accept", "src": address, "dst": "10.20.1.8",
                           "proto": "tcp", "dport": 8080}, raw)
        elif roll < 0.95:
            raw = f"{stamp} fileserver smbd_audit: staff{pc:04d}|{address}|pc{pc:04d}|共有|openat|ok|資料{n % 97}.xlsx"
            yield Evidence(when, "fileserver", "smbd_audit", "file-access", {"user": f"staff{pc:04d}",
                           "client": address, "share": "共有", "operation": "openat", "path": f"資料{n % 97}.xlsx"}, raw)
        else:
            result, word = ("failure", "Failed") if chooser.random() < 0.2 else ("success", "Accepted")
            user = chooser.choice(["fsadmin", "mailadmin", f"staff{pc:04d}"])
            raw = f"{stamp} fileserver sshd[1]: {word} password for {user} from {address} port 50000 ssh2"
            yield Evidence(when, "fileserver", "sshd", "auth", {"result": result, "user": user, "client": address,
                           "service": "ssh"}, raw)


def main() -> int:
    """Fill the store, run the queries, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--store", default="/tmp/bench-evidence.sqlite")
    args = parser.parse_args()
    for suffix in ("", "-wal", "-shm"):
        Path(args.store + suffix).unlink(missing_ok=True)
    store = EvidenceStore(args.store)
    started, batch = time.monotonic(), []
    for event in synthetic(args.events):
        batch.append(event)
        if len(batch) == 50_000:
            store.add("bench", batch)
            batch = []
    store.add("bench", batch)
    load = time.monotonic() - started
    print(f"stored {store.count('bench'):,} events in {load:.1f} s ({store.count('bench') / load:,.0f}/s)", file=sys.stderr)
    hour = DAY_START + 3 * 3600
    queries = {
        "one PC's DNS queries in an hour": Query.parse("bench", ["kind:dns-query", "client=10.20.17.42"],
                                                        since=hour, until=hour + 3600),
        "proxy access to one domain (all day)": Query.parse("bench", ["kind:proxy-access", "domain=mail-cloud95.example"]),
        "failed SSH logins for fsadmin": Query.parse("bench", ["kind:auth", "result=failure", "user=fsadmin"]),
        "text search 'mail-cloud95', first 100": Query.parse("bench", ["mail-cloud95"], limit=100),
        "one host's events in 10 minutes": Query.parse("bench", ["host:fw"], since=hour, until=hour + 600),
        "everything from one address, first 1000": Query.parse("bench", ["10.20.17.42"], limit=1000),
    }
    print(f"\n{store.count('bench'):,} events; median of 5 runs\n")
    print(timing_table(store, queries))
    store.close()
    return 0


def timing_table(store: EvidenceStore, queries: dict[str, Query], runs: int = 5) -> str:
    """Run each query `runs` times and return a Markdown table of result counts and median times."""
    rows = ["| query | results | time (ms) |", "|---|---|---|"]
    for name, query in queries.items():
        times, results = [], 0
        for _ in range(runs):
            began = time.perf_counter()
            results = sum(1 for _ in store.search(query))
            times.append((time.perf_counter() - began) * 1000)
        rows.append(f"| {name} | {results:,} | {statistics.median(times):.0f} |")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())

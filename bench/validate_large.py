"""Benchmark: `cyder validate` on a large range file (20 MB by default).

Writes a valid range shaped like a big organisation's: a few servers, then one client PC per member
of staff (title, address, a local account, now and then a file), the staff list and a DNS alias per
PC, until the file reaches the size asked for. Then runs `cyder validate` on it in a child process
and prints the wall time, the CPU time and the child's peak memory (maximum resident set size).

Usage: .venv/bin/python bench/validate_large.py [--mb 20] [--file /tmp/cyder-large-range.yaml] [--keep]
"""

from __future__ import annotations

import argparse
import ipaddress
import resource
import subprocess
import sys
import time
from pathlib import Path

HEADER = """\
# A generated range for benchmarks: a few servers and one PC per member of staff.
name: large-city
title: {ja: 大きな市, en: Large City}
domain: city.large.example

segments:
  - {name: dmz, subnet: 10.30.1.0/24, kind: dmz, title: {ja: 公開セグメント, en: DMZ}}
  - {name: lan, subnet: 10.64.0.0/12, kind: internal, title: {ja: 庁内LAN, en: Office LAN}}

hosts:
  - name: fw
    role: firewall
    attachments:
      - {segment: dmz, address: 10.30.1.1}
      - {segment: lan, address: 10.64.0.1}
  - name: dns
    role: server
    attachments: [{segment: dmz, address: 10.30.1.53}]
    services: [dns, syslog, ssh]
    users: [{name: admin, password: Adm1n-large, sudo: true}]
  - name: mail
    role: server
    attachments: [{segment: dmz, address: 10.30.1.25}]
    services: [smtp, imap, ssh]
  - name: www
    role: server
    attachments: [{segment: dmz, address: 10.30.1.80}]
    services: [http, ssh]
"""

FOOTER = """
firewall:
  host: fw
  flows:
    - {name: lan-dns, from: lan, to: dns, service: dns}
    - {name: lan-mail, from: lan, to: mail, service: smtp}
    - {name: lan-web, from: lan, to: www, service: http}

logging:
  collector: dns
"""

DEPARTMENTS = [("総務課", "General Affairs"), ("市民課", "Citizens Division"), ("財政課", "Finance"),
               ("福祉課", "Welfare"), ("情報政策課", "IT Policy")]


def large_range(megabytes: float) -> str:
    """The text of a valid range file of about this many megabytes (UTF-8)."""
    target = int(megabytes * 1_000_000)
    hosts, staff, records = [], [], []
    size = len(HEADER.encode()) + len(FOOTER.encode()) + 200
    first = ipaddress.ip_address("10.64.1.0")
    n = 0
    while size < target:
        n += 1
        ja, en = DEPARTMENTS[n % len(DEPARTMENTS)]
        pc, user = f"pc-{n:06d}", f"u{n:06d}"
        host = (f"  - name: {pc}\n    role: client\n"
                f"    title: {{ja: {ja} 職員PC {n}, en: {en} staff PC {n}}}\n"
                f"    attachments: [{{segment: lan, address: {first + n}}}]\n"
                f"    users: [{{name: {user}, password: Pc-{n:06d}!, full_name: Staff {n}, groups: [users]}}]\n")
        if n % 10 == 0:
            host += (f"    files:\n      - path: /home/{user}/memo.txt\n        owner: {user}\n"
                     f"        content: |\n          {ja}の業務メモ {n}\n          Notes of {en}, number {n}\n")
        member = (f"  - {{user: s{n:06d}, password: Staff-{n:06d}!, name: {{ja: 職員 {n}, en: Staff {n}}}, "
                  f"department: {{ja: {ja}, en: {en}}}, pc: {pc}}}\n")
        record = f"      - {{name: {pc}-alias, type: CNAME, value: {pc}}}\n"
        hosts.append(host)
        staff.append(member)
        records.append(record)
        size += len(host.encode()) + len(member.encode()) + len(record.encode())
    dns = ("\ndns:\n  - domain: city.large.example\n    server: dns\n    include_hosts: true\n    records:\n"
           "      - {name: \"@\", type: MX, value: mail.city.large.example.}\n")
    return HEADER + "".join(hosts) + dns + "".join(records) + "\nstaff:\n" + "".join(staff) + FOOTER


def main() -> int:
    """Write the file, validate it in a child process, print time and peak memory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0, help="file size in megabytes (default 20)")
    parser.add_argument("--file", default="/tmp/cyder-large-range.yaml", help="where to write the range")
    parser.add_argument("--keep", action="store_true", help="keep the file afterwards")
    args = parser.parse_args()
    path = Path(args.file)
    path.write_text(large_range(args.mb), encoding="utf-8")
    print(f"{path}: {path.stat().st_size / 1e6:.1f} MB", flush=True)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "cyder", "validate", str(path)], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = usage.ru_maxrss / 1024  # KiB on Linux
    print((proc.stdout + proc.stderr).strip()[:2000])
    print(f"cyder validate: {elapsed:.1f} s ({usage.ru_utime + usage.ru_stime:.1f} s of CPU), "
          f"peak {peak:.0f} MB, exit {proc.returncode}")
    if not args.keep:
        path.unlink()
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())

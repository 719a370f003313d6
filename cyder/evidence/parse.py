"""Turn the log collector's lines into normalised evidence events.

Every line that reaches the collector (`/var/log/remote/all.log`, rsyslog's file format) becomes an
event with its time, host, source (the program), kind, the fields a defender searches on, and the
raw line. Kinds cover the evidence the range produces: DNS queries, proxy and web access, mail,
SSH and other authentication, firewall accepts and denies, file-share access, database statements,
process starts on PCs.
A line of no known kind is still kept, as kind `log`, so nothing is dropped. The parsers of each
daemon's lines are its service kind's (`log_parsers` in cyder/services/<kind>.py); the firewall's
and the process monitor's are in cyder/provision/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..provision.firewall import parse_firewall
from ..provision.procmon import parse_process
from ..services import service_kinds
from ..services.base import LogParser

LINE = re.compile(r"^(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)) (?P<host>\S+) "
                  r"(?:(?P=host) )?(?P<tag>[^:\[\s]+|\([^)]*\))(?:\[(?P<pid>\d+)\])?: ?(?P<message>.*)$")


@dataclass
class Evidence:
    """One normalised log event."""

    time: float
    host: str
    source: str
    kind: str
    fields: dict[str, Any] = field(default_factory=dict)
    raw: str = ""


BARE_LINE = re.compile(r"^(?P<time>\S+) (?P<host>\S+) (?P<tag>)(?P<message>.*)$")


def parse_line(raw: str) -> Evidence | None:
    """Parse one collector line; None only for a line without a time and a host."""
    match = LINE.match(raw.rstrip("\n")) or BARE_LINE.match(raw.rstrip("\n"))
    if not match:
        return None
    try:
        when = datetime.fromisoformat(match["time"].replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
    # Some daemons (nginx) repeat their hostname before the tag; the pattern skips it.
    host, tag, message = match["host"], match["tag"], match["message"]
    source = _source(tag)
    fields: dict[str, Any]
    kind, fields = "log", {}  # a line of no known kind
    for parser in PARSERS.get(source, ()):
        found = parser(message)
        if found is not None:
            kind, fields = found
            break
    return Evidence(when, host, source, kind, fields, raw.rstrip("\n"))


def _source(tag: str) -> str:
    tag = tag.strip("()") or "unknown"
    for prefix in TAG_PREFIXES:
        if tag.startswith(prefix):
            return prefix
    return tag.split("/")[0]


def build_parsers() -> dict[str, tuple[LogParser, ...]]:
    """Syslog tag -> the parsers of its lines: each service kind's (cyder/services/), the firewall's
    (ulogd) and the PCs' process monitor's (procmon)."""
    parsers: dict[str, tuple[LogParser, ...]] = {}
    for kind in service_kinds():
        for tag, found in kind.log_parsers.items():
            parsers[tag] = parsers.get(tag, ()) + found
    parsers["ulogd"] = (parse_firewall,)
    parsers["procmon"] = (parse_process,)
    return parsers


PARSERS: dict[str, tuple[LogParser, ...]] = build_parsers()
# Tags that stand for the parsers' tag they start with (Squid logs as squid, squid-1 ...).
TAG_PREFIXES: tuple[str, ...] = tuple(prefix for kind in service_kinds() for prefix in kind.log_tag_prefixes)

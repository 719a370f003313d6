"""Turn the log collector's lines into normalised evidence events.

Every line that reaches the collector (`/var/log/remote/all.log`, rsyslog's file format) becomes an
event with its time, host, source (the program), kind, the fields a defender searches on, and the
raw line. Kinds cover the evidence the range produces: DNS queries, proxy and web access, mail,
SSH and other authentication, firewall accepts and denies, file-share access, database statements,
process starts on PCs.
A line of no known kind is still kept, as kind `log`, so nothing is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

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
    kind, fields = "log", {}
    for parser in PARSERS.get(source, ()):
        found = parser(message)
        if found is not None:
            kind, fields = found
            break
    return Evidence(when, host, source, kind, fields, raw.rstrip("\n"))


def _source(tag: str) -> str:
    tag = tag.strip("()") or "unknown"
    if tag.startswith("squid"):
        return "squid"
    return tag.split("/")[0]


DNS_QUERY = re.compile(r"client @\S+ (?P<client>[\d.]+)#\d+ \((?P<name>[^)]+)\): query: (?P<query>\S+) IN (?P<type>\S+)")
SQUID = re.compile(r"^(?P<ts>[\d.]+)\s+(?P<elapsed>\d+) (?P<client>[\d.]+) (?P<result>[A-Z_]+)/(?P<status>\d{3}) "
                   r"(?P<bytes>\d+) (?P<method>\S+) (?P<url>\S+) \S+ (?P<hierarchy>[A-Z_]+)/(?P<server>\S+)")
COMBINED = re.compile(r'^(?P<client>[\d.]+) \S+ (?P<user>\S+) \[[^\]]+\] "(?P<method>\S+) (?P<path>\S+)[^"]*" '
                      r'(?P<status>\d{3}) (?P<bytes>\d+|-) "[^"]*" "(?P<agent>[^"]*)"')
POSTFIX_DELIVERY = re.compile(r"^(?P<queue>[0-9A-F]+): to=<(?P<to>[^>]*)>, relay=(?P<relay>[^,]+), .*status=(?P<status>\w+)")
POSTFIX_FROM = re.compile(r"^(?P<queue>[0-9A-F]+): from=<(?P<sender>[^>]*)>")
POSTFIX_CONNECT = re.compile(r"^connect from (?P<client_name>[^\[]+)\[(?P<client>[\d.]+)\]")
SSH_AUTH = re.compile(r"^(?P<result>Failed|Accepted) (?P<method>\S+) for (?:invalid user )?(?P<user>\S+) from "
                      r"(?P<client>[\d.]+) port (?P<port>\d+)")
FIREWALL = re.compile(r"FW (?P<action>ACCEPT|DENY) (?:(?P<flow>\S+) )?\s*IN=(?P<in>\S*) OUT=(?P<out>\S*) .*?"
                      r"SRC=(?P<src>[\d.]+) DST=(?P<dst>[\d.]+) .*?PROTO=(?P<proto>\w+)(?: SPT=(?P<spt>\d+) DPT=(?P<dpt>\d+))?")
SMB_AUDIT = re.compile(r"^(?P<user>[^|]*)\|(?P<client>[^|]*)\|(?P<machine>[^|]*)\|(?P<share>[^|]*)\|(?P<op>[^|]*)\|"
                       r"(?P<result>[^|]*)\|(?P<path>.*)$")
PG_STATEMENT = re.compile(r"LOG:\s+statement: (?P<statement>.*)$")
PG_CONNECTION = re.compile(r"LOG:\s+connection authorized: user=(?P<user>\S+) database=(?P<database>\S+)")
DOVECOT_LOGIN = re.compile(r"imap-login: Login: user=<(?P<user>[^>]*)>.*?rip=(?P<client>[\d.]+)")


def _dns(message: str):
    m = DNS_QUERY.search(message)
    return ("dns-query", {"client": m["client"], "query": m["query"].rstrip(".").lower(), "type": m["type"]}) if m else None


def _squid(message: str):
    m = SQUID.match(message)
    if not m:
        return None
    url = m["url"]
    domain = re.sub(r"^[a-z]+://", "", url).split("/")[0].split(":")[0].lower()
    return ("proxy-access", {"client": m["client"], "method": m["method"], "url": url, "domain": domain,
                             "status": int(m["status"]), "bytes": int(m["bytes"]), "result": m["result"],
                             "server": m["server"]})


def _web(message: str):
    m = COMBINED.match(message)
    if not m:
        return None
    return ("web-access", {"client": m["client"], "method": m["method"], "path": m["path"],
                           "status": int(m["status"]), "agent": m["agent"]})


def _postfix(message: str):
    if m := POSTFIX_DELIVERY.match(message):
        return ("mail", {"queue": m["queue"], "to": m["to"].lower(), "relay": m["relay"], "status": m["status"]})
    if m := POSTFIX_FROM.match(message):
        return ("mail", {"queue": m["queue"], "from": m["sender"].lower()})
    if m := POSTFIX_CONNECT.match(message):
        return ("mail-connect", {"client": m["client"], "client_name": m["client_name"]})
    return None


def _sshd(message: str):
    m = SSH_AUTH.match(message)
    if not m:
        return None
    return ("auth", {"result": "failure" if m["result"] == "Failed" else "success", "user": m["user"],
                     "client": m["client"], "method": m["method"], "service": "ssh"})


def _firewall(message: str):
    m = FIREWALL.search(message)
    if not m:
        return None
    fields = {"action": m["action"].lower(), "src": m["src"], "dst": m["dst"], "proto": m["proto"].lower()}
    if m["flow"]:
        fields["flow"] = m["flow"]
    if m["dpt"]:
        fields["sport"], fields["dport"] = int(m["spt"]), int(m["dpt"])
    return ("firewall", fields)


WEBAPP = re.compile(r'^(?P<client>[\d.]+) "(?P<method>\S+) (?P<path>\S+)[^"]*" (?P<status>\d{3})')


def _web_app(message: str):
    m = WEBAPP.match(message)
    return ("web-access", {"client": m["client"], "method": m["method"], "path": m["path"],
                           "status": int(m["status"])}) if m else None


def _smb(message: str):
    m = SMB_AUDIT.match(message)
    if not m:
        return None
    return ("file-access", {"user": m["user"], "client": m["client"], "share": m["share"],
                            "operation": m["op"], "result": m["result"], "path": m["path"]})


def _postgres(message: str):
    if m := PG_STATEMENT.search(message):
        return ("db-query", {"statement": m["statement"]})
    if m := PG_CONNECTION.search(message):
        return ("db-connect", {"user": m["user"], "database": m["database"]})
    return None


def _dovecot(message: str):
    m = DOVECOT_LOGIN.search(message)
    return ("auth", {"result": "success", "user": m["user"], "client": m["client"], "service": "imap"}) if m else None


PROCESS = re.compile(r"^exec pid=(?P<pid>\d+) ppid=(?P<ppid>\d+) user=(?P<user>\S+) cmd=(?P<command>.*)$")


def _process(message: str):
    m = PROCESS.match(message)
    return ("process", {"pid": int(m["pid"]), "ppid": int(m["ppid"]), "user": m["user"],
                        "command": m["command"]}) if m else None


PARSERS: dict[str, tuple[Callable[[str], tuple[str, dict] | None], ...]] = {
    "named": (_dns,), "squid": (_squid,), "nginx": (_web,), "postfix": (_postfix,), "sshd": (_sshd,),
    "ulogd": (_firewall,), "smbd_audit": (_smb,), "postgres": (_postgres,), "dovecot": (_dovecot,),
    "webapp": (_web_app,), "procmon": (_process,),
}

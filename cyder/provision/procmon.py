"""The process monitor of the organisation's PCs: every process start logged to syslog, as
endpoint monitoring would (the agent's `procmon` command, tag `procmon`).

`parse_process` reads its lines for the evidence parser.
"""

from __future__ import annotations

import re

from ..agent.contract import agent_command
from ..services.base import Parsed
from ..services.context import HostPlan, ServicePlan

PROCESS = re.compile(r"^exec pid=(?P<pid>\d+) ppid=(?P<ppid>\d+) user=(?P<user>\S+) cmd=(?P<command>.*)$")


def parse_process(message: str) -> Parsed | None:
    """A process start: its pid, parent's pid, user and command line."""
    m = PROCESS.match(message)
    return ("process", {"pid": int(m["pid"]), "ppid": int(m["ppid"]), "user": m["user"],
                        "command": m["command"]}) if m else None


def plan_process_monitor(plan: HostPlan) -> None:
    """Log every process start on a PC to syslog (tag procmon), as endpoint monitoring would."""
    plan.services.append(ServicePlan(
        "procmon", [f"setsid {agent_command('procmon')} >/dev/null 2>&1 < /dev/null &"],
        "pgrep -f 'agent.py procmon' >/dev/null"))

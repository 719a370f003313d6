"""What the host side and the programs cyder places in the containers agree on: paths and marks.

The in-container programs (agent.py, staff.py) are copied into the containers alone and keep their
own copies of these strings; tests/test_agent_contract.py checks that both sides say the same. The
host side (the Docker backend, the planners, the staff control) imports them from here.
"""

from __future__ import annotations

AGENT_PATH = "/opt/cyder/agent.py"
"""Where the node image holds the agent."""
AGENT_COMMAND = ("python3", AGENT_PATH)
"""The agent's command line, followed by its verb (`health`, `attach`, `capture`, `procmon` ...)."""
PLAN_PATH = "/etc/cyder/host.json"
"""The host's plan the agent boots from (0600; its secrets removed after boot)."""
READY_MARK = "CYDER-READY "
"""The line the agent prints when the host booted and its checks passed (a JSON report follows)."""
FAILED_MARK = "CYDER-FAILED "
"""The line the agent prints when a check failed after boot (a JSON report follows)."""
STAFF_PROGRAM = "/opt/cyder/staff.py"
"""Where the simulated staff's program is placed on a staff host."""
STAFF_CLOCK_PATH = "/run/cyder/staff-clock.json"
"""The staff's office clock, which the engine moves, speeds up or pauses."""
STAFF_STATS_PATH = "/run/cyder/staff-stats.json"
"""Counts of what the staff did, written by the staff program."""


def agent_command(verb: str, *args: str) -> str:
    """The agent's command line for a verb as one shell string (for a service's start command)."""
    return " ".join((*AGENT_COMMAND, verb, *args))

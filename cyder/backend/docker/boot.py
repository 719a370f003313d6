"""Watching a team's hosts boot and asking them for their health.

At the end of its boot the agent in each container prints one line, READY_MARK or FAILED_MARK and
a JSON report of its checks; a bring-up follows every container's output for it. Later, the agent's
`health` command answers the same report on demand.
"""

from __future__ import annotations

import json
import queue
import threading
import time

import docker
import docker.errors

from ...agent.contract import FAILED_MARK, READY_MARK
from ...model.range import Range
from ..base import BackendError, HostStatus, Progress, ProgressCallback
from . import objects
from .files import AGENT, exec_in
from .labels import object_name


def wait_healthy(client: docker.DockerClient, team: str, rng: Range, progress: ProgressCallback,
                 timeout: float) -> dict[str, HostStatus]:
    """Wait for each host's agent to report its checks passing in the container's output; return
    every host's status by name, or raise BackendError naming the hosts that failed or are late."""
    deadline = time.monotonic() + timeout
    reports: queue.Queue[tuple[HostStatus, bool]] = queue.Queue()
    for host in rng.hosts:
        threading.Thread(target=follow_boot, args=(client, team, host.name, reports), daemon=True).start()
    healthy: dict[str, HostStatus] = {}
    while len(healthy) < len(rng.hosts):
        try:
            status, ok = reports.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            waiting = sorted({h.name for h in rng.hosts} - set(healthy))
            raise BackendError(f"team {team}: hosts not healthy after {timeout:.0f} s: {', '.join(waiting)}") from None
        if not ok:
            reason = ", ".join(status.failed) or ", ".join(n for n, up in status.services.items() if not up)
            raise BackendError(f"host {status.name} of team {team} failed to start ({reason}): "
                               f"see `docker logs {object_name(team, status.name)}`")
        healthy[status.name] = status
        progress(Progress("health", status.name, len(healthy), len(rng.hosts), ", ".join(status.services) or "up"))
    return healthy


def follow_boot(client: docker.DockerClient, team: str, host: str,
                reports: queue.Queue[tuple[HostStatus, bool]]) -> None:
    """Read a container's output until its agent's ready (or failed) line; queue the result."""
    try:
        container = objects.container(client, team, host)
        pending = b""
        for chunk in container.logs(stream=True, follow=True):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                line = raw.decode(errors="replace")
                for mark, ok in ((READY_MARK, True), (FAILED_MARK, False)):
                    if line.startswith(mark):
                        report = json.loads(line[len(mark):])
                        reports.put((HostStatus(host, "running", objects.addresses(container), report["checks"],
                                                report["failed"]), ok))
                        return
        reports.put((HostStatus(host, "exited", {}, failed=["the container stopped during boot"]), False))
    except (docker.errors.DockerException, BackendError, ValueError, KeyError) as exc:
        reports.put((HostStatus(host, "unknown", {}, failed=[f"boot report unreadable: {exc}"]), False))


def host_health(client: docker.DockerClient, team: str, host: str) -> HostStatus:
    """A host's state, addresses and service health, from one run of the agent's health check in it."""
    container = objects.container(client, team, host)
    state = container.status
    services: dict[str, bool] = {}
    failed: list[str] = []
    booted = False
    if state == "running":
        result = exec_in(container, [*AGENT, "health"], timeout=15)
        try:
            report = json.loads(result.stdout)
            booted, services, failed = report["booted"], report["checks"], report["failed"]
        except (ValueError, KeyError):
            failed = [f"health report unreadable: {result.stderr.strip()[:200]}"]
    return HostStatus(host, state if booted or state != "running" else "starting",
                      objects.addresses(container), services, failed)

"""The Docker range backend: a team's range as labelled internal networks and containers.

Each segment becomes a Docker `internal` bridge network on a transport subnet of its own (from
cyder's reserved pool), and the agent in each container replaces that transport address with the
range's address. Several teams can therefore run the same range with the same addressing side by
side: their segments are separate bridges that never route to each other or to the machine.
Every object carries labels (app, team, range hash) and a name with the team's prefix, so
tear-down is by label, safe to repeat, and also cleans up after an interrupted bring-up.

`DockerBackend` is a facade: it orchestrates bring-up and tear-down and hands every other call to
the module of its resource (labels, client, objects, networks, hosts, boot, status, capture, files,
parallel), each taking the Docker client explicitly.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import docker
import docker.errors
from docker.models.containers import Container
from docker.models.networks import Network

from ...model.population import staffed
from ...model.range import Range
from ..base import (
    BackendError,
    ByteStream,
    ExecResult,
    HostStatus,
    HostUsage,
    Progress,
    ProgressCallback,
    RangeBackend,
    RangeStatus,
    check_team,
    no_progress,
)
from . import boot, capture, client, files, hosts, networks, objects, sealing
from . import images as image_builder
from . import status as running
from .client import connect_docker, resolver_warning

# AGENT, the labels, names and range_hash are re-exported: tests and bench import them from here.
from .files import AGENT
from .labels import (
    APP,
    LABEL_APP,
    LABEL_CAPTURE,
    LABEL_COLLECTOR,
    LABEL_HASH,
    LABEL_HOST,
    LABEL_PLAN,
    LABEL_RANGE,
    LABEL_RUN,
    LABEL_SEGMENT,
    LABEL_TEAM,
    LABEL_TRANSPORT,
    bridge_name,
    object_name,
    range_hash,
)


class DockerBackend(RangeBackend):
    """Runs ranges on the local Docker engine."""

    def __init__(self, client: docker.DockerClient | None = None, workers: int = 16):
        self.client = client or connect_docker()
        self.workers = workers

    # -- bring-up -------------------------------------------------------------------------------

    def up(self, rng: Range, team: str, progress: ProgressCallback = no_progress,
           timeout: float = 180.0) -> RangeStatus:
        """Create the team's networks and containers in parallel, then wait for every health check."""
        check_team(team)
        rng = staffed(rng)
        images = image_builder.expected_images()
        if not image_builder.has_image(self.client, images.node):
            raise BackendError(f"image {images.node} is missing: run `cyder images build`")
        existing = objects.containers(self.client, team)
        if existing:
            running_hash = existing[0].labels.get(LABEL_HASH)
            if running_hash != range_hash(rng) or any(c.status != "running" for c in existing):
                raise BackendError(f"team {team} already has a range up ({existing[0].labels.get(LABEL_RANGE)}): "
                                   f"run `cyder down --team {team}` first")
            return self._wait_healthy(team, rng, progress, timeout)
        if objects.networks(self.client, team):
            raise BackendError(f"team {team} has leftovers of an interrupted bring-up: run `cyder down --team {team}`")
        networks.check_machine_overlap(rng)
        if warning := resolver_warning(self.engine_version()):
            progress(Progress("warning", team, message=warning))
        started = time.monotonic()
        try:
            segments = self._create_networks(rng, team, progress)
            with ThreadPoolExecutor(max_workers=1) as side:
                capturing = side.submit(capture.create_capture, self.client, rng, team, segments, images.node)
                hosts.create_hosts(self.client, rng, team, segments, images.node, progress, timeout, self.workers)
                capturing.result()
            status = self._wait_healthy(team, rng, progress, timeout)
        except BaseException as exc:
            # An interrupted or failed bring-up leaves nothing behind.
            progress(Progress("cleanup", team, message="bring-up did not finish; removing what was created"))
            self.down(team)
            if isinstance(exc, docker.errors.APIError):
                raise BackendError(f"Docker refused to bring up team {team}: {exc.explanation or exc}") from None
            raise
        progress(Progress("ready", team, message=f"{rng.name} ready in {time.monotonic() - started:.1f} s"))
        return status

    def engine_version(self) -> str:
        """The Docker engine's version (as it reports it, e.g. 20.10.24+dfsg1)."""
        return client.engine_version(self.client)

    def _create_networks(self, rng: Range, team: str, progress: ProgressCallback) -> dict[str, Network]:
        """The team's sealed networks by segment (bench/range_up.py calls this for its baseline)."""
        return networks.create_networks(self.client, rng, team, progress, self.workers)

    def _wait_healthy(self, team: str, rng: Range, progress: ProgressCallback, timeout: float) -> RangeStatus:
        """Wait for every host's boot report, then the team's range with those hosts."""
        healthy = boot.wait_healthy(self.client, team, rng, progress, timeout)
        return running.range_status(self.client, team, False, self.workers, known=healthy)

    def export_captures(self, team: str, folder: str) -> list[str]:
        """Copy the team's per-segment pcap files into a folder; return their paths."""
        return capture.export_captures(self.client, team, folder)

    # -- tear-down and status -------------------------------------------------------------------

    def down(self, team: str | None, progress: ProgressCallback = no_progress) -> int:
        """Remove every container, network and host rule labelled for the team (or for all teams)."""
        if team is not None:
            check_team(team)
        removed_containers = hosts.remove_containers(self.client, team, progress, self.workers)
        removed_networks = networks.remove_networks(self.client, team, self.workers)
        rules = sealing.unseal_team(team)
        return removed_containers + removed_networks + rules

    def status(self, team: str | None = None, health: bool = True) -> list[RangeStatus]:
        """Every running range (or one team's), with service health when asked."""
        return running.ranges(self.client, team, health, self.workers)

    def host_status(self, team: str, host: str) -> HostStatus | None:
        """One host's state, addresses and service health, from a single health run in it."""
        return running.host_status(self.client, team, host)

    def check_service(self, team: str, host: str, service: str) -> bool:
        """Whether a host's service answers its health check now."""
        return running.check_service(self.client, team, host, service)

    def run_teams(self, run: str) -> list[str]:
        """The teams with any object labelled with a run id (CYDER_RUN), for removing exactly those."""
        return running.run_teams(self.client, run)

    # -- acting on hosts ------------------------------------------------------------------------

    def exec(self, team: str, host: str, command: list[str] | str, user: str = "root",
             timeout: float = 30.0) -> ExecResult:
        """Run a command in a host; a string runs through /bin/sh."""
        return files.run_command(self.client, team, host, command, user=user, timeout=timeout)

    def read_file(self, team: str, host: str, path: str) -> bytes:
        """Read a file out of a host."""
        return files.read_file(self.client, team, host, path)

    def read_file_from(self, team: str, host: str, path: str, offset: int, limit: int) -> tuple[int, bytes]:
        """The file's size and up to `limit` bytes from `offset`, read with tail inside the host."""
        return files.read_file_from(self.client, team, host, path, offset, limit)

    def follow_file(self, team: str, host: str, path: str, offset: int) -> ByteStream:
        """Stream a growing file from `offset` through one long-lived `tail -F` inside the host."""
        return files.follow_file(self.client, team, host, path, offset)

    def usage(self, team: str, host: str) -> HostUsage:
        """CPU time and memory (without the page cache) of a host's container, from Docker's stats."""
        return files.usage(self.client, team, host)

    def write_file(self, team: str, host: str, path: str, data: bytes, mode: int = 0o644) -> None:
        """Write a file into a host, creating its folder."""
        files.write_file(self.client, team, host, path, data, mode)

    def connect(self, team: str, host: str, segment: str) -> None:
        """Attach a host to a segment again and give it back its range address there."""
        networks.connect(self.client, team, host, segment)

    def disconnect(self, team: str, host: str, segment: str) -> None:
        """Detach a host from a segment."""
        networks.disconnect(self.client, team, host, segment)

    def shell_command(self, team: str, host: str, tty: bool = True) -> list[str]:
        """`docker exec` into the host's container with a login shell."""
        return files.shell_command(self.client, team, host, tty)

    # -- helpers --------------------------------------------------------------------------------

    def ensure_images(self, progress: ProgressCallback = no_progress) -> None:
        """Build the range images when they are missing (offline, about two minutes the first time)."""
        image_builder.build_images(self.client, progress=progress)

    def _container(self, team: str, host: str) -> Container:
        """The team's checked container for a host (objects.container; tests reach it through here)."""
        return objects.container(self.client, team, host)


__all__ = [
    "AGENT", "APP", "LABEL_APP", "LABEL_CAPTURE", "LABEL_COLLECTOR", "LABEL_HASH", "LABEL_HOST", "LABEL_PLAN",
    "LABEL_RANGE", "LABEL_RUN", "LABEL_SEGMENT", "LABEL_TEAM", "LABEL_TRANSPORT", "DockerBackend", "bridge_name",
    "connect_docker", "image_builder", "object_name", "range_hash", "resolver_warning",
]

"""The Docker range backend: a team's range as labelled internal networks and containers.

Each segment becomes a Docker `internal` bridge network on a transport subnet of its own (from
cyder's reserved pool), and the agent in each container replaces that transport address with the
range's address. Several teams can therefore run the same range with the same addressing side by
side: their segments are separate bridges that never route to each other or to the machine.
Every object carries labels (app, team, range hash) and a name with the team's prefix, so
tear-down is by label, safe to repeat, and also cleans up after an interrupted bring-up.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import ipaddress
import json
import os
import queue
import re
import shlex
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable, TypeVar

import docker
import docker.errors
from docker.models.containers import Container
from docker.models.networks import Network

from ...model.load import transport_pool
from ...model.population import staffed
from ...model.range import Range
from ...provision import build_plans
from ..base import (BackendError, ByteStream, ExecResult, HostStatus, HostUsage, Progress, ProgressCallback,
                    RangeBackend, RangeStatus, check_name, check_team, no_progress)
from . import hostnet, sealing
from . import images as image_builder

APP = "cyder"
LABEL_APP, LABEL_TEAM, LABEL_RANGE, LABEL_HASH = "app", "cyder.team", "cyder.range", "cyder.range-hash"
LABEL_HOST, LABEL_SEGMENT, LABEL_TRANSPORT = "cyder.host", "cyder.segment", "cyder.transport"
LABEL_PLAN = "cyder.plan"
LABEL_CAPTURE = "cyder.capture"
LABEL_COLLECTOR = "cyder.collector"
# CYDER_RUN=<id>: every object this process creates also carries cyder.run=<id>, so a test run (or
# anything else that names a run) removes exactly what it made and never a live exercise.
LABEL_RUN, RUN_ENV = "cyder.run", "CYDER_RUN"
RUN_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
CAPTURE_HOST = "capture"
CAPTURE_DIR = "/var/lib/cyder/pcap"
TRANSPORT_PREFIX = 24
BRIDGE_PREFIX = "cy-"
AGENT = ["python3", "/opt/cyder/agent.py"]
READY_MARK, FAILED_MARK = "CYDER-READY ", "CYDER-FAILED "  # lines the agent prints after boot
T = TypeVar("T")
_TRANSPORT_LOCK = threading.Lock()
_LOCKS_GUARD = threading.Lock()
_NETWORK_LOCKS: dict[str, threading.Lock] = {}
LOCK_DIR = "/run/cyder-locks"


@contextlib.contextmanager
def endpoint_lock(networks: Iterable[str]):
    """Hold while a container joins or leaves these networks (start, remove, connect, disconnect).

    Docker 20.10 keeps a per-network endpoint count that concurrent joins and leaves on the same
    network can corrupt, after which the network can never be removed ("has active endpoints")
    until the engine restarts. Operations on the same network therefore take turns, across
    threads and across cyder processes; containers on other networks go ahead in parallel.
    """
    names = sorted(set(networks))  # one global order, so two holders never wait on each other
    with _LOCKS_GUARD:
        locks = [_NETWORK_LOCKS.setdefault(name, threading.Lock()) for name in names]
    os.makedirs(LOCK_DIR, exist_ok=True)
    with contextlib.ExitStack() as stack:
        for name, lock in zip(names, locks):
            stack.enter_context(lock)
            handle = stack.enter_context(open(f"{LOCK_DIR}/{name}.lock", "a"))
            fcntl.flock(handle, fcntl.LOCK_EX)
            stack.callback(fcntl.flock, handle, fcntl.LOCK_UN)
        yield


# Engines with the fix for CVE-2024-29018 (internal networks' DNS forwarded from the machine's
# namespace): 23.0.11, 25.0.5, 26.0.0 and later.
RESOLVER_FIXED = ((23, 0, 11), (25, 0, 5), (26, 0, 0))


def resolver_warning(version: str) -> str | None:
    """What to tell the operator when the engine predates the fix for CVE-2024-29018 (None when it
    has it). cyder mitigates it either way: range containers get the range's DNS only and drop every
    packet to Docker's resolver; the warning says how to remove the flaw itself."""
    numbers = tuple(int(n) for n in re.findall(r"\d+", version.split("+")[0])[:3])
    if len(numbers) < 3:
        return None
    fixed = any(numbers >= floor and numbers[:2] == floor[:2] for floor in RESOLVER_FIXED[:2]) \
        or numbers >= RESOLVER_FIXED[2]
    if fixed:
        return None
    return (f"Docker engine {version} predates the fix for CVE-2024-29018 (a container on an internal network "
            "could resolve names through this machine); cyder blocks Docker's resolver (127.0.0.11) inside every "
            "range container, so ranges stay sealed, but upgrade the engine (23.0.11, 25.0.5, 26.0 or later) "
            "to remove the flaw")


def run_label() -> str | None:
    """The run id from CYDER_RUN (None when unset); BackendError when it is not a label value."""
    run = os.environ.get(RUN_ENV)
    if not run:
        return None
    if not RUN_PATTERN.fullmatch(run):
        raise BackendError(f"{RUN_ENV}={run!r}: use up to 32 lower-case letters, digits and '-' (for example ci-42)")
    return run


def range_hash(rng: Range) -> str:
    """A short hash of a range's definition, to tell copies of different versions apart."""
    return hashlib.sha256(rng.model_dump_json(by_alias=True).encode()).hexdigest()[:12]


def object_name(team: str, name: str) -> str:
    """Docker name of a team's host or segment."""
    return f"{APP}-{team}-{name}"


def bridge_name(team: str, segment: str) -> str:
    """Linux bridge name of a team's segment (at most 15 characters)."""
    return BRIDGE_PREFIX + hashlib.sha1(f"{team}/{segment}".encode()).hexdigest()[:10]


def connect_docker() -> docker.DockerClient:
    """A client for the local Docker engine, or a one-line error saying how to start it."""
    try:
        client = docker.from_env(timeout=120, max_pool_size=32)
        client.ping()
        return client
    except docker.errors.DockerException:
        raise BackendError("the Docker engine is not reachable: start it with `scripts/setup.sh` "
                           "(or `dockerd &` as root)") from None


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
        existing = self._containers(team)
        if existing:
            running_hash = existing[0].labels.get(LABEL_HASH)
            if running_hash != range_hash(rng) or any(c.status != "running" for c in existing):
                raise BackendError(f"team {team} already has a range up ({existing[0].labels.get(LABEL_RANGE)}): "
                                   f"run `cyder down --team {team}` first")
            return self._wait_healthy(team, rng, progress, timeout)
        if self.client.networks.list(filters={"label": [f"{LABEL_APP}={APP}", f"{LABEL_TEAM}={team}"]}):
            raise BackendError(f"team {team} has leftovers of an interrupted bring-up: run `cyder down --team {team}`")
        self._check_machine_overlap(rng)
        if warning := resolver_warning(self.engine_version()):
            progress(Progress("warning", team, message=warning))
        started = time.monotonic()
        try:
            networks = self._create_networks(rng, team, progress)
            with ThreadPoolExecutor(max_workers=1) as side:
                capture = side.submit(self._create_capture, rng, team, networks, images.node)
                self._create_hosts(rng, team, networks, images.node, progress, timeout)
                capture.result()
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
        return str(self.client.version().get("Version", ""))

    def _check_machine_overlap(self, rng: Range) -> None:
        machine = hostnet.machine_networks(ignore_interfaces=(BRIDGE_PREFIX,))
        wanted = [s.subnet for s in rng.segments] + [transport_pool()]
        clashes = hostnet.overlaps(wanted, machine)
        if clashes:
            ours, theirs = clashes[0]
            raise BackendError(f"range {rng.name}: {ours} overlaps this machine's network {theirs.network} "
                               f"({theirs.source}); change the range's subnets (or CYDER_TRANSPORT_POOL)")

    def _create_networks(self, rng: Range, team: str, progress: ProgressCallback) -> dict[str, Network]:
        labels = self._labels(rng, team)
        done = _Counter(len(rng.segments))
        # Transport subnets are chosen from what the engine has now, so teams coming up at once in
        # this process take turns; another process racing us gets "Pool overlaps" and tries again.
        with _TRANSPORT_LOCK:
            for attempt in range(5):
                subnets = self._free_transport_subnets(len(rng.segments))
                try:
                    created = self._parallel(lambda item: self._create_network(team, labels, *item),
                                             list(zip(rng.segments, subnets)))
                    break
                except docker.errors.APIError as exc:
                    if "overlaps" not in str(exc) or attempt == 4:
                        raise
                    self._remove_networks(team)
        for segment in rng.segments:
            bridge = bridge_name(team, segment.name)
            sealing.seal_bridge(bridge, team)
            # Before any container starts on it: no IPv6 on the bridge, and a hub for the capture.
            sealing.silence_ipv6(bridge)
            sealing.flood_bridge(bridge)
            progress(Progress("network", segment.name, done.next(), done.total, str(segment.subnet)))
        return {segment.name: network for segment, network in zip(rng.segments, created)}

    def _create_network(self, team: str, labels: dict[str, str], segment, subnet: ipaddress.IPv4Network) -> Network:
        ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=str(subnet))])
        return self.client.networks.create(
            object_name(team, segment.name), driver="bridge", internal=True, ipam=ipam,
            labels={**labels, LABEL_SEGMENT: segment.name, LABEL_TRANSPORT: str(subnet)},
            options={"com.docker.network.bridge.name": bridge_name(team, segment.name),
                     "com.docker.network.bridge.enable_ip_masquerade": "false"})

    def _free_transport_subnets(self, count: int) -> list[ipaddress.IPv4Network]:
        used = set()
        for network in self.client.networks.list():
            for config in (network.attrs.get("IPAM") or {}).get("Config") or []:
                if config.get("Subnet"):
                    used.add(ipaddress.ip_network(config["Subnet"], strict=False))
        free = [n for n in transport_pool().subnets(new_prefix=TRANSPORT_PREFIX)
                if not any(n.overlaps(u) for u in used)]
        if len(free) < count:
            raise BackendError(f"no room left in {transport_pool()} for {count} more segments: "
                               "bring some teams down (`cyder down --team T`)")
        return free[:count]

    def _create_hosts(self, rng: Range, team: str, networks: dict[str, Network], image: str,
                      progress: ProgressCallback, timeout: float) -> None:
        plans = build_plans(rng)
        labels = self._labels(rng, team)
        done = _Counter(len(rng.hosts))

        def create(host) -> None:
            plan = plans[host.name].to_json()
            plan["ready_timeout"] = timeout
            for iface in plan["interfaces"]:
                iface["transport"] = networks[iface["segment"]].attrs["Labels"][LABEL_TRANSPORT]
            first = networks[host.attachments[0].segment]
            sysctls = {"net.ipv4.ip_forward": "1" if plans[host.name].forwarding else "0",
                       "net.ipv6.conf.all.disable_ipv6": "1"}
            # dns=: the range's own resolvers, never the machine's. Docker's embedded resolver stays
            # at 127.0.0.11 on user networks; the agent drops every packet to it at boot.
            container = self.client.containers.create(
                image, name=object_name(team, host.name), hostname=host.name, init=True,
                labels={**labels, LABEL_HOST: host.name, LABEL_PLAN: json.dumps(
                    {"interfaces": plan["interfaces"], "routes": plan["routes"]})},
                network=first.name, cap_add=["NET_ADMIN"], sysctls=sysctls, detach=True,
                stop_signal="SIGTERM", dns=plan["nameservers"] or None)
            # Readable by root only: it carries accounts' passwords until the agent strips them after boot.
            container.put_archive("/", _tar({"etc/cyder/host.json": json.dumps(plan).encode()}, mode=0o600))
            for att in host.attachments[1:]:
                networks[att.segment].connect(container)
            with endpoint_lock(networks[a.segment].name for a in host.attachments):
                container.start()
            progress(Progress("host", host.name, done.next(), done.total, "started"))

        self._parallel(create, sorted(rng.hosts, key=_boot_order))

    def _create_capture(self, rng: Range, team: str, networks: dict[str, Network], image: str) -> None:
        """Start the team's capture container: on every segment, with no address, running tcpdump
        (the bridges were set to flood when they were made)."""
        plan = {"interfaces": [{"segment": name, "transport": network.attrs["Labels"][LABEL_TRANSPORT]}
                               for name, network in networks.items()]}
        names = list(networks)
        container = self.client.containers.create(
            image, name=object_name(team, CAPTURE_HOST), hostname=CAPTURE_HOST, init=True,
            command=[*AGENT, "capture"], network=networks[names[0]].name, cap_add=["NET_ADMIN"],
            labels={**self._labels(rng, team), LABEL_CAPTURE: "1"}, detach=True,
            sysctls={"net.ipv6.conf.all.disable_ipv6": "1"})
        container.put_archive("/", _tar({"etc/cyder/host.json": json.dumps(plan).encode()}, mode=0o600))
        for name in names[1:]:
            networks[name].connect(container)
        with endpoint_lock(network.name for network in networks.values()):
            container.start()

    def export_captures(self, team: str, folder: str) -> list[str]:
        """Copy the team's per-segment pcap files into a folder; return their paths."""
        import os

        check_team(team)
        container = self._container(team, CAPTURE_HOST)
        os.makedirs(folder, exist_ok=True)
        written = []
        for network in self.client.networks.list(filters={"label": [f"{LABEL_APP}={APP}", f"{LABEL_TEAM}={team}"]}):
            segment = network.attrs["Labels"][LABEL_SEGMENT]
            try:
                stream, _ = container.get_archive(f"{CAPTURE_DIR}/{segment}.pcap")
            except docker.errors.NotFound:
                continue
            with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
                member = tar.next()
                path = os.path.join(folder, f"{team}-{segment}.pcap")
                with open(path, "wb") as out:
                    out.write(tar.extractfile(member).read())
            written.append(path)
        return sorted(written)

    def _wait_healthy(self, team: str, rng: Range, progress: ProgressCallback, timeout: float) -> RangeStatus:
        """Wait for each host's agent to report its checks passing in the container's output."""
        deadline = time.monotonic() + timeout
        reports: queue.Queue[tuple[HostStatus, bool]] = queue.Queue()
        for host in rng.hosts:
            threading.Thread(target=self._follow_boot, args=(team, host.name, reports), daemon=True).start()
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
        return self._status_for(team, health=False, known=healthy)

    def _follow_boot(self, team: str, host: str, reports: queue.Queue) -> None:
        """Read a container's output until its agent's ready (or failed) line; queue the result."""
        try:
            container = self._container(team, host)
            pending = b""
            for chunk in container.logs(stream=True, follow=True):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    line = raw.decode(errors="replace")
                    for mark, ok in ((READY_MARK, True), (FAILED_MARK, False)):
                        if line.startswith(mark):
                            report = json.loads(line[len(mark):])
                            reports.put((HostStatus(host, "running", self._addresses(container), report["checks"],
                                                    report["failed"]), ok))
                            return
            reports.put((HostStatus(host, "exited", {}, failed=["the container stopped during boot"]), False))
        except (docker.errors.DockerException, BackendError, ValueError, KeyError) as exc:
            reports.put((HostStatus(host, "unknown", {}, failed=[f"boot report unreadable: {exc}"]), False))

    def _host_health(self, team: str, host: str) -> HostStatus:
        container = self._container(team, host)
        state = container.status
        services: dict[str, bool] = {}
        failed: list[str] = []
        booted = False
        if state == "running":
            result = self._exec(container, [*AGENT, "health"], timeout=15)
            try:
                report = json.loads(result.stdout)
                booted, services, failed = report["booted"], report["checks"], report["failed"]
            except (ValueError, KeyError):
                failed = [f"health report unreadable: {result.stderr.strip()[:200]}"]
        return HostStatus(host, state if booted or state != "running" else "starting",
                          self._addresses(container), services, failed)

    # -- tear-down and status -------------------------------------------------------------------

    def down(self, team: str | None, progress: ProgressCallback = no_progress) -> int:
        """Remove every container, network and host rule labelled for the team (or for all teams)."""
        if team is not None:
            check_team(team)
        filters = {"label": [f"{LABEL_APP}={APP}"] + ([f"{LABEL_TEAM}={team}"] if team else [])}
        containers = self.client.containers.list(all=True, filters=filters)
        done = _Counter(len(containers))

        def remove_container(container: Container) -> None:
            try:
                with endpoint_lock(container.attrs["NetworkSettings"]["Networks"]):
                    container.remove(force=True)
            except docker.errors.NotFound:
                pass
            progress(Progress("remove", container.name, done.next(), done.total))

        self._parallel(remove_container, containers)
        removed_networks = self._remove_networks(team)
        rules = sealing.unseal_team(team)
        return len(containers) + removed_networks + rules

    def _remove_networks(self, team: str | None) -> int:
        filters = {"label": [f"{LABEL_APP}={APP}"] + ([f"{LABEL_TEAM}={team}"] if team else [])}
        networks = self.client.networks.list(filters=filters)

        def remove_network(network: Network) -> None:
            # Docker 20.10 sometimes still lists an endpoint of a container it has just removed;
            # disconnecting it by force and trying again clears it.
            for _ in range(40):
                try:
                    network.remove()
                    return
                except docker.errors.NotFound:
                    return
                except docker.errors.APIError as exc:
                    if "active endpoints" not in str(exc):
                        raise
                try:
                    network.reload()
                    for endpoint in network.attrs.get("Containers") or {}:
                        with endpoint_lock([network.name]):
                            network.disconnect(endpoint, force=True)
                except docker.errors.DockerException:
                    pass
                time.sleep(0.25)
            raise BackendError(f"network {network.name} still has endpoints: remove it with "
                               f"`docker network rm {network.name}` once its containers are gone")

        self._parallel(remove_network, networks)
        return len(networks)

    def status(self, team: str | None = None, health: bool = True) -> list[RangeStatus]:
        """Every running range (or one team's), with service health when asked."""
        filters = {"label": [f"{LABEL_APP}={APP}"] + ([f"{LABEL_TEAM}={team}"] if team else [])}
        teams = sorted({c.labels[LABEL_TEAM] for c in self.client.containers.list(all=True, filters=filters)
                        if LABEL_CAPTURE not in c.labels})
        return [self._status_for(t, health) for t in teams]

    def _status_for(self, team: str, health: bool, known: dict[str, HostStatus] | None = None) -> RangeStatus:
        containers = self._containers(team)
        networks = self.client.networks.list(filters={"label": [f"{LABEL_APP}={APP}", f"{LABEL_TEAM}={team}"]})
        if known is not None:
            hosts = [known[c.labels[LABEL_HOST]] for c in containers if c.labels[LABEL_HOST] in known]
        elif health:
            hosts = self._parallel(lambda c: self._host_health(team, c.labels[LABEL_HOST]), containers)
        else:
            hosts = [HostStatus(c.labels[LABEL_HOST], c.status, self._addresses(c)) for c in containers]
        first = containers[0].labels if containers else {}
        return RangeStatus(team=team, range_name=first.get(LABEL_RANGE, "?"), range_hash=first.get(LABEL_HASH, "?"),
                           hosts=sorted(hosts, key=lambda h: h.name),
                           segments=sorted(n.attrs["Labels"][LABEL_SEGMENT] for n in networks),
                           collector=first.get(LABEL_COLLECTOR))

    # -- acting on hosts ------------------------------------------------------------------------

    def exec(self, team: str, host: str, command: list[str] | str, user: str = "root",
             timeout: float = 30.0) -> ExecResult:
        """Run a command in a host; a string runs through /bin/sh."""
        return self._exec(self._container(team, host), command, user=user, timeout=timeout)

    def _exec(self, container: Container, command: list[str] | str, user: str = "root",
              timeout: float = 30.0) -> ExecResult:
        argv = ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)
        # Docker has no exec timeout of its own; coreutils' timeout keeps a hung command bounded.
        argv = ["timeout", "-k", "2", str(int(max(1, timeout))), *argv]
        try:
            result = container.exec_run(argv, user=user, demux=True)
        except docker.errors.APIError as exc:
            raise BackendError(f"exec in {container.name} failed: {exc.explanation or exc}") from None
        out, err = result.output or (b"", b"")
        return ExecResult(result.exit_code, (out or b"").decode(errors="replace"), (err or b"").decode(errors="replace"))

    def read_file(self, team: str, host: str, path: str) -> bytes:
        """Read a file out of a host."""
        container = self._container(team, host)
        try:
            stream, _ = container.get_archive(path)
        except docker.errors.NotFound:
            raise BackendError(f"{host}: no such file {path}") from None
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            member = tar.next()
            if member is None or not member.isfile():
                raise BackendError(f"{host}: {path} is not a regular file")
            return tar.extractfile(member).read()

    def read_file_from(self, team: str, host: str, path: str, offset: int, limit: int) -> tuple[int, bytes]:
        """The file's size and up to `limit` bytes from `offset`, read with tail inside the host."""
        container = self._container(team, host)
        size = self._exec(container, ["stat", "-c", "%s", path], timeout=10)
        if not size.ok:
            return 0, b""
        quoted = shlex.quote(path)
        result = container.exec_run(["/bin/sh", "-c", f"tail -c +{int(offset) + 1} {quoted} | head -c {int(limit)}"],
                                    demux=True)
        return int(size.stdout.strip()), (result.output[0] or b"") if result.output else b""

    def follow_file(self, team: str, host: str, path: str, offset: int) -> ByteStream:
        """Stream a growing file from `offset` through one long-lived `tail -F` inside the host.

        Lines arrive within tens of milliseconds of being written; the stream ends when the host
        stops or the caller closes it (tail then dies on its next write).
        """
        container = self._container(team, host)
        # tail cannot use inotify on overlayfs and polls: every 50 ms rather than its default second.
        command = f"exec tail -c +{int(offset) + 1} -F -s 0.05 {shlex.quote(path)} 2>/dev/null"
        try:
            exec_id = self.client.api.exec_create(container.id, ["/bin/sh", "-c", command], stdout=True, stderr=False)
            return self.client.api.exec_start(exec_id, stream=True)
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot follow {path} on {host}: {exc.explanation or exc}") from None

    def usage(self, team: str, host: str) -> HostUsage:
        """CPU time and memory (without the page cache) of a host's container, from Docker's stats."""
        container = self._container(team, host)
        try:
            stats = self.client.api.stats(container.id, stream=False, one_shot=True)
        except docker.errors.APIError as exc:
            raise BackendError(f"no stats for {host}: {exc.explanation or exc}") from None
        memory = stats.get("memory_stats", {})
        cache = memory.get("stats", {}).get("inactive_file", memory.get("stats", {}).get("cache", 0))
        return HostUsage(stats["cpu_stats"]["cpu_usage"]["total_usage"] / 1e9, max(0, memory.get("usage", 0) - cache))

    def write_file(self, team: str, host: str, path: str, data: bytes, mode: int = 0o644) -> None:
        """Write a file into a host, creating its folder."""
        container = self._container(team, host)
        folder, name = path.rsplit("/", 1)
        self._exec(container, ["mkdir", "-p", folder or "/"])
        container.put_archive(folder or "/", _tar({name: data}, mode=mode))

    def connect(self, team: str, host: str, segment: str) -> None:
        """Attach a host to a segment again and give it back its range address there."""
        container = self._container(team, host)
        network = self._network(team, segment)
        try:
            with endpoint_lock([network.name]):
                network.connect(container)
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot connect {host} to {segment}: {exc.explanation or exc}") from None
        result = self._exec(container, [*AGENT, "attach", segment])
        if not result.ok:
            raise BackendError(f"{host}: address on {segment} not restored: {result.stderr.strip()}")

    def disconnect(self, team: str, host: str, segment: str) -> None:
        """Detach a host from a segment."""
        try:
            network = self._network(team, segment)
            with endpoint_lock([network.name]):
                network.disconnect(self._container(team, host))
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot disconnect {host} from {segment}: {exc.explanation or exc}") from None

    def host_status(self, team: str, host: str) -> HostStatus | None:
        """One host's state, addresses and service health, from a single health run in it."""
        try:
            return self._host_health(team, host)
        except BackendError:
            return None

    def check_service(self, team: str, host: str, service: str) -> bool:
        """Whether a host's service answers its health check now."""
        status = self._host_health(team, host)
        if service not in status.services:
            raise BackendError(f"host {host} has no service {service!r}")
        return status.services[service]

    # -- helpers --------------------------------------------------------------------------------

    def ensure_images(self, progress: ProgressCallback = no_progress) -> None:
        """Build the range images when they are missing (offline, about two minutes the first time)."""
        image_builder.build_images(self.client, progress=progress)

    def shell_command(self, team: str, host: str, tty: bool = True) -> list[str]:
        """`docker exec` into the host's container with a login shell."""
        container = self._container(team, host)
        flags = ["-it"] if tty else ["-i"]
        return ["docker", "exec", *flags, "-e", "TERM=" + os.environ.get("TERM", "xterm-256color"),
                container.name, "/bin/bash", "-l"]

    def _labels(self, rng: Range, team: str) -> dict[str, str]:
        labels = {LABEL_APP: APP, LABEL_TEAM: team, LABEL_RANGE: rng.name, LABEL_HASH: range_hash(rng)}
        if rng.logging:
            labels[LABEL_COLLECTOR] = rng.logging.collector
        if run := run_label():
            labels[LABEL_RUN] = run
        return labels

    def run_teams(self, run: str) -> list[str]:
        """The teams with any object labelled with a run id (CYDER_RUN), for removing exactly those."""
        label = {"label": [f"{LABEL_APP}={APP}", f"{LABEL_RUN}={run}"]}
        found = [c.labels.get(LABEL_TEAM) for c in self.client.containers.list(all=True, filters=label)]
        found += [(n.attrs.get("Labels") or {}).get(LABEL_TEAM) for n in self.client.networks.list(filters=label)]
        return sorted({team for team in found if team})

    def _containers(self, team: str) -> list[Container]:
        """The team's range hosts (not its capture container)."""
        found = self.client.containers.list(all=True, filters={"label": [f"{LABEL_APP}={APP}", f"{LABEL_TEAM}={team}"]})
        return [c for c in found if LABEL_CAPTURE not in c.labels]

    def _container(self, team: str, host: str) -> Container:
        """The team's container for a host: every backend call that names a host comes here. The
        name must be a range name (no path tricks reach the Docker API) and the container must
        carry cyder's label with this very team (no other team's or user's container is touched)."""
        check_team(team)
        check_name(host, "host")
        try:
            container = self.client.containers.get(object_name(team, host))
        except docker.errors.NotFound:
            raise BackendError(f"team {team} has no host {host!r} running: `cyder status` lists them") from None
        if container.labels.get(LABEL_APP) != APP or container.labels.get(LABEL_TEAM) != team:
            raise BackendError(f"container {container.name} is not team {team}'s host {host!r}")
        return container

    def _network(self, team: str, segment: str) -> Network:
        """The team's network for a segment, checked as `_container` checks hosts."""
        check_team(team)
        check_name(segment, "segment")
        try:
            network = self.client.networks.get(object_name(team, segment))
        except docker.errors.NotFound:
            raise BackendError(f"team {team} has no segment {segment!r}") from None
        labels = network.attrs.get("Labels") or {}
        if labels.get(LABEL_APP) != APP or labels.get(LABEL_TEAM) != team:
            raise BackendError(f"network {network.name} is not team {team}'s segment {segment!r}")
        return network

    def _addresses(self, container: Container) -> dict[str, str]:
        plan = json.loads(container.labels.get(LABEL_PLAN, "{}"))
        return {i["segment"]: i["address"] for i in plan.get("interfaces", [])}

    def _parallel(self, fn: Callable[[Any], T], items: Iterable[Any]) -> list[T]:
        items = list(items)
        if not items:
            return []
        pool = ThreadPoolExecutor(max_workers=min(self.workers, len(items)))
        try:
            return list(pool.map(fn, items))
        except BaseException:
            # On Ctrl-C or a failure, work not yet started is dropped rather than done and undone.
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            pool.shutdown(wait=True)


# Daemons that take longest to start (a database, then Samba and mail) get their containers first.
_SLOW_SERVICES = {"postgres": 0, "app": 1, "smb": 1, "smtp": 1, "imap": 1}


def _boot_order(host) -> int:
    return min((_SLOW_SERVICES.get(s.kind, 2) for s in host.services), default=2)


class _Counter:
    """A thread-safe count of finished items, for progress."""

    def __init__(self, total: int):
        self.total, self._done, self._lock = total, 0, threading.Lock()

    def next(self) -> int:
        with self._lock:
            self._done += 1
            return self._done


def _tar(files: dict[str, bytes], mode: int = 0o644) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


__all__ = ["DockerBackend", "connect_docker", "object_name", "range_hash"]

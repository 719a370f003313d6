"""A team's segments as Docker networks: creating and removing them, joining and leaving them, and
the locks that keep Docker's endpoint counts sound.

Each segment becomes a Docker `internal` bridge network on a transport subnet of its own (from
cyder's reserved pool), sealed by host rules (sealing.py) before any container starts on it. A
range whose subnets overlap the machine's own networks is refused first.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import os
import threading
import time
from collections.abc import Iterable, Iterator

import docker
import docker.errors
import docker.types
from docker.models.networks import Network

from ...model.load import transport_pool
from ...model.range import Range, Segment
from ..base import BackendError, Progress, ProgressCallback
from . import files, hostnet, objects, sealing
from .labels import BRIDGE_PREFIX, LABEL_SEGMENT, LABEL_TRANSPORT, bridge_name, object_name, range_labels, team_filter
from .parallel import Counter, parallel

TRANSPORT_PREFIX = 24
_TRANSPORT_LOCK = threading.Lock()
_LOCKS_GUARD = threading.Lock()
_NETWORK_LOCKS: dict[str, threading.Lock] = {}
LOCK_DIR = "/run/cyder-locks"


@contextlib.contextmanager
def endpoint_lock(networks: Iterable[str]) -> Iterator[None]:
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
        for name, lock in zip(names, locks, strict=True):
            stack.enter_context(lock)
            handle = stack.enter_context(open(f"{LOCK_DIR}/{name}.lock", "a"))
            fcntl.flock(handle, fcntl.LOCK_EX)
            stack.callback(fcntl.flock, handle, fcntl.LOCK_UN)
        yield


def check_machine_overlap(rng: Range) -> None:
    """Refuse a range whose subnets (or the transport pool) overlap a network this machine is on."""
    machine = hostnet.machine_networks(ignore_interfaces=(BRIDGE_PREFIX,))
    wanted = [s.subnet for s in rng.segments] + [transport_pool()]
    clashes = hostnet.overlaps(wanted, machine)
    if clashes:
        ours, theirs = clashes[0]
        raise BackendError(f"range {rng.name}: {ours} overlaps this machine's network {theirs.network} "
                           f"({theirs.source}); change the range's subnets (or CYDER_TRANSPORT_POOL)")


def create_networks(client: docker.DockerClient, rng: Range, team: str, progress: ProgressCallback,
                    workers: int) -> dict[str, Network]:
    """Create and seal the team's networks, one per segment; return them by segment name."""
    labels = range_labels(rng, team)
    done = Counter(len(rng.segments))
    # Transport subnets are chosen from what the engine has now, so teams coming up at once in
    # this process take turns; another process racing us gets "Pool overlaps" and tries again.
    with _TRANSPORT_LOCK:
        for attempt in range(5):
            subnets = free_transport_subnets(client, len(rng.segments))
            try:
                created = parallel(lambda item: create_network(client, team, labels, *item),
                                   list(zip(rng.segments, subnets, strict=True)), workers)
                break
            except docker.errors.APIError as exc:
                if "overlaps" not in str(exc) or attempt == 4:
                    raise
                remove_networks(client, team, workers)
    for segment in rng.segments:
        bridge = bridge_name(team, segment.name)
        sealing.seal_bridge(bridge, team)
        # Before any container starts on it: no IPv6 on the bridge, and a hub for the capture.
        sealing.silence_ipv6(bridge)
        sealing.flood_bridge(bridge)
        progress(Progress("network", segment.name, done.next(), done.total, str(segment.subnet)))
    return {segment.name: network for segment, network in zip(rng.segments, created, strict=True)}


def create_network(client: docker.DockerClient, team: str, labels: dict[str, str], segment: Segment,
                   subnet: ipaddress.IPv4Network) -> Network:
    """Create one segment's internal bridge network on its transport subnet."""
    ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=str(subnet))])
    return client.networks.create(
        object_name(team, segment.name), driver="bridge", internal=True, ipam=ipam,
        labels={**labels, LABEL_SEGMENT: segment.name, LABEL_TRANSPORT: str(subnet)},
        options={"com.docker.network.bridge.name": bridge_name(team, segment.name),
                 "com.docker.network.bridge.enable_ip_masquerade": "false"})


def free_transport_subnets(client: docker.DockerClient, count: int) -> list[ipaddress.IPv4Network]:
    """`count` transport subnets of the pool that no network on the engine uses now."""
    used = set()
    for network in client.networks.list():
        for config in (network.attrs.get("IPAM") or {}).get("Config") or []:
            if config.get("Subnet"):
                used.add(ipaddress.ip_network(config["Subnet"], strict=False))
    free = [n for n in transport_pool().subnets(new_prefix=TRANSPORT_PREFIX)
            if not any(n.overlaps(u) for u in used)]
    if len(free) < count:
        raise BackendError(f"no room left in {transport_pool()} for {count} more segments: "
                           "bring some teams down (`cyder down --team T`)")
    return free[:count]


def remove_networks(client: docker.DockerClient, team: str | None, workers: int) -> int:
    """Remove the team's networks (every team's when None); return how many there were."""
    networks = client.networks.list(filters=team_filter(team))

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
                    with endpoint_lock([objects.name_of(network)]):
                        network.disconnect(endpoint, force=True)
            except docker.errors.DockerException:
                pass
            time.sleep(0.25)
        raise BackendError(f"network {network.name} still has endpoints: remove it with "
                           f"`docker network rm {network.name}` once its containers are gone")

    parallel(remove_network, networks, workers)
    return len(networks)


def connect(client: docker.DockerClient, team: str, host: str, segment: str) -> None:
    """Attach a host to a segment again and give it back its range address there."""
    container = objects.container(client, team, host)
    network = objects.network(client, team, segment)
    try:
        with endpoint_lock([objects.name_of(network)]):
            network.connect(container)
    except docker.errors.APIError as exc:
        raise BackendError(f"cannot connect {host} to {segment}: {exc.explanation or exc}") from None
    result = files.exec_in(container, [*files.AGENT, "attach", segment])
    if not result.ok:
        raise BackendError(f"{host}: address on {segment} not restored: {result.stderr.strip()}")


def disconnect(client: docker.DockerClient, team: str, host: str, segment: str) -> None:
    """Detach a host from a segment."""
    try:
        network = objects.network(client, team, segment)
        with endpoint_lock([objects.name_of(network)]):
            network.disconnect(objects.container(client, team, host))
    except docker.errors.APIError as exc:
        raise BackendError(f"cannot disconnect {host} from {segment}: {exc.explanation or exc}") from None

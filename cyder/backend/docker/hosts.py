"""A team's hosts as Docker containers: creating and starting them (slowest daemons first), and
removing them.

Each container starts on its first segment with the host plan copied in, joins its other segments,
and starts under the endpoint lock of every segment it is on. The agent in it (its main process)
then applies the plan: the range's addresses, routes, accounts and files, then the daemons.
"""

from __future__ import annotations

import json

import docker
import docker.errors
from docker.models.containers import Container
from docker.models.networks import Network

from ...agent.contract import PLAN_PATH
from ...model.range import Host, Range
from ...provision import build_plans
from ...services import Service, as_service
from ..base import Progress, ProgressCallback
from .files import tar
from .labels import LABEL_HOST, LABEL_PLAN, LABEL_TRANSPORT, object_name, range_labels, team_filter
from .networks import endpoint_lock
from .objects import name_of
from .parallel import Counter, parallel


def boot_weight(host: Host) -> int:
    """When a host's container is created in a bring-up: lower first (its slowest daemon decides).
    Daemons that take longest to start (a database, then Samba and mail) get their containers
    first: each service kind's `boot_weight` (cyder/services/)."""
    return min((as_service(s).boot_weight for s in host.services), default=Service.boot_weight)


def create_hosts(client: docker.DockerClient, rng: Range, team: str, networks: dict[str, Network], image: str,
                 progress: ProgressCallback, timeout: float, workers: int) -> None:
    """Create and start the team's containers, one per host, on their networks (hosts with slow
    daemons first); the agent in each waits up to `timeout` for its daemons."""
    plans = build_plans(rng)
    labels = range_labels(rng, team)
    done = Counter(len(rng.hosts))

    def create(host: Host) -> None:
        plan = plans[host.name].to_json()
        plan["ready_timeout"] = timeout
        for iface in plan["interfaces"]:
            iface["transport"] = networks[iface["segment"]].attrs["Labels"][LABEL_TRANSPORT]
        first = networks[host.attachments[0].segment]
        sysctls = {"net.ipv4.ip_forward": "1" if plans[host.name].forwarding else "0",
                   "net.ipv6.conf.all.disable_ipv6": "1"}
        # dns=: the range's own resolvers, never the machine's. Docker's embedded resolver stays
        # at 127.0.0.11 on user networks; the agent drops every packet to it at boot.
        container = client.containers.create(
            image, name=object_name(team, host.name), hostname=host.name, init=True,
            labels={**labels, LABEL_HOST: host.name, LABEL_PLAN: json.dumps(
                {"interfaces": plan["interfaces"], "routes": plan["routes"]})},
            network=first.name, cap_add=["NET_ADMIN"], sysctls=sysctls, detach=True,
            stop_signal="SIGTERM", dns=plan["nameservers"] or None)
        # Readable by root only: it carries accounts' passwords until the agent strips them after boot.
        container.put_archive("/", tar({PLAN_PATH.lstrip("/"): json.dumps(plan).encode()}, mode=0o600))
        for att in host.attachments[1:]:
            networks[att.segment].connect(container)
        with endpoint_lock(name_of(networks[a.segment]) for a in host.attachments):
            container.start()
        progress(Progress("host", host.name, done.next(), done.total, "started"))

    parallel(create, sorted(rng.hosts, key=boot_weight), workers)


def remove_containers(client: docker.DockerClient, team: str | None, progress: ProgressCallback,
                      workers: int) -> int:
    """Remove the team's containers (every team's when None), capture included; return how many."""
    containers = client.containers.list(all=True, filters=team_filter(team))
    done = Counter(len(containers))

    def remove_container(container: Container) -> None:
        try:
            with endpoint_lock(container.attrs["NetworkSettings"]["Networks"]):
                container.remove(force=True)
        except docker.errors.NotFound:
            pass
        progress(Progress("remove", name_of(container), done.next(), done.total))

    parallel(remove_container, containers, workers)
    return len(containers)

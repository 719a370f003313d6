"""What runs: every team's range (or one team's) with its hosts, segments and service health, and
the teams that a run id (CYDER_RUN) made objects for."""

from __future__ import annotations

import docker

from ..base import BackendError, HostStatus, RangeStatus
from . import objects
from .boot import host_health
from .labels import (
    LABEL_CAPTURE,
    LABEL_COLLECTOR,
    LABEL_HASH,
    LABEL_HOST,
    LABEL_RANGE,
    LABEL_SEGMENT,
    LABEL_TEAM,
    run_filter,
    team_filter,
)
from .parallel import parallel


def ranges(client: docker.DockerClient, team: str | None, health: bool, workers: int) -> list[RangeStatus]:
    """Every running range (or one team's), with service health when asked."""
    # An empty team name lists every team, as no team does.
    filters = team_filter(team or None)
    teams = sorted({c.labels[LABEL_TEAM] for c in client.containers.list(all=True, filters=filters)
                    if LABEL_CAPTURE not in c.labels})
    return [range_status(client, t, health, workers) for t in teams]


def range_status(client: docker.DockerClient, team: str, health: bool, workers: int,
                 known: dict[str, HostStatus] | None = None) -> RangeStatus:
    """One team's range: its hosts (those in `known` when given, else asked for their health when
    `health`, else only their state and addresses) and its segments."""
    containers = objects.containers(client, team)
    networks = objects.networks(client, team)
    if known is not None:
        hosts = [known[c.labels[LABEL_HOST]] for c in containers if c.labels[LABEL_HOST] in known]
    elif health:
        hosts = parallel(lambda c: host_health(client, team, c.labels[LABEL_HOST]), containers, workers)
    else:
        hosts = [HostStatus(c.labels[LABEL_HOST], c.status, objects.addresses(c)) for c in containers]
    first = containers[0].labels if containers else {}
    return RangeStatus(team=team, range_name=first.get(LABEL_RANGE, "?"), range_hash=first.get(LABEL_HASH, "?"),
                       hosts=sorted(hosts, key=lambda h: h.name),
                       segments=sorted(n.attrs["Labels"][LABEL_SEGMENT] for n in networks),
                       collector=first.get(LABEL_COLLECTOR))


def host_status(client: docker.DockerClient, team: str, host: str) -> HostStatus | None:
    """One host's state, addresses and service health, from a single health run in it."""
    try:
        return host_health(client, team, host)
    except BackendError:
        return None


def check_service(client: docker.DockerClient, team: str, host: str, service: str) -> bool:
    """Whether a host's service answers its health check now."""
    status = host_health(client, team, host)
    if service not in status.services:
        raise BackendError(f"host {host} has no service {service!r}")
    return status.services[service]


def run_teams(client: docker.DockerClient, run: str) -> list[str]:
    """The teams with any object labelled with a run id (CYDER_RUN), for removing exactly those."""
    label = run_filter(run)
    found = [c.labels.get(LABEL_TEAM) for c in client.containers.list(all=True, filters=label)]
    found += [(n.attrs.get("Labels") or {}).get(LABEL_TEAM) for n in client.networks.list(filters=label)]
    return sorted({team for team in found if team})

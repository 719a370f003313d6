"""Team-checked lookups of a team's containers and networks: every backend call that names a host
or a segment finds its Docker object here.

A name must be a range name (no path tricks reach the Docker API) and the object must carry cyder's
label with this very team, so no other team's or user's container or network is ever touched.
"""

from __future__ import annotations

import json
from typing import cast

import docker
import docker.errors
from docker.models.containers import Container
from docker.models.networks import Network

from ..base import BackendError, check_name, check_team
from .labels import APP, LABEL_APP, LABEL_CAPTURE, LABEL_PLAN, LABEL_TEAM, object_name, team_filter


def container(client: docker.DockerClient, team: str, host: str) -> Container:
    """The team's container for a host: every backend call that names a host comes here. The
    name must be a range name (no path tricks reach the Docker API) and the container must
    carry cyder's label with this very team (no other team's or user's container is touched)."""
    check_team(team)
    check_name(host, "host")
    try:
        found = client.containers.get(object_name(team, host))
    except docker.errors.NotFound:
        raise BackendError(f"team {team} has no host {host!r} running: `cyder status` lists them") from None
    if found.labels.get(LABEL_APP) != APP or found.labels.get(LABEL_TEAM) != team:
        raise BackendError(f"container {found.name} is not team {team}'s host {host!r}")
    return found


def network(client: docker.DockerClient, team: str, segment: str) -> Network:
    """The team's network for a segment, checked as `container` checks hosts."""
    check_team(team)
    check_name(segment, "segment")
    try:
        found = client.networks.get(object_name(team, segment))
    except docker.errors.NotFound:
        raise BackendError(f"team {team} has no segment {segment!r}") from None
    labels = found.attrs.get("Labels") or {}
    if labels.get(LABEL_APP) != APP or labels.get(LABEL_TEAM) != team:
        raise BackendError(f"network {found.name} is not team {team}'s segment {segment!r}")
    return found


def containers(client: docker.DockerClient, team: str) -> list[Container]:
    """The team's range hosts (not its capture container)."""
    found = client.containers.list(all=True, filters=team_filter(team))
    return [c for c in found if LABEL_CAPTURE not in c.labels]


def networks(client: docker.DockerClient, team: str) -> list[Network]:
    """The team's networks, one per segment (leftovers of an interrupted bring-up included)."""
    return client.networks.list(filters=team_filter(team))


def name_of(thing: Container | Network) -> str:
    """The name of a container or network that the engine returned (the SDK's types allow None; it never is)."""
    return cast(str, thing.name)


def id_of(thing: Container | Network) -> str:
    """The id of a container or network that the engine returned (the SDK's types allow None; it never is)."""
    return cast(str, thing.id)


def addresses(container: Container) -> dict[str, str]:
    """A host's range address on each segment, from the plan label it was created with."""
    plan = json.loads(container.labels.get(LABEL_PLAN, "{}"))
    return {i["segment"]: i["address"] for i in plan.get("interfaces", [])}

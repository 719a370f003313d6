"""A team's packet capture: one container on every segment, with no address, running tcpdump per
segment (the bridges flood every frame to it), and copying its pcap files out."""

from __future__ import annotations

import io
import json
import os
import tarfile

import docker
import docker.errors
from docker.models.networks import Network

from ...agent.contract import PLAN_PATH
from ...model.range import Range
from ..base import check_team
from . import objects
from .files import AGENT, tar
from .labels import LABEL_CAPTURE, LABEL_SEGMENT, LABEL_TRANSPORT, object_name, range_labels
from .networks import endpoint_lock

CAPTURE_HOST = "capture"
CAPTURE_DIR = "/var/lib/cyder/pcap"


def create_capture(client: docker.DockerClient, rng: Range, team: str, networks: dict[str, Network],
                   image: str) -> None:
    """Start the team's capture container: on every segment, with no address, running tcpdump
    (the bridges were set to flood when they were made)."""
    plan = {"interfaces": [{"segment": name, "transport": network.attrs["Labels"][LABEL_TRANSPORT]}
                           for name, network in networks.items()]}
    names = list(networks)
    container = client.containers.create(
        image, name=object_name(team, CAPTURE_HOST), hostname=CAPTURE_HOST, init=True,
        command=[*AGENT, "capture"], network=networks[names[0]].name, cap_add=["NET_ADMIN"],
        labels={**range_labels(rng, team), LABEL_CAPTURE: "1"}, detach=True,
        sysctls={"net.ipv6.conf.all.disable_ipv6": "1"})
    container.put_archive("/", tar({PLAN_PATH.lstrip("/"): json.dumps(plan).encode()}, mode=0o600))
    for name in names[1:]:
        networks[name].connect(container)
    with endpoint_lock(objects.name_of(network) for network in networks.values()):
        container.start()


def export_captures(client: docker.DockerClient, team: str, folder: str) -> list[str]:
    """Copy the team's per-segment pcap files into a folder; return their paths."""
    check_team(team)
    container = objects.container(client, team, CAPTURE_HOST)
    os.makedirs(folder, exist_ok=True)
    written = []
    for network in objects.networks(client, team):
        segment = network.attrs["Labels"][LABEL_SEGMENT]
        try:
            stream, _ = container.get_archive(f"{CAPTURE_DIR}/{segment}.pcap")
        except docker.errors.NotFound:
            continue
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
            member = archive.next()
            path = os.path.join(folder, f"{team}-{segment}.pcap")
            with open(path, "wb") as out:
                pcap = archive.extractfile(member) if member is not None else None
                assert pcap is not None  # Docker's archive of a file holds that file
                out.write(pcap.read())
        written.append(path)
    return sorted(written)

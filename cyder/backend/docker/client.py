"""The connection to the local Docker engine: connecting, the engine's version, and what to warn about it."""

from __future__ import annotations

import re

import docker
import docker.errors

from ..base import BackendError

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


def connect_docker() -> docker.DockerClient:
    """A client for the local Docker engine, or a one-line error saying how to start it."""
    try:
        client = docker.from_env(timeout=120, max_pool_size=32)
        client.ping()
        return client
    except docker.errors.DockerException:
        raise BackendError("the Docker engine is not reachable: start it with `scripts/setup.sh` "
                           "(or `dockerd &` as root)") from None


def engine_version(client: docker.DockerClient) -> str:
    """The Docker engine's version (as it reports it, e.g. 20.10.24+dfsg1)."""
    return str(client.version().get("Version", ""))

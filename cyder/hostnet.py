"""Moved to cyder/backend/docker/hostnet.py (only the Docker backend reads the machine's networks):
this shim keeps the old import path working until every caller imports the new one; it is deleted
at the end of issue 13. Patch `_ip` on the new module, not here: the functions read it from there."""

from .backend.docker.hostnet import HostNetwork, machine_networks, overlaps

__all__ = ["HostNetwork", "machine_networks", "overlaps"]

"""The base of every service kind: what the layers above the model ask of a service.

A kind is one class under cyder/services/<kind>.py: the pydantic model of its YAML fields (derived
from model.range.ServiceParams, which the model layer knows), its facts as ClassVars and its
behaviour as methods, registered with `@SERVICES.register`. This base adds to ServiceParams what
provisioning, the range backends, the evidence parser and the availability checks use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from ..model.range import Host, ServiceParams
from .context import HostPlan, RangeContext

Parsed = tuple[str, dict[str, Any]]
"""An evidence event's kind and fields, as a log parser finds them in one line."""
LogParser = Callable[[str], Parsed | None]
"""Reads the message of one log line (after the syslog tag); None when it is not its kind of line."""


class Service(ServiceParams):
    """A service kind: a real daemon on a host of the range, configured from its parameters."""

    daemon: ClassVar[str] = ""
    """The daemon, in words (the docs' services table)."""
    evidence: ClassVar[str] = ""
    """What it leaves for the defenders, in words (the docs' services table)."""
    option_notes: ClassVar[Mapping[str, str]] = {}
    """A word on some of its fields for the docs' services table (`relay_to` (gateway))."""
    boot_weight: ClassVar[int] = 2
    """Range backends start hosts with lower weights first (slow daemons first); a host takes the
    lowest weight among its services."""
    log_parsers: ClassVar[Mapping[str, tuple[LogParser, ...]]] = {}
    """Syslog tag (program name) -> the parsers of its lines, tried in turn."""
    log_tag_prefixes: ClassVar[tuple[str, ...]] = ()
    """Tags that stand for the one of `log_parsers` they start with (squid's tags carry a suffix)."""

    def plan(self, ctx: RangeContext, host: Host, plan: HostPlan) -> None:
        """Configure the daemon on its host: files, accounts, and how to start and check it."""
        raise NotImplementedError(f"{type(self).__name__} has no planner")

    @classmethod
    def probe_command(cls, address: str, port: int) -> str:
        """A shell command, run on a user's host, that succeeds when the service answers at the
        address (availability rounds); by default, that its TCP port accepts connections."""
        return f"nc -z -w 3 {address} {port}"

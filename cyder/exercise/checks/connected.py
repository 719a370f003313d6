"""The `connected` check: a host has its addresses on all of its segments again (recovery)."""

from __future__ import annotations

from typing import ClassVar, Literal

from ...model.rubric import CHECKS
from ...scenario.defence import RangeView
from .base import Check, CheckResult, good_if


@CHECKS.register
class ConnectedCheck(Check):
    """A host has its addresses on all of its segments (it was reconnected)."""

    kind: Literal["connected"]

    order: ClassVar[int] = 60
    bad: ClassVar[str] = "`host` is cut off from one of its segments"
    good: ClassVar[str] = "it has its addresses on all of them"

    def run(self, view: RangeView, baselines: dict[str, str]) -> CheckResult:
        """The host's IPv4 addresses compared with its attachments in the range."""
        host = self.host
        spec = view.range.host(host)
        shown = view.backend.exec(view.team, host, "ip -o -4 addr show")
        if not shown.ok:
            return CheckResult("unknown", f"addresses of {host} unreadable")
        if spec is None:
            raise KeyError(f"unknown host {host!r} in range {view.range.name}")
        missing = [a.segment for a in spec.attachments if f" {a.address}/" not in shown.stdout]
        return good_if(not missing, f"{host} is {'connected' if not missing else 'cut off from ' + ', '.join(missing)}")

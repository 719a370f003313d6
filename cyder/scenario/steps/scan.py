"""The `scan` step: reconnaissance, a TCP SYN scan crafted with scapy inside the source host."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ...model.range import Port, Range
from ...model.scenario import STEP_ACTIONS, Ref, RefCheck
from ..defence import Route
from .base import Indicators, Outcome, StepContext, StepKind, failed_unless


@STEP_ACTIONS.register
class ScanAction(StepKind):
    """Reconnaissance: a TCP SYN scan crafted with scapy from `source` against hosts or a segment."""

    kind: Literal["scan"]
    source: Ref
    targets: list[Ref] = Field(min_length=1, description="hosts, segments or addresses")
    ports: list[Port] = Field([22, 25, 53, 80, 139, 443, 445, 3389, 5432, 8080], min_length=1)

    order: ClassVar[int] = 10
    host_fields: ClassVar[tuple[str, ...]] = ("source",)

    def check_refs(self, refs: RefCheck) -> None:
        """Each target is a segment, a host or an address."""
        for t, target in enumerate(self.targets):
            if refs.range.segment(target) is None:
                refs.host(target, ("targets", t), allow_address=True)

    def hosts(self, rng: Range) -> list[str]:
        """The source and the targets that are hosts."""
        return super().hosts(rng) + [t for t in self.targets if rng.host(t)]

    def indicators(self, found: Indicators) -> None:
        """The scanning host's address."""
        source = found.range.host(self.source)
        found.add("addresses", str(source.primary_address) if source else found.address_of(self.source))

    async def run(self, ctx: StepContext) -> Outcome:
        """A TCP SYN scan crafted with scapy, sent from the source host to each target and port."""
        targets = []
        for target in self.targets:
            segment = ctx.variant.range.segment(target)
            if segment is not None:
                targets += [str(h.address_on(target)) for h in ctx.variant.range.hosts_on(target)]
            else:
                targets.append(ctx.address(target, seen_from=self.source))
        script = (
            "from scapy.all import IP, TCP, sr, conf\nconf.verb = 0\n"
            f"answered, _ = sr(IP(dst={targets!r})/TCP(sport=40000, dport={list(self.ports)!r}, flags='S'), "
            "timeout=2, retry=0)\n"
            "for sent, got in answered:\n"
            "    if got.haslayer(TCP) and got[TCP].flags & 0x12 == 0x12:\n"
            "        print(sent[IP].dst, sent[TCP].dport)\n")
        result = await ctx.run(self.source, ["python3", "-c", script], timeout=60)
        if not result.ok:
            return failed_unless(result, "scan could not run")
        open_ports = [line.split() for line in result.stdout.splitlines() if line.strip()]
        return Outcome(True, details={"open": [f"{ip}:{port}" for ip, port in open_ports],
                                      "probes": len(targets) * len(self.ports)})

    def route(self, ctx: StepContext) -> Route:
        """From the source to every target."""
        return Route(hosts=(self.source,), addresses=ctx.addresses(self.source, *self.targets))

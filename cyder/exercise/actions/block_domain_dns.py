"""The `block-domain-dns` action: sinkhole a domain (and every name under it) at the organisation's DNS server."""

from __future__ import annotations

import shlex
from typing import ClassVar, Literal

from ...services.dns import DnsService
from .base import ACTION_KINDS, Action, ActionContext, DomainName


@ACTION_KINDS.register
class BlockDomainDnsAction(Action):
    """Sinkhole a domain (and every name under it) at the organisation's DNS server."""

    action: Literal["block-domain-dns"]
    domain: DomainName

    order: ClassVar[int] = 20
    help: ClassVar[str] = "sinkhole a domain at the organisation's DNS"

    def run(self, ctx: ActionContext) -> str:
        """A zone answering 0.0.0.0 for the domain, included by BIND, reloaded and asked."""
        domain = self.domain
        dns = ctx.organisation_dns()
        zone = (f"$TTL 60\n@ IN SOA sinkhole. hostmaster.sinkhole. (1 3600 600 86400 60)\n@ IN NS {dns}.\n"
                "@ IN A 0.0.0.0\n* IN A 0.0.0.0\n")
        path = f"{DnsService.SINKHOLE_DIR}/db.{domain}"
        ctx.backend.write_file(ctx.team, dns, path, zone.encode())
        stanza = f'zone "{domain}" {{ type master; file "{path}"; }};'
        conf = DnsService.SINKHOLE_CONF
        ctx.sh(dns, f"grep -qF {shlex.quote(stanza)} {conf} || "
                    f"echo {shlex.quote(stanza)} >> {conf}; pkill -HUP -x named", "reloading BIND")
        ctx.sh(dns, f"for i in $(seq 50); do dig +short @127.0.0.1 {domain} | grep -qx 0.0.0.0 && exit 0; "
                    "sleep 0.1; done; exit 1", "checking the sinkhole")
        return f"{domain} sinkholed at {dns}"

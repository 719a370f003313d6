"""The `block-domain-proxy` action: deny a domain (and every name under it) at the web proxy."""

from __future__ import annotations

from typing import ClassVar, Literal

from ...services.proxy import ProxyService
from .base import ACTION_KINDS, Action, ActionContext, DomainName


@ACTION_KINDS.register
class BlockDomainProxyAction(Action):
    """Deny a domain (and every name under it) at the web proxy."""

    action: Literal["block-domain-proxy"]
    domain: DomainName

    order: ClassVar[int] = 30
    help: ClassVar[str] = "deny a domain at the web proxy"

    def run(self, ctx: ActionContext) -> str:
        """The domain appended to Squid's deny list, unless already there, and Squid reconfigured."""
        domain = self.domain
        proxy = ctx.proxy()
        deny = ProxyService.DENY_FILE
        ctx.sh(proxy, f"grep -qxF .{domain} {deny} || echo .{domain} >> {deny}; squid -k reconfigure",
               "reconfiguring Squid")
        return f"{domain} denied at {proxy}"

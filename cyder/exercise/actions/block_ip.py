"""The `block-ip` action: reject traffic to and from an address at the firewall (logged as FW BLOCK)."""

from __future__ import annotations

from typing import ClassVar, Literal

from .base import ACTION_KINDS, Action, ActionContext, IpAddress


@ACTION_KINDS.register
class BlockIpAction(Action):
    """Reject traffic to and from an address at the firewall (logged as FW BLOCK)."""

    action: Literal["block-ip"]
    address: IpAddress

    order: ClassVar[int] = 10
    help: ClassVar[str] = "reject traffic to and from an address at the firewall"

    def run(self, ctx: ActionContext) -> str:
        """Two iptables REJECT rules (both directions) in the firewall's FORWARD chain, unless already there."""
        address = self.address
        fw = ctx.firewall()
        for direction in ("-d", "-s"):
            ctx.sh(fw, f"iptables -C FORWARD {direction} {address} -j REJECT 2>/dev/null || "
                       f"iptables -I FORWARD 2 {direction} {address} -j REJECT", "blocking an address")
        return f"{address} blocked at {fw}"

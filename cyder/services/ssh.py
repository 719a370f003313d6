"""The `ssh` service: an OpenSSH server with password logins, each host with its own key.

sshd logs every login attempt to the auth log (the `sshd` tag): the evidence of password guessing.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from ..model.range import SERVICES, Host, Ports
from .base import LogParser, Parsed, Service
from .context import HostPlan, RangeContext, ServicePlan, banner_check

SSH_AUTH = re.compile(r"^(?P<result>Failed|Accepted) (?P<method>\S+) for (?:invalid user )?(?P<user>\S+) from "
                      r"(?P<client>[\d.]+) port (?P<port>\d+)")


def parse_auth(message: str) -> Parsed | None:
    """A failed or accepted login: the user, the client's address and the method."""
    m = SSH_AUTH.match(message)
    if not m:
        return None
    return ("auth", {"result": "failure" if m["result"] == "Failed" else "success", "user": m["user"],
                     "client": m["client"], "method": m["method"], "service": "ssh"})


@SERVICES.register
class SshService(Service):
    """An OpenSSH server with password logins."""

    kind: Literal["ssh"] = "ssh"

    order: ClassVar[int] = 60
    ports: ClassVar[Ports] = (("tcp", 22),)
    daemon: ClassVar[str] = "OpenSSH"
    evidence: ClassVar[str] = "auth log"
    log_parsers: ClassVar[dict[str, tuple[LogParser, ...]]] = {"sshd": (parse_auth,)}

    def plan(self, ctx: RangeContext, host: Host, plan: HostPlan) -> None:
        """sshd_config, and a host key of its own."""
        plan.add_file("/etc/ssh/sshd_config", (
            "HostKey /etc/ssh/ssh_host_ed25519_key\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\n"
            "PermitRootLogin no\nUsePAM yes\nSyslogFacility AUTH\nLogLevel VERBOSE\nPrintMotd no\n"
            "Subsystem sftp /usr/lib/openssh/sftp-server\n"))
        # Each host gets its own key, as real machines do; the image's shared keys are removed.
        plan.services.append(ServicePlan(
            "ssh",
            ["rm -f /etc/ssh/ssh_host_*", "ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key",
             "mkdir -p /run/sshd", "/usr/sbin/sshd"],
            banner_check(22, "SSH-")))

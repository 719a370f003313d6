"""The `smb` service: a Samba file server with shared folders.

Every staff member (and, on the organisation's file server, every simulated PC's user) gets an
account; Samba's full_audit module logs every open, rename and delete to syslog (the `smbd_audit`
tag): the file-access evidence.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StrictBool

from ..agent.contract import agent_command
from ..model.population import file_server
from ..model.range import SERVICES, AbsolutePath, Host, Ports, Strict, english, rule, single_line
from .base import LogParser, Parsed, Service
from .context import HostPlan, RangeContext, ServicePlan

SMB_AUDIT = re.compile(r"^(?P<user>[^|]*)\|(?P<client>[^|]*)\|(?P<machine>[^|]*)\|(?P<share>[^|]*)\|(?P<op>[^|]*)\|"
                       r"(?P<result>[^|]*)\|(?P<path>.*)$")


def parse_audit(message: str) -> Parsed | None:
    """One full_audit line: user, client, share, operation, result and path."""
    m = SMB_AUDIT.match(message)
    if not m:
        return None
    return ("file-access", {"user": m["user"], "client": m["client"], "share": m["share"],
                            "operation": m["op"], "result": m["result"], "path": m["path"]})


class Share(Strict):
    """A file share; its files are placed with the host's `files`."""

    name: Annotated[str, single_line("a share name")] = Field(pattern=rule(
        r"^[^/\\\[\]:;|=,+*?<>\"]{1,80}$",
        "use up to 80 characters without / \\ [ ] : ; | = , + * ? < > or \""))
    path: AbsolutePath
    comment: Annotated[str, single_line("a share's comment")] = ""
    writable: StrictBool = True


@SERVICES.register
class SmbService(Service):
    """A Samba file server with shared folders."""

    kind: Literal["smb"] = "smb"
    workgroup: str = "WORKGROUP"
    shares: list[Share] = []

    order: ClassVar[int] = 70
    ports: ClassVar[Ports] = (("tcp", 445),)
    serves_files: ClassVar[bool] = True
    daemon: ClassVar[str] = "Samba"
    evidence: ClassVar[str] = "full_audit file access log"
    boot_weight: ClassVar[int] = 1
    log_parsers: ClassVar[dict[str, tuple[LogParser, ...]]] = {"smbd_audit": (parse_audit,)}

    def share_names(self) -> tuple[str, ...]:
        """The names of its shares."""
        return tuple(s.name for s in self.shares)

    def plan(self, ctx: RangeContext, host: Host, plan: HostPlan) -> None:
        """smb.conf with full_audit, the shares' folders, and the accounts (imported at start)."""
        rng = ctx.range
        conf = [
            "[global]", f"   workgroup = {self.workgroup}", f"   netbios name = {host.name.upper()[:15]}",
            "   server role = standalone server", "   map to guest = bad user", "   disable netbios = yes",
            "   smb ports = 445", "   logging = syslog@2", "   load printers = no", "   printing = bsd",
            "   printcap name = /dev/null", "   disable spoolss = yes", "   unix charset = UTF-8",
            # A plain smbpasswd file: a thousand simulated staff are written into it at once.
            "   passdb backend = smbpasswd:/etc/samba/smbpasswd",
            # full_audit writes every open, rename and delete to syslog: the file-access evidence. %U is
            # the account that logged on (%u would be the forced user, root).
            "   vfs objects = full_audit", "   full_audit:prefix = %U|%I|%m|%S",
            "   full_audit:success = connect disconnect openat renameat unlinkat mkdirat",
            "   full_audit:failure = connect openat", "   full_audit:facility = LOCAL5",
            "   full_audit:priority = NOTICE", ""]
        for share in self.shares:
            conf += [f"[{share.name}]", f"   path = {share.path}", f"   comment = {share.comment}",
                     f"   read only = {'no' if share.writable else 'yes'}", "   guest ok = yes",
                     "   force user = root", ""]
            plan.add_file(f"{share.path}/.cyder-share", "")
        plan.add_file("/etc/samba/smb.conf", "\n".join(conf))
        start = ["mkdir -p /run/samba /var/lib/samba/private"]
        accounts = []
        for member in rng.staff:
            plan.add_user(member.user, member.password, english(member.name), shell="/usr/sbin/nologin")
            accounts.append([member.user, member.password])
        if (server := file_server(rng)) and server.name == host.name:
            for person in ctx.people:
                plan.add_bulk_user(person.user, english(person.name))
                accounts.append([person.user, person.password])
        if accounts:
            plan.add_file("/etc/cyder/smb-users.json", json.dumps(accounts), mode="0600")
            start.append(agent_command("smb-import", "/etc/cyder/smb-users.json"))
        start.append("smbd -D")
        plan.services.append(ServicePlan("smb", start, "smbclient -N -L //127.0.0.1 -m SMB3 >/dev/null 2>&1"))

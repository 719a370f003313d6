"""The `imap` service: a Dovecot IMAP server over the mailboxes of the smtp service beside it.

The simulated staff log in from a password file, the named staff and admins through PAM; Dovecot
logs every login to syslog (the `dovecot` tag).
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from ..model.range import SERVICES, AddProblem, Host, Ports, RangeIndex
from ..model.yamlsource import PathKey
from .base import LogParser, Parsed, Service
from .context import HostPlan, RangeContext, ServicePlan, banner_check
from .smtp import SmtpService

DOVECOT_LOGIN = re.compile(r"imap-login: Login: user=<(?P<user>[^>]*)>.*?rip=(?P<client>[\d.]+)")


def parse_login(message: str) -> Parsed | None:
    """A successful IMAP login: the user and the client's address."""
    m = DOVECOT_LOGIN.search(message)
    return ("auth", {"result": "success", "user": m["user"], "client": m["client"], "service": "imap"}) if m else None


@SERVICES.register
class ImapService(Service):
    """A Dovecot IMAP server over the host's mailboxes."""

    kind: Literal["imap"] = "imap"

    order: ClassVar[int] = 30
    ports: ClassVar[Ports] = (("tcp", 143),)
    daemon: ClassVar[str] = "Dovecot"
    evidence: ClassVar[str] = "logins in the mail log"
    boot_weight: ClassVar[int] = 1
    log_parsers: ClassVar[dict[str, tuple[LogParser, ...]]] = {"dovecot": (parse_login,)}

    def check_range(self, host: Host, where: PathKey, index: RangeIndex, add: AddProblem) -> None:
        """The mailboxes it serves are the smtp service's, on the same host."""
        if host.service(SmtpService) is None:
            add((*where, "kind"), "imap needs the smtp service on the same host (it serves its mailboxes)")

    def plan(self, ctx: RangeContext, host: Host, plan: HostPlan) -> None:
        """Dovecot's configuration, and a password file for the simulated staff."""
        plan.add_file("/etc/dovecot/local.conf", (
            "protocols = imap\nlisten = *\nmail_location = maildir:~/Maildir\n"
            "disable_plaintext_auth = no\nssl = no\nauth_mechanisms = plain login\n"
            "log_path = syslog\nsyslog_facility = mail\nauth_verbose = yes\n"
            "service imap-login {\n  process_min_avail = 2\n}\n"))
        if ctx.people:
            # The simulated staff log in from a password file (looked up first: a failed PAM lookup
            # costs seconds); the named staff and admins are system accounts checked through PAM.
            plan.add_file("/etc/dovecot/staff.passwd",
                          "".join(f"{p.user}:{{PLAIN}}{p.password}::::::\n" for p in ctx.people),
                          owner="dovecot", mode="0640")
            plan.add_file("/etc/dovecot/conf.d/auth-system.conf.ext", (
                "passdb {\n  driver = passwd-file\n"
                "  args = scheme=PLAIN username_format=%n /etc/dovecot/staff.passwd\n}\n"
                "passdb {\n  driver = pam\n}\nuserdb {\n  driver = passwd\n}\n"))
        plan.services.append(ServicePlan("imap", ["dovecot"], banner_check(143, r"\* OK")))

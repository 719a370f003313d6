"""The `smtp` service: a Postfix mail server, or with `relay_to` a gateway passing mail on.

The organisation's final mail server (no `relay_to`) holds every staff member's Maildir, with a
welcome mail from the IT department; Postfix logs to syslog (the `postfix` tag), which is the
mail evidence. MAIL_PRESENT and MAIL_DELIVERED are the shell probes that find a sender's mail in a
mailbox and in the mail log (the attack's preconditions and the mail checks use them).
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field

from ..model.range import SERVICES, AddProblem, Domain, Host, Name, Ports, RangeIndex, Staff, english, japanese
from ..model.yamlsource import PathKey
from .base import LogParser, Parsed, Service
from .context import HostPlan, RangeContext, ServicePlan, banner_check

POSTFIX_DELIVERY = re.compile(r"^(?P<queue>[0-9A-F]+): to=<(?P<to>[^>]*)>, relay=(?P<relay>[^,]+), "
                              r".*status=(?P<status>\w+)")
POSTFIX_FROM = re.compile(r"^(?P<queue>[0-9A-F]+): from=<(?P<sender>[^>]*)>")
POSTFIX_CONNECT = re.compile(r"^connect from (?P<client_name>[^\[]+)\[(?P<client>[\d.]+)\]")


def parse_postfix(message: str) -> Parsed | None:
    """A delivery, a sender or a connection that Postfix logged."""
    if m := POSTFIX_DELIVERY.match(message):
        return ("mail", {"queue": m["queue"], "to": m["to"].lower(), "relay": m["relay"], "status": m["status"]})
    if m := POSTFIX_FROM.match(message):
        return ("mail", {"queue": m["queue"], "from": m["sender"].lower()})
    if m := POSTFIX_CONNECT.match(message):
        return ("mail-connect", {"client": m["client"], "client_name": m["client_name"]})
    return None


@SERVICES.register
class SmtpService(Service):
    """A Postfix mail server; with `relay_to` it is a gateway passing the organisation's mail on."""

    kind: Literal["smtp"] = "smtp"
    domains: list[Domain] = Field([], description="mail domains handled here; default: the zones this host's range "
                                                  "serves from it")
    relay_to: Name | None = Field(None, description="host to relay the domains' mail to (mail gateway)")
    relayhost: Name | None = Field(None, description="host to send all other mail through (smarthost)")

    order: ClassVar[int] = 20
    ports: ClassVar[Ports] = (("tcp", 25),)
    handles_mail: ClassVar[bool] = True
    daemon: ClassVar[str] = "Postfix"
    evidence: ClassVar[str] = "mail log, Maildir mailboxes"
    option_notes: ClassVar[dict[str, str]] = {"relay_to": "gateway", "relayhost": "smarthost"}
    boot_weight: ClassVar[int] = 1
    log_parsers: ClassVar[dict[str, tuple[LogParser, ...]]] = {"postfix": (parse_postfix,)}
    MAIL_PRESENT: ClassVar[str] = "grep -rlF {sender} /home/{user}/Maildir/new /home/{user}/Maildir/cur 2>/dev/null"
    """Lists the user's mails that contain the sender's address (format with sender and user)."""
    MAIL_DELIVERED: ClassVar[str] = (
        "for id in $(grep -F {sender} /var/log/mail.log 2>/dev/null "
        "| sed -n 's/.*: \\([0-9A-Za-z]\\{{6,\\}}\\): from=.*/\\1/p'); "
        "do grep -F \"$id: to=\" /var/log/mail.log | grep -q 'status=sent' && echo delivered && break; done")
    """Prints "delivered" when Postfix's log on the host shows a message from the sender delivered
    (its queue id logged with from=<...>, and a status=sent line for the same id)."""

    def relays_mail(self) -> bool:
        """A gateway (`relay_to`) passes the domains' mail on; only the final server keeps mailboxes."""
        return bool(self.relay_to)

    def check_range(self, host: Host, where: PathKey, index: RangeIndex, add: AddProblem) -> None:
        """The gateway's and the smarthost's hosts are mail servers."""
        index.check_service_ref((*where, "relay_to"), self.relay_to, SmtpService, add)
        index.check_service_ref((*where, "relayhost"), self.relayhost, SmtpService, add)

    def plan(self, ctx: RangeContext, host: Host, plan: HostPlan) -> None:
        """main.cf; on the final server, the staff's accounts and Maildirs with a welcome mail."""
        rng = ctx.range
        org = rng.is_organisation_host(host)
        domains = self.domains or ([rng.domain] if org else [z.domain for z in rng.dns if z.server == host.name])
        networks = ["127.0.0.0/8"] + ([str(n) for n in ctx.organisation_subnets()] if org else [])
        settings = {
            "compatibility_level": "3.6",
            "myhostname": ctx.fqdn(host),
            "mydomain": domains[0] if domains else rng.domain,
            "myorigin": "$mydomain",
            "inet_interfaces": "all",
            "inet_protocols": "ipv4",
            "mynetworks": " ".join(networks),
            "smtpd_banner": "$myhostname ESMTP",
            "alias_maps": "", "alias_database": "",
            "home_mailbox": "Maildir/",
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "biff": "no",
            "maillog_file": "",
        }
        if self.relay_to:
            relay = ctx.host(self.relay_to).address_seen_from(host)
            settings["mydestination"] = "localhost"
            settings["relay_domains"] = " ".join(domains)
            settings["transport_maps"] = "inline:{ " + ", ".join(f"{d}=smtp:[{relay}]:25" for d in domains) + " }"
        else:
            settings["mydestination"] = " ".join(["localhost", *domains, "$myhostname"])
        if self.relayhost:
            settings["relayhost"] = f"[{ctx.host(self.relayhost).address_seen_from(host)}]:25"
        plan.add_file("/etc/postfix/main.cf", "".join(f"{k} = {v}\n" for k, v in settings.items()))
        if not self.relay_to and org:
            for member in rng.staff:
                plan.add_user(member.user, member.password, english(member.name), shell="/usr/sbin/nologin")
                plan.add_file(f"/home/{member.user}/Maildir/new/0000000001.welcome.{host.name}",
                              welcome_mail(ctx, member), owner=member.user, mode="0600")
                for sub in ("cur", "tmp"):
                    plan.add_file(f"/home/{member.user}/Maildir/{sub}/.keep", "", owner=member.user)
            for person in ctx.people:
                plan.add_bulk_user(person.user, english(person.name))
        plan.services.append(ServicePlan(
            "smtp",
            ["postconf -F '*/*/chroot = n'", "postfix start"],
            banner_check(25, "220")))


def welcome_mail(ctx: RangeContext, member: Staff) -> str:
    """The first mail in every staff mailbox, from the IT department."""
    domain = ctx.range.domain
    return (f"From: 情報政策課 <it@{domain}>\nTo: {member.user}@{domain}\n"
            "Subject: =?UTF-8?B?44Oh44O844Or44Ki44Kr44Km44Oz44OI44Gu44GU5qGI5YaF?=\n"
            "Date: Mon, 1 Apr 2024 09:00:00 +0900\n"
            f"Message-ID: <welcome.{member.user}@{domain}>\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n"
            f"{japanese(member.name)} 様\n\nメールアカウントを開設しました。\n"
            "Your mail account is ready.\n\n情報政策課 / IT Policy Division\n")

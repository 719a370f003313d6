"""The `phishing` step: delivery of the implant by a spear-phishing mail through the organisation's MX."""

from __future__ import annotations

import email.policy
import email.utils
from email.message import EmailMessage
from typing import ClassVar, Literal

from pydantic import Field

from ...model.range import Range
from ...model.scenario import STEP_ACTIONS, Ref, RefCheck
from ...services.smtp import SmtpService
from ..defence import Route
from ..implant import implant_bytes
from .base import Indicators, Outcome, StepContext, StepKind, failed_unless


@STEP_ACTIONS.register
class PhishingAction(StepKind):
    """Delivery: the attacker's mail server sends a spear-phishing mail with an attachment."""

    kind: Literal["phishing"]
    source: Ref = Field(description="attacker host with the smtp service")
    sender: str
    to: Ref = Field(description="staff user")
    subject: str
    body: str
    attachment: str = Field(description="attachment file name")

    order: ClassVar[int] = 20
    host_fields: ClassVar[tuple[str, ...]] = ("source",)
    user_fields: ClassVar[tuple[str, ...]] = ("to",)

    def check_refs(self, refs: RefCheck) -> None:
        """The source is a mail server."""
        if "${" not in self.source:
            host = refs.range.host(self.source)
            if host is not None and host.service(SmtpService) is None:
                refs.problem(("source",), f"host {self.source!r} offers no smtp service")

    def indicators(self, found: Indicators) -> None:
        """The sender and recipient, the attachment and its hash, the mail server's address, the subject."""
        found.add("mail", self.sender)
        found.add("mail", f"{self.to}@{found.range.domain}")
        found.add("files", self.attachment)
        found.add("hashes", found.variant.implant_sha256)
        found.add("addresses", found.address_of(self.source))
        found.add("subjects", self.subject)

    async def run(self, ctx: StepContext) -> Outcome:
        """A spear-phishing mail with the implant attached, sent by the attacker's mail server to the
        organisation's mail gateway (its MX), which relays it to the staff member's mailbox."""
        rng = ctx.variant.range
        gateway = mx_host(rng)
        recipient = f"{self.to}@{rng.domain}"
        message = EmailMessage(policy=email.policy.SMTP)
        message["From"], message["To"], message["Subject"] = self.sender, recipient, self.subject
        message["Date"] = email.utils.formatdate(localtime=True)
        message["Message-ID"] = email.utils.make_msgid(domain=self.sender.rsplit("@", 1)[-1])
        message.set_content(self.body)
        message.add_attachment(implant_bytes(ctx.variant.seed), maintype="application", subtype="octet-stream",
                               filename=self.attachment)
        await ctx.write(self.source, "/tmp/cyder-mail/message.eml", message.as_bytes())
        command = ["swaks", "--server", ctx.address(gateway), "--from", self.sender, "--to", recipient,
                   "--data", "@/tmp/cyder-mail/message.eml", "--timeout", "15"]
        result = await ctx.run(self.source, command, timeout=40)
        outcome = failed_unless(result, f"mail to {recipient} not accepted")
        if outcome.executed:
            queued = [line for line in result.stdout.splitlines() if "queued as" in line]
            outcome.details = {"recipient": recipient, "gateway": gateway,
                               "queue": queued[-1].strip() if queued else ""}
        return outcome

    def route(self, ctx: StepContext) -> Route:
        """From the attacker's mail server to the organisation's gateway."""
        gateway = mx_host(ctx.variant.range)
        return Route(hosts=(gateway,), addresses=ctx.addresses(self.source, gateway))


def mx_host(rng: Range) -> str:
    """The host that receives the organisation's mail: its MX record's target, else the mail server."""
    for zone in rng.dns:
        if zone.domain == rng.domain:
            for record in zone.records:
                if record.type == "MX" and record.name in ("@", rng.domain + "."):
                    name = record.value.rstrip(".").removesuffix("." + rng.domain)
                    if rng.host(name):
                        return name
    server = rng.mail_server()
    if server is None:
        raise LookupError(f"range {rng.name} has no mail server")
    return server.name

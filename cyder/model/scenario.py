"""Typed model of an attack scenario: metadata, per-team variables, steps, injects.

Instructors write scenarios in `scenarios/*.yaml`. A step's action is one of a small library of
kinds (scan, phishing, user execution, C2 beacon ...), each with validated parameters; strings
may refer to variables as `${name}` (or `${target.pc}` for a staff member's PC), which are
chosen per team from a seed. Like the range model, this knows nothing of Docker.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, ConfigDict, Field, StrictInt

from .range import Name, Port, Strict, Text, dns_name_problem, rule, safe_path
from .rubric import CHECKS, Offset, Scoring

StepId = Annotated[str, Field(pattern=rule(r"^[a-z][a-z0-9-]{0,40}$",
                                           "use an id of up to 41 lower-case letters, digits and '-', starting with a "
                                           "letter, e.g. c2-http"),
                              description="lower-case letters, digits and '-'")]
Technique = Annotated[str, Field(pattern=rule(r"^T\d{4}(\.\d{3})?$",
                                              "write a MITRE ATT&CK technique id: T and four digits, and a sub-technique "
                                              "after a dot if any, e.g. T1566 or T1566.001"),
                                 description="MITRE ATT&CK technique id, e.g. T1566.001")]
VAR_PATTERN = re.compile(r"\$\{([a-z_][a-z0-9_]*)(?:\.([a-z_]+))?\}")
Ref = Annotated[str, Field(description="a name, or a ${variable} that gives one")]
# Action fields that name a range host.
HOST_FIELDS = ("source", "host", "target", "server")


class Course(str, Enum):
    """CYDER course levels."""

    A = "A"
    B1 = "B-1"
    B2 = "B-2"
    C = "C"


# -- variables ------------------------------------------------------------------------------------

def _dns_suffix(value: str) -> str:
    if problem := dns_name_problem(value):
        raise ValueError(f"{value!r} {problem}")
    return value


Word = Annotated[str, Field(pattern=rule(r"^[a-z0-9]+$", "use lower-case letters and digits only, e.g. update"))]


class AddressVar(Strict):
    """A free address in a segment (not used by any host), e.g. a per-team C2 address."""

    kind: Literal["address"]
    segment: Name


class DomainVar(Strict):
    """A domain made of two words and a number under a suffix, e.g. `cdn-update42.example`."""

    kind: Literal["domain"]
    words: list[Word] = Field(min_length=2)
    suffix: Annotated[str, AfterValidator(_dns_suffix)] = Field(
        "example", pattern=rule(r"^[a-z0-9.-]+$", "use a domain suffix of lower-case letters, digits, '-' and dots, "
                                                  "e.g. example or example.org"))


class ChoiceVar(Strict):
    """One of the listed values."""

    kind: Literal["choice"]
    values: list[str] = Field(min_length=1)


class FilenameVar(Strict):
    """A file name: one of the stems, a number, and the extension, e.g. `請求書_0412.pdf.exe`."""

    kind: Literal["filename"]
    stems: list[str] = Field(min_length=1)
    extension: str = ""


class StaffVar(Strict):
    """One member of the range's staff; `${v}` is the user, `${v.pc}` the PC, `${v.mail}` the address."""

    kind: Literal["staff"]
    among: list[str] = Field([], description="only these users; default: all staff")


class IntegerVar(Strict):
    """A whole number between min and max, e.g. timing jitter in seconds."""

    kind: Literal["integer"]
    min: StrictInt = 0
    max: StrictInt


Variable = Annotated[Union[AddressVar, DomainVar, ChoiceVar, FilenameVar, StaffVar, IntegerVar],
                     Field(discriminator="kind")]
VARIABLE_KINDS = ("address", "domain", "choice", "filename", "staff", "integer")


# -- actions (the step library) -------------------------------------------------------------------

class ScanAction(Strict):
    """Reconnaissance: a TCP SYN scan crafted with scapy from `source` against hosts or a segment."""

    kind: Literal["scan"]
    source: Ref
    targets: list[Ref] = Field(min_length=1, description="hosts, segments or addresses")
    ports: list[Port] = Field([22, 25, 53, 80, 139, 443, 445, 3389, 5432, 8080], min_length=1)


class PhishingAction(Strict):
    """Delivery: the attacker's mail server sends a spear-phishing mail with an attachment."""

    kind: Literal["phishing"]
    source: Ref = Field(description="attacker host with the smtp service")
    sender: str
    to: Ref = Field(description="staff user")
    subject: str
    body: str
    attachment: str = Field(description="attachment file name")


class UserExecutionAction(Strict):
    """The staff member opens the attachment: the implant starts on their PC with persistence."""

    kind: Literal["user-execution"]
    user: Ref
    implant: str = Field(description="file name the implant is dropped as")
    persistence: Literal["cron", "autostart"] = "cron"


class UsbInfectionAction(Strict):
    """The implant runs from a supplier's USB stick on a PC, with no network delivery."""

    kind: Literal["usb-infection"]
    user: Ref
    implant: str
    volume: str = "USB_DRIVE"
    persistence: Literal["cron", "autostart"] = "cron"


class HttpBeaconAction(Strict):
    """C2 over HTTP: the implant checks in with the C2 server through the organisation's proxy."""

    kind: Literal["beacon-http"]
    host: Ref = Field(description="the infected PC")
    url: str
    interval: StrictInt = Field(60, ge=1, description="seconds between check-ins")
    count: StrictInt = Field(3, ge=1, description="check-ins this step makes")


class DnsBeaconAction(Strict):
    """C2 over DNS: the implant checks in with queries for names under the C2 domain."""

    kind: Literal["beacon-dns"]
    host: Ref
    domain: str
    interval: StrictInt = Field(60, ge=1)
    count: StrictInt = Field(3, ge=1)


class SshGuessAction(Strict):
    """Lateral movement: SSH password guessing against a server, then (optionally) a login."""

    kind: Literal["ssh-guess"]
    source: Ref
    target: Ref
    user: str
    passwords: list[str] = Field(min_length=1)


class SshLoginAction(Strict):
    """Lateral movement: an SSH login with a stolen credential, running a command."""

    kind: Literal["ssh-login"]
    source: Ref
    target: Ref
    user: str
    password: str
    command: str = "id; hostname"


class CollectAction(Strict):
    """Collection: files copied from a file share onto the infected PC."""

    kind: Literal["collect"]
    host: Ref
    server: Ref
    share: str
    files: list[Annotated[str, AfterValidator(safe_path)]] = Field(min_length=1)
    user: Ref
    password: str | None = Field(None, description="default: the staff user's own password")


class HttpExfilAction(Strict):
    """Exfiltration: the collected files sent by HTTP POST to the C2 through the proxy."""

    kind: Literal["exfil-http"]
    host: Ref
    url: str


class DnsExfilAction(Strict):
    """Exfiltration: the collected files sent as long DNS labels (crafted with scapy)."""

    kind: Literal["exfil-dns"]
    host: Ref
    domain: str


class WebAttackAction(Strict):
    """Initial access: SQL injection or a web shell against a public web server."""

    kind: Literal["web-attack"]
    source: Ref
    target: Ref
    mode: Literal["sqli", "webshell"] = "sqli"
    path: str = "/"


Action = Annotated[
    Union[ScanAction, PhishingAction, UserExecutionAction, UsbInfectionAction, HttpBeaconAction,
          DnsBeaconAction, SshGuessAction, SshLoginAction, CollectAction, HttpExfilAction, DnsExfilAction,
          WebAttackAction],
    Field(discriminator="kind"),
]
ACTION_KINDS = ("scan", "phishing", "user-execution", "usb-infection", "beacon-http", "beacon-dns", "ssh-guess",
                "ssh-login", "collect", "exfil-http", "exfil-dns", "web-attack")


# -- steps and injects ----------------------------------------------------------------------------


class After(Strict):
    """Run after another step, plus a delay."""

    step: StepId
    delay: Offset = 0


class Precondition(Strict):
    """A check against the live range before a step runs."""

    check: Literal["implant-running", "reachable", "account-unlocked", "connected", "mail-delivered"]
    host: Ref
    target: str | None = Field(None, description="reachable: address or host name")
    port: Port | None = None
    user: Ref | None = Field(None, description="account-unlocked: the account; mail-delivered: the mailbox's owner")
    sender: str | None = Field(None, description="mail-delivered: the sender's address of the mail that must be in "
                                                 "the mailbox (the user opens only what arrived)")


class Step(Strict):
    """One attack action with its timing, preconditions, expected evidence and fallback."""

    id: StepId
    technique: Technique
    name: Text
    at: Offset | None = None
    after: After | None = None
    jitter: Offset | str = Field(0, description="up to this many seconds later, chosen per team (may be ${var})")
    requires: list[Precondition] = []
    action: Action
    evidence: list[str] = Field([], description="where the step leaves traces, e.g. proxy access log")
    on_blocked: StepId | Literal["stop"] = "stop"


class Inject(Strict):
    """A scripted message to the team: an alert, a request, a report."""

    id: StepId
    at: Offset | None = None
    trigger: StepId | None = Field(None, description="deliver when this step has run")
    delay: Offset = 0
    sender: Text
    recipient: str = Field(description="role that receives it, e.g. it-staff, supervisor")
    subject: Text
    body: Text
    deadline: Offset | None = Field(None, description="time to answer after delivery")


class Infrastructure(Strict):
    """Attacker infrastructure prepared before the chain starts: an address on a host, a DNS name."""

    host: Ref = Field(description="attacker host that takes the address")
    address: str
    names: list[str] = Field([], description="DNS names pointing at the address")
    dns_server: Ref | None = Field(None, description="attacker host with the dns service that serves the names")


class Scenario(Strict):
    """An attack case on a range."""

    schema_: str | None = Field(None, alias="$schema")
    name: Name
    title: Text
    description: Text | None = None
    course: Course
    duration: Offset = Field(description="planned length of the exercise")
    range: str = Field(description="the range it runs on (a shipped name or a path)")
    variables: dict[Annotated[str, Field(pattern=rule(r"^[a-z_][a-z0-9_]*$", "use a variable name of lower-case letters, "
                                                      "digits and '_', starting with a letter or '_', e.g. c2_domain"))],
                    Variable] = {}
    infrastructure: list[Infrastructure] = Field([], description="attacker addresses and DNS names set up per team")
    steps: list[Step] = Field(min_length=1)
    injects: list[Inject] = []
    scoring: Scoring | None = Field(None, description="the rubric: points per indicator, action, report field and check")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)  # scoring: checks

    def step(self, step_id: str) -> Step | None:
        """The step with this id, or None."""
        return next((s for s in self.steps if s.id == step_id), None)


CHECKS.depends(Scenario)  # after CheckRule and Scoring (rubric.py): rebuilt innermost first


def parse_offset(value: int | str) -> int:
    """Seconds from an offset given as seconds or H:MM[:SS]; ValueError when malformed."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int):
        if value < 0:
            raise ValueError("must not be negative")
        return value
    match = re.fullmatch(r"(\d+):([0-5]\d)(?::([0-5]\d))?", value.strip())
    if not match:
        raise ValueError(f"{value!r} is not seconds or H:MM[:SS]")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def format_offset(seconds: float) -> str:
    """H:MM:SS for a number of seconds."""
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"

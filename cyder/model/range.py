"""Typed model of an organisation range: segments, hosts, services, firewall flows, DNS and staff.

This is what instructors write in `ranges/*.yaml`. The model is plain data validated by pydantic;
it knows nothing of Docker or of how a range is run.

Values go into daemons' configuration files, account files, zone files and SQL, so the types here
refuse what would break those files (a colon in a password, `..` in a path, a space in a DNS
name), and numbers, booleans and addresses are strict: `"80"`, `yes` or `167772161` are not taken
for a port, a flag or an address. Every rule explains itself in words (RULES), not as a regular
expression.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal, Protocol, TypeVar, Union

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictFloat,
                      StrictInt, ValidationInfo, field_validator)

from .kinds import KindModel, KindRegistry, KindUnion
from .yamlsource import PathKey

# What each pattern of the models asks for, in words with an example: errors quote these, never the pattern.
RULES: dict[str, str] = {}


def rule(pattern: str, words: str) -> str:
    """Register the words that explain a pattern; returns the pattern."""
    RULES[pattern] = words
    return pattern


NAME_PATTERN = rule(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$",
                    "use 1 to 32 lower-case letters, digits and '-', starting with a letter and not ending with "
                    "'-', e.g. web-1")
Name = Annotated[str, Field(pattern=NAME_PATTERN, description="lower-case letters, digits and '-'")]
UserName = Annotated[str, Field(pattern=rule(r"^[a-z_][a-z0-9_-]{0,31}$",
                                             "use a Unix login name: up to 32 lower-case letters, digits, '_' and '-', "
                                             "starting with a letter or '_', e.g. tanaka or web_admin"),
                                description="a Unix login name")]


def dns_name_problem(name: str) -> str | None:
    """What is wrong with a DNS name (labels of 1 to 63 characters, 253 in all), or None."""
    name = name[:-1] if name.endswith(".") else name
    if len(name) > 253:
        return f"is {len(name)} characters long; a DNS name has at most 253"
    for label in name.split("."):
        if not label:
            return "has an empty label (a dot at the start or two dots in a row)"
        if len(label) > 63:
            return f"has a label of {len(label)} characters; a label has at most 63"
        if label.startswith("-") or label.endswith("-"):
            return f"has a label that starts or ends with '-' ({label})"
        if not re.fullmatch(r"[A-Za-z0-9_*-]+", label):
            return f"has a label with characters a DNS name cannot hold ({label!r}): use letters, digits and '-'"
    return None


def _dns_name(value: str) -> str:
    if value not in ("@", "*") and (problem := dns_name_problem(value)):
        raise ValueError(f"{shown(value)} {problem}")
    return value


DnsLabel = Annotated[str, Field(pattern=rule(r"^(@|\*|[A-Za-z0-9_]([A-Za-z0-9_.-]{0,252}[A-Za-z0-9])?)$",
                                             "use '@' for the zone itself, '*', or a name inside the "
                                             "zone such as www or _dmarc (letters, digits, '_', '-' and dots)")),
                     AfterValidator(_dns_name)]
DOMAIN_PATTERN = rule(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$",
                      "use a domain in lower case: at least two labels of letters, digits and '-' separated by dots, "
                      "e.g. city.saida.lg.jp")
Domain = Annotated[str, Field(pattern=DOMAIN_PATTERN), AfterValidator(_dns_name)]
Port = Annotated[StrictInt, Field(ge=1, le=65535)]


CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # line breaks, tabs, ESC and C1 codes


def single_line(what: str, forbidden: str = "") -> AfterValidator:
    """A check that text has no line breaks or control characters (and none of `forbidden`)."""
    def check(value: str) -> str:
        if CONTROL.search(value):
            raise ValueError(f"{what} must be one line without control characters")
        if bad := [c for c in forbidden if c in value]:
            raise ValueError(f"{what} may not contain {' or '.join(repr(c) for c in bad)} "
                             "(cyder writes it into account files, where ':' separates the fields)")
        return value
    return AfterValidator(check)


Password = Annotated[str, single_line("a password", ":")]
FullName = Annotated[str, single_line("a full name", ":")]


def shown(value: str, limit: int = 40) -> str:
    """A value quoted for a message, shortened when long."""
    return repr(value) if len(value) <= limit else repr(value[:limit]) + f"... ({len(value)} characters)"


def safe_path(value: str) -> str:
    """A path or file name that never climbs out of its folder with `..` (and stays on one line)."""
    if any(part == ".." for part in value.replace("\\", "/").split("/")):
        raise ValueError(f"{shown(value)} contains '..': name the file itself, without going up a folder")
    if CONTROL.search(value):
        raise ValueError("a path must be one line without control characters")
    return value


AbsolutePath = Annotated[str, Field(pattern=rule(r"^/", "use an absolute path starting with '/', e.g. /srv/memo.txt"),
                                    description="absolute path"), AfterValidator(safe_path)]


def _page_name(value: str) -> str:
    if not value.strip("/"):
        raise ValueError("a page needs a file name under the web root, e.g. news/index.html")
    return safe_path(value)


PageName = Annotated[str, AfterValidator(_page_name)]
# PostgreSQL's reserved words: a column or table of that name breaks the CREATE TABLE cyder writes.
SQL_RESERVED = frozenset("""all analyse analyze and any array as asc asymmetric both case cast check collate column
    constraint create current_catalog current_date current_role current_time current_timestamp current_user default
    deferrable desc distinct do else end except false fetch for foreign from grant group having in initially intersect
    into lateral leading limit localtime localtimestamp not null offset on only or order placing primary references
    returning select session_user some symmetric table then to trailing true union unique user using variadic when
    where window with""".split())


def _sql_word(value: str) -> str:
    if value in SQL_RESERVED:
        raise ValueError(f"{value!r} is an SQL keyword; choose another name, e.g. {value}_name")
    return value


SQL_PATTERN = rule(r"^[a-z_][a-z0-9_]{0,62}$", "use an SQL name: up to 63 lower-case letters, digits and '_', "
                   "starting with a letter or '_', e.g. resident_id")
SqlName = Annotated[str, Field(pattern=SQL_PATTERN), AfterValidator(_sql_word)]


def _address(value: Any) -> Any:
    if isinstance(value, (int, float)):  # YAML reads 167772161 as a number: never an address by accident
        raise ValueError(f"{value!r} is a number, not an IPv4 address: write four numbers with dots, e.g. 10.20.1.5")
    return value


def _network(value: Any) -> Any:
    if isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is a number, not an IPv4 network: write an address and a prefix length, "
                         "e.g. 10.20.1.0/24")
    if isinstance(value, str):
        if "/" not in value:
            raise ValueError(f"{value!r} has no prefix length: write an address and a prefix, e.g. 10.20.1.0/24")
        try:
            ipaddress.IPv4Network(value)
        except ValueError as exc:
            try:
                corrected = ipaddress.IPv4Network(value, strict=False)
            except ValueError:
                raise ValueError(f"{value!r} is not an IPv4 network: write an address and a prefix length, "
                                 "e.g. 10.20.1.0/24") from exc
            raise ValueError(f"{value} has host bits set; did you mean {corrected}?") from exc
    return value


Address = Annotated[ipaddress.IPv4Address, BeforeValidator(_address)]
Network = Annotated[ipaddress.IPv4Network, BeforeValidator(_network)]


class Strict(BaseModel):
    """Base for every model: unknown fields are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalText(Strict):
    """A text in Japanese with English alongside."""

    ja: str
    en: str


Text = Union[str, LocalText]


def english(text: Text | None, default: str = "") -> str:
    """The English form of a text (or the text itself when it has only one form)."""
    if text is None:
        return default
    return text.en if isinstance(text, LocalText) else text


def japanese(text: Text | None, default: str = "") -> str:
    """The Japanese form of a text (or the text itself when it has only one form)."""
    if text is None:
        return default
    return text.ja if isinstance(text, LocalText) else text


class SegmentKind(str, Enum):
    """What a segment stands for; `internet` segments still never leave the machine."""

    internet = "internet"
    dmz = "dmz"
    internal = "internal"
    isolated = "isolated"


class Segment(Strict):
    """One network of the range."""

    name: Name
    subnet: Network
    kind: SegmentKind
    title: Text | None = None
    gateway: Address | None = Field(
        None, description="router address on this segment; default: the firewall's address here")
    resolver: Name | None = Field(
        None, description="host whose DNS the segment's hosts use; default: the organisation's DNS")


class Attachment(Strict):
    """A host's interface on a segment, with its fixed address."""

    segment: Name
    address: Address


class User(Strict):
    """A local account on a host."""

    name: UserName
    password: Password
    full_name: FullName | None = None
    groups: list[UserName] = []
    sudo: StrictBool = False


class FileSpec(Strict):
    """A file placed on a host before its services start."""

    path: AbsolutePath
    content: str = ""
    owner: UserName = "root"
    mode: str = Field("0644", pattern=rule(r"^0?[0-7]{3,4}$", "write a file mode of three or four octal digits in "
                                                               "quotes, e.g. '0644' or '0600'"))


Ports = tuple[tuple[str, int], ...]
"""(protocol, port) pairs, e.g. (("udp", 53), ("tcp", 53))."""
AddProblem = Callable[[PathKey, str], None]
"""How a check reports a problem: the path of the value in the document, and a message."""


class RangeIndex(Protocol):
    """What a service's `check_range` hook may ask about the range being checked (cyder/model/load.py)."""

    def host(self, name: str) -> Host | None:
        """The host of that name, or None."""

    def segment(self, name: str) -> Segment | None:
        """The segment of that name, or None."""

    def check_service_ref(self, path: PathKey, name: str | None, kind: type[ServiceParams] | str,
                          add: AddProblem) -> None:
        """Report at `path` when `name` is set and names no host, or one without that service."""


class ServiceParams(Strict, KindModel):
    """Base of every service kind's parameters.

    Each kind is one class in its own module under cyder/services/ (its YAML fields, its facts as
    ClassVars, its behaviour as methods), registered in SERVICES. This base holds what the model
    layer asks of any service; cyder.services.base.Service adds what the layers above ask."""

    kind: str
    """The YAML tag; each kind narrows it to its own `Literal`."""
    ports: ClassVar[Ports] = ()
    """What the kind listens on; the firewall opens these for a flow of the kind."""
    handles_mail: ClassVar[bool] = False
    """Whether the kind is a mail server (see relays_mail)."""
    serves_files: ClassVar[bool] = False
    """Whether the kind is a file server (see share_names)."""

    def listens_on(self) -> Ports:
        """The (protocol, port) pairs this service listens on."""
        return type(self).ports

    def check_range(self, host: Host, where: PathKey, index: RangeIndex, add: AddProblem) -> None:
        """Check what this service refers to in the range (`where` is its path); none by default."""

    def relays_mail(self) -> bool:
        """For a mail server: whether it passes mail on to another instead of keeping the mailboxes."""
        return False

    def share_names(self) -> tuple[str, ...]:
        """For a file server: the names of its shares."""
        return ()


SERVICES: KindRegistry[ServiceParams] = KindRegistry("service", "cyder.services")
"""The service kinds, one module each under cyder/services/ (imported when first needed)."""
S = TypeVar("S", bound=ServiceParams)


class Role(str, Enum):
    """What a host is for; firewalls route between segments, attackers sit on the internet."""

    firewall = "firewall"
    server = "server"
    client = "client"
    attacker = "attacker"
    external = "external"


class Host(Strict):
    """A machine of the range."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # services: built when first used

    name: Name
    role: Role
    title: Text | None = None
    attachments: list[Attachment] = []
    services: list[Annotated[ServiceParams, KindUnion(SERVICES)]] = []
    users: list[User] = []
    files: list[FileSpec] = []

    @field_validator("services", mode="before")
    @classmethod
    def _short_service_form(cls, value: object) -> object:
        """Allow `- ssh` as shorthand for `- {kind: ssh}`."""
        if isinstance(value, list):
            return [{"kind": item} if isinstance(item, str) else item for item in value]
        return value

    def service(self, kind: type[S]) -> S | None:
        """The host's service of that kind (its class, from cyder/services/), or None."""
        return next((s for s in self.services if isinstance(s, kind)), None)

    def offers(self, kind: str) -> bool:
        """Whether the host offers a service of the kind a document names by its tag (a flow's
        `service: smtp`); code above the model layer asks `service(SmtpService)`."""
        return any(s.kind == kind for s in self.services)

    def address_on(self, segment: str) -> ipaddress.IPv4Address | None:
        """The host's address on a segment, or None when it is not attached there."""
        return next((a.address for a in self.attachments if a.segment == segment), None)

    def address_seen_from(self, viewer: "Host") -> ipaddress.IPv4Address | None:
        """The address another host should use for this one: on a segment they share, if any."""
        for att in viewer.attachments:
            if (addr := self.address_on(att.segment)) is not None:
                return addr
        return self.primary_address

    @property
    def primary_address(self) -> ipaddress.IPv4Address | None:
        """The address of the host's first attachment."""
        return self.attachments[0].address if self.attachments else None


class Flow(Strict):
    """Traffic the firewall lets through: from segments or hosts to a service of a host or segment."""

    name: Annotated[str, single_line("a flow name")] | None = None
    from_: list[Name] = Field(alias="from", description="segments or hosts the traffic comes from")
    to: Name = Field(description="host or segment offering the service")
    service: str = Field(description="service kind, e.g. smtp, http, proxy")
    comment: Text | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("from_", mode="before")
    @classmethod
    def _single_source(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class Firewall(Strict):
    """The router between segments; traffic between segments is denied unless a flow allows it."""

    host: Name
    flows: list[Flow] = []


class Record(Strict):
    """A DNS resource record."""

    name: DnsLabel
    type: Literal["A", "CNAME", "MX", "TXT"] = "A"
    value: str
    priority: StrictInt = Field(10, ge=0, le=65535, description="MX preference")

    @field_validator("value")
    @classmethod
    def _value_fits_type(cls, value: str, info: ValidationInfo) -> str:
        """An A record holds an address, CNAME and MX a DNS name, TXT one line of text."""
        kind = info.data.get("type", "A")
        if kind == "A":
            try:
                ipaddress.IPv4Address(value)
            except ValueError:
                raise ValueError(f"{shown(value)} is not an IPv4 address; an A record holds one, e.g. 203.0.113.80"
                                 ) from None
        elif kind in ("CNAME", "MX"):
            if any(c.isspace() for c in value):
                raise ValueError(f"{shown(value)} contains a space; a {kind} record holds one DNS name, "
                                 "e.g. mail.example.")
            if problem := dns_name_problem(value):
                raise ValueError(f"{shown(value)} {problem}")
        elif CONTROL.search(value) or len(value) > 255:
            raise ValueError("a TXT record holds one line of at most 255 characters")
        return value


class Zone(Strict):
    """A DNS zone served by a host with the dns service."""

    domain: Domain
    server: Name
    include_hosts: StrictBool = Field(False, description="add an A record for every host of the organisation")
    records: list[Record] = []


class Staff(Strict):
    """A member of staff: an account and home folder on their PC and a mailbox on the mail server."""

    user: UserName
    password: Password
    name: Text
    department: Text | None = None
    pc: Name

    @field_validator("name")
    @classmethod
    def _name_fits_passwd(cls, value: Text) -> Text:
        """The name becomes the account's full name in passwd files."""
        for text in (value.ja, value.en) if isinstance(value, LocalText) else (value,):
            if ":" in text or CONTROL.search(text):
                raise ValueError("a staff name may not contain ':' or a line break (it is the account's full name "
                                 "in the account files)")
        return value


class Department(Strict):
    """A division of the organisation whose simulated staff share a file share and habits."""

    code: Name = Field(description="short name used in PC names, e.g. soumu -> soumu-001")
    name: Text
    weight: StrictFloat = Field(1.0, gt=0, description="relative head count")
    share: str | None = Field(None, description="the department's share on the file server")
    admins: StrictBool = Field(False, description="IT staff: they also log in to servers over SSH")


class Site(Strict):
    """A web site staff browse; organisation sites are reached directly, others through the proxy."""

    domain: Domain
    paths: list[Annotated[str, single_line("a path")]] = Field(["/"], description="paths staff open on the site")
    weight: StrictFloat = Field(1.0, gt=0)


class Rates(Strict):
    """How often an average member of staff does each thing, per working hour."""

    browse: StrictFloat = Field(30, ge=0, description="web pages opened")
    lookup: StrictFloat = Field(6, ge=0, description="background DNS lookups by the PC")
    mail_send: StrictFloat = Field(1.5, ge=0, description="mails sent to colleagues")
    mail_read: StrictFloat = Field(4, ge=0, description="mailbox checks over IMAP")
    file: StrictFloat = Field(4, ge=0, description="visits to the file server")
    login: StrictFloat = Field(1, ge=0, description="SSH logins to servers (IT staff only)")


TimeOfDay = Annotated[str, Field(pattern=rule(r"^([01]\d|2[0-3]):[0-5]\d$", "write a time of day as HH:MM, e.g. 08:30"),
                                 description="HH:MM")]


class Profile(Strict):
    """The shape of a working day."""

    workday: tuple[TimeOfDay, TimeOfDay] = ("08:30", "17:15")
    lunch: tuple[TimeOfDay, TimeOfDay] = ("12:00", "13:00")
    night_owls: StrictFloat = Field(0.03, ge=0, le=1, description="share of staff who work late into the evening")
    rates: Rates = Rates()


class Population(Strict):
    """The organisation's simulated staff: many PCs per container, each with its own address and name."""

    staff: StrictInt = Field(ge=0, le=4000, description="how many staff PCs to simulate")
    segment: Name = Field(description="the segment the PCs sit on")
    pool: Network = Field(description="addresses the PCs take, inside the segment")
    pcs_per_host: StrictInt = Field(250, ge=1, le=1000, description="PCs simulated by one container")
    seed: StrictInt = Field(1, description="names, addresses and habits follow from it")
    clock: TimeOfDay = Field("10:00", description="office time when the range comes up")
    departments: list[Department] = Field(min_length=1)
    sites: list[Site] = []
    file_server: Name | None = Field(None, description="host with the smb service; default: the organisation's")
    logins: list[Name] = Field([], description="servers IT staff log in to over SSH (as the host's first sudo user)")
    profile: Profile = Profile()


class Logging(Strict):
    """Where every organisation host sends its logs."""

    collector: Name


class Range(Strict):
    """An organisation's network."""

    schema_: str | None = Field(None, alias="$schema")
    name: Name
    title: Text
    description: Text | None = None
    domain: Domain = Field(description="the organisation's DNS and mail domain")
    segments: list[Segment]
    hosts: list[Host]
    firewall: Firewall | None = None
    dns: list[Zone] = []
    staff: list[Staff] = []
    logging: Logging | None = None
    population: Population | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    def host(self, name: str) -> Host | None:
        """The host of that name, or None."""
        return next((h for h in self.hosts if h.name == name), None)

    def segment(self, name: str) -> Segment | None:
        """The segment of that name, or None."""
        return next((s for s in self.segments if s.name == name), None)

    def hosts_on(self, segment: str) -> list[Host]:
        """Hosts attached to a segment."""
        return [h for h in self.hosts if h.address_on(segment) is not None]

    def mail_server(self) -> Host | None:
        """The organisation's final mail server: it offers smtp, relays nowhere else, holds the mailboxes."""
        return next((h for h in self.hosts if (s := next((x for x in h.services if x.handles_mail), None))
                     and not s.relays_mail() and self.is_organisation_host(h)), None)

    def is_organisation_host(self, host: Host) -> bool:
        """Whether a host belongs to the organisation (not to the internet around it)."""
        return host.role not in (Role.attacker, Role.external)


SERVICES.depends(Host, Range)

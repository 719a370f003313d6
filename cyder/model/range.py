"""Typed model of an organisation range: segments, hosts, services, firewall flows, DNS and staff.

This is what instructors write in `ranges/*.yaml`. The model is plain data validated by pydantic;
it knows nothing of Docker or of how a range is run.
"""

from __future__ import annotations

import ipaddress
from enum import Enum
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, description="lower-case letters, digits and '-'")]
UserName = Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_-]{0,31}$", description="a Unix login name")]
DnsLabel = Annotated[str, Field(pattern=r"^(@|\*|[A-Za-z0-9_]([A-Za-z0-9_.-]{0,252}[A-Za-z0-9])?)$")]
Domain = Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")]


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
    subnet: ipaddress.IPv4Network
    kind: SegmentKind
    title: Text | None = None
    gateway: ipaddress.IPv4Address | None = Field(
        None, description="router address on this segment; default: the firewall's address here")
    resolver: Name | None = Field(
        None, description="host whose DNS the segment's hosts use; default: the organisation's DNS")


class Attachment(Strict):
    """A host's interface on a segment, with its fixed address."""

    segment: Name
    address: ipaddress.IPv4Address


class User(Strict):
    """A local account on a host."""

    name: UserName
    password: str
    full_name: str | None = None
    groups: list[UserName] = []
    sudo: bool = False


class FileSpec(Strict):
    """A file placed on a host before its services start."""

    path: str = Field(pattern=r"^/", description="absolute path")
    content: str = ""
    owner: UserName = "root"
    mode: str = Field("0644", pattern=r"^0?[0-7]{3,4}$")


class DnsService(Strict):
    """A BIND name server: authoritative for the zones naming this host as server, and a resolver."""

    kind: Literal["dns"] = "dns"
    forwarders: list[Name] = Field([], description="hosts to forward other queries to")


class SmtpService(Strict):
    """A Postfix mail server; with `relay_to` it is a gateway passing the organisation's mail on."""

    kind: Literal["smtp"] = "smtp"
    domains: list[Domain] = Field([], description="mail domains handled here; default: the zones this host's range serves from it")
    relay_to: Name | None = Field(None, description="host to relay the domains' mail to (mail gateway)")
    relayhost: Name | None = Field(None, description="host to send all other mail through (smarthost)")


class ImapService(Strict):
    """A Dovecot IMAP server over the host's mailboxes."""

    kind: Literal["imap"] = "imap"


class HttpService(Strict):
    """An nginx web server with a home page and optional extra pages."""

    kind: Literal["http"] = "http"
    title: Text | None = None
    pages: dict[str, str] = Field({}, description="path under the web root -> content")


class ProxyService(Strict):
    """A Squid forward proxy that clients must use to reach the internet segment."""

    kind: Literal["proxy"] = "proxy"
    port: int = Field(3128, ge=1, le=65535)
    allow_from: list[Name] = Field([], description="segments allowed to use the proxy; default: every non-internet segment")


class SshService(Strict):
    """An OpenSSH server with password logins."""

    kind: Literal["ssh"] = "ssh"


class Share(Strict):
    """A file share; its files are placed with the host's `files`."""

    name: str = Field(pattern=r"^[^/\\\[\]:;|=,+*?<>\"]{1,80}$")
    path: str = Field(pattern=r"^/")
    comment: str = ""
    writable: bool = True


class SmbService(Strict):
    """A Samba file server with shared folders."""

    kind: Literal["smb"] = "smb"
    workgroup: str = "WORKGROUP"
    shares: list[Share] = []


class Table(Strict):
    """A database table with its rows, created when the database starts."""

    name: Name = Field(pattern=r"^[a-z_][a-z0-9_]*$")
    columns: list[str]
    rows: list[list[str | int]] = []


class PostgresService(Strict):
    """A PostgreSQL server with one application database."""

    kind: Literal["postgres"] = "postgres"
    database: str = Field("app", pattern=r"^[a-z_][a-z0-9_]*$")
    user: str = Field("app", pattern=r"^[a-z_][a-z0-9_]*$")
    password: str = "app"
    tables: list[Table] = []


class AppService(Strict):
    """A small web application that reads its data from a PostgreSQL service on another host."""

    kind: Literal["app"] = "app"
    title: Text | None = None
    database: Name = Field(description="host offering the postgres service")
    table: str | None = Field(None, description="table the app lists; default: the database's first table")
    port: int = Field(8080, ge=1, le=65535)


class SyslogService(Strict):
    """An rsyslog collector receiving every host's logs (UDP and TCP 514)."""

    kind: Literal["syslog"] = "syslog"


Service = Annotated[
    Union[DnsService, SmtpService, ImapService, HttpService, ProxyService, SshService,
          SmbService, PostgresService, AppService, SyslogService],
    Field(discriminator="kind"),
]
SERVICE_KINDS = ("dns", "smtp", "imap", "http", "proxy", "ssh", "smb", "postgres", "app", "syslog")


class Role(str, Enum):
    """What a host is for; firewalls route between segments, attackers sit on the internet."""

    firewall = "firewall"
    server = "server"
    client = "client"
    attacker = "attacker"
    external = "external"


class Host(Strict):
    """A machine of the range."""

    name: Name
    role: Role
    title: Text | None = None
    attachments: list[Attachment] = []
    services: list[Service] = []
    users: list[User] = []
    files: list[FileSpec] = []

    @field_validator("services", mode="before")
    @classmethod
    def _short_service_form(cls, value: object) -> object:
        """Allow `- ssh` as shorthand for `- {kind: ssh}`."""
        if isinstance(value, list):
            return [{"kind": item} if isinstance(item, str) else item for item in value]
        return value

    def service(self, kind: str):
        """The host's service of that kind, or None."""
        return next((s for s in self.services if s.kind == kind), None)

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

    name: str | None = None
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
    priority: int = Field(10, ge=0, le=65535, description="MX preference")


class Zone(Strict):
    """A DNS zone served by a host with the dns service."""

    domain: Domain
    server: Name
    include_hosts: bool = Field(False, description="add an A record for every host of the organisation")
    records: list[Record] = []


class Staff(Strict):
    """A member of staff: an account and home folder on their PC and a mailbox on the mail server."""

    user: UserName
    password: str
    name: Text
    department: Text | None = None
    pc: Name


class Department(Strict):
    """A division of the organisation whose simulated staff share a file share and habits."""

    code: Name = Field(description="short name used in PC names, e.g. soumu -> soumu-001")
    name: Text
    weight: float = Field(1.0, gt=0, description="relative head count")
    share: str | None = Field(None, description="the department's share on the file server")
    admins: bool = Field(False, description="IT staff: they also log in to servers over SSH")


class Site(Strict):
    """A web site staff browse; organisation sites are reached directly, others through the proxy."""

    domain: Domain
    paths: list[str] = Field(["/"], description="paths staff open on the site")
    weight: float = Field(1.0, gt=0)


class Rates(Strict):
    """How often an average member of staff does each thing, per working hour."""

    browse: float = Field(30, ge=0, description="web pages opened")
    lookup: float = Field(6, ge=0, description="background DNS lookups by the PC")
    mail_send: float = Field(1.5, ge=0, description="mails sent to colleagues")
    mail_read: float = Field(4, ge=0, description="mailbox checks over IMAP")
    file: float = Field(4, ge=0, description="visits to the file server")
    login: float = Field(1, ge=0, description="SSH logins to servers (IT staff only)")


TimeOfDay = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM")]


class Profile(Strict):
    """The shape of a working day."""

    workday: tuple[TimeOfDay, TimeOfDay] = ("08:30", "17:15")
    lunch: tuple[TimeOfDay, TimeOfDay] = ("12:00", "13:00")
    night_owls: float = Field(0.03, ge=0, le=1, description="share of staff who work late into the evening")
    rates: Rates = Rates()


class Population(Strict):
    """The organisation's simulated staff: many PCs per container, each with its own address and name."""

    staff: int = Field(ge=0, le=4000, description="how many staff PCs to simulate")
    segment: Name = Field(description="the segment the PCs sit on")
    pool: ipaddress.IPv4Network = Field(description="addresses the PCs take, inside the segment")
    pcs_per_host: int = Field(250, ge=1, le=1000, description="PCs simulated by one container")
    seed: int = Field(1, description="names, addresses and habits follow from it")
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

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

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
        return next((h for h in self.hosts if (s := h.service("smtp")) and not s.relay_to
                     and self.is_organisation_host(h)), None)

    def is_organisation_host(self, host: Host) -> bool:
        """Whether a host belongs to the organisation (not to the internet around it)."""
        return host.role not in (Role.attacker, Role.external)

"""What every response action builds on: its context, its base class, its parameters' checks and
the dispatcher that takes one.

An action is one class under cyder/exercise/actions/<name>.py: the pydantic model of its
parameters (all strings, as they arrive from `cyder act NAME key=value`, the UI or a model
answer), registered with `@ACTION_KINDS.register`, whose `run` changes the team's containers.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, ClassVar, Self

from pydantic import AfterValidator, ConfigDict

from ...backend.base import RangeBackend
from ...errors import CyderError
from ...model.kinds import KindModel, KindRegistry
from ...model.range import Host, Range
from ...services.proxy import organisation_proxy


class ActionError(CyderError):
    """An action that cannot be taken as asked (bad parameters, unknown host, command failed)."""


@dataclass(frozen=True)
class ActionSpec:
    """A response action: its parameters, what it does, and how."""

    name: str
    params: tuple[str, ...]
    help: str
    run: Callable[[ActionContext, dict[str, str]], str]


@dataclass
class ActionContext:
    """The team's range, reached through the backend."""

    backend: RangeBackend
    team: str
    range: Range

    def host(self, name: str) -> Host:
        """A host of the team's range; ActionError when there is none of that name (a path, another
        team's container name or anything else that is not one of the range's hosts)."""
        host = self.range.host(name) if isinstance(name, str) else None
        if host is None:
            raise ActionError(f"unknown host {name!r}: name one of the range's hosts (cyder status lists them)")
        return host

    def sh(self, host: str, command: str, what: str) -> str:
        """Run a shell command in a host; ActionError with its output when it fails."""
        self.host(host)
        result = self.backend.exec(self.team, host, command, timeout=30)
        if not result.ok:
            raise ActionError(f"{what} failed on {host}: {(result.stderr or result.stdout).strip()[:300]}")
        return result.stdout

    def organisation_dns(self) -> str:
        """The organisation's DNS server (the one serving its own domain)."""
        zone = next((z for z in self.range.dns if z.domain == self.range.domain), None)
        if zone is None:
            raise ActionError("the range has no DNS server for its own domain")
        return zone.server

    def proxy(self) -> str:
        """The organisation's web proxy."""
        host = organisation_proxy(self.range)
        if host is None:
            raise ActionError("the range has no web proxy")
        return host.name

    def firewall(self) -> str:
        """The range's firewall host."""
        if self.range.firewall is None:
            raise ActionError("the range has no firewall")
        return self.range.firewall.host


DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
USER = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")


def ip_address(value: str) -> str:
    """An IP address, written the usual way; ActionError when it is none."""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ActionError(f"not an IP address: {value!r}") from None


def domain_name(value: str) -> str:
    """A domain name, lower case without the trailing dot; ActionError when it is none."""
    domain = value.lower().rstrip(".")
    if not DOMAIN.match(domain):
        raise ActionError(f"not a domain name: {value!r}")
    return domain


def account_name(value: str) -> str:
    """A Unix account name; ActionError when it is none."""
    if not USER.match(value):
        raise ActionError(f"not an account name: {value!r}")
    return value


def new_password(value: str) -> str:
    """A password chpasswd can take and worth setting; ActionError otherwise."""
    if len(value) < 8 or ":" in value or "\n" in value:
        raise ActionError("the new password needs 8 characters or more, and no ':' or newline")
    return value


def absolute_path(value: str) -> str:
    """An absolute path on one line; ActionError otherwise."""
    if not value.startswith("/") or "\n" in value:
        raise ActionError(f"not an absolute path: {value!r}")
    return value


# Parameter types: a string checked when the action is built (the checks raise ActionError, which
# pydantic lets through, so the first bad parameter in declaration order is the one reported).
IpAddress = Annotated[str, AfterValidator(ip_address)]
DomainName = Annotated[str, AfterValidator(domain_name)]
AccountName = Annotated[str, AfterValidator(account_name)]
NewPassword = Annotated[str, AfterValidator(new_password)]
AbsolutePath = Annotated[str, AfterValidator(absolute_path)]


class Action(KindModel):
    """A response action: its parameters (the fields, all strings) and what it does (`run`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: str
    """The action's name (`cyder act NAME`); each action narrows it to its own `Literal`."""
    help: ClassVar[str] = ""
    """What it does, in a few words (`cyder act`'s help, the UI, the docs)."""

    @classmethod
    def name(cls) -> str:
        """The action's name."""
        return ACTION_KINDS.tag_of(cls)

    @classmethod
    def params(cls) -> tuple[str, ...]:
        """Its parameters, in declaration order."""
        return tuple(name for name in cls.model_fields if name != ACTION_KINDS.tag)

    @classmethod
    def spec(cls) -> ActionSpec:
        """Its entry in ACTIONS."""
        return ActionSpec(cls.name(), cls.params(), cls.help, cls.take)

    @classmethod
    def take(cls, ctx: ActionContext, params: dict[str, str]) -> str:
        """Build the action from its parameters and run it."""
        return cls.from_params(params, ctx).run(ctx)

    @classmethod
    def from_params(cls, params: Mapping[str, str], ctx: ActionContext | None = None) -> Self:
        """The action from `key=value` parameters; ActionError when one is missing (or empty), one is
        unknown, the host is not one of the range's (given the context) or a value is malformed."""
        name, expected = cls.name(), cls.params()
        missing = [p for p in expected if not params.get(p)]
        if missing:
            raise ActionError(f"{name} needs {', '.join(f'{p}=...' for p in missing)}")
        extra = sorted(set(params) - set(expected))
        if extra:
            raise ActionError(f"{name} takes no {', '.join(extra)}")
        if ctx is not None and "host" in expected:
            ctx.host(params["host"])  # every action acts on one of this team's own range hosts, or on none
        return cls.model_validate({**params, ACTION_KINDS.tag: name})

    def run(self, ctx: ActionContext) -> str:
        """Carry the action out on the team's range; what was done (ActionError when it cannot be)."""
        raise NotImplementedError(f"{type(self).__name__} cannot run")


ACTION_KINDS: KindRegistry[Action] = KindRegistry("action", "cyder.exercise.actions", tag="action")
"""The response actions, one module each under cyder/exercise/actions/ (imported when first needed)."""


def take_action(backend: RangeBackend, team: str, rng: Range, name: str, params: dict[str, str]) -> str:
    """Carry out a response action; return what was done (ActionError when it cannot be)."""
    cls = ACTION_KINDS.model_for(name)
    if cls is None:
        raise ActionError(f"unknown action {name!r}; expected one of {', '.join(ACTION_KINDS.kinds())}")
    ctx = ActionContext(backend, team, rng)
    return cls.from_params(params, ctx).run(ctx)

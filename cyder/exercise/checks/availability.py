"""Availability probes: whether a business service answers its users over the network (rounds)."""

from __future__ import annotations

from ...backend.base import BackendError
from ...model.rubric import ServiceRef
from ...scenario.defence import RangeView, Route
from ...services import ports_of, service_kind
from .base import CheckResult, good_if


def availability_route(view: RangeView, ref: ServiceRef) -> Route:
    """The way a business service's users reach it."""
    return Route(hosts=(ref.from_, ref.host), addresses=view.addresses(ref.from_, ref.host))


def probe_service(view: RangeView, ref: ServiceRef) -> CheckResult:
    """Whether a business service answers over the network from where its users are, as a CCDC
    scoring engine checks it (a server isolated by the team does not answer, even if its daemon
    runs): good when it answers, bad when it does not."""
    rng = view.range
    target, source = rng.host(ref.host), rng.host(ref.from_)
    if target is None or source is None:
        raise KeyError(f"unknown host {(ref.host if target is None else ref.from_)!r} in range {rng.name}")
    address = target.address_seen_from(source)
    kind = service_kind(ref.service)
    if kind is None:
        raise KeyError(f"unknown service kind {ref.service!r}")
    command = kind.probe_command(str(address), ports_of(target, kind)[0][1])
    try:
        ok = view.backend.exec(view.team, ref.from_, command, timeout=10).ok
    except BackendError:
        ok = False
    return good_if(ok, f"{ref.service} on {ref.host} from {ref.from_}: {'answers' if ok else 'no answer'}")

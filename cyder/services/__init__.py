"""The range's services: one module per kind of daemon (dns.py, smtp.py ... syslog.py).

Each module holds one class, registered in `SERVICES`: the pydantic model of the service's YAML
fields (`{kind: proxy, port: 3128}`), its facts as ClassVars (ports, boot weight, log parsers,
control files such as the proxy's deny list) and its behaviour as methods (`plan` configures the
daemon, `check_range` checks what it refers to, `probe_command` tells that it answers). Adding a
kind is adding a module here; validation, the schema, provisioning and the evidence parser find
it through the registry. context.py and base.py hold what the kinds build on.
"""

from __future__ import annotations

from ..model.range import SERVICES, Host, Ports, ServiceParams
from .base import Service

__all__ = ["SERVICES", "Service", "as_service", "ports_of", "service_kind", "service_kinds"]


def service_kinds() -> tuple[type[Service], ...]:
    """Every service kind's class, in the registry's order."""
    return tuple(_checked(cls) for cls in SERVICES.models())


def service_kind(tag: str) -> type[Service] | None:
    """The class of the service kind a document names by its tag (`service: http`), or None."""
    cls = SERVICES.model_for(tag)
    return None if cls is None else _checked(cls)


def as_service(svc: ServiceParams) -> Service:
    """A host's service with the behaviour of its kind (every registered kind is a Service)."""
    if not isinstance(svc, Service):
        raise _not_a_service(type(svc))
    return svc


def ports_of(host: Host, kind: type[Service]) -> Ports:
    """The ports a host's service of a kind listens on (the kind's own when the host has none)."""
    svc = host.service(kind)
    return svc.listens_on() if svc is not None else kind.ports


def _checked(cls: type[ServiceParams]) -> type[Service]:
    if not issubclass(cls, Service):
        raise _not_a_service(cls)
    return cls


def _not_a_service(cls: type[ServiceParams]) -> TypeError:
    return TypeError(f"service kind {cls.__name__} ({cls.__module__}) does not derive from cyder.services.base.Service")

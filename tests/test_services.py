"""The service kinds (cyder/services/): one module each, found through the registry by validation,
the schema, provisioning, the firewall, the evidence parser and the range backends; a throwaway
kind added from one class is seen by all of them."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

import pytest

from cyder.errors import InputError
from cyder.evidence.parse import PARSERS, parse_line
from cyder.model.load import parse_range
from cyder.model.range import SERVICES, Host
from cyder.model.schema import range_schema, shorthand_service_kinds
from cyder.model.yamlsource import parse_yaml
from cyder.provision import build_plans
from cyder.services import Service, as_service, ports_of, service_kind, service_kinds
from cyder.services.context import HostPlan, RangeContext, ServicePlan, banner_free_check
from cyder.services.http import HttpService
from cyder.services.proxy import ProxyService
from cyder.services.syslog import SyslogService

ROOT = Path(__file__).resolve().parents[1]
SMALL_OFFICE = (ROOT / "ranges" / "small-office.yaml").read_text(encoding="utf-8")


def test_the_kinds_keep_their_order_in_messages_and_the_schema() -> None:
    assert SERVICES.kinds() == ("dns", "smtp", "imap", "http", "proxy", "ssh", "smb", "postgres", "app", "syslog")
    assert [cls.__name__ for cls in service_kinds()] == [
        "DnsService", "SmtpService", "ImapService", "HttpService", "ProxyService", "SshService", "SmbService",
        "PostgresService", "AppService", "SyslogService"]
    assert shorthand_service_kinds() == ["dns", "smtp", "imap", "http", "proxy", "ssh", "smb", "postgres", "syslog"]


def test_each_kind_holds_its_ports_and_boot_weight() -> None:
    ports = {SERVICES.tag_of(cls): cls.ports for cls in service_kinds()}
    assert ports == {
        "dns": (("udp", 53), ("tcp", 53)), "smtp": (("tcp", 25),), "imap": (("tcp", 143),), "http": (("tcp", 80),),
        "proxy": (("tcp", 3128),), "ssh": (("tcp", 22),), "smb": (("tcp", 445),), "postgres": (("tcp", 5432),),
        "app": (("tcp", 8080),), "syslog": (("udp", 514), ("tcp", 514), ("tcp", 2514)),
    }
    weights = {SERVICES.tag_of(cls): cls.boot_weight for cls in service_kinds()}
    assert weights == {"dns": 2, "smtp": 1, "imap": 1, "http": 2, "proxy": 2, "ssh": 2, "smb": 1, "postgres": 0,
                       "app": 1, "syslog": 2}


def test_a_configured_port_replaces_the_kinds_port() -> None:
    host = Host.model_validate({"name": "web", "role": "server", "services": [{"kind": "proxy", "port": 8000}]})
    assert ports_of(host, ProxyService) == (("tcp", 8000),)
    assert ports_of(host, HttpService) == (("tcp", 80),)  # the kind's own when the host has none
    assert host.offers("proxy") and not host.offers("http")
    assert host.service(ProxyService) is host.services[0] and host.service(HttpService) is None


def test_the_evidence_parsers_come_from_the_kinds() -> None:
    assert set(PARSERS) == {"named", "squid", "nginx", "postfix", "sshd", "ulogd", "smbd_audit", "postgres",
                            "dovecot", "webapp", "procmon"}
    line = ("2026-01-05T10:00:00+09:00 proxy squid-1[12]: 1767574800.000 12 10.20.12.5 TCP_MISS/200 512 GET "
            "http://evil.example/x - HIER_DIRECT/203.0.113.5 text/html")
    event = parse_line(line)
    assert event is not None and (event.source, event.kind, event.fields["domain"]) == ("squid", "proxy-access",
                                                                                        "evil.example")


def test_the_probe_of_a_kind() -> None:
    http = service_kind("http")
    assert http is HttpService and http.probe_command("10.0.0.1", 80).startswith("curl ")
    ssh = service_kind("ssh")
    assert ssh is not None and ssh.probe_command("10.0.0.1", 22) == "nc -z -w 3 10.0.0.1 22"
    assert service_kind("gopher") is None


class EchoService(Service):
    """A throwaway echo server (RFC 862), only for this test."""

    kind: Literal["echo"] = "echo"
    greeting: str = "hello"

    ports: ClassVar[tuple[tuple[str, int], ...]] = (("tcp", 7),)
    boot_weight: ClassVar[int] = 0

    def plan(self, ctx: RangeContext, host: Host, plan: HostPlan) -> None:
        plan.add_file("/etc/echo.conf", self.greeting + "\n")
        plan.services.append(ServicePlan("echo", ["echo-server"], banner_free_check(7)))


def _with_echo(text: str) -> str:
    """Small office with an echo service on the DNS host and a flow to it."""
    text = text.replace("    services: [dns, syslog, ssh]",
                        "    services: [dns, syslog, ssh, {kind: echo, greeting: hi}]")
    return text.replace("    - {name: lan-web, ", "    - {name: lan-echo, from: lan, to: dns, service: echo}\n"
                                                 "    - {name: lan-web, ")


def test_a_new_kind_from_one_class_is_validated_planned_and_opened() -> None:
    text = _with_echo(SMALL_OFFICE)
    with pytest.raises(InputError) as refused:
        parse_range(*parse_yaml(text, "office.yaml"))
    assert "unknown kind 'echo' (the kinds are dns, smtp, imap, http, proxy, ssh, smb, postgres, app, syslog)" \
        in str(refused.value)
    with SERVICES.temporarily(EchoService):
        rng = parse_range(*parse_yaml(text, "office.yaml"))
        echo = rng.host("dns").service(EchoService)
        assert echo is not None and as_service(echo).boot_weight == 0
        plans = build_plans(rng)
        assert "echo" in [s.name for s in plans["dns"].services]
        assert {"path": "/etc/echo.conf", "content": "hi\n", "owner": "root", "mode": "0644"} in plans["dns"].files
        assert "-s 10.30.10.0/24 -d 10.30.1.53/32 -p tcp --dport 7 " in next(
            f["content"] for f in plans["fw"].files if f["path"] == "/etc/cyder/firewall.rules")
        schema = range_schema()
        assert "EchoService" in schema["$defs"] and "echo" in shorthand_service_kinds()
        with pytest.raises(InputError) as typo:
            parse_range(*parse_yaml(text.replace("greeting: hi", "greting: hi"), "office.yaml"))
        assert "unknown field; did you mean greeting?" in str(typo.value)
    assert "EchoService" not in range_schema()["$defs"]
    assert SERVICES.model_for("echo") is None


def test_the_collector_file_is_the_syslog_kinds() -> None:
    from cyder.evidence.collect import COLLECTOR_LOG

    assert COLLECTOR_LOG == SyslogService.COLLECTOR_LOG == "/var/log/remote/all.log"

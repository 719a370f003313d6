"""Isolation on real containers: one team's actions and backend calls cannot reach another team's
containers, range secrets stay inside the range (and out of a staff user's reach), the range's
DNS is the only resolver, and IPv6 is off before anything starts."""

import pytest

from cyder.backend.base import BackendError
from cyder.backend.docker.backend import bridge_name
from cyder.cli import main
from cyder.exercise.actions import ACTIONS, ActionError, take_action
from runid import team

HOME, AWAY = team("tisoa"), team("tisob")


@pytest.fixture(scope="module")
def two_offices(backend, office):
    for name in (HOME, AWAY):
        backend.down(name)
        backend.up(office, name, timeout=120)
    yield office
    for name in (HOME, AWAY):
        backend.down(name)


def shadow(backend, name, host="www", user="admin"):
    return backend.exec(name, host, f"getent shadow {user} | cut -d: -f2").stdout.strip()


def test_no_action_and_no_backend_call_reaches_another_teams_container(backend, two_offices, capsys, tmp_path):
    before = shadow(backend, AWAY)
    tricks = [f"pc1/../cyder-{AWAY}-www", f"../cyder-{AWAY}-www", f"cyder-{AWAY}-www", f"www/../../cyder-{AWAY}-www"]
    for action, spec in ACTIONS.items():
        if "host" not in spec.params:
            continue
        for trick in tricks:
            params = {"host": trick, "user": "admin", "password": "Hijacked-pass-1", "address": "203.0.113.9",
                      "path": "/tmp/x", "pattern": "sshd", "domain": "evil.example"}
            with pytest.raises(ActionError):
                take_action(backend, HOME, two_offices, action, {k: v for k, v in params.items() if k in spec.params})
    for trick in tricks:
        with pytest.raises(BackendError):
            backend.exec(HOME, trick, "true")
        with pytest.raises(BackendError):
            backend.write_file(HOME, trick, "/tmp/x", b"x")
    assert main(["act", "reset-password", f"host=pc1/../cyder-{AWAY}-www", "user=admin", "password=Hijacked-pass-1",
                 "--team", HOME, "--store", str(tmp_path / "ex.sqlite")]) != 0
    assert "unknown host" in capsys.readouterr().err
    assert shadow(backend, AWAY) == before, "team B's admin password was changed through team A"


def test_the_host_plan_is_root_only_and_holds_no_secret_after_boot(backend, two_offices):
    mode = backend.exec(HOME, "www", "stat -c %a /etc/cyder/host.json").stdout.strip()
    assert mode == "600"
    plan = backend.read_file(HOME, "www", "/etc/cyder/host.json").decode()
    assert "Adm1n-office" not in plan and '"password"' not in plan and '"files"' not in plan
    assert not backend.exec(HOME, "pc1", "cat /etc/cyder/host.json", user="tanaka").ok
    assert backend.exec(HOME, "pc1", "ls /home/tanaka").ok  # the staff account exists: the refusal is the mode


def test_the_ranges_dns_is_the_only_resolver(backend, two_offices):
    container = backend._container(HOME, "pc1")
    assert container.attrs["HostConfig"]["Dns"] == ["10.30.1.53"]
    assert backend.exec(HOME, "pc1", "cat /etc/resolv.conf").stdout.split()[:2] == ["nameserver", "10.30.1.53"]
    embedded = backend.exec(HOME, "pc1", "dig +time=1 +tries=1 @127.0.0.11 www.office.example", timeout=10)
    assert not embedded.ok or "connection timed out" in embedded.stdout
    assert backend.exec(HOME, "pc1", "dig +short +time=2 @10.30.1.53 www.office.example").stdout.strip() == "10.30.1.80"


def test_ipv6_is_off_on_every_range_bridge_and_in_every_container(backend, two_offices):
    for segment in ("dmz", "lan"):
        with open(f"/proc/sys/net/ipv6/conf/{bridge_name(HOME, segment)}/disable_ipv6", encoding="ascii") as fh:
            assert fh.read().strip() == "1"
    for host in ("fw", "pc1", "www"):
        shown = backend.exec(HOME, host, "ip -6 addr show").stdout
        assert "inet6" not in shown, (host, shown)

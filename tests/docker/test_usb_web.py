"""The usb-supplier scenario on a real range: a USB-borne implant beaconing over DNS, and a web
attack from the internet that leaves its traces in the web server's and the firewall's logs."""

import asyncio
from pathlib import Path

import pytest

from cyder.model.scenario_load import load_scenario
from cyder.scenario.engine import AttackRun
from cyder.scenario.variant import make_variant

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run(backend, saida_team):
    sc, rng = load_scenario(ROOT / "scenarios" / "usb-supplier.yaml")
    variant = make_variant(sc, rng, 21)
    events = asyncio.run(AttackRun(backend, saida_team, variant, speed=300).run())
    return variant, {e.step: e for e in events}


def test_every_step_runs(run):
    _, events = run
    assert {s: e.outcome for s, e in events.items()} == {s: "executed" for s in
                                                          ("recon", "usb", "c2-dns", "sqli", "webshell")}


def test_the_implant_came_from_the_usb_stick_and_persists_with_an_autostart_entry(backend, saida_team, run):
    variant, _ = run
    target = variant.values["target"]
    usb_copy = f"/media/{target.user}/SUPPLIER_USB/{variant.values['implant']}"
    assert backend.exec(saida_team, target.pc, f"sha256sum {usb_copy}").stdout.split()[0] == variant.implant_sha256
    autostart = backend.exec(saida_team, target.pc, f"cat /home/{target.user}/.config/autostart/update.desktop")
    assert "resident" in autostart.stdout
    mail_log = backend.exec(saida_team, "groupware", f"grep -c 'to=<{target.user}@' /var/log/mail.log")
    assert mail_log.stdout.strip() in ("", "0")  # no network delivery


def test_dns_beacons_reach_the_city_dns_log(backend, saida_team, run):
    variant, _ = run
    domain = variant.values["c2_domain"]
    log = backend.exec(saida_team, "dns", f"grep -c 'query: [a-z2-7]*\\.{domain} IN A' /var/log/syslog")
    assert int(log.stdout.strip() or 0) >= 3


def test_the_web_attack_is_in_the_access_log_and_the_scan_in_the_firewall_log(backend, saida_team, run):
    access = backend.exec(saida_team, "www", "cat /var/log/nginx/access.log").stdout
    assert "UNION%20SELECT" in access and "sqlmap" in access
    assert "PUT /uploads/shell.php" in access
    denied = backend.exec(saida_team, "fw", "grep -h 'FW DENY.*SRC=203.0.113.66 DST=10.20.1.80.*DPT=22 ' /var/log/firewall.log")
    assert denied.ok

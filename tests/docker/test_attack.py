"""The targeted-email scenario replayed on a real Saida City range at high speed."""

import asyncio
import email
from email.header import decode_header, make_header
from pathlib import Path

import pytest

from cyder.model.scenario_load import load_scenario
from cyder.scenario.engine import AttackRun
from cyder.scenario.variant import make_variant

ROOT = Path(__file__).resolve().parents[2]

SPEED = 300


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(ROOT / "scenarios" / "targeted-email.yaml")


def replay(backend, team, scenario, seed, on_event=lambda e: None):
    sc, rng = scenario
    variant = make_variant(sc, rng, seed)
    events = asyncio.run(AttackRun(backend, team, variant, speed=SPEED, on_event=on_event).run())
    return variant, {e.step: e for e in events}


def wait_for(backend, team, host, command):
    return backend.exec(team, host, f"for i in $(seq 50); do {command} && exit 0; sleep 0.2; done; exit 1")


@pytest.fixture(scope="module")
def full_run(backend, saida_team, scenario):
    return replay(backend, saida_team, scenario, seed=11)


def test_the_chain_runs_to_the_end(full_run):
    variant, events = full_run
    main_chain = ["phish", "execute", "c2-http", "discovery", "brute-force", "login", "collect", "exfil-http"]
    assert [s for s in main_chain if events[s].outcome != "executed"] == [], {s: events[s].reason for s in events}
    assert "c2-dns" not in events and "exfil-dns" not in events  # fallbacks only when blocked
    assert events["c2-http"].details["check_ins"] == 5


def test_the_mail_sits_in_the_mailbox_with_real_headers(backend, saida_team, full_run):
    variant, _ = full_run
    target = variant.values["target"].user
    attachment = variant.values["attachment"]
    found = wait_for(backend, saida_team, "groupware", f"grep -rl 'support@{variant.values['c2_domain']}' /home/{target}/Maildir/new")
    assert found.ok
    message = email.message_from_bytes(backend.read_file(saida_team, "groupware", found.stdout.split()[0]))
    assert "mailgw.city.saida.lg.jp" in " ".join(message.get_all("Received"))
    assert str(make_header(decode_header(message["Subject"]))).startswith("【重要】年金関係資料")
    names = [str(make_header(decode_header(p.get_filename()))) for p in message.walk() if p.get_filename()]
    assert names == [attachment]
    mail_log = backend.exec(saida_team, "logserver", f"grep -h 'to=<{target}@city.saida.lg.jp>.*status=sent' "
                                                     "/var/log/remote/mailgw/*.log /var/log/remote/groupware/*.log")
    assert mail_log.stdout.count("status=sent") >= 2


def test_the_implant_left_its_traces_on_the_pc(backend, saida_team, full_run):
    variant, events = full_run
    target = variant.values["target"]
    implant = f"/home/{target.user}/.cache/{variant.values['implant']}"
    assert backend.exec(saida_team, target.pc, f"sha256sum {implant}").stdout.split()[0] == variant.implant_sha256
    assert "resident" in backend.exec(saida_team, target.pc, f"crontab -l -u {target.user}").stdout
    assert backend.exec(saida_team, target.pc, ["pgrep", "-u", target.user, "-f", "resident"]).ok


def test_beacons_and_exfiltration_are_in_the_proxy_dns_and_c2_logs(backend, saida_team, full_run):
    variant, _ = full_run
    domain = variant.values["c2_domain"]
    proxy = backend.exec(saida_team, "proxy", "cat /var/log/squid/access.log").stdout
    assert proxy.count(f"http://{domain}/update/check") >= 5
    assert f"POST http://{domain}/upload" in proxy
    assert wait_for(backend, saida_team, "logserver", f"grep -q 'query: {domain} IN A' /var/log/remote/dns/named.log").ok
    c2_log = backend.exec(saida_team, "c2", "cat /var/log/nginx/access.log").stdout
    assert c2_log.count("GET /update/check?id=") >= 5
    assert "10.20.1.8" in c2_log  # the check-ins arrive from the city's proxy


def test_password_guessing_leaves_failed_logins_then_an_accepted_one(backend, saida_team, full_run):
    auth = wait_for(backend, saida_team, "logserver",
                    "grep -q 'Accepted password for fsadmin' /var/log/remote/fileserver/sshd.log")
    assert auth.ok
    failed = backend.exec(saida_team, "logserver", "grep -c 'Failed password for fsadmin' /var/log/remote/fileserver/sshd.log")
    assert int(failed.stdout.strip() or 0) >= 4


def test_blocking_the_c2_at_the_firewall_runs_the_dns_fallback(backend, saida_team, scenario):
    sc, rng = scenario
    c2_ip = make_variant(sc, rng, 12).values["c2_ip"]

    def block_when_infected(event):
        if event.step == "execute":
            backend.exec(saida_team, "fw", f"iptables -I FORWARD -d {c2_ip} -j REJECT")

    try:
        _, events = replay(backend, saida_team, scenario, seed=12, on_event=block_when_infected)
    finally:
        backend.exec(saida_team, "fw", f"iptables -D FORWARD -d {c2_ip} -j REJECT")
    assert events["c2-http"].outcome == "blocked"
    assert c2_ip in events["c2-http"].reason  # the rule the team added is named as the defence
    assert events["c2-dns"].outcome == "executed"
    assert events["discovery"].outcome == "executed"  # the chain goes on through the fallback
    assert events["exfil-http"].outcome == "blocked" and events["exfil-dns"].outcome == "executed"


def test_killing_the_implant_stops_the_chain(backend, saida_team, scenario):
    sc, rng = scenario
    target = make_variant(sc, rng, 13).values["target"]

    def kill_after_beacons(event):
        if event.step == "c2-http":
            backend.exec(saida_team, target.pc, ["pkill", "-u", target.user, "-f", "resident"])

    _, events = replay(backend, saida_team, scenario, seed=13, on_event=kill_after_beacons)
    assert events["discovery"].outcome == "blocked"
    assert "not running" in events["discovery"].reason
    assert all(events[s].outcome == "skipped" for s in ("brute-force", "login", "collect", "exfil-http"))


def test_the_packet_capture_holds_the_scan(backend, saida_team, full_run, tmp_path):
    from scapy.all import IP, TCP, rdpcap

    variant, events = full_run
    pc_address = str(variant.range.host(variant.values["target"].pc).address_on("lgwan"))
    files = backend.export_captures(saida_team, str(tmp_path))
    assert sorted(p.rsplit("-", 1)[-1] for p in files) == ["dmz.pcap", "internet.pcap", "lgwan.pcap",
                                                           "mgmt.pcap", "mynumber.pcap"]
    packets = rdpcap(str(tmp_path / f"{saida_team}-lgwan.pcap"))
    syns = {(p[IP].dst, p[TCP].dport) for p in packets
            if p.haslayer(TCP) and p[IP].src == pc_address and p[TCP].sport == 40000 and p[TCP].flags == "S"}
    assert {("10.20.10.30", 445), ("10.20.10.30", 22), ("10.20.10.25", 25)} <= syns
    assert events["discovery"].details["probes"] == 12


def test_the_attack_traces_reach_the_evidence_store_with_their_fields(backend, saida_team, full_run, tmp_path):
    from cyder.evidence.collect import sync
    from cyder.evidence.store import EvidenceStore, Query

    variant, _ = full_run
    domain = variant.values["c2_domain"]
    pc_address = str(variant.range.host(variant.values["target"].pc).address_on("lgwan"))
    store = EvidenceStore(tmp_path / "evidence.sqlite")
    sync(backend, store, saida_team, "logserver")

    def find(*words):
        return [s.evidence for s in store.search(Query.parse(saida_team, words))]

    beacons = find("kind:proxy-access", f"domain={domain}", f"client={pc_address}")
    assert len(beacons) >= 5 and any(e.fields["method"] == "POST" for e in beacons)
    assert find("kind:dns-query", f"query={domain}")
    assert len(find("kind:auth", "result=failure", "user=fsadmin", f"client={pc_address}")) >= 4
    assert find("kind:auth", "result=success", "user=fsadmin")
    assert find("kind:mail", f"to={variant.values['target'].user}@city.saida.lg.jp", "status=sent")
    assert find("kind:file-access", "share=共有", f"client={pc_address}")
    store.close()

"""Host plans rendered from the ranges: firewall rules, accounts, resolvers, proxies, logging."""

from pathlib import Path

from cyder.backend.docker.hostnet import HostNetwork, overlaps
from cyder.model import load_range
from cyder.provision import build_plans

ROOT = Path(__file__).resolve().parent.parent
SAIDA = load_range(ROOT / "ranges" / "saida-city.yaml")
PLANS = build_plans(SAIDA)


def files(plan):
    return {f["path"]: f["content"] for f in plan.files}


def test_firewall_denies_by_default_and_allows_only_declared_flows():
    rules = files(PLANS["fw"])["/etc/cyder/firewall.rules"]
    assert ":FORWARD DROP" in rules
    assert rules.strip().splitlines()[-2].endswith('--nflog-prefix "FW DENY "')
    assert "-s 10.20.10.102/32 -d 10.20.30.10/32 -p tcp --dport 8080" in rules  # pc02 -> registry app
    assert "10.20.30.20/32 -p tcp --dport 5432" not in rules  # nobody crosses to the database
    assert "-s 10.20.8.0/21 -d 10.20.1.8/32 -p tcp --dport 8080" in rules  # staff -> proxy
    assert '--nflog-prefix "FW ACCEPT proxy-out "' in rules


def test_hosts_route_through_the_firewall_and_use_the_city_dns():
    pc = PLANS["pc01"]
    assert pc.routes == [{"to": "default", "via": "10.20.10.1"}]
    assert pc.nameservers == ["10.20.1.53"]
    assert PLANS["c2"].nameservers == ["203.0.113.53"]  # the internet has its own resolver
    assert PLANS["fw"].routes == [] and PLANS["fw"].forwarding


def test_staff_have_home_folders_on_their_pc_and_mailboxes_on_the_mail_server():
    assert [u["name"] for u in PLANS["pc01"].users] == ["sato"]
    assert "/home/sato/Documents/README.txt" in files(PLANS["pc01"])
    mail_files = files(PLANS["groupware"])
    assert any(p.startswith("/home/sato/Maildir/new/") for p in mail_files)
    assert any(p.startswith("/home/takahashi/Maildir/new/") for p in mail_files)


def test_clients_are_sent_to_the_proxy():
    proxy_env = files(PLANS["pc01"])["/etc/profile.d/proxy.sh"]
    assert "http_proxy=http://10.20.1.8:8080/" in proxy_env
    assert "/etc/profile.d/proxy.sh" not in files(PLANS["www"])


def test_every_organisation_host_forwards_logs_and_attackers_do_not():
    for name in ("pc01", "www", "fw", "juki-db"):
        assert 'target="10.20.99.10"' in files(PLANS[name])["/etc/rsyslog.conf"]
    assert "omfwd" not in files(PLANS["c2"])["/etc/rsyslog.conf"]
    assert 'input(type="imtcp" port="514"' in files(PLANS["logserver"])["/etc/rsyslog.conf"]


def test_gateway_relays_city_mail_inside_and_groupware_sends_out_through_it():
    main_cf = files(PLANS["mailgw"])["/etc/postfix/main.cf"]
    assert "relay_domains = city.saida.lg.jp" in main_cf and "[10.20.10.25]" in main_cf
    assert "relayhost = [10.20.1.25]:25" in files(PLANS["groupware"])["/etc/postfix/main.cf"]


def test_zone_lists_hosts_and_records():
    zone = files(PLANS["dns"])["/etc/bind/cyder/db.city.saida.lg.jp"]
    assert "www IN A 10.20.1.80" in zone and "@ IN MX 10 mailgw.city.saida.lg.jp." in zone
    assert "c2 IN A" not in zone  # attacker hosts are not the city's


def test_every_service_has_a_start_and_a_check():
    for plan in PLANS.values():
        for service in plan.services:
            assert service.start and service.check, (plan.name, service.name)


def test_overlap_with_machine_networks_is_found():
    import ipaddress

    machine = [HostNetwork(ipaddress.ip_network("10.20.0.0/16"), "interface eth9")]
    clashes = overlaps([s.subnet for s in SAIDA.segments], machine)
    assert {str(n) for n, _ in clashes} == {"10.20.1.0/24", "10.20.8.0/21", "10.20.30.0/24", "10.20.99.0/24"}

"""Saida City on real Docker: every service answers from another host, and the firewall holds."""

import pytest


def run(backend, team, host, command, timeout=20):
    return backend.exec(team, host, command, timeout=timeout)


def test_all_health_checks_pass(backend, saida_team):
    (status,) = backend.status(saida_team)
    assert status.healthy, [h for h in status.hosts if not h.healthy]
    assert len(status.hosts) == 18  # 17 hosts and one container of simulated staff


def test_client_resolves_the_city_web_server_through_the_city_dns(backend, saida_team):
    result = run(backend, saida_team, "pc01", "dig +short www.city.saida.lg.jp")
    assert result.stdout.strip() == "10.20.1.80"
    page = run(backend, saida_team, "pc01", "curl -s -m 5 http://www.city.saida.lg.jp/")
    assert "さいだ市公式ホームページ" in page.stdout
    logged = run(backend, saida_team, "logserver",
                 "for i in $(seq 50); do grep -h 'client .*10.20.10.101.*query: www.city.saida.lg.jp IN A' "
                 "/var/log/remote/dns/named.log && exit 0; sleep 0.2; done; exit 1")
    assert logged.ok, "the DNS query log reaches the collector"


def test_city_dns_forwards_to_the_internet_resolver(backend, saida_team):
    result = run(backend, saida_team, "pc01", "dig +short update-check.example")
    assert result.stdout.strip() == "203.0.113.66"


@pytest.mark.parametrize("server", ["groupware", "mailgw"])
def test_smtp_banner(backend, saida_team, server):
    result = run(backend, saida_team, "pc01" if server == "groupware" else "groupware",
                 f"timeout 5 bash -c 'exec 3<>/dev/tcp/{server}.city.saida.lg.jp/25; head -1 <&3'")
    assert result.stdout.startswith(f"220 {server}.city.saida.lg.jp ESMTP")


def test_imap_login_to_a_staff_mailbox(backend, saida_team):
    result = run(backend, saida_team, "pc01",
                 "curl -s -m 5 --noproxy '*' --user 'sato:Sato-2024!' "
                 "'imap://groupware.city.saida.lg.jp/INBOX;UID=1'")
    assert "it@city.saida.lg.jp" in result.stdout, result


def test_mail_from_the_internet_reaches_a_staff_mailbox(backend, saida_team):
    send = run(backend, saida_team, "attacker-mail",
               "swaks --server 10.20.1.25 --from sender@update-check.example --to sato@city.saida.lg.jp "
               "--header 'Subject: test-delivery-1234' --body hello --timeout 10", timeout=30)
    assert send.ok, send.stdout[-500:]
    found = run(backend, saida_team, "groupware",
                "for i in $(seq 50); do grep -rl test-delivery-1234 /home/sato/Maildir/new && exit 0; sleep 0.2; done; exit 1")
    assert found.ok
    header = run(backend, saida_team, "groupware", f"cat {found.stdout.split()[0]}").stdout
    assert "Received: from mailgw.city.saida.lg.jp" in header


def test_web_page_of_the_internet_only_through_the_proxy(backend, saida_team):
    via_proxy = run(backend, saida_team, "pc01", ". /etc/profile.d/proxy.sh; curl -s -m 8 http://update-check.example/")
    assert "更新サーバ" in via_proxy.stdout
    direct = run(backend, saida_team, "pc01", "curl -s -m 3 --noproxy '*' http://203.0.113.66/")
    assert not direct.ok
    log = run(backend, saida_team, "proxy", "cat /var/log/squid/access.log").stdout
    assert "10.20.10.101" in log and "update-check.example" in log


def test_ssh_banner_from_the_management_segment(backend, saida_team):
    result = run(backend, saida_team, "logserver", "timeout 5 bash -c 'exec 3<>/dev/tcp/10.20.1.80/22; head -1 <&3'")
    assert result.stdout.startswith("SSH-2.0-OpenSSH")


def test_a_file_on_the_file_server(backend, saida_team):
    result = run(backend, saida_team, "pc01",
                 "smbclient //fileserver.city.saida.lg.jp/共有 -U 'sato%Sato-2024!' -c 'get 庁内連絡網.txt -'")
    assert "庁内連絡網" in result.stdout, result


def test_a_query_reaches_the_database_from_the_app_server(backend, saida_team):
    result = run(backend, saida_team, "juki-app", "curl -s -m 5 --noproxy '*' http://127.0.0.1:8080/")
    assert "佐井田 太郎" in result.stdout
    log = run(backend, saida_team, "juki-db", "grep -h 'statement: SELECT \\* FROM residents' /var/log/syslog")
    assert log.ok


def test_declared_flow_lets_the_citizens_pc_use_the_registry(backend, saida_team):
    result = run(backend, saida_team, "pc02", "curl -s -m 5 --noproxy '*' http://10.20.30.10:8080/")
    assert "住民基本台帳システム" in result.stdout


def test_staff_pc_cannot_reach_the_my_number_tier(backend, saida_team):
    for target in ("10.20.30.20 5432", "10.20.30.10 8080"):
        result = run(backend, saida_team, "pc01", f"nc -z -w 2 {target}")
        assert not result.ok, target


def test_firewall_logs_reach_the_collector(backend, saida_team):
    run(backend, saida_team, "pc01", "nc -z -w 1 10.20.30.20 5432")
    found = run(backend, saida_team, "logserver",
                "for i in $(seq 50); do grep -h 'FW DENY.*SRC=10.20.10.101 DST=10.20.30.20' /var/log/remote/fw/*.log "
                "&& exit 0; sleep 0.2; done; exit 1")
    assert found.ok
    accepted = run(backend, saida_team, "logserver", "grep -h 'FW ACCEPT' /var/log/remote/fw/*.log")
    assert accepted.ok
    hosts = run(backend, saida_team, "logserver", "ls /var/log/remote").stdout.split()
    assert {"pc01", "www", "dns", "juki-db", "fw"} <= set(hosts)

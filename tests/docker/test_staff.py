"""Simulated staff on a real Saida City range: their work shows in the proxy, DNS, mail and file
server logs from many PC addresses, and the attack's traces arrive in the same evidence stream."""

import asyncio
import ipaddress
from pathlib import Path

import pytest

from cyder.evidence.collect import EvidenceFeed
from cyder.evidence.store import EvidenceStore, Query
from cyder.model.population import workforce
from cyder.model.scenario import parse_offset
from cyder.model.scenario_load import load_scenario
from cyder.scenario.engine import AttackRun
from cyder.scenario.variant import make_variant
from cyder.staff.control import activity, set_clock

ROOT = Path(__file__).resolve().parents[2]
POOL = ipaddress.ip_network("10.20.12.0/22")


def from_staff(events, field="client"):
    """The distinct staff PC addresses among the events' `field` values."""
    return {e.fields[field] for e in events if field in e.fields and ipaddress.ip_address(e.fields[field]) in POOL}


@pytest.fixture(scope="module")
def shared_stream(backend, saida_team, saida, tmp_path_factory):
    """Staff at twenty times real speed while the attack runs up to its beacons, one feed for all."""
    scenario, scenario_range = load_scenario(ROOT / "scenarios" / "targeted-email.yaml")
    variant = make_variant(scenario, scenario_range, seed=21)
    store = EvidenceStore(tmp_path_factory.mktemp("staff") / "evidence.sqlite")
    feed = EvidenceFeed(backend, store, saida_team, "logserver")
    set_clock(backend, saida_team, office=10 * 3600, speed=20)

    async def scenario_run():
        ingest = asyncio.create_task(feed.run())
        seen = []

        async def watch():
            async for stored in feed.stream(Query(team=saida_team)):
                seen.append(stored)

        watcher = asyncio.create_task(watch())
        steps = await AttackRun(backend, saida_team, variant, speed=300, until=parse_offset("0:16:00")).run()
        await asyncio.sleep(15)  # the staff carry on; their lines keep arriving
        watcher.cancel()
        ingest.cancel()
        feed.close()
        return steps, seen

    steps, seen = asyncio.run(scenario_run())
    yield variant, steps, seen, store
    store.close()


def test_staff_activity_is_counted_by_the_generator(backend, saida_team, saida, shared_stream):
    done = activity(backend, saida_team)
    assert done.pcs == len(workforce(saida)) == 30
    assert done.done.get("browse", 0) > 20 and done.done.get("mail_send", 0) > 0
    assert sum(done.failed.values()) <= 0.05 * done.actions


def test_staff_browse_through_the_proxy_from_many_pcs(shared_stream):
    _, _, seen, _ = shared_stream
    proxy = [s.evidence for s in seen if s.evidence.kind == "proxy-access"]
    assert len(from_staff(proxy)) >= 15
    assert {"www.news.example", "www.weather.example", "www.portal.example"} & {e.fields["domain"] for e in proxy}
    assert all(e.host == "proxy" for e in proxy)
    web = [s.evidence for s in seen if s.evidence.kind == "web-access" and s.evidence.host == "www"]
    assert len(from_staff(web)) >= 5  # the city's own site is reached directly


def test_staff_look_names_up_at_the_city_dns_from_their_own_addresses(shared_stream):
    _, _, seen, _ = shared_stream
    queries = [s.evidence for s in seen if s.evidence.kind == "dns-query"]
    assert len(from_staff(queries)) >= 10
    assert any(e.fields["query"].endswith(".city.saida.lg.jp") for e in queries)


def test_staff_send_and_read_mail(shared_stream, saida):
    _, _, seen, _ = shared_stream
    connects = [s.evidence for s in seen if s.evidence.kind == "mail-connect" and s.evidence.host == "groupware"]
    assert len(from_staff(connects)) >= 3
    # Postfix names the PC by its DNS name: each PC has one in the city's zone.
    assert any(e.fields["client_name"].endswith(".city.saida.lg.jp") and "-0" in e.fields["client_name"]
               for e in connects)
    users = {p.user for p in workforce(saida)}
    delivered = [s.evidence for s in seen if s.evidence.kind == "mail" and s.evidence.fields.get("status") == "sent"]
    assert len({e.fields["to"].split("@")[0] for e in delivered} & users) >= 3
    logins = [s.evidence for s in seen if s.evidence.kind == "auth" and s.evidence.fields.get("service") == "imap"]
    assert len(from_staff(logins)) >= 3


def test_staff_use_the_file_server_under_their_own_names(shared_stream, saida):
    _, _, seen, _ = shared_stream
    files = [s.evidence for s in seen if s.evidence.kind == "file-access"]
    assert len(from_staff(files)) >= 3
    assert {e.fields["user"] for e in files} & {p.user for p in workforce(saida)}


def test_the_attack_arrives_in_the_same_stream_with_its_fields(shared_stream):
    variant, steps, seen, _ = shared_stream
    assert [s.outcome for s in steps if s.step == "c2-http"] == ["executed"]
    domain = variant.values["c2_domain"]
    target = variant.values["target"]
    pc_address = str(variant.range.host(target.pc).address_on("lgwan"))
    beacons = [s.evidence for s in seen if s.evidence.kind == "proxy-access" and s.evidence.fields["domain"] == domain]
    assert beacons and all(e.fields["client"] == pc_address for e in beacons)
    assert {e.fields["method"] for e in beacons} >= {"GET"}
    assert any(s.evidence.kind == "dns-query" and s.evidence.fields["query"] == domain for s in seen)
    staff_before = [s for s in seen if s.evidence.kind == "proxy-access" and s.evidence.fields["client"] != pc_address
                    and s.id < min(x.id for x in seen if x.evidence in beacons)]
    assert staff_before  # the beacon is a needle among the staff's own requests
    started = [s.evidence for s in seen if s.evidence.kind == "process" and s.evidence.host == target.pc]
    assert any(e.fields["user"] == target.user and variant.values["implant"] in e.fields["command"]
               for e in started), [e.raw for e in started][:5]


def test_a_search_finds_what_the_stream_delivered(shared_stream, saida_team):
    _, _, seen, store = shared_stream
    stored = list(store.search(Query.parse(saida_team, ["kind:proxy-access"])))
    assert len(stored) >= len([s for s in seen if s.evidence.kind == "proxy-access"])
    times = [s.evidence.time for s in stored]
    assert times == sorted(times)

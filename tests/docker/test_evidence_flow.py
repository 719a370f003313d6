"""Evidence on real containers: lines travel from a host to the collector to the store, none lost
when the collector or the ingester restarts, and the feed's stream delivers new lines as they come."""

import asyncio

import pytest

from cyder.evidence.collect import EvidenceFeed, sync
from cyder.evidence.store import EvidenceStore, Query
from runid import team

TEAM = team("tevid")


@pytest.fixture(scope="module")
def office_team(backend, office):
    backend.down(TEAM)
    backend.up(office, TEAM, timeout=120)
    yield TEAM
    backend.down(TEAM)


@pytest.fixture
def store(tmp_path):
    store = EvidenceStore(tmp_path / "evidence.sqlite")
    yield store
    store.close()


def test_a_collector_restart_loses_no_line(backend, office_team, store):
    backend.exec(office_team, "pc1", "nohup sh -c 'for i in $(seq 1 300); do logger -t restarttest line-$i; "
                                     "sleep 0.015; done' >/dev/null 2>&1 &")
    for _ in range(2):  # two restarts in the middle of the burst
        backend.exec(office_team, "dns", "sleep 0.5; pkill -x rsyslogd; sleep 1; rm -f /run/rsyslogd.pid; rsyslogd")
    found = []
    for _ in range(60):
        sync(backend, store, office_team, "dns")
        found = list(store.search(Query.parse(office_team, ["source:restarttest"])))
        if len(found) >= 300:
            break
        asyncio.run(asyncio.sleep(0.25))
    numbers = sorted(int(s.evidence.raw.rsplit("line-", 1)[1]) for s in found)
    assert numbers == list(range(1, 301))
    assert {s.evidence.host for s in found} == {"pc1"}


def test_sync_twice_stores_each_line_once(backend, office_team, store):
    sync(backend, store, office_team, "dns")
    first = store.count(office_team)
    assert sync(backend, store, office_team, "dns") >= 0
    backend.exec(office_team, "pc2", "logger -t oncetest hello")
    for _ in range(40):
        sync(backend, store, office_team, "dns")
        if list(store.search(Query.parse(office_team, ["source:oncetest"]))):
            break
        asyncio.run(asyncio.sleep(0.25))
    assert len(list(store.search(Query.parse(office_team, ["source:oncetest"])))) == 1
    assert store.count(office_team) > first


def test_the_feed_streams_new_lines_with_filters(backend, office_team, store):
    feed = EvidenceFeed(backend, store, office_team, "dns")

    async def first_match():
        async for stored in feed.stream(Query.parse(office_team, ["host:pc1", "streamtest"])):
            return stored

    async def scenario():
        ingest = asyncio.create_task(feed.run())
        task = asyncio.create_task(first_match())
        await asyncio.sleep(1.0)
        await asyncio.to_thread(backend.exec, office_team, "pc2", "logger -t other streamtest-wrong-host")
        await asyncio.to_thread(backend.exec, office_team, "pc1", "logger -t mine streamtest-right-host")
        try:
            return await asyncio.wait_for(task, timeout=20)
        finally:
            ingest.cancel()
            feed.close()

    stored = asyncio.run(scenario())
    assert stored.evidence.host == "pc1" and "streamtest-right-host" in stored.evidence.raw
    assert stored.evidence.source == "mine"


def test_the_feed_follows_through_collector_and_ingester_restarts(backend, office_team, store):
    """Lines written while the collector restarts twice and the ingester is stopped and started
    again (a new feed on the same store, as after an engine restart) all arrive, each once."""
    async def scenario():
        feed = EvidenceFeed(backend, store, office_team, "dns", retry_seconds=0.2)
        ingest = asyncio.create_task(feed.run())
        await asyncio.sleep(1.0)
        await asyncio.to_thread(backend.exec, office_team, "pc2", "nohup sh -c 'for i in $(seq 1 400); do "
                                "logger -t feedrestart line-$i; sleep 0.01; done' >/dev/null 2>&1 &")
        await asyncio.to_thread(backend.exec, office_team, "dns",
                                "sleep 0.5; pkill -x rsyslogd; sleep 1; rm -f /run/rsyslogd.pid; rsyslogd")
        ingest.cancel()  # the engine stops in the middle of the burst...
        feed.close()
        await asyncio.sleep(1.5)
        feed = EvidenceFeed(backend, store, office_team, "dns", retry_seconds=0.2)  # ...and starts again
        ingest = asyncio.create_task(feed.run())
        await asyncio.to_thread(backend.exec, office_team, "dns",
                                "sleep 0.5; pkill -x rsyslogd; sleep 1; rm -f /run/rsyslogd.pid; rsyslogd")
        try:
            for _ in range(80):
                found = list(store.search(Query.parse(office_team, ["source:feedrestart"])))
                if len(found) >= 400:
                    break
                await asyncio.sleep(0.25)
            await asyncio.sleep(1.0)  # anything doubled would arrive now
            return list(store.search(Query.parse(office_team, ["source:feedrestart"])))
        finally:
            ingest.cancel()
            feed.close()

    found = asyncio.run(scenario())
    numbers = sorted(int(s.evidence.raw.rsplit("line-", 1)[1]) for s in found)
    assert numbers == list(range(1, 401))


def test_cyder_logs_prints_matching_lines_in_time_order(backend, office_team, tmp_path, capsys):
    from cyder.cli import main

    backend.exec(office_team, "pc1", "logger -t clitest first; sleep 1.1; logger -t clitest second")
    for _ in range(40):
        assert main(["logs", "--team", office_team, "--store", str(tmp_path / "cli.sqlite"), "source:clitest"]) == 0
        lines = capsys.readouterr().out.splitlines()
        if len(lines) == 2:
            break
        asyncio.run(asyncio.sleep(0.25))
    assert [line.rsplit(" ", 1)[-1] for line in lines] == ["first", "second"]
    assert main(["logs", "--team", office_team, "--store", str(tmp_path / "cli.sqlite"), "--json", "source:clitest",
                 "--limit", "1"]) == 0
    assert '"host": "pc1"' in capsys.readouterr().out

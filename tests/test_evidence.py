"""Evidence parsing and the evidence store, on real lines taken from a range's collector."""

import datetime

import pytest

from cyder.evidence.parse import parse_line
from cyder.evidence.store import EvidenceStore, Query, parse_when

LINES = {
    "dns-query": ("2026-11-23T03:41:12+00:00 dns named[63]: queries: client @0x7f 10.20.1.8#44222 (mail-cloud95.example): "
                  "query: mail-cloud95.example IN A + (10.20.1.53)",
                  {"client": "10.20.1.8", "query": "mail-cloud95.example", "type": "A"}),
    "proxy-access": ("2026-11-23T03:41:11+00:00 proxy (squid-1): 1795405271.904      4 10.20.10.102 TCP_MISS/200 390 "
                     "GET http://mail-cloud95.example/update/check? - HIER_DIRECT/203.0.113.42 application/octet-stream",
                     {"client": "10.20.10.102", "domain": "mail-cloud95.example", "status": 200, "method": "GET"}),
    "web-access": ('2026-11-23T03:41:05+00:00 www www nginx: 203.0.113.66 - - [23/Nov/2026:03:41:05 +0000] '
                   '"GET /search?id=1%27 HTTP/1.1" 404 153 "-" "sqlmap/1.7"',
                   {"client": "203.0.113.66", "path": "/search?id=1%27", "status": 404, "agent": "sqlmap/1.7"}),
    "mail": ("2026-11-23T03:41:11+00:00 groupware postfix/local[242]: 2FF1821DC45: to=<takahashi@city.saida.lg.jp>, "
             "relay=local, delay=0.02, delays=0.01/0.01/0/0, dsn=2.0.0, status=sent (delivered to maildir)",
             {"to": "takahashi@city.saida.lg.jp", "status": "sent", "queue": "2FF1821DC45"}),
    "auth": ("2026-11-23T03:41:16+00:00 fileserver sshd[123]: Failed password for fsadmin from 10.20.10.102 port 55032 ssh2",
             {"result": "failure", "user": "fsadmin", "client": "10.20.10.102", "service": "ssh"}),
    "firewall": ("2026-11-23T03:41:12+00:00 fw ulogd[46]: FW DENY  IN=eth2 OUT=eth3 MAC=02:42 SRC=10.20.10.101 "
                 "DST=10.20.30.20 LEN=60 TOS=00 PREC=0x00 TTL=63 ID=1 DF PROTO=TCP SPT=40000 DPT=5432 SEQ=1 ACK=0 SYN",
                 {"action": "deny", "src": "10.20.10.101", "dst": "10.20.30.20", "proto": "tcp", "dport": 5432}),
    "file-access": ("2026-11-23T03:41:18+00:00 fileserver smbd_audit: takahashi|10.20.10.102|pc02|共有|openat|ok|"
                    "庁内連絡網.txt", {"user": "takahashi", "share": "共有", "operation": "openat", "path": "庁内連絡網.txt"}),
    "db-query": ("2026-11-23T03:41:20+00:00 juki-db postgres[80]: [3-1] 2026-11-23 03:41:20.1 UTC [80] LOG:  "
                 "statement: SELECT * FROM residents LIMIT 200", {"statement": "SELECT * FROM residents LIMIT 200"}),
}


@pytest.mark.parametrize("kind", sorted(LINES))
def test_each_kind_of_line_gives_its_fields(kind):
    raw, expected = LINES[kind]
    event = parse_line(raw)
    assert event.kind == kind
    assert {k: event.fields[k] for k in expected} == expected
    assert event.raw == raw and event.time > 1.7e9


def test_unknown_lines_are_kept_and_junk_is_refused():
    event = parse_line("2026-11-23T03:41:06+00:00 juki-app 127.0.0.1 something odd")
    assert (event.host, event.source, event.kind) == ("juki-app", "unknown", "log")
    assert parse_line("not a log line") is None


@pytest.fixture
def store(tmp_path):
    store = EvidenceStore(tmp_path / "e.sqlite")
    events = [parse_line(raw) for raw, _ in LINES.values()]
    store.add("t1", events, "logserver", "/var/log/remote/all.log", 4096)
    store.add("t2", events[:2])
    yield store
    store.close()


def test_search_filters_by_kind_host_fields_words_and_team(store):
    def find(*words, **options):
        return [s.evidence.kind for s in store.search(Query.parse("t1", words, **options))]

    assert find("kind:auth") == ["auth"]
    assert find("host:fw", "action=deny") == ["firewall"]
    assert find("dport=5432") == ["firewall"]
    assert sorted(find("mail-cloud95")) == ["dns-query", "proxy-access"]
    assert find("庁内連絡網") == ["file-access"]
    assert find("kind:auth", "kind:mail") == ["mail", "auth"]  # either kind, in time order
    assert len(list(store.search(Query("t2")))) == 2


def test_results_come_in_time_order_and_respect_time_range_and_limit(store):
    times = [s.evidence.time for s in store.search(Query("t1"))]
    assert times == sorted(times) and len(times) == len(LINES)
    late = list(store.search(Query("t1", since=times[-2])))
    assert len(late) >= 2
    assert len(list(store.search(Query("t1", limit=3)))) == 3


def test_newest_first_and_following_new_events(store):
    newest = [s.evidence.time for s in store.search(Query("t1", limit=3, newest_first=True))]
    assert newest == sorted(newest, reverse=True) and len(newest) == 3
    everything = list(store.search(Query("t1")))
    after = list(store.search(Query("t1", after_id=everything[2].id)))
    assert [s.id for s in after] == sorted(s.id for s in everything if s.id > everything[2].id)


def test_time_words_in_a_search():
    now = datetime.datetime(2026, 11, 23, 14, 0, 0).timestamp()
    assert parse_when("-15m", now) == now - 900
    assert parse_when("-2h", now) == now - 7200
    assert parse_when("10:30", now) == datetime.datetime(2026, 11, 23, 10, 30).timestamp()
    assert parse_when("10:30:15", now) == datetime.datetime(2026, 11, 23, 10, 30, 15).timestamp()
    assert parse_when("1795400000", now) == 1795400000.0
    for bad in ("25:00", "yesterday", "-5x"):
        with pytest.raises(ValueError, match="time"):
            parse_when(bad, now)
    query = Query.parse("t1", ["since:-1h", "until:23:59", "kind:auth"])
    assert query.since is not None and query.until is not None and query.kinds == ["auth"] and not query.text


def test_read_positions_are_stored_with_the_events(store, tmp_path):
    assert store.position("t1", "logserver", "/var/log/remote/all.log") == 4096
    store.close()
    again = EvidenceStore(tmp_path / "e.sqlite")
    assert again.position("t1", "logserver", "/var/log/remote/all.log") == 4096
    assert again.count("t1") == len(LINES)
    again.close()


async def test_the_feed_survives_a_full_disk_says_so_and_loses_no_line(tmp_path):
    """A store that cannot take a batch (SQLite's own "database or disk is full") makes the feed
    report the problem and try again from the stored position; once there is room every line is
    stored exactly once."""
    import asyncio

    from cyder.evidence.collect import EvidenceFeed

    data = "".join(line + "\n" for line, _ in LINES.values()).encode()

    class Collector:
        def read_file_from(self, team, host, path, offset, limit):
            return len(data), data[offset:offset + limit]

        def follow_file(self, team, host, path, offset):
            class Stream:
                def __iter__(self):
                    yield data[offset:]

                def close(self):
                    pass
            return Stream()

    store = EvidenceStore(tmp_path / "ev.sqlite")
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full: no page can be added
    feed = EvidenceFeed(Collector(), store, "team1", "logserver", retry_seconds=0.05)
    problems = []
    feed.on_problem = problems.append
    running = asyncio.create_task(feed.run())
    for _ in range(100):
        if problems:
            break
        await asyncio.sleep(0.05)
    assert problems and "full" in problems[0]
    assert store.count("team1") == 0
    store._db.execute("PRAGMA max_page_count = 1073741823")  # room again
    for _ in range(100):
        if store.count("team1") == len(LINES) and problems[-1] is None:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # more reconnects must not store anything twice
    running.cancel()
    assert store.count("team1") == len(LINES) and problems[-1] is None
    store.close()

"""The evidence store: every team's normalised log events in SQLite, and where ingestion stopped.

Events and the read position of each source file are written in one transaction, so a crash or a
restart never loses or doubles a line: ingestion resumes from the stored position. Searches filter
by team, host, source, kind, time range, field values and words of the raw line (SQLite FTS5),
and return events in time order. It lives with the evidence it stores (it was
cyder/store/evidence.py, which made the evidence and store packages import each other).
"""

from __future__ import annotations

import datetime
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from ..paths import data_folder
from ..sqlite import SqliteStore
from .parse import Evidence

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    team TEXT NOT NULL,
    time REAL NOT NULL,
    host TEXT NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    fields TEXT NOT NULL,
    raw TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_team_time ON events (team, time);
CREATE INDEX IF NOT EXISTS events_team_kind_time ON events (team, kind, time);
CREATE INDEX IF NOT EXISTS events_team_host_time ON events (team, host, time);
CREATE VIRTUAL TABLE IF NOT EXISTS events_text USING fts5 (raw, content='events', content_rowid='id',
                                                           tokenize='trigram');
CREATE TRIGGER IF NOT EXISTS events_text_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_text (rowid, raw) VALUES (new.id, new.raw);
END;
CREATE TABLE IF NOT EXISTS event_keys (
    event_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS event_keys_key_value ON event_keys (key, value);
CREATE TABLE IF NOT EXISTS cursors (
    team TEXT NOT NULL,
    host TEXT NOT NULL,
    path TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (team, host, path)
);
"""


# Fields defenders pivot on (addresses, names, accounts, mail): indexed so a search on one of them
# stays fast over millions of events. Other fields are matched by reading the event's JSON.
KEY_FIELDS = frozenset({"client", "src", "dst", "domain", "query", "user", "to", "from", "share", "server"})


def default_path() -> Path:
    """Where the store lives: $CYDER_DATA/cyder.sqlite, or ~/.local/share/cyder/cyder.sqlite."""
    return data_folder() / "cyder.sqlite"


@dataclass
class Query:
    """What to look for; every given criterion must hold."""

    team: str
    hosts: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    since: float | None = None
    until: float | None = None
    fields: dict[str, str] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)
    limit: int | None = None
    after_id: int = 0
    newest_first: bool = False

    @classmethod
    def parse(cls, team: str, words: Iterable[str], **options) -> "Query":
        """From command-line words: `host:pc01 kind:dns-query domain=x.example beacon`."""
        query = cls(team=team, **options)
        for word in words:
            key, sep, value = word.partition(":")
            if sep and key in ("host", "source", "kind") and value:
                getattr(query, key + "s").append(value)
                continue
            if sep and key in ("since", "until") and value:
                setattr(query, key, parse_when(value))
                continue
            key, sep, value = word.partition("=")
            if sep and key and value and key.replace("_", "").isalnum():
                query.fields[key] = value
                continue
            query.text.append(word)
        return query


_RELATIVE = re.compile(r"^-(\d+(?:\.\d+)?)([smhd])$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_when(value: str, now: float | None = None) -> float:
    """A point in time from a search word: `10:30`, `10:30:15` (today, local time), `-15m`, `-2h`
    (before now) or seconds since the epoch; ValueError with the accepted forms otherwise."""
    now = time.time() if now is None else now
    relative = _RELATIVE.match(value)
    if relative:
        return now - float(relative.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[relative.group(2)]
    clock = _CLOCK.match(value)
    if clock:
        hours, minutes, seconds = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
        if hours > 23 or minutes > 59 or seconds > 59:
            raise ValueError(f"not a time of day: {value!r}")
        today = datetime.datetime.fromtimestamp(now).replace(hour=hours, minute=minutes, second=seconds, microsecond=0)
        return today.timestamp()
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"not a time: {value!r} (use 10:30, 10:30:15, -15m, -2h or epoch seconds)") from None


@dataclass
class StoredEvent:
    """An event as stored, with its id (increasing in order of arrival)."""

    id: int
    team: str
    evidence: Evidence


class EvidenceStore(SqliteStore):
    """Evidence of every team in one SQLite file; safe to share between threads."""

    def __init__(self, path: str | Path | None = None):
        super().__init__(Path(path) if path else default_path(), SCHEMA, synchronous="NORMAL")

    def position(self, team: str, host: str, path: str) -> int:
        """Where ingestion of a host's file stopped (bytes already stored)."""
        with self._lock:
            row = self._db.execute("SELECT position FROM cursors WHERE team=? AND host=? AND path=?",
                                   (team, host, path)).fetchone()
        return row[0] if row else 0

    def add(self, team: str, events: Iterable[Evidence], host: str | None = None, path: str | None = None,
            position: int | None = None) -> int:
        """Store events and, in the same transaction, the new read position of their file."""
        events = list(events)
        rows = [(team, e.time, e.host, e.source, e.kind, json.dumps(e.fields, ensure_ascii=False), e.raw)
                for e in events]
        with self._lock:
            # IMMEDIATE takes the write lock now, so the new ids follow the current largest one.
            self._db.execute("BEGIN IMMEDIATE")
            try:
                first = self._db.execute("SELECT coalesce(max(id), 0) + 1 FROM events").fetchone()[0]
                self._db.executemany("INSERT INTO events (id, team, time, host, source, kind, fields, raw) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                     [(first + n, *row) for n, row in enumerate(rows)])
                self._db.executemany("INSERT INTO event_keys (event_id, key, value) VALUES (?, ?, ?)",
                                     [(first + n, key, str(value)) for n, e in enumerate(events)
                                      for key, value in e.fields.items() if key in KEY_FIELDS])
                if path is not None:
                    self._db.execute("INSERT INTO cursors (team, host, path, position) VALUES (?, ?, ?, ?) "
                                     "ON CONFLICT (team, host, path) DO UPDATE SET position=excluded.position",
                                     (team, host, path, position))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return len(rows)

    def search(self, query: Query) -> Iterator[StoredEvent]:
        """Events matching the query, in time order (then order of arrival); newest first if asked."""
        # Following new events walks the id range; `+` keeps SQLite from scanning the team's whole
        # time index instead (300 ms per poll over a million events).
        where, params = ["+e.team = ?" if query.after_id else "e.team = ?"], [query.team]
        for column, values in (("host", query.hosts), ("source", query.sources), ("kind", query.kinds)):
            if values:
                where.append(f"e.{column} IN ({','.join('?' * len(values))})")
                params += values
        if query.since is not None:
            where.append("e.time >= ?")
            params.append(query.since)
        if query.until is not None:
            where.append("e.time <= ?")
            params.append(query.until)
        if query.after_id:
            where.append("e.id > ?")
            params.append(query.after_id)
        source, source_params = "events e", []
        for name, value in query.fields.items():
            if name in KEY_FIELDS and not source_params and not query.after_id:
                # The rows with this value drive the search: SQLite would otherwise walk a whole
                # kind or team in time order and test each row (seconds over millions of events).
                source, source_params = "event_keys k CROSS JOIN events e ON e.id = k.event_id", [name, value]
                where.insert(0, "k.key = ? AND k.value = ?")
            elif name in KEY_FIELDS:
                where.append("e.id IN (SELECT event_id FROM event_keys WHERE key = ? AND value = ?)")
                params += [name, value]
            else:
                where.append("CAST(json_extract(e.fields, ?) AS TEXT) = ?")
                params += [f"$.{name}", value]
        words = [w for w in query.text if w]
        if words:
            short = [w for w in words if len(w) < 3]  # the trigram index needs three characters
            long = [w for w in words if len(w) >= 3]
            if long:
                # A subquery, so the text index is read once rather than once per candidate row.
                where.append("e.id IN (SELECT rowid FROM events_text WHERE events_text MATCH ?)")
                params.append(" AND ".join('"' + w.replace('"', '""') + '"' for w in long))
            for word in short:
                where.append("instr(e.raw, ?) > 0")
                params.append(word)
        # Following new events (after_id) goes in order of arrival, which reads the id range only;
        # a search goes in time order.
        order = "e.id" if query.after_id else "e.time DESC, e.id DESC" if query.newest_first else "e.time, e.id"
        sql = ("SELECT e.id, e.team, e.time, e.host, e.source, e.kind, e.fields, e.raw "
               f"FROM {source} WHERE {' AND '.join(where)} ORDER BY {order}")
        params = source_params + params
        if query.limit:
            sql += f" LIMIT {int(query.limit)}"
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        for row in rows:
            yield StoredEvent(row[0], row[1], Evidence(row[2], row[3], row[4], row[5], json.loads(row[6]), row[7]))

    def count(self, team: str) -> int:
        """How many events a team has."""
        with self._lock:
            return self._db.execute("SELECT count(*) FROM events WHERE team=?", (team,)).fetchone()[0]

    def last_id(self) -> int:
        """The id of the newest event (0 when there is none)."""
        with self._lock:
            return self._db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]

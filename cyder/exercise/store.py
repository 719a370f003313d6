"""Everything an exercise must not lose, in one SQLite file: its settings and clock, a journal of
what happened, the ledger of points, baselines of the range, and report drafts.

Each write is its own transaction, made as the thing happens, so killing the engine at any moment
loses nothing: started again, it reads where the exercise was. The journal and the ledger are
append-only (triggers refuse updates and deletes); totals are always derived from the ledger.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..model.rubric import PHASES
from ..output import csv_cell, json_text
from ..paths import data_folder
from ..sqlite import SqliteStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS exercises (
    team TEXT PRIMARY KEY,
    settings TEXT NOT NULL,
    clock TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY,
    team TEXT NOT NULL,
    time REAL NOT NULL,
    wall REAL NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS journal_team_kind ON journal (team, kind);
CREATE TABLE IF NOT EXISTS ledger (
    id INTEGER PRIMARY KEY,
    team TEXT NOT NULL,
    time REAL NOT NULL,
    wall REAL NOT NULL,
    rule TEXT NOT NULL,
    points REAL NOT NULL,
    phase TEXT NOT NULL,
    reason TEXT NOT NULL,
    evidence TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_team ON ledger (team);
CREATE TABLE IF NOT EXISTS baselines (
    team TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (team, key)
);
CREATE TABLE IF NOT EXISTS drafts (
    team TEXT NOT NULL,
    report TEXT NOT NULL,
    fields TEXT NOT NULL,
    saved REAL NOT NULL,
    PRIMARY KEY (team, report)
);
CREATE TRIGGER IF NOT EXISTS ledger_append_only_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS ledger_append_only_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS journal_append_only_update BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS journal_append_only_delete BEFORE DELETE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
"""

def default_path() -> Path:
    """Where exercises live unless the user names a file: $CYDER_DATA/exercises.sqlite."""
    return data_folder() / "exercises.sqlite"


@dataclass
class LedgerEntry:
    """One line of the ledger: who, when, which rule, how many points, in which phase, and why."""

    team: str
    time: float
    rule: str
    points: float
    phase: str
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)
    wall: float = 0.0
    id: int = 0

    def to_json(self) -> dict[str, Any]:
        """Plain data for export."""
        return asdict(self)


@dataclass
class JournalEntry:
    """Something that happened in an exercise (clock, step, inject, submission, action, check)."""

    id: int
    time: float
    wall: float
    kind: str
    data: dict[str, Any]


class ExerciseStore(SqliteStore):
    """Exercises of any number of teams in one SQLite file; safe to share between threads."""

    def __init__(self, path: str | Path | None = None):
        # FULL: a point or a submission must survive a power cut.
        super().__init__(Path(path) if path else default_path(), SCHEMA, synchronous="FULL")

    # -- settings and clock ------------------------------------------------------------------------

    def load(self, team: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The team's exercise settings and clock, or None when it has none."""
        with self._lock:
            row = self._db.execute("SELECT settings, clock FROM exercises WHERE team=?", (team,)).fetchone()
        return (json.loads(row[0]), json.loads(row[1])) if row else None

    def create(self, team: str, settings: dict[str, Any], clock: Mapping[str, Any]) -> None:
        """Record a new exercise for a team (an existing one is an error: resume it instead)."""
        with self._lock:
            self._db.execute("INSERT INTO exercises (team, settings, clock) VALUES (?, ?, ?)",
                             (team, json.dumps(settings, ensure_ascii=False), json.dumps(clock)))

    def save_clock(self, team: str, clock: Mapping[str, Any]) -> None:
        """Store the clock's state (position, speed, paused)."""
        with self._lock:
            self._db.execute("UPDATE exercises SET clock=? WHERE team=?", (json.dumps(clock), team))

    def teams(self) -> list[str]:
        """Teams with an exercise in this file."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT team FROM exercises ORDER BY team")]

    # -- journal -----------------------------------------------------------------------------------

    def log(self, team: str, when: float, kind: str, data: Mapping[str, Any]) -> JournalEntry:
        """Append to the journal."""
        wall = time.time()
        with self._lock:
            cursor = self._db.execute("INSERT INTO journal (team, time, wall, kind, data) VALUES (?, ?, ?, ?, ?)",
                                      (team, when, wall, kind, json.dumps(data, ensure_ascii=False)))
        return JournalEntry(cursor.lastrowid, when, wall, kind, dict(data))

    def journal(self, team: str, kinds: tuple[str, ...] = ()) -> list[JournalEntry]:
        """The team's journal in order, optionally of some kinds only."""
        sql, params = "SELECT id, time, wall, kind, data FROM journal WHERE team=?", [team]
        if kinds:
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            params += list(kinds)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY id", params).fetchall()
        return [JournalEntry(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    # -- ledger ------------------------------------------------------------------------------------

    def credit(self, entry: LedgerEntry) -> LedgerEntry:
        """Append an entry to the ledger; return it with its id and wall time."""
        if entry.phase not in PHASES:
            raise ValueError(f"unknown phase {entry.phase!r}")
        entry.wall = entry.wall or time.time()
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO ledger (team, time, wall, rule, points, phase, reason, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (entry.team, entry.time, entry.wall, entry.rule, entry.points, entry.phase, entry.reason,
                 json.dumps(entry.evidence, ensure_ascii=False)))
        entry.id = cursor.lastrowid
        return entry

    def ledger(self, team: str) -> list[LedgerEntry]:
        """The team's ledger in order."""
        with self._lock:
            rows = self._db.execute("SELECT id, team, time, wall, rule, points, phase, reason, evidence FROM ledger "
                                    "WHERE team=? ORDER BY id", (team,)).fetchall()
        return [LedgerEntry(team=r[1], time=r[2], rule=r[4], points=r[5], phase=r[6], reason=r[7],
                            evidence=json.loads(r[8]), wall=r[3], id=r[0]) for r in rows]

    def totals(self, team: str) -> dict[str, float]:
        """Points per phase and in all, summed from the ledger (never stored apart)."""
        totals = {phase: 0.0 for phase in PHASES}
        with self._lock:
            for phase, points in self._db.execute("SELECT phase, sum(points) FROM ledger WHERE team=? GROUP BY phase",
                                                  (team,)):
                totals[phase] = points
        totals["total"] = sum(totals[p] for p in PHASES)
        return totals

    def export_json(self, team: str) -> str:
        """The ledger as a JSON document with its totals."""
        return json_text({"team": team, "totals": self.totals(team),
                          "ledger": [e.to_json() for e in self.ledger(team)]}, indent=2)

    def export_csv(self, team: str) -> str:
        """The ledger as CSV, one row per entry, the evidence as JSON in its column; every cell is text a
        spreadsheet shows as written (no formula, no control character)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["id", "team", "time", "wall", "rule", "points", "phase", "reason", "evidence"])
        for e in self.ledger(team):
            # Every cell shown as text: trainee-typed indicators and range text land in reasons and evidence.
            writer.writerow([csv_cell(c) for c in (e.id, e.team, f"{e.time:.1f}", f"{e.wall:.3f}", e.rule, e.points,
                                                   e.phase, e.reason, json_text(e.evidence))])
        return out.getvalue()

    # -- baselines and drafts ----------------------------------------------------------------------

    def baseline(self, team: str, key: str, value: str | None = None) -> str | None:
        """Read a baseline recorded at the start, or record it (the first value stays)."""
        with self._lock:
            if value is not None:
                self._db.execute("INSERT OR IGNORE INTO baselines (team, key, value) VALUES (?, ?, ?)", (team, key, value))
            row = self._db.execute("SELECT value FROM baselines WHERE team=? AND key=?", (team, key)).fetchone()
        return row[0] if row else None

    def save_draft(self, team: str, report: str, fields: dict[str, str]) -> None:
        """Keep a report draft (every keystroke may call this; only the latest is kept)."""
        with self._lock:
            self._db.execute("INSERT INTO drafts (team, report, fields, saved) VALUES (?, ?, ?, ?) "
                             "ON CONFLICT (team, report) DO UPDATE SET fields=excluded.fields, saved=excluded.saved",
                             (team, report, json.dumps(fields, ensure_ascii=False), time.time()))

    def draft(self, team: str, report: str) -> dict[str, str]:
        """The latest draft of a report (empty when none)."""
        with self._lock:
            row = self._db.execute("SELECT fields FROM drafts WHERE team=? AND report=?", (team, report)).fetchone()
        return json.loads(row[0]) if row else {}

"""A fake exercise engine for UI tests: the trainee protocol (`TeamSession`) the app uses, plus
what the app calls to run an engine, with canned data, a frozen clock and no Docker.
`test_session_protocol.py` makes mypy prove it implements the protocol."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any, Literal, overload

from cyder.evidence.parse import Evidence
from cyder.exercise.actions import ACTIONS, ActionSpec
from cyder.exercise.protocol import (
    ActionRecord,
    ClockState,
    DeliveredInject,
    EventKind,
    ExerciseEvent,
    HintOffer,
    HintRecord,
    HostDetail,
    HostState,
    IncidentRecord,
    IndicatorRecord,
    IndicatorVerdict,
    LedgerEntry,
    PhaseName,
    ProgressCallback,
    Query,
    ReportRecord,
    StoredEvent,
    SubmissionKind,
    Texts,
    Totals,
)
from cyder.model.population import staffed
from cyder.model.rubric import Scoring
from cyder.model.scenario_load import load_scenario

ROOT = Path(__file__).resolve().parents[2]
FROZEN_WALL = time.mktime((2026, 11, 23, 10, 12, 0, 0, 0, -1))

HOSTILE = ("[bold red]not bold[/] [link=http://x]link[/link] \x1b[31mred\x1b[0m \x1b]0;pwned\x07"
           "\x1b[2J cleared? \x9b31m")


class FakeExercise:
    """A frozen moment of team1's day: two injects, a ledger, some evidence."""

    def __init__(self, events: int = 40, hostile: bool = False):
        self.team = "team1"
        self.scenario, self.range = load_scenario(ROOT / "scenarios" / "targeted-email.yaml")
        self.running_range = staffed(self.range)
        self.rubric = self.scenario.scoring or Scoring()
        self.settings = {"course": "B-1", "seed": 1}
        self.clock: ClockState = {"offset": 2712.0, "speed": 60.0, "paused": False, "started": True,
                                  "finished": False}
        self.duration = 8 * 3600.0
        body: Texts = {"ja": "貴団体の端末 pc01 から外部サーバへの定期的な不審通信を検知しました。",
                "en": "We have detected periodic suspicious traffic from your PC pc01 to an external server."}
        if hostile:
            body = {"ja": HOSTILE, "en": HOSTILE}
        self.injects: dict[str, DeliveredInject] = {
            "soc-alert": {"id": "soc-alert", "due": 1652.0, "deadline": 5252.0,
                          "sender": {"ja": "セキュリティ監視センター", "en": "Security monitoring centre (SOC)"},
                          "recipient": "it-staff", "subject": {"ja": "不審な通信の検知について",
                                                               "en": "Suspicious traffic detected"}, "body": body},
        }
        self.read: set[str] = set()
        self.entries = [LedgerEntry("team1", 1900.0, "indicator:domain:update-mail28.example", 10, "detection",
                                    "domain update-mail28.example is a trace of step c2-http"),
                        LedgerEntry("team1", 2000.0, "wrong-indicator:ip", -3, "detection",
                                    "ip 10.9.9.9 is not in this team's ground truth")]
        self.journal: dict[str, list[Any]] = {
            "indicator": [{"kind": "domain", "value": "update-mail28[.]example", "canonical": "update-mail28.example",
                           "note": "", "verdict": "correct", "time": 1900.0},
                          {"kind": "ip", "value": "10.9.9.9", "canonical": "10.9.9.9", "note": "", "verdict": "wrong",
                           "time": 2000.0}],
            "incident": [], "action": [], "report": [], "hint": []}
        self.drafts: dict[str, dict[str, str]] = {}
        self.hints_taken: dict[str, int] = {}
        self.evidence = [StoredEvent(n + 1, "team1", Evidence(
            FROZEN_WALL - (events - n), "proxy", "squid", "proxy-access",
            {"client": f"10.20.12.{n % 200 + 10}", "url": f"http://news.example/{n}"},
            f"{FROZEN_WALL - (events - n):.3f} 12 10.20.12.{n % 200 + 10} TCP_MISS/200 512 GET http://news.example/{n}"))
            for n in range(events)]
        if hostile:
            self.evidence.append(StoredEvent(events + 1, "team1", Evidence(FROZEN_WALL, "pc01", "cron", "log", {},
                                                                           HOSTILE)))
        self.queue: asyncio.Queue[ExerciseEvent] = asyncio.Queue()
        self.calls: list[tuple[Any, ...]] = []

    # clock and state
    def now(self) -> float:
        return self.clock["offset"]

    def phase(self) -> PhaseName | Literal["finished"]:
        return "detection"

    def totals(self) -> Totals:
        totals = {p: sum(e.points for e in self.entries if e.phase == p)
                  for p in ("detection", "response", "reporting", "recovery")}
        return {**totals, "total": sum(totals.values())}

    def maximums(self) -> Totals:
        return {"detection": 100, "response": 80, "reporting": 60, "recovery": 40, "total": 280}

    def ledger(self) -> list[LedgerEntry]:
        return list(self.entries)

    @overload
    def submissions(self, kind: Literal["indicator"]) -> list[IndicatorRecord]: ...
    @overload
    def submissions(self, kind: Literal["incident"]) -> list[IncidentRecord]: ...
    @overload
    def submissions(self, kind: Literal["action"]) -> list[ActionRecord]: ...
    @overload
    def submissions(self, kind: Literal["report"]) -> list[ReportRecord]: ...
    @overload
    def submissions(self, kind: Literal["hint"]) -> list[HintRecord]: ...

    def submissions(self, kind: SubmissionKind) -> list[Any]:
        return list(self.journal.get(kind, []))

    def read_injects(self) -> set[str]:
        return set(self.read)

    def mark_read(self, inject: str) -> None:
        self.read.add(inject)

    # submissions
    def submit_indicator(self, kind: str, value: str, note: str = "") -> IndicatorRecord:
        canonical = value.replace("[.]", ".")
        verdict: IndicatorVerdict = "correct" if canonical == "update-mail28.example" else "wrong"
        record: IndicatorRecord = {"kind": kind, "value": value, "canonical": canonical, "note": note,
                                   "verdict": verdict, "time": self.now()}
        self.journal["indicator"].append(record)
        self.entries.append(LedgerEntry("team1", self.now(), f"indicator:{kind}", 10 if verdict == "correct" else -3,
                                        "detection", f"{kind} {value} judged {verdict}"))
        self._emit("ledger", self.entries[-1].to_json())
        return record

    def declare_incident(self, hosts: list[str], note: str = "") -> IncidentRecord:
        record: IncidentRecord = {"hosts": sorted(hosts), "note": note, "verdict": "correct", "time": self.now()}
        self.journal["incident"].append(record)
        return record

    def act(self, action: str, params: dict[str, str]) -> str:
        self.calls.append(("act", action, params))
        outcome = f"{action} done"
        self.journal["action"].append({"action": action, "params": params, "outcome": outcome, "time": self.now()})
        self._emit("action", {"action": action, "params": params, "outcome": outcome})
        return outcome

    @staticmethod
    def action_specs() -> list[ActionSpec]:
        return list(ACTIONS.values())

    def draft(self, report: str) -> dict[str, str]:
        return dict(self.drafts.get(report, {}))

    def save_draft(self, report: str, fields: dict[str, str]) -> None:
        self.drafts[report] = dict(fields)

    def submit_report(self, report: str, fields: dict[str, str]) -> ReportRecord:
        record: ReportRecord = {"report": report, "fields": fields, "late": False, "points": 8, "time": self.now()}
        self.journal["report"].append(record)
        return record

    def hint_offers(self) -> list[HintOffer]:
        offers: list[HintOffer] = []
        for hint in self.rubric.hints:
            taken = self.hints_taken.get(hint.step, 0)
            offers.append({"step": hint.step, "offered": 2, "taken": taken,
                           "texts": [{"ja": t.text.ja, "en": t.text.en} if not isinstance(t.text, str)
                                     else {"ja": t.text, "en": t.text} for t in hint.tiers[:taken]],
                           "next_cost": 2.0 if taken < 2 else None})
        return offers

    def take_hint(self, step: str) -> HintRecord:
        self.hints_taken[step] = self.hints_taken.get(step, 0) + 1
        tier = self.hints_taken[step]
        tiers = next(h for h in self.rubric.hints if h.step == step).tiers
        text = tiers[min(tier, len(tiers)) - 1].text
        texts: Texts = {"ja": text, "en": text} if isinstance(text, str) else {"ja": text.ja, "en": text.en}
        record: HintRecord = {"step": step, "tier": tier, "cost": 2.0, "text": texts}
        self.journal["hint"].append({**record, "time": self.now()})
        return record

    # evidence and hosts
    def search(self, query: Query) -> list[StoredEvent]:
        found = [e for e in self.evidence
                 if (not query.hosts or e.evidence.host in query.hosts)
                 and (not query.kinds or e.evidence.kind in query.kinds)
                 and all(w in e.evidence.raw for w in query.text)]
        if query.newest_first:
            found.reverse()
        return found[:query.limit] if query.limit else found

    def evidence_after(self, after_id: int, limit: int = 1000) -> list[StoredEvent]:
        return [e for e in self.evidence if e.id > after_id][:limit]

    def evidence_count(self) -> int:
        return len(self.evidence)

    def host_states(self) -> dict[str, HostState]:
        states: dict[str, HostState] = {h.name: "running" for h in self.range.hosts}
        states.update({"pc01": "isolated", "www": "degraded"})
        return states

    def host_detail(self, host: str) -> HostDetail:
        return {"host": host, "state": "running", "addresses": {"lgwan": "10.20.10.21"},
                "services": {"ssh": True}, "processes": ["  PID USER     ELAPSED CMD", "    1 root       45:12 agent"],
                "logs": self.search(Query(self.team, hosts=[host], limit=5))}

    def shell_command(self, host: str) -> list[str]:
        return ["true"]

    # running
    def claim(self) -> None:
        pass

    async def prepare(self, progress: ProgressCallback | None = None) -> None:
        pass

    async def run(self) -> Totals:
        await asyncio.Event().wait()
        return self.totals()

    def release(self) -> None:
        pass

    async def events(self) -> AsyncIterator[ExerciseEvent]:
        while True:
            yield await self.queue.get()

    def _emit(self, kind: EventKind, data: Mapping[str, Any]) -> None:
        self.queue.put_nowait(ExerciseEvent(kind, self.now(), data))

    def deliver(self, inject: DeliveredInject) -> None:
        """Stand for the engine delivering an inject."""
        self.injects[inject["id"]] = inject
        self._emit("inject", inject)

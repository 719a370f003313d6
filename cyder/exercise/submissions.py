"""What one team submits, judged and scored as it arrives: indicators against the team's ground
truth, the incident declaration, reports (drafts kept, lateness priced), hints (at their course's
cost) and response actions carried out on the range. Each is journaled and announced."""

from __future__ import annotations

from typing import cast

from ..model.rubric import Phase, ReportRule
from . import scoring
from .actions import take_action
from .core import ExerciseCore, in_both_languages, in_english
from .ledger import Ledger
from .normalise import IndicatorError, normalise
from .protocol import ExerciseError, HintRecord, IncidentRecord, IndicatorRecord, IndicatorVerdict, ReportRecord
from .rounds import Rounds


def report_rule(core: ExerciseCore, report: str) -> ReportRule:
    """The rubric's rule of a report (ExerciseError naming the reports when there is none)."""
    rule = next((r for r in core.rubric.reports if r.id == report), None)
    if rule is None:
        known = ", ".join(r.id for r in core.rubric.reports)
        raise ExerciseError(f"unknown report {report!r}; expected one of {known}")
    return rule


class Submissions:
    """Takes one team's submissions and actions, judges them and writes their points."""

    def __init__(self, core: ExerciseCore, ledger: Ledger, rounds: Rounds) -> None:
        self.core, self.ledger, self.rounds = core, ledger, rounds

    def submit_indicator(self, kind: str, value: str, note: str = "") -> IndicatorRecord:
        """Judge an indicator against the team's ground truth and score it; return the verdict."""
        core, state, rubric = self.core, self.core.state, self.core.rubric
        try:
            verdict = scoring.judge_indicator(kind, value, core.truth, state.credited_indicators)
        except IndicatorError as exc:
            raise ExerciseError(str(exc)) from None
        judged: IndicatorVerdict
        if verdict.correct and verdict.duplicate:
            judged = "already credited"
        elif verdict.matched is not None:
            item = verdict.matched
            points = cast("dict[str, float]", rubric.indicators.points)[kind]
            bonus = scoring.time_bonus(points, state.since_step(item.step, core.now), rubric.time_bonus)
            state.credited_indicators.add((item.kind, item.value))
            self.ledger.credit(f"indicator:{kind}:{item.value}", points + bonus, Phase.detection,
                               f"{kind} {item.value} is a trace of step {item.step}"
                               + (f" (+{bonus:g} for speed)" if bonus else ""),
                               {"kind": kind, "submitted": value, "matched": item.value, "step": item.step,
                                "note": note})
            judged = "correct"
        else:
            self.ledger.credit(f"wrong-indicator:{kind}", -rubric.indicators.wrong, Phase.detection,
                               f"{kind} {verdict.canonical} is not in this team's ground truth",
                               {"kind": kind, "submitted": value, "canonical": verdict.canonical, "note": note})
            judged = "wrong"
        record: IndicatorRecord = {"kind": kind, "value": value, "canonical": verdict.canonical, "note": note,
                                   "verdict": judged}
        core.store.log(core.team, core.now(), "indicator", record)
        core.emit("indicator", record)
        return record

    def declare_incident(self, hosts: list[str], note: str = "") -> IncidentRecord:
        """Declare the incident with the hosts the team believes affected."""
        core, state = self.core, self.core.state
        rule = core.rubric.incident
        declared = {normalise("host", h).split(".")[0] for h in hosts if h.strip()}
        if rule is None or state.incident_declared:
            verdict = "recorded"
        else:
            needed = {h.lower() for h in rule.hosts}
            missing = sorted(needed - declared)
            if missing:
                self.ledger.credit("incident-incomplete", 0, Phase.detection,
                                   f"incident declared without {', '.join(missing)}",
                                   {"declared": sorted(declared), "missing": missing})
                verdict = f"incomplete: {', '.join(missing)} missing"
            else:
                bonus = scoring.time_bonus(rule.points, state.since_step(rule.step, core.now), core.rubric.time_bonus)
                self.ledger.credit("incident", rule.points + bonus, Phase.detection,
                                   f"incident declared with {', '.join(sorted(needed))}"
                                   + (f" (+{bonus:g} for speed)" if bonus else ""),
                                   {"declared": sorted(declared), "expected": sorted(needed)})
                state.incident_declared = True
                verdict = "correct"
        record: IncidentRecord = {"hosts": sorted(declared), "note": note, "verdict": verdict}
        core.store.log(core.team, core.now(), "incident", record)
        core.emit("incident", record)
        return record

    def act(self, action: str, params: dict[str, str]) -> str:
        """Carry out a response action on the range (blocking: call from a thread in async code)."""
        core = self.core
        if core.clock.running:
            self.rounds.observe_rules()  # the state the action is about to change, as it is right before
        outcome = take_action(core.backend, core.team, core.range, action, params)
        core.store.log(core.team, core.now(), "action", {"action": action, "params": params, "outcome": outcome})
        core.emit("action", {"action": action, "params": params, "outcome": outcome})
        if core.clock.running:
            self.rounds.observe_rules()  # a state the action ended (or began) is seen at once, not a round later
        return outcome

    def save_draft(self, report: str, fields: dict[str, str]) -> None:
        """Keep a report draft (nothing typed is lost)."""
        report_rule(self.core, report)
        self.core.store.save_draft(self.core.team, report, fields)

    def submit_report(self, report: str, fields: dict[str, str]) -> ReportRecord:
        """File a report: each field is judged and scored; late reports keep a share of the points."""
        core, state = self.core, self.core.state
        rule = report_rule(core, report)
        if report in state.reports:
            raise ExerciseError(f"report {report} was already filed")
        expected: dict[str, list[str]] = {f.name: list(f.expect) for f in rule.fields}
        verdicts = scoring.judge_report(rule, fields, expected)
        inject = state.injects.get(rule.inject) if rule.inject else None
        deadline = inject["deadline"] if inject is not None else None
        late = deadline is not None and core.now() > deadline
        factor = rule.late_factor if late else 1.0
        for verdict in verdicts:
            self.ledger.credit(f"report:{report}:{verdict.name}", round(verdict.points * factor, 1), Phase.reporting,
                               f"{in_english(rule.name)}, {verdict.name}: {verdict.reason}"
                               + (" (late)" if late and verdict.points else ""),
                               {"report": report, "field": verdict.name, "text": fields.get(verdict.name, ""),
                                "deadline": deadline, "late": late})
        state.reports.add(report)
        core.store.save_draft(core.team, report, fields)
        record: ReportRecord = {"report": report, "late": late, "fields": fields,
                                "points": sum(round(v.points * factor, 1) for v in verdicts)}
        core.store.log(core.team, core.now(), "report", record)
        core.emit("report", record)
        return record

    def take_hint(self, step: str) -> HintRecord:
        """The next hint for a step, at its cost (course presets decide how many and how dear)."""
        core, state = self.core, self.core.state
        hint = next((h for h in core.rubric.hints if h.step == step), None)
        offered = min(len(hint.tiers), core.preset.hint_tiers) if hint else 0
        taken = state.hints.get(step, 0)
        if hint is None or taken >= offered:
            raise ExerciseError(f"no more hints for {step} in course {core.settings['course']}")
        tier = hint.tiers[taken]
        cost = round(tier.cost * core.preset.hint_cost, 1)
        self.ledger.credit(f"hint:{step}:{taken + 1}", -cost, Phase.detection, f"hint {taken + 1} for step {step}",
                           {"step": step, "tier": taken + 1, "text": in_english(tier.text)})
        state.hints[step] = taken + 1
        record: HintRecord = {"step": step, "tier": taken + 1, "cost": cost,
                              "text": in_both_languages(tier.text, core.variant.values)}
        core.store.log(core.team, core.now(), "hint", record)
        return record

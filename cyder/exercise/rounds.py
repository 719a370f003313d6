"""Rounds of checks on one team's range: availability of the business services, and the response and
recovery rules observed until they are earned.

A rule pays only for what the team did: once its step was attempted, after its check saw the bad
state (the C2 answering, the implant running) and then the good one. A service down costs points
only when it is the team's doing; otherwise the range is at fault (recorded, never scored). Rounds
and the team's actions observe the rules in turn, never at once.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from ..errors import CyderError
from ..model.rubric import CheckRule, Phase, ServiceRef
from ..scenario.defence import explain
from . import scoring
from .checks import CheckResult, availability_route, baseline_keys, probe_service, run_check
from .core import ExerciseCore, in_english
from .ledger import Ledger
from .protocol import RoundRecord


class Rounds:
    """The checks of one team's exercise, and when they run."""

    def __init__(self, core: ExerciseCore, ledger: Ledger) -> None:
        self.core, self.ledger = core, ledger
        self.round_lock: asyncio.Lock | None = None
        self.rules_lock = threading.Lock()  # rounds and the team's actions observe the rules in turn
        self.observe_soon = False  # a step happened: observe the rules at the next tick

    async def take_baselines(self) -> None:
        """Record what the checks compare against (a file's content, an account's state) before the start."""
        core = self.core
        for rule in [*core.rubric.responses, *core.rubric.recovery]:
            for key, host, command in baseline_keys(rule.check):
                if core.store.baseline(core.team, key) is None:
                    result = await asyncio.to_thread(core.backend.exec, core.team, host, command)
                    core.store.baseline(core.team, key, result.stdout.strip())

    async def round(self, final: bool = False) -> None:
        """Probe availability, then observe every response and recovery rule not yet earned (one
        round at a time: two overlapping rounds would credit the same rule twice)."""
        core = self.core
        self.round_lock = self.round_lock or asyncio.Lock()
        async with self.round_lock:
            now = core.now()
            core.state.last_round = now
            self.observe_soon = False
            results = await asyncio.to_thread(self.availability, now)
            results.update(await asyncio.to_thread(self.observe_rules, final))
            core.store.log(core.team, now, "round", {"final": final, "results": results})
            record: RoundRecord = {"final": final, "results": results}
            core.emit("round", record)

    def availability(self, now: float) -> dict[str, Any]:
        """Probe each business service from its users' host; a service down costs points only when
        it does not answer on its own host or something the team changed cuts its users off
        (otherwise the range is at fault). Blocking."""
        core = self.core
        results: dict[str, Any] = {}
        rule = core.rubric.availability
        for ref in rule.services:
            probe = probe_service(core.view, ref)
            for pause in (1.0, 2.0):  # a daemon busy for a moment is not down
                if probe.passed:
                    break
                time.sleep(pause)
                probe = probe_service(core.view, ref)
            results[f"{ref.host}/{ref.service}"] = probe.passed
            if probe.passed:
                continue
            cause, evidence = self.unavailable_because(ref)
            if cause is None:
                self.ledger.fault(f"availability of {ref.service} on {ref.host}",
                                  f"{probe.detail}, yet it answers on {ref.host} and nothing the team changed is in "
                                  "the way", evidence)
            elif rule.penalty:
                self.ledger.credit(f"availability:{ref.host}/{ref.service}", -rule.penalty, Phase.recovery,
                                   f"{probe.detail} in the round at {now:.0f} s: {cause}",
                                   {"host": ref.host, "service": ref.service, "from": ref.from_, "round": now,
                                    **evidence})
        return results

    def unavailable_because(self, ref: ServiceRef) -> tuple[str | None, dict[str, Any]]:
        """Why a service's users cannot reach it, when it is the team's doing (None otherwise)."""
        core = self.core
        try:
            local = core.backend.check_service(core.team, ref.host, ref.service)
        except CyderError as exc:
            return None, {"local": str(exc)}
        if not local:
            return f"{ref.service} does not answer on {ref.host} itself", {"local": "does not answer"}
        explanation = explain(core.view, availability_route(core.view, ref))
        return explanation.defence, {"local": "answers", "explanation": explanation.to_json()}

    def observe_rules(self, final: bool = False) -> dict[str, str]:
        """Look at every response and recovery rule not yet earned: remember the first time its bad
        state is seen, and credit it when the good state follows once the rule is due. Blocking;
        rounds and the team's actions take turns."""
        core, state = self.core, self.core.state
        results: dict[str, str] = {}
        with self.rules_lock:
            baselines = {key: core.store.baseline(core.team, key) or ""
                         for rule in [*core.rubric.responses, *core.rubric.recovery]
                         for key, _, _ in baseline_keys(rule.check)}
            for phase, rules in ((Phase.response, core.rubric.responses), (Phase.recovery, core.rubric.recovery)):
                for rule in rules:
                    if rule.id in state.credited_rules:
                        continue
                    check = run_check(core.view, rule.check, baselines)
                    results[rule.id] = check.state
                    if check.state == "bad" and rule.id not in state.bad_seen:
                        self.seen_bad(rule, check)
                    elif (check.passed and rule.id in state.bad_seen and state.rule_due(rule)
                          and (final or not rule.final)):
                        self.credit_rule(rule, phase, check)
        return results

    def seen_bad(self, rule: CheckRule, check: CheckResult) -> None:
        """Remember the first time a rule's bad state was seen."""
        core = self.core
        record = {"rule": rule.id, "state": check.state, "detail": check.detail}
        core.store.log(core.team, core.now(), "observation", record)
        core.state.bad_seen[rule.id] = {**record, "time": core.now()}

    def credit_rule(self, rule: CheckRule, phase: Phase, check: CheckResult) -> None:
        """Credit a rule whose good state followed its bad one, with its time bonus and the evidence of both."""
        core, state = self.core, self.core.state
        elapsed = state.since_step(rule.step, core.now)
        bonus = scoring.time_bonus(rule.points, elapsed, core.rubric.time_bonus)
        before = state.bad_seen[rule.id]
        self.ledger.credit(rule.id, rule.points + bonus, phase,
                           f"{in_english(rule.name)}: {check.detail}" + (f" (+{bonus:g} for speed)" if bonus else ""),
                           {"check": rule.check.model_dump(exclude_none=True),
                            "before": {"time": before["time"], "seen": before["detail"]},
                            "after": {"time": core.now(), "seen": check.detail, **check.evidence},
                            "step": rule.step,
                            "step_outcome": state.steps.get(rule.step, {}).get("outcome") if rule.step else None,
                            "step_time": state.steps.get(rule.step, {}).get("actual") if rule.step else None})

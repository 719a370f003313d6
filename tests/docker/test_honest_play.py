"""Scores only for what the team did, on real ranges: a passive team on the default Saida City
(1,000 simulated staff) sees every step of the chain execute and earns nothing; a C2 stopped by
the test (not by the team) is a range fault that pays nothing; a C2 blocked by hand before the
first beacon pays only once the blocked state follows the baseline."""

import asyncio
import time
from pathlib import Path

import pytest

from cyder.backend.docker import object_name
from cyder.exercise.engine import Exercise
from cyder.exercise.store import ExerciseStore
from cyder.scenario.engine import RETRY_DELAYS

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "targeted-email.yaml"
CHAIN = ["phish", "execute", "c2-http", "discovery", "brute-force", "login", "collect", "exfil-http"]


async def play_until(exercise, done, timeout=600):
    """Run the exercise until `done()` holds, then end it (a final round) and return the totals."""
    running = asyncio.create_task(exercise.run())
    deadline = time.monotonic() + timeout
    while not done():
        assert not running.done(), running.exception() if running.done() else ""
        assert time.monotonic() < deadline, {s: (e["outcome"], e["reason"]) for s, e in exercise.steps.items()}
        await asyncio.sleep(0.5)
    await exercise.finish()
    return await asyncio.wait_for(running, 120)


def chain_over(exercise):
    return lambda: all(step in exercise.steps for step in CHAIN) and exercise.last_round > exercise.steps[CHAIN[-1]]["actual"]


@pytest.fixture
def fresh(backend, tmp_path, run_id):
    """A new exercise on its own range, removed afterwards."""
    made = []

    def make(base, seed, speed, staff=30):
        team = f"{base}{run_id}"
        backend.down(team)
        store = ExerciseStore(tmp_path / f"{team}.sqlite")
        made.append((team, store))
        return Exercise(backend, store, team, SCENARIO, seed=seed, speed=speed, staff=staff)

    yield make
    for team, store in made:
        store.close()
        backend.down(team)


@pytest.mark.parametrize("seed", [1, pytest.param(2, marks=pytest.mark.slow), pytest.param(3, marks=pytest.mark.slow)])
def test_a_passive_team_on_the_default_saida_city_earns_nothing_and_every_step_executes(fresh, seed):
    exercise = fresh("tpas", seed, speed=30, staff=None)  # the range's own 1,000 staff
    totals = asyncio.run(play_until(exercise, chain_over(exercise), timeout=900))
    outcomes = {s: (exercise.steps[s]["outcome"], exercise.steps[s]["reason"]) for s in CHAIN}
    assert all(o == "executed" for o, _ in outcomes.values()), outcomes
    assert "c2-dns" not in exercise.steps and "exfil-dns" not in exercise.steps
    assert not exercise.faults, exercise.faults
    assert exercise.ledger() == [] and totals["total"] == 0, [(e.rule, e.points, e.reason) for e in exercise.ledger()]
    # Every rule with a bad state saw it: the checks ran, they just never saw the team's change.
    assert {"c2-blocked", "implant-stopped", "persistence-removed", "fsadmin-secured"} <= set(exercise.bad_seen)


def test_a_c2_stopped_by_the_range_not_the_team_is_a_fault_and_pays_nothing(backend, fresh):
    exercise = fresh("tfault", seed=5, speed=60)

    async def scenario():
        running = asyncio.create_task(exercise.run())
        while "execute" not in exercise.steps:
            assert not running.done(), running.exception() if running.done() else ""
            await asyncio.sleep(0.2)
        container = backend.client.containers.get(object_name(exercise.team, "c2"))
        await asyncio.to_thread(container.stop, timeout=1)  # the range breaks; the team does nothing
        deadline = time.monotonic() + sum(RETRY_DELAYS) + 240
        while "c2-http" not in exercise.steps:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.5)
        await exercise.check_now()
        await exercise.finish()
        return await asyncio.wait_for(running, 120)

    totals = asyncio.run(scenario())
    c2 = exercise.steps["c2-http"]
    assert c2["outcome"] == "fault", c2
    attempts = c2["details"]["attempts"]
    assert len(attempts) == len(RETRY_DELAYS) + 1 and all(a["defence"] is None for a in attempts)
    assert any(a["check"] == "firewall rules of fw" for a in attempts[0]["checked"])
    assert "c2-dns" not in exercise.steps  # a fault is not the team's doing: no fallback
    assert exercise.steps["discovery"]["outcome"] == "skipped"
    assert "range fault" in exercise.steps["discovery"]["reason"]
    assert any(f["what"] == "step c2-http" for f in exercise.faults)
    assert "c2-blocked" not in exercise.credited_rules and totals["total"] == 0, \
        [(e.rule, e.points, e.reason) for e in exercise.ledger()]
    from cyder.exercise.debrief import debrief_blocks, to_markdown

    markdown = to_markdown(debrief_blocks(exercise))
    assert "Range faults (not scored)" in markdown and "step c2-http" in markdown


def test_a_c2_blocked_before_the_first_beacon_pays_once_the_blocked_state_follows_the_baseline(backend, fresh):
    exercise = fresh("tearly", seed=6, speed=60)
    c2_ip = exercise.variant.values["c2_ip"]

    async def scenario():
        running = asyncio.create_task(exercise.run())
        while not exercise.clock["started"] or "c2-blocked" not in exercise.bad_seen:
            assert not running.done(), running.exception() if running.done() else ""
            await asyncio.sleep(0.2)
        # The baseline saw the C2 answer; now the team blocks it by hand, before any beacon (the
        # clock paused meanwhile, so the step cannot come first at this speed).
        await exercise.pause()
        assert "c2-http" not in exercise.steps
        await asyncio.to_thread(backend.exec, exercise.team, "fw", f"iptables -I FORWARD 1 -d {c2_ip} -j REJECT")
        await exercise.check_now()
        assert "c2-blocked" not in exercise.credited_rules  # its step has not been attempted yet
        await exercise.resume()
        deadline = time.monotonic() + 300
        while "c2-dns" not in exercise.steps or "c2-blocked" not in exercise.credited_rules:
            assert time.monotonic() < deadline, exercise.steps
            await asyncio.sleep(0.5)
        await exercise.finish()
        return await asyncio.wait_for(running, 120)

    asyncio.run(scenario())
    c2 = exercise.steps["c2-http"]
    assert c2["outcome"] == "blocked" and c2_ip in c2["reason"], c2
    assert exercise.steps["c2-dns"]["outcome"] == "executed"
    entry = next(e for e in exercise.ledger() if e.rule == "c2-blocked")
    assert "HTTP 200" in entry.evidence["before"]["seen"]
    assert c2_ip in entry.evidence["after"]["seen"]
    assert entry.evidence["before"]["time"] < entry.evidence["after"]["time"]
    assert entry.time >= c2["actual"] and entry.evidence["step_outcome"] == "blocked"
    assert exercise.totals()["response"] <= exercise.maximums()["response"]

"""The exercise engine on real ranges: calibration, a response made by hand, availability, and an
engine killed in the middle of an exercise and started again."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cyder.exercise.calibrate import calibrate
from cyder.exercise.engine import Exercise
from cyder.exercise.store import ExerciseStore
from runid import team

TEX = team("tex")
TKILL = team("tkill")

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "targeted-email.yaml"


def test_calibration_of_targeted_email_passes(backend, run_id):
    lines = []
    report = asyncio.run(calibrate(backend, SCENARIO, seeds=[1], speed=300, staff=30, share=0.85,
                                   team_prefix=f"cal{run_id}", progress=lines.append))
    seed = report.seeds[0]
    assert seed.passive["total"] == 0 and not seed.passive_ledger, report.summary()
    assert not seed.not_executed and not seed.missing_evidence, report.summary()
    assert seed.ideal["total"] >= 0.85 * seed.maximum, report.summary()
    assert report.ok, report.summary()


@pytest.fixture
def exercise(backend, tmp_path):
    backend.down(TEX)
    store = ExerciseStore(tmp_path / "exercise.sqlite")
    exercise = Exercise(backend, store, TEX, SCENARIO, seed=3, speed=100, staff=30)
    yield exercise
    store.close()
    backend.down(TEX)


async def wait_for_step(exercise, step, timeout=120):
    deadline = time.monotonic() + timeout
    while step not in exercise.steps:
        assert time.monotonic() < deadline, f"step {step} did not happen"
        await asyncio.sleep(0.2)


def test_a_response_by_hand_is_scored_and_isolating_a_server_costs_availability(backend, exercise):
    c2_ip = exercise.variant.values["c2_ip"]

    async def scenario():
        running = asyncio.create_task(exercise.run())
        await wait_for_step(exercise, "c2-http")
        # The team blocks the C2 by hand at the firewall, not through cyder.
        await asyncio.to_thread(backend.exec, TEX, "fw", f"iptables -I FORWARD 1 -d {c2_ip} -j REJECT")
        await asyncio.to_thread(exercise.act, "isolate", {"host": "www"})
        await exercise.check_now()
        await asyncio.to_thread(exercise.act, "reconnect", {"host": "www"})
        # Two more actions through the API, each checked on the containers themselves.
        domain = exercise.variant.values["c2_domain"]
        await asyncio.to_thread(exercise.act, "block-domain-dns", {"domain": domain})
        answer = await asyncio.to_thread(backend.exec, TEX, "pc01", f"dig +short {domain}")
        assert answer.stdout.strip() == "0.0.0.0"
        await asyncio.to_thread(exercise.act, "lock-account", {"host": "fileserver", "user": "fsadmin"})
        status = await asyncio.to_thread(backend.exec, TEX, "fileserver", "passwd -S fsadmin")
        assert status.stdout.split()[1] == "L"
        exercise.submit_indicator("ip", "198.51.100.77")
        await wait_for_step(exercise, "login")  # run, or skipped once the locked account stopped the chain
        await exercise.set_speed(3000)
        return await asyncio.wait_for(running, timeout=240)

    totals = asyncio.run(scenario())
    ledger = exercise.store.ledger(TEX)
    blocked = [e for e in ledger if e.rule == "c2-blocked"]
    assert blocked and blocked[0].points >= 20 and "no answer" in blocked[0].reason or "HTTP 5" in blocked[0].reason
    down = [e for e in ledger if e.rule == "availability:www/http"]
    assert down and all(e.points == -1 and e.phase == "recovery" for e in down)
    assert any(e.rule == "wrong-indicator:ip" and e.points == -3 for e in ledger)
    assert any(e.rule == "fsadmin-secured" and "locked" in e.reason for e in ledger), (
        [(e.rule, e.reason) for e in ledger], {k: v["outcome"] for k, v in exercise.steps.items()})
    assert totals["total"] == sum(e.points for e in ledger)
    assert exercise.clock["finished"]
    # The first report was asked for at 2:00 with 30 minutes to answer; filed after the day, it is late.
    answer = {name: "pc01 " + exercise.variant.values["c2_domain"] + " " + exercise.variant.values["target"].pc
              for name in ("detection_time", "affected_systems", "incident_type", "indicators", "actions_taken",
                           "current_status")}
    filed = exercise.submit_report("first-report", answer)
    full = sum(f.points for f in exercise.rubric.reports[0].fields)
    assert filed["late"] and filed["points"] == full / 2


def test_an_engine_killed_mid_exercise_resumes_with_its_ledger(backend, tmp_path):
    store_path = tmp_path / "exercise.sqlite"
    env = {**os.environ, "CYDER_DATA": str(tmp_path)}
    backend.down(TKILL)
    command = [sys.executable, "-m", "cyder", "run", str(SCENARIO), "--team", TKILL, "--speed", "100",
               "--staff", "30", "--seed", "4", "--store", str(store_path), "--results", str(tmp_path / "results")]
    output = open(tmp_path / "first-run.log", "w")
    first = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert time.monotonic() < deadline, "the exercise made no progress: " + (tmp_path / "first-run.log").read_text()
            if store_path.exists():
                store = ExerciseStore(store_path)
                steps = [e.data["step"] for e in store.journal(TKILL, ("step",))]
                store.close()
                if "c2-http" in steps:
                    break
            time.sleep(0.5)
        # A trainee submits from another process while the engine runs.
        store = ExerciseStore(store_path)
        watcher = Exercise(backend, store, TKILL)
        assert watcher.submit_indicator("domain", watcher.variant.values["c2_domain"])["verdict"] == "correct"
        store.close()
        first.send_signal(signal.SIGKILL)  # no chance to tidy up
        first.wait(timeout=10)
        store = ExerciseStore(store_path)
        before = [(e.id, e.rule, e.points) for e in store.ledger(TKILL)]
        assert before
        steps_before = [e.data["step"] for e in store.journal(TKILL, ("step",))]
        last_entry = store.journal(TKILL)[-1].id
        killed_at = Exercise(backend, store, TKILL).now()
        store.close()
        second = subprocess.run(command[:4] + command[5:], env=env, capture_output=True, text=True, timeout=400)
        assert second.returncode == 0, second.stdout + second.stderr
        store = ExerciseStore(store_path)
        after = [(e.id, e.rule, e.points) for e in store.ledger(TKILL)]
        steps_after = [e.data["step"] for e in store.journal(TKILL, ("step",))]
        assert after[:len(before)] == before  # nothing lost or changed
        assert steps_after[:len(steps_before)] == steps_before
        assert len(steps_after) == len(set(steps_after))  # no step ran twice
        assert "exfil-http" in steps_after  # the chain went on to its end
        resumed = next(e for e in store.journal(TKILL, ("resume",)) if e.id > last_entry)
        assert killed_at <= resumed.time < killed_at + 5  # the downtime did not count as exercise time
        assert (tmp_path / "results" / TKILL / "debrief.html").exists()
        store.close()
    finally:
        if first.poll() is None:
            first.kill()
        backend.down(TKILL)


def test_a_phishing_mail_counts_as_removed_only_after_it_arrived(backend, saida_team, saida):
    """The no-defender calibration once earned the quarantine rule: a round ran between the attacker
    sending the mail and Postfix delivering it. Absent now means delivered, then removed."""
    from cyder.exercise.actions import take_action
    from cyder.exercise.checks import run_check
    from cyder.model.rubric import CHECKS
    from cyder.model.scenario_load import load_scenario
    from cyder.scenario.defence import RangeView
    from cyder.scenario.engine import AttackRun
    from cyder.scenario.variant import make_variant

    scenario, _ = load_scenario(SCENARIO)
    variant = make_variant(scenario, saida, 11)
    view = RangeView(backend, saida_team, saida)
    user, sender = variant.values["target"].user, f"support@{variant.values['c2_domain']}"
    check = CHECKS.parse({"kind": "mail-absent", "host": "groupware", "user": user, "pattern": sender})
    never = CHECKS.parse({"kind": "mail-absent", "host": "groupware", "user": user, "pattern": "nobody@never-sent.example"})
    assert not run_check(view, never, {}).passed
    events = asyncio.run(AttackRun(backend, saida_team, variant, speed=1000, until=6 * 60).run())
    assert [e.outcome for e in events if e.step == "phish"] == ["executed"]
    deadline = time.monotonic() + 60
    while "still there" not in (result := run_check(view, check, {})).detail:
        assert not result.passed, result.detail  # before delivery it must not pass either
        assert time.monotonic() < deadline, result.detail
        time.sleep(0.5)
    take_action(backend, saida_team, saida, "quarantine-mail", {"host": "groupware", "user": user, "pattern": sender})
    result = run_check(view, check, {})
    assert result.passed and "removed" in result.detail

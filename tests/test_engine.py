"""The attack engine's scheduling and reactions, against a fake backend (no Docker).

The fake answers every command as a healthy range would; a test can make some commands fail to
stand for a defence. The same behaviour is tested on real containers in tests/docker/.
"""

import asyncio
from pathlib import Path

from cyder.backend.base import ExecResult, RangeBackend
from cyder.model.scenario_load import load_scenario
from cyder.scenario.engine import AttackRun
from cyder.scenario.variant import make_variant

ROOT = Path(__file__).resolve().parent.parent
SCENARIO, RANGE = load_scenario(ROOT / "scenarios" / "targeted-email.yaml")


class FakeBackend(RangeBackend):
    """Records every command; fails those containing any of `failing`."""

    def __init__(self, failing=()):
        self.failing, self.commands, self.files = list(failing), [], {}

    def exec(self, team, host, command, user="root", timeout=30.0):
        text = command if isinstance(command, str) else " ".join(command)
        self.commands.append((host, user, text))
        if any(f in text for f in self.failing):
            return ExecResult(1, "", f"refused: {text[:40]}")
        if text.startswith("pgrep"):
            return ExecResult(0, "1234\n", "")
        return ExecResult(0, "", "")

    def write_file(self, team, host, path, data, mode=0o644):
        self.files[(host, path)] = data

    def up(self, *a, **k): raise NotImplementedError
    def down(self, *a, **k): raise NotImplementedError
    def status(self, *a, **k): raise NotImplementedError
    def read_file(self, *a, **k): raise NotImplementedError
    def read_file_from(self, *a, **k): raise NotImplementedError
    def follow_file(self, *a, **k): raise NotImplementedError
    def usage(self, *a, **k): raise NotImplementedError
    def connect(self, *a, **k): raise NotImplementedError
    def disconnect(self, *a, **k): raise NotImplementedError
    def check_service(self, *a, **k): raise NotImplementedError
    def export_captures(self, *a, **k): raise NotImplementedError


def replay(backend, seed=5, **kwargs):
    variant = make_variant(SCENARIO, RANGE, seed)
    events = asyncio.run(AttackRun(backend, "t", variant, speed=100000, **kwargs).run())
    return variant, events


def test_steps_run_in_plan_order_on_the_right_hosts():
    backend = FakeBackend()
    variant, events = replay(backend)
    assert [e.step for e in events] == ["phish", "execute", "c2-http", "discovery", "brute-force", "login",
                                        "collect", "exfil-http"]
    assert all(e.outcome == "executed" for e in events)
    pc = variant.values["target"].pc
    hosts = {host for host, _, text in backend.commands if "beacon-http" in text}
    assert hosts == {pc}
    assert any(host == "attacker-mail" and "swaks" in text for host, _, text in backend.commands)
    assert backend.files[(pc, f"/home/{variant.values['target'].user}/.cache/{variant.values['implant']}")]


def test_a_blocked_step_runs_its_fallback_and_the_chain_goes_on():
    _, events = replay(FakeBackend(failing=["beacon-http"]))
    outcome = {e.step: e.outcome for e in events}
    assert outcome["c2-http"] == "blocked" and outcome["c2-dns"] == "executed"
    assert outcome["discovery"] == "executed"


def test_a_failed_precondition_stops_the_chain_and_skips_the_rest():
    _, events = replay(FakeBackend(failing=["resident"]))  # pgrep finds no implant after it started
    outcome = {e.step: e.outcome for e in events}
    assert outcome["execute"] == "blocked"
    assert [s for s, o in outcome.items() if o == "skipped"] == ["c2-http", "discovery", "brute-force", "login",
                                                                  "collect", "exfil-http"]


def test_until_ends_the_run_early():
    _, events = replay(FakeBackend(), until=8 * 60 + 30)
    ran = [e.step for e in events if e.outcome != "skipped"]
    assert ran[:2] == ["phish", "execute"] and "discovery" not in ran


def test_events_carry_the_ground_truth_and_times():
    variant, events = replay(FakeBackend())
    phish = events[0]
    assert phish.technique == "T1566.001" and phish.hosts == ["attacker-mail"]
    assert variant.implant_sha256 in phish.indicators["hashes"]
    real_lateness = (phish.actual - phish.planned) / 100000  # the replay's speed
    assert -0.01 < real_lateness < 0.5

"""Points only for what the team did, against a scripted range (no Docker): a rule pays only when
its step was attempted and its check saw the bad state first and then the good one; a C2 that
falls silent with nothing the team changed in the way is a fault, not a block. The same is tested
on real containers in tests/docker/test_honest_play.py."""

from pathlib import Path

import pytest

from cyder.backend.base import BackendError, ExecResult
from cyder.exercise.engine import Exercise
from cyder.exercise.store import ExerciseStore
from cyder.scenario.engine import StepEvent

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "targeted-email.yaml"


class ScriptedRange:
    """The team's range as the checks see it, with state a test changes: is the C2 answering,
    is the implant running, which firewall rules the team added, is the PC cut off."""

    def __init__(self):
        self.c2_answers, self.implant_running, self.cron, self.implant_file = True, False, False, False
        self.fw_rules = [":FORWARD DROP", "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"]
        self.isolated = False
        self.pc = ""

    def exec(self, team, host, command, user="root", timeout=30.0):
        text = command if isinstance(command, str) else " ".join(command)
        if "curl" in text and "HTTP-CODE" in text:
            if self.c2_answers:
                return ExecResult(0, "HTTP/1.1 200 OK\nHTTP-CODE 200\n", "")
            return ExecResult(0, "HTTP/1.1 503 Service Unavailable\nX-Squid-Error: ERR_CONNECT_FAIL 111\nHTTP-CODE 503\n", "")
        if text.startswith("iptables-save"):
            return ExecResult(0, "\n".join(self.fw_rules if host == "fw" else []) + "\n", "")
        if text == "ip -o -4 addr show":
            return ExecResult(0, "" if self.isolated and host == self.pc else "".join(
                f"2: eth0 inet {a}/24\n" for a in ("10.20.10.101", "10.20.10.102", "10.20.1.8", "10.20.1.53",
                                                      "10.20.10.1", "10.20.1.1", "203.0.113.1")), "")
        if text.startswith("pgrep"):
            return ExecResult(0, "42 python3 implant resident\n", "") if self.implant_running else ExecResult(1, "", "")
        if "crontab" in text:
            return ExecResult(0, "@reboot implant\n" if self.cron else "", "")
        if text.startswith("test -e"):
            return ExecResult(0 if self.implant_file else 1, "", "")
        if text.startswith("passwd -S"):
            return ExecResult(0, "fsadmin P 01/01/2026\n", "")
        if "getent shadow" in text:
            return ExecResult(0, "$y$same\n", "")
        return ExecResult(0, "", "")

    def __getattr__(self, name):
        raise AssertionError(f"the checks used backend.{name}")


@pytest.fixture
def exercise(tmp_path):
    store = ExerciseStore(tmp_path / "exercise.sqlite")
    rng = ScriptedRange()
    exercise = Exercise(rng, store, "blue", SCENARIO, seed=7)
    rng.pc = exercise.variant.values["target"].pc
    exercise._set_clock(started=True, paused=True)
    exercise.store.baseline("blue", "shadow:fileserver:fsadmin", "$y$same")
    exercise.record_posture()
    yield exercise, rng
    store.close()


def happen(exercise, step, outcome="executed", reason=""):
    planned = exercise.variant.planned(step)
    exercise._on_step(StepEvent(step, planned.step.technique, outcome, planned.offset, planned.offset, 0.0,
                                planned.hosts, planned.indicators, reason))


def credited(exercise):
    return {e.rule: e for e in exercise.ledger() if e.points > 0}


def test_a_passive_team_earns_nothing_whatever_the_rounds_see(exercise):
    exercise, rng = exercise
    exercise._observe_rules()  # before the clock: the C2 answers (its bad state)
    for step in ("phish", "execute", "c2-http", "discovery", "brute-force", "login", "collect", "exfil-http"):
        happen(exercise, step)
        if step == "execute":
            rng.implant_running = rng.cron = rng.implant_file = True
        exercise._observe_rules()
    exercise._observe_rules(final=True)
    assert credited(exercise) == {}
    assert exercise.totals()["total"] == 0


def test_a_fault_that_silences_the_c2_earns_nothing(exercise):
    exercise, rng = exercise
    exercise._observe_rules()
    happen(exercise, "phish")
    happen(exercise, "execute")
    happen(exercise, "c2-http", "fault", "range fault after 7 tries: the proxy answered 503")
    rng.c2_answers = False  # the C2 went quiet, and nobody changed anything
    exercise._observe_rules(final=True)
    assert "c2-blocked" not in credited(exercise)
    assert exercise.faults and exercise.faults[0]["what"] == "step c2-http"


def test_a_silent_c2_with_no_defence_on_its_way_is_unknown_even_after_the_step(exercise):
    exercise, rng = exercise
    exercise._observe_rules()
    happen(exercise, "c2-http")
    rng.c2_answers = False
    results = exercise._observe_rules()
    assert results["c2-blocked"] == "unknown" and "c2-blocked" not in credited(exercise)


def test_blocking_the_c2_before_the_beacon_pays_once_the_step_is_attempted(exercise):
    exercise, rng = exercise
    exercise._observe_rules()  # the baseline: the C2 answers
    rng.c2_answers = False
    rng.fw_rules.insert(1, f"-A FORWARD -d {exercise.variant.values['c2_ip']}/32 -j REJECT")
    exercise._observe_rules()
    assert "c2-blocked" not in credited(exercise)  # its step has not been attempted yet
    happen(exercise, "c2-http", "blocked", "fw: rule added on the attack's way")
    exercise._observe_rules()
    entry = credited(exercise)["c2-blocked"]
    assert entry.evidence["before"]["seen"].endswith("HTTP 200")
    assert "rule added on the attack's way" in entry.evidence["after"]["seen"]
    assert entry.evidence["step_outcome"] == "blocked"


def test_a_rule_pays_only_after_its_bad_state_was_seen(exercise):
    exercise, rng = exercise
    happen(exercise, "phish")
    happen(exercise, "execute")
    exercise._observe_rules()  # the implant is not there (the step lied, or it died at once): no bad state
    assert "implant-stopped" not in credited(exercise)
    rng.implant_running = True
    exercise._observe_rules()
    assert "implant-stopped" not in credited(exercise)
    rng.implant_running = False  # the team kills it
    exercise._observe_rules()
    entry = credited(exercise)["implant-stopped"]
    assert "42 python3 implant resident" in entry.evidence["before"]["seen"]
    assert entry.evidence["after"]["seen"].endswith("none")


def test_recovery_of_a_pc_never_cut_off_does_not_pay(exercise):
    exercise, rng = exercise
    happen(exercise, "phish")
    happen(exercise, "execute")
    rng.implant_running = rng.implant_file = True
    exercise._observe_rules()
    rng.implant_running = rng.implant_file = False
    exercise._observe_rules()
    assert {"implant-stopped", "implant-deleted"} <= set(credited(exercise))
    assert "pc-online" not in credited(exercise)  # it was never off the network
    rng.isolated = True
    exercise._observe_rules()
    rng.isolated = False
    exercise._observe_rules()
    assert "pc-online" in credited(exercise)


def test_a_host_that_cannot_be_asked_gives_no_state(exercise):
    exercise, rng = exercise

    def gone(*args, **kwargs):
        raise BackendError("team blue has no host 'pc01' running")

    rng.exec = gone
    results = exercise._observe_rules()
    assert set(results.values()) == {"unknown"}

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
    """A healthy range that records every command: hosts have their addresses, implants run, every
    action gets through. A test changes it as a team (firewall rules, a cut cable, a killed
    implant) or as a fault would (`failing`: commands containing any of these fail, `flaky`: the
    first N of them do)."""

    def __init__(self, failing=(), flaky=0):
        self.failing, self.flaky, self.commands, self.files = list(failing), flaky, [], {}
        self.rules = {"fw": [":FORWARD DROP", "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"]}
        self.isolated, self.stopped = set(), set()
        self.mail = "present"  # in the mailbox; "removed" once quarantined, "" before delivery

    def exec(self, team, host, command, user="root", timeout=30.0):
        text = command if isinstance(command, str) else " ".join(command)
        self.commands.append((host, user, text))
        if any(f in text for f in self.failing):
            if not self.flaky:
                return ExecResult(1, "", f"refused: {text[:40]}")
            self.flaky -= 1
            if not self.flaky:
                self.failing = []
            return ExecResult(1, "", f"refused: {text[:40]}")
        if text.startswith("iptables-save"):
            return ExecResult(0, "\n".join(self.rules.get(host, [])) + "\n", "")
        if text == "ip -o -4 addr show":
            spec = RANGE.host(host)
            shown = "" if host in self.isolated else "".join(
                f"2: eth{i} inet {a.address}/24 scope global\n" for i, a in enumerate(spec.attachments if spec else []))
            return ExecResult(0, shown, "")
        if "Maildir" in text:
            return ExecResult(0, "/home/u/Maildir/new/1\n" if self.mail == "present" else "", "")
        if "mail.log" in text:
            return ExecResult(0, "delivered\n" if self.mail else "", "")
        if text.startswith("pgrep"):
            return ExecResult(1, "", "") if host in self.stopped else ExecResult(0, "1234\n", "")
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
    kwargs.setdefault("retry_delays", (0.01, 0.01, 0.01))
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


def test_a_step_stopped_by_a_team_rule_is_blocked_and_runs_its_fallback():
    variant = make_variant(SCENARIO, RANGE, 5)
    backend = FakeBackend(failing=["beacon-http"])

    def block(event):
        if event.step == "execute":  # the team rejects the C2's address at the firewall
            backend.rules["fw"].insert(1, f"-A FORWARD -d {variant.values['c2_ip']}/32 -j REJECT")

    _, events = replay(backend, on_event=block)
    outcome = {e.step: e for e in events}
    assert outcome["c2-http"].outcome == "blocked" and outcome["c2-dns"].outcome == "executed"
    assert variant.values["c2_ip"] in outcome["c2-http"].reason
    assert outcome["discovery"].outcome == "executed"
    checked = [c["check"] for c in outcome["c2-http"].details["attempts"][0]["checked"]]
    assert "firewall rules of fw" in checked


def test_a_rule_off_the_attacks_way_does_not_make_a_fault_a_defence():
    backend = FakeBackend(failing=["beacon-http"])
    backend.rules["fw"].insert(1, "-A FORWARD -d 198.51.100.7/32 -j REJECT")  # another address
    _, events = replay(backend)
    assert {e.step: e.outcome for e in events}["c2-http"] == "fault"


def test_a_failure_nothing_the_team_did_explains_is_retried_then_a_fault_that_stops_the_chain():
    backend = FakeBackend(failing=["beacon-http"])
    _, events = replay(backend, retry_delays=(0.01, 0.01, 0.01))
    outcome = {e.step: e for e in events}
    fault = outcome["c2-http"]
    assert fault.outcome == "fault" and "range fault after 4 tries" in fault.reason
    assert len(fault.details["attempts"]) == 4 and all(a["defence"] is None for a in fault.details["attempts"])
    assert "c2-dns" not in outcome  # a fault is not the team's doing: no fallback
    skipped = [s for s, e in outcome.items() if e.outcome == "skipped"]
    assert skipped == ["discovery", "brute-force", "login", "collect", "exfil-http"]
    assert outcome["discovery"].reason == "c2-http failed with a range fault"


def test_a_passing_fault_is_retried_and_the_step_executes():
    backend = FakeBackend(failing=["swaks"], flaky=2)
    _, events = replay(backend)
    phish = events[0]
    assert phish.outcome == "executed" and len(phish.details["faults_before"]) == 2
    assert all(e.outcome == "executed" for e in events)


def test_a_killed_implant_blocks_the_next_step_and_the_chain_stops():
    variant = make_variant(SCENARIO, RANGE, 5)
    backend = FakeBackend()

    def kill(event):
        if event.step == "c2-http":
            backend.stopped.add(variant.values["target"].pc)

    _, events = replay(backend, on_event=kill)
    outcome = {e.step: e for e in events}
    assert outcome["discovery"].outcome == "blocked" and "not running" in outcome["discovery"].reason
    assert [s for s, e in outcome.items() if e.outcome == "skipped"] == ["brute-force", "login", "collect", "exfil-http"]
    assert outcome["brute-force"].reason == "discovery was blocked"


def test_a_quarantined_mail_is_never_opened_and_a_late_one_is_waited_for():
    backend = FakeBackend()
    backend.mail = "removed"
    _, events = replay(backend)
    execute = next(e for e in events if e.step == "execute")
    assert execute.outcome == "blocked" and "removed from" in execute.reason
    backend = FakeBackend()
    backend.mail = ""
    _, events = replay(backend)
    execute = next(e for e in events if e.step == "execute")
    assert execute.outcome == "fault" and "has not reached" in execute.reason


def test_an_isolated_pc_blocks_the_step():
    variant = make_variant(SCENARIO, RANGE, 5)
    backend = FakeBackend(failing=["beacon-http"])

    def isolate(event):
        if event.step == "execute":
            backend.isolated.add(variant.values["target"].pc)

    _, events = replay(backend, on_event=isolate)
    blocked = next(e for e in events if e.step == "c2-http")
    assert blocked.outcome == "blocked" and "cut off from lgwan" in blocked.reason


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


def test_every_step_that_crosses_the_network_says_which_way_it_takes():
    """The defence probes look only along a step's route: a kind that declares none could never be
    found blocked by the team (phishing once lost its route to a misplaced indentation)."""
    from cyder.scenario.steps import STEP_KINDS, StepContext

    variant = make_variant(SCENARIO, RANGE, 5)
    ctx = StepContext(FakeBackend(), "t", variant, 1.0)
    for planned in variant.steps:
        if planned.step.action.kind in ("user-execution", "usb-infection"):
            continue  # the staff member opens a file on the PC: nothing crosses the network
        route = STEP_KINDS[planned.step.action.kind](planned.step.action).route(ctx)
        assert route.hosts or route.implant or route.names, (planned.step.id, route)
    phish = STEP_KINDS["phishing"](variant.planned("phish").step.action).route(ctx)
    assert phish.hosts == ("mailgw",) and phish.addresses

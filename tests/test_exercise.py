"""The exercise engine without Docker: indicators judged against the team's ground truth, the
ledger, hints per course, reports and their deadlines, and resuming from the store."""

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from cyder.exercise import scoring
from cyder.exercise.engine import Exercise, ExerciseError
from cyder.exercise.normalise import IndicatorError, normalise
from cyder.exercise.store import ExerciseStore
from cyder.model.rubric import TimeBonus

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "targeted-email.yaml"


class NoBackend:
    """The API methods tested here never reach the range."""

    def __getattr__(self, name):
        raise AssertionError(f"the backend was used: {name}")


@pytest.fixture
def store(tmp_path):
    store = ExerciseStore(tmp_path / "exercise.sqlite")
    yield store
    store.close()


def started(store, team="blue", course=None, offset=0.0):
    exercise = Exercise(NoBackend(), store, team, SCENARIO, seed=7, course=course)
    exercise._set_clock(started=True, paused=True, offset=offset)  # a frozen clock for the test
    return exercise


@pytest.mark.parametrize("kind,value,canonical", [
    ("domain", "Update-CDN42[.]example.", "update-cdn42.example"),
    ("ip", "203.0.113[.]51", "203.0.113.51"),
    ("url", "hxxp://Portal-Secure85[.]example/update/check", "http://portal-secure85.example/update/check"),
    ("mail", "support[@]evil[.]example", "support@evil.example"),
    ("hash", "SHA256:" + "AB" * 32, "ab" * 32),
    ("account", "SAIDA\\FSAdmin", "fsadmin"),
    ("file", r"\\FILESERVER\共有\庁内連絡網.txt", "//fileserver/共有/庁内連絡網.txt"),
])
def test_indicators_are_refanged_and_normalised(kind, value, canonical):
    assert normalise(kind, value) == canonical


@pytest.mark.parametrize("kind,value", [("ip", "not-an-ip"), ("domain", "no_dots"), ("hash", "1234"), ("color", "x")])
def test_what_is_not_an_indicator_is_refused(kind, value):
    with pytest.raises(IndicatorError):
        normalise(kind, value)


def test_a_correct_indicator_scores_once_and_a_wrong_one_costs(store):
    exercise = started(store)
    domain = exercise.variant.values["c2_domain"]
    first = exercise.submit_indicator("domain", domain.replace(".", "[.]").upper())
    assert first["verdict"] == "correct"
    assert exercise.submit_indicator("domain", domain + ".")["verdict"] == "already credited"
    assert exercise.submit_indicator("domain", "innocent.example")["verdict"] == "wrong"
    ledger = store.ledger("blue")
    assert [e.points > 0 for e in ledger] == [True, False]
    assert ledger[0].evidence["matched"] == domain and ledger[0].phase == "detection"
    assert ledger[1].points == -3 and "not in this team's ground truth" in ledger[1].reason
    # The step has not happened on this frozen clock: the time bonus counts from zero.
    assert ledger[0].points == 10 + 5
    with pytest.raises(ExerciseError):
        exercise.submit_indicator("ip", "nonsense")


def test_flooding_guesses_does_not_pay(store):
    exercise = started(store)
    for n in range(10):
        exercise.submit_indicator("ip", f"198.51.100.{n + 1}")
    exercise.submit_indicator("ip", exercise.variant.values["c2_ip"])
    assert store.totals("blue")["detection"] < 0


def test_the_ground_truth_is_the_teams_own(store):
    blue = started(store, "blue")
    red = Exercise(NoBackend(), store, "red", SCENARIO, seed=8)
    assert blue.variant.values["c2_domain"] != red.variant.values["c2_domain"]
    red._set_clock(started=True, paused=True)
    assert red.submit_indicator("domain", blue.variant.values["c2_domain"])["verdict"] == "wrong"
    kinds = {t.kind for t in blue.truth}
    assert {"ip", "domain", "url", "hash", "mail", "account", "file", "host"} <= kinds
    pc = blue.variant.values["target"].pc
    assert blue.submit_indicator("host", f"{pc.upper()}.city.saida.lg.jp.")["verdict"] == "correct"
    assert not any(t.kind == "host" and t.value in ("attacker-mail", "c2") for t in blue.truth)


def test_the_ledger_is_append_only_and_totals_come_from_it(store, tmp_path):
    exercise = started(store)
    exercise.submit_indicator("domain", exercise.variant.values["c2_domain"])
    exercise.submit_indicator("ip", "198.51.100.9")
    db = sqlite3.connect(tmp_path / "exercise.sqlite")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE ledger SET points = 100")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM ledger")
    totals = store.totals("blue")
    assert totals["total"] == sum(e.points for e in store.ledger("blue")) == totals["detection"]
    exported = json.loads(store.export_json("blue"))
    assert exported["totals"] == totals and len(exported["ledger"]) == 2
    rows = list(csv.DictReader(io.StringIO(store.export_csv("blue"))))
    assert [r["rule"] for r in rows][1] == "wrong-indicator:ip" and rows[1]["points"] == "-3.0"


def test_hints_follow_the_course(store):
    course_a = started(store, "teama", course="A")
    first = course_a.take_hint("c2-http")
    assert first["tier"] == 1 and first["cost"] == 1.0  # course A halves the cost
    assert course_a.variant.values["target"].pc in course_a.take_hint("c2-http")["text"]["en"]
    course_a.take_hint("c2-http")
    with pytest.raises(ExerciseError, match="no more hints"):
        course_a.take_hint("c2-http")
    course_c = started(store, "teamc", course="C")
    with pytest.raises(ExerciseError):
        course_c.take_hint("c2-http")
    assert store.totals("teama")["detection"] == -(1 + 2 + 4)


def test_a_report_is_judged_field_by_field_and_late_ones_score_less(store):
    on_time = started(store, "ontime", offset=7300)
    late = started(store, "late", offset=7300)
    for exercise in (on_time, late):
        exercise.deliver_due_injects()
        assert "supervisor-report" in exercise.injects
    late._set_clock(offset=7300 + 3600)  # the deadline is 30 minutes after the inject
    answer = {"detection_time": "10:05", "affected_systems": "", "incident_type": "malware",
              "indicators": on_time.variant.values["c2_domain"], "actions_taken": "blocked", "current_status": "ongoing"}
    filed = on_time.submit_report("first-report", answer)
    assert not filed["late"] and filed["points"] == 2 + 0 + 2 + 4 + 2 + 2
    late_answer = dict(answer, indicators=late.variant.values["c2_domain"])
    assert late.submit_report("first-report", late_answer)["points"] == (2 + 0 + 2 + 4 + 2 + 2) / 2
    empty = [e for e in store.ledger("ontime") if e.rule == "report:first-report:affected_systems"]
    assert empty[0].points == 0 and "left empty" in empty[0].reason
    with pytest.raises(ExerciseError, match="already filed"):
        on_time.submit_report("first-report", answer)


def test_a_report_that_misses_the_ground_truth_earns_nothing_for_that_field(store):
    exercise = started(store)
    exercise.submit_report("first-report", {"affected_systems": "pc99", "indicators": "something.example"})
    fields = {e.evidence["field"]: e for e in store.ledger("blue")}
    assert fields["affected_systems"].points == 0 and exercise.variant.values["target"].pc in fields["affected_systems"].reason


def test_the_incident_needs_the_affected_hosts(store):
    exercise = started(store)
    assert exercise.declare_incident(["www"])["verdict"].startswith("incomplete")
    pc = exercise.variant.values["target"].pc
    assert exercise.declare_incident([f"{pc.upper()}.city.saida.lg.jp"])["verdict"] == "correct"
    assert store.totals("blue")["detection"] == 15


def test_drafts_are_kept(store):
    exercise = started(store)
    exercise.save_draft("final-report", {"next_steps": "warn staff"})
    assert store.draft("blue", "final-report") == {"next_steps": "warn staff"}
    with pytest.raises(ExerciseError):
        exercise.save_draft("no-such-report", {})


def test_a_new_engine_on_the_same_store_resumes(store, tmp_path):
    exercise = started(store, offset=1234)
    domain = exercise.variant.values["c2_domain"]
    exercise.submit_indicator("domain", domain)
    exercise.take_hint("phish")
    exercise.submit_report("first-report", {"incident_type": "malware"})
    store.close()
    reopened = ExerciseStore(tmp_path / "exercise.sqlite")
    again = Exercise(NoBackend(), reopened, "blue")  # no scenario named: it is read from the store
    assert again.now() == pytest.approx(1234)
    assert again.variant.values["c2_domain"] == domain
    assert again.submit_indicator("domain", domain)["verdict"] == "already credited"
    assert again.take_hint("phish")["tier"] == 2
    with pytest.raises(ExerciseError, match="already filed"):
        again.submit_report("first-report", {})
    assert reopened.totals("blue") == {**reopened.totals("blue")}  # derived, consistent
    reopened.close()


def test_time_bonus_shrinks_from_the_step():
    rule = TimeBonus(share=0.5, full="0:15:00", zero="1:00:00")
    assert scoring.time_bonus(20, 60, rule) == 10
    assert scoring.time_bonus(20, 37.5 * 60, rule) == 5
    assert scoring.time_bonus(20, 3 * 3600, rule) == 0
    assert scoring.time_bonus(20, None, rule) == 0


def test_the_debrief_shows_the_day_and_escapes_what_teams_typed(store, tmp_path):
    from cyder.exercise.debrief import write_debrief

    exercise = started(store)
    exercise.submit_indicator("domain", exercise.variant.values["c2_domain"])
    exercise.submit_indicator("account", "<script>alert(1)</script>")
    paths = write_debrief(exercise, tmp_path / "out")
    names = sorted(p.name for p in paths)
    assert names == ["debrief.html", "debrief.md", "ledger.csv", "ledger.json"]
    markdown = (tmp_path / "out" / "debrief.md").read_text(encoding="utf-8")
    assert "## Attack timeline and the team's times" in markdown and "| c2-http | T1071.001 |" in markdown
    assert "## What was missed" in markdown and exercise.variant.values["c2_ip"] in markdown
    page = (tmp_path / "out" / "debrief.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_submissions_and_the_ledger_from_the_command_line(store, tmp_path, capsys):
    from cyder.cli import main

    exercise = started(store)
    db = str(tmp_path / "exercise.sqlite")
    assert main(["submit", "indicator", "domain", exercise.variant.values["c2_domain"], "--team", "blue", "--store", db]) == 0
    assert '"verdict": "correct"' in capsys.readouterr().out
    assert main(["submit", "indicator", "ip", "not-an-ip", "--team", "blue", "--store", db]) == 1
    assert "not an IP address" in capsys.readouterr().err
    assert main(["ledger", "--team", "blue", "--store", db]) == 0
    out = capsys.readouterr().out
    assert "indicator:domain:" in out and "totals: detection 15" in out
    assert main(["ledger", "--team", "nobody", "--store", db]) == 1
    assert main(["debrief", "--all", "--store", db, "--out", str(tmp_path / "results")]) == 0
    assert (tmp_path / "results" / "blue" / "debrief.md").exists()


def test_a_team_with_an_exercise_of_another_scenario_is_not_silently_resumed(store, tmp_path, capsys):
    from cyder.cli import main

    started(store)
    db = str(tmp_path / "exercise.sqlite")
    assert main(["run", "usb-supplier", "--team", "blue", "--store", db]) == 1
    assert "already has an exercise of" in capsys.readouterr().err


@pytest.mark.parametrize("name,params,message", [
    ("block-everything", {}, "unknown action"),
    ("block-ip", {}, "needs address=..."),
    ("block-ip", {"address": "203.0.113.9", "port": "80"}, "takes no port"),
    ("block-ip", {"address": "not-an-address"}, "not an IP address"),
    ("block-domain-dns", {"domain": "bad domain"}, "not a domain name"),
    ("isolate", {"host": "nowhere"}, "unknown host"),
    ("reset-password", {"host": "fileserver", "user": "fsadmin", "password": "short"}, "8 characters"),
])
def test_response_actions_refuse_bad_parameters_before_touching_the_range(name, params, message):
    from cyder.exercise.actions import ActionError, take_action
    from cyder.model import load_range

    rng = load_range(ROOT / "ranges" / "saida-city.yaml")
    with pytest.raises(ActionError, match=message):
        take_action(NoBackend(), "blue", rng, name, params)


def test_what_interfaces_read_phase_maximums_hints_and_read_marks(store):
    exercise = started(store, course="B-1")
    assert exercise.phase() == "detection"
    tops = exercise.maximums()
    assert tops["total"] == sum(tops[p] for p in ("detection", "response", "reporting", "recovery")) > 0
    assert tops["reporting"] == sum(f.points for r in exercise.rubric.reports for f in r.fields)
    offers = {o["step"]: o for o in exercise.hint_offers()}
    step = next(iter(offers))
    assert offers[step]["taken"] == 0 and offers[step]["next_cost"] > 0 and offers[step]["texts"] == []
    exercise.take_hint(step)
    offers = {o["step"]: o for o in exercise.hint_offers()}
    assert offers[step]["taken"] == 1 and len(offers[step]["texts"]) == 1 and "en" in offers[step]["texts"][0]
    exercise.deliver_due_injects()
    assert exercise.read_injects() == set()
    exercise.mark_read("no-such-inject")
    assert exercise.read_injects() == set()
    hosts = exercise.variant.values["target"].pc
    exercise.declare_incident([hosts])
    assert exercise.phase() in ("response", "reporting", "recovery")
    assert [s["verdict"] for s in exercise.submissions("incident")] == ["correct"]
    assert exercise.draft("first-report") == {}
    with pytest.raises(ExerciseError):
        exercise.host_detail("no-such-host")


def test_only_one_process_runs_a_team(store):
    first, second = started(store), Exercise(NoBackend(), store, "blue")
    first.claim()
    with pytest.raises(ExerciseError, match="already running"):
        second.claim()
    first.release()
    second.claim()
    second.release()


def test_no_phase_subtotal_ever_goes_above_its_maximum(tmp_path):
    """Random ledgers: whatever is credited, in any order and amount, each phase stays at or under
    its maximum, and what was cut is said in the entry."""
    from hypothesis import given, settings, strategies as st

    store = ExerciseStore(tmp_path / "random.sqlite")
    counter = iter(range(10**6))
    credit = st.tuples(st.sampled_from(["detection", "response", "reporting", "recovery"]),
                       st.floats(min_value=-20, max_value=200, allow_nan=False).map(lambda p: round(p, 1)))

    @settings(max_examples=60, deadline=None)
    @given(st.lists(credit, max_size=25))
    def check(credits):
        exercise = started(store, team=f"r{next(counter)}")
        tops = exercise.maximums()
        for n, (phase, points) in enumerate(credits):
            entry = exercise._credit(f"rule-{n}", points, phase, "random", {})
            totals = exercise.totals()
            assert totals[phase] <= tops[phase] + 1e-9, (phase, totals, tops)
            if entry.points < points:
                assert entry.evidence["capped_from"] == points and "capped" in entry.reason

    check()
    store.close()


def test_a_full_disk_gives_a_storage_error_and_keeps_what_was_saved(tmp_path):
    from cyder.sqlite import StorageError

    store = ExerciseStore(tmp_path / "full.sqlite")
    store.save_draft("t", "first-report", {"incident_type": "malware"})
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StorageError, match="full"):
        store.save_draft("t", "first-report", {"incident_type": "malware" + "x" * 20000})
    assert store.draft("t", "first-report") == {"incident_type": "malware"}
    store.close()

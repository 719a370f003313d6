"""Whatever comes out of the range or is typed by a trainee is shown literally everywhere: the
terminal (ledger, logs, status, step reasons), Markdown, HTML, JSON and CSV."""

import csv
import io
import json
from pathlib import Path

import pytest

from cyder import cli
from cyder.application import Application, Settings
from cyder.backend.base import ExecResult, HostStatus, RangeStatus
from cyder.cli import main
from cyder.exercise.debrief import debrief_blocks, to_html, to_markdown
from cyder.exercise.engine import Exercise
from cyder.exercise.store import ExerciseStore
from cyder.output import csv_cell, json_text, markdown_text

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "targeted-email.yaml"

ESC_SEQUENCES = ["\x1b[31mred\x1b[0m", "\x9b2J", "\x1b]0;owned\x07", "\x1b]52;c;ZWNobyBoaQ==\x07", "\r\x1b[2K"]
HOSTILE = "evil" + "".join(ESC_SEQUENCES) + "<img src=x onerror=alert(1)>|=cmd|' /C calc'!A0\nforged line"
RAW_CONTROLS = [chr(c) for c in range(0x20) if chr(c) not in "\n"] + [chr(c) for c in range(0x7f, 0xa0)]


def assert_no_controls(text: str, allow_newlines: bool = True) -> None:
    found = [repr(c) for c in RAW_CONTROLS if c in text]
    assert not found, f"raw control characters reached the output: {found}"


class NoBackend:
    def exec(self, *args, **kwargs):
        return ExecResult(0, "", "")


@pytest.fixture
def store_path(tmp_path):
    path = tmp_path / "ex.sqlite"
    store = ExerciseStore(path)
    exercise = Exercise(NoBackend(), store, "team1", SCENARIO, seed=3)
    exercise.submit_indicator("file", HOSTILE.replace("\n", " "), note=HOSTILE)
    exercise.store.log("team1", 1.0, "step", {"step": "phish", "technique": "T1566.001", "outcome": "fault",
                                              "planned": 0, "actual": 1.0, "time": 0, "hosts": [], "indicators": {},
                                              "reason": HOSTILE, "fallback_for": None, "details": {}})
    store.close()
    return str(path)


def test_the_ledger_in_the_terminal_json_and_csv_shows_trainee_text_literally(store_path, capsys):
    assert main(["ledger", "--team", "team1", "--store", store_path]) == 0
    out = capsys.readouterr().out
    assert_no_controls(out)
    assert "\\x1b[31mred" in out and "\\x9b2J" in out and "\\x1b]0;owned\\x07" in out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 2, "a newline typed by a trainee forged a ledger line"
    assert main(["ledger", "--team", "team1", "--store", store_path, "--json"]) == 0
    out = capsys.readouterr().out
    assert_no_controls(out.replace("\n", ""))
    assert "\x1b" in json.loads(out)["ledger"][0]["evidence"]["note"]  # the data itself is kept exactly
    assert main(["ledger", "--team", "team1", "--store", store_path, "--csv"]) == 0
    out = capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(out)))
    def formula(cell):
        try:
            float(cell)
            return False  # a number, such as the -3 of a wrong indicator
        except ValueError:
            return cell.startswith(("=", "+", "-", "@"))

    assert not [cell for row in rows for cell in row if formula(cell)]
    assert_no_controls(out.replace("\n", "").replace("\r", ""))


def test_step_reasons_and_the_debrief_are_escaped(store_path):
    store = ExerciseStore(store_path)
    exercise = Exercise(NoBackend(), store, "team1")
    blocks = debrief_blocks(exercise)
    markdown, page = to_markdown(blocks), to_html(blocks, "t")
    store.close()
    for text in (markdown, page):
        assert_no_controls(text)
        assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "\\|=cmd\\|" in markdown  # a pipe cannot end a table cell
    assert "\nforged line" not in markdown


def test_cyder_logs_prints_range_lines_literally(monkeypatch, tmp_path, capsys):
    line = f"2026-12-06T10:00:00+09:00 pc01 sshd[1]: Failed password for {HOSTILE.splitlines()[0]} from 10.0.0.1\n"

    class Collector:
        def status(self, team, health=True):
            return [RangeStatus(team, "saida-city", "x", [], [], collector="logserver")]

        def read_file_from(self, team, host, path, offset, limit):
            data = line.encode()
            return len(data), data[offset:offset + limit]

    app = Application(Settings(evidence_store=tmp_path / "ev.sqlite"), backend=lambda: Collector())
    assert main(["logs", "--team", "team1", "--store", str(tmp_path / "ev.sqlite")], app=app) == 0
    out = capsys.readouterr().out
    assert_no_controls(out)
    assert "\\x1b]0;owned\\x07" in out and out.count("\n") == 1


def test_status_failures_are_shown_literally(capsys):
    cli.print_status([RangeStatus("team1", "saida-city", "x",
                                  [HostStatus("www", "running", {"dmz": "10.0.0.1"}, {"http": False},
                                              [HOSTILE])], ["dmz"])])
    out = capsys.readouterr().out
    assert_no_controls(out)
    assert out.count("\n") == 2


def test_the_escaping_functions():
    assert markdown_text("<b>x</b> | # [a](b)") == "&lt;b&gt;x&lt;/b&gt; \\| # \\[a\\](b)"
    assert markdown_text("# heading").startswith("\\#")
    assert json.loads(json_text({"a": "\x1b\x9b"})) == {"a": "\x1b\x9b"}
    assert "\x9b" not in json_text({"a": "\x9b"})
    assert csv_cell("=SUM(A1)") == "'=SUM(A1)" and csv_cell(-3) == -3 and csv_cell("@x") == "'@x"

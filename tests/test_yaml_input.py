"""Bad input files get clear, located errors: never a traceback, never a hang, never silence.

Each file in tests/broken_yaml (YAML itself: tags, merge keys, aliases, nesting, encodings),
tests/broken_values (values that would break the passwd, zone, SQL and configuration files cyder
writes) and tests/broken_form (how types, missing fields and misspellings are reported) starts with
the `# expect:` lines that `cyder validate` must print for it, and nothing else.
"""

import re
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyder.cli import main
from cyder.errors import InputError
from cyder.model.files import check_file, document_kind
from cyder.model.scenario_load import load_scenario
from cyder.model.yamlsource import MAX_BYTES, parse_yaml

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
FIXTURES = sorted(p for folder in ("broken_yaml", "broken_values", "broken_form")
                  for p in (TESTS / folder).glob("*.yaml"))
ALL_BROKEN = sorted(TESTS.glob("broken*/*.yaml"))
SHIPPED = sorted((ROOT / "ranges").glob("*.yaml")) + sorted((ROOT / "scenarios").glob("*.yaml"))
LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): \S")


def expected_lines(path: Path) -> list[str]:
    """The `# expect:` lines at the top of a fixture (read as bytes: some fixtures are not UTF-8)."""
    lines = []
    for raw in path.read_bytes().split(b"\n"):
        if not raw.startswith(b"# expect: "):
            break
        lines.append(f"{path.parent}/" + raw.decode("utf-8").removeprefix("# expect: "))
    assert lines, f"{path} has no # expect: line"
    return lines


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_gives_exactly_its_expected_lines(path, capsys):
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == expected_lines(path)
    assert captured.out == ""


def test_validate_answers_every_file_of_a_corpus_without_a_traceback(tmp_path):
    missing, folder = tmp_path / "missing.yaml", tmp_path
    files = [*ALL_BROKEN, *SHIPPED, missing, folder]
    proc = subprocess.run([sys.executable, "-m", "cyder", "validate", *map(str, files)],
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    problems = proc.stderr.splitlines()
    assert all(LOCATED.match(line) for line in problems), [l for l in problems if not LOCATED.match(l)]
    reported = {LOCATED.match(line)["file"] for line in problems}
    for path in [*ALL_BROKEN, missing, folder]:
        assert str(path) in reported, f"no problem reported for {path}"
    for path in SHIPPED:
        kind = "scenario" if path.parent.name == "scenarios" else "range"
        assert f"{path}: ok, a valid {kind}" in proc.stdout.splitlines()


def test_valid_files_each_get_a_line_and_exit_0(capsys):
    assert main(["validate", *map(str, SHIPPED)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(SHIPPED)
    assert all(line.split(": ")[1].startswith("ok, a valid ") for line in out)


def test_one_bad_file_never_hides_the_others(capsys):
    bomb, loop = TESTS / "broken_yaml" / "alias-bomb.yaml", TESTS / "broken_yaml" / "recursive-alias.yaml"
    assert main(["validate", str(bomb), str(SHIPPED[0]), str(loop), str(SHIPPED[-1])]) == 2
    captured = capsys.readouterr()
    assert [line.split(":")[0] for line in captured.err.splitlines()] == [str(bomb), str(loop)]
    assert f"{SHIPPED[0]}: ok" in captured.out and f"{SHIPPED[-1]}: ok" in captured.out


def test_an_unexpected_failure_is_reported_as_a_problem_of_its_file(monkeypatch, capsys):
    import cyder.model.load as load

    def broken_check(r):
        raise RuntimeError("a bug")

    monkeypatch.setattr(load, "check_range", broken_check)
    assert main(["validate", str(SHIPPED[0]), str(TESTS / "broken_yaml" / "empty.yaml")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{SHIPPED[0]}:1:1: cyder failed while checking this file (RuntimeError: a bug); please report it"
    assert len(err) == 2


def test_alias_bomb_is_refused_quickly_with_bounded_memory():
    tracemalloc.start()
    start = time.perf_counter()
    kind, problems = check_file(TESTS / "broken_yaml" / "alias-bomb.yaml")
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "alias bomb" in problems[0].message
    assert elapsed < 2 and peak < 20_000_000


def test_deep_nesting_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 200_000 + "]" * 200_000 + "\n", encoding="utf-8")
    kind, problems = check_file(path)
    assert problems[0].message.startswith("nesting is deeper than 64 levels")


def test_file_size_is_bounded_before_it_is_read(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as fh:
        fh.truncate(MAX_BYTES + 1)  # sparse: costs no disk and must cost no time
    start = time.perf_counter()
    kind, problems = check_file(big)
    assert time.perf_counter() - start < 1
    assert [p.message for p in problems] == ["file is 32.0 MB; cyder reads range and scenario files of up to 32 MB"]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_stream_that_never_ends_is_cut_at_the_size_bound():
    kind, problems = check_file("/dev/zero")
    assert problems[0].message == "file is larger than that; cyder reads range and scenario files of up to 32 MB"


def test_non_utf8_is_reported_at_its_byte_with_the_encoding_named():
    with pytest.raises(InputError) as info:
        parse_yaml(b"name: x\ntitle: y\nhosts: \xff\n", "f.yaml")
    assert str(info.value) == "f.yaml:3:8: not UTF-8 (byte 0xff at line 3 col 8); save the file as UTF-8"


def test_utf16_is_named(tmp_path):
    path = tmp_path / "wide.yaml"
    path.write_bytes("name: x\n".encode("utf-16"))
    assert [p.message for p in check_file(path)[1]] == ["not UTF-8 (the file is UTF-16); save the file as UTF-8"]


def test_times_and_dates_stay_text_and_keys_are_what_was_written():
    data, _ = parse_yaml("at: 1:30\nclock: 10:00\nday: 2024-04-01\nn: 0x10\nf: 1.5\nyes: on\n80: x\n", "f.yaml")
    # YAML 1.1 would make 1:30 the number 90: cyder reads H:MM, so it stays the text "1:30".
    assert data == {"at": "1:30", "clock": "10:00", "day": "2024-04-01", "n": 16, "f": 1.5, "yes": True, "80": "x"}


def test_a_scenario_is_told_by_its_fields_even_with_a_misspelt_one():
    assert document_kind({"name": "x", "course": "A", "duration": 60, "range": "r", "step": []}) == "scenario"
    assert document_kind({"name": "x", "domain": "d.example", "segment": [], "hosts": []}) == "range"
    assert document_kind({"name": "x", "title": "y"}) is None
    assert document_kind({"name": "x"}, "# yaml-language-server: $schema=schema/scenario.schema.json") == "scenario"


def test_a_broken_range_is_reported_once_when_its_scenario_is_checked_too(tmp_path, capsys):
    rng = tmp_path / "r.yaml"
    rng.write_text((TESTS / "broken_form" / "host-bits-set.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    sc = tmp_path / "s.yaml"
    sc.write_text('name: s\ntitle: S\ncourse: A\nduration: "1:00"\nrange: r.yaml\nsteps:\n'
                  '  - {id: x, technique: T1046, name: X, at: 0, action: {kind: scan, source: srv, targets: [lan]}}\n',
                  encoding="utf-8")
    assert main(["validate", str(rng), str(sc)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len([line for line in err if "host bits set" in line]) == 1
    assert f"{sc}:5:1: range: the range 'r.yaml' has problems (listed at {rng})" in err


def test_load_scenario_reports_type_and_reference_problems_together():
    with pytest.raises(InputError) as info:
        load_scenario(TESTS / "broken_form" / "scenario-type-error-hides-nothing.yaml")
    messages = [p.message for p in info.value.problems]
    assert "unknown step 'nowhere'" in messages and any("not the number 1204" in m for m in messages)


# Lines that break YAML, types or references in many ways: whatever is pasted where, the answer is
# located problems or "valid", never an exception.
SNIPPETS = ["", "- x", "  - {kind: proxy, port: 99999}", ": :", "a: &a [*a]", "<<: {x: 1}", "!!python/none x: 1",
            "title: !!binary AA==", "    services: [{kind: app}]", "- {name: x, role: client}", "  attachments: 5",
            "\t", "'", "\"\\x\"", "hosts: *h", "? [a]", "---", "...", "%YAML 1.1", "steps: [{id: 1}]",
            "    address: 10.0.0.300", "    subnet: 10.0.0.1/8", "  - name: UPPER", "name: ~", "@", "`", "{", "]"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=st.integers(0, 200), snippet=st.sampled_from(SNIPPETS), noise=st.text(max_size=8),
       which=st.sampled_from(SHIPPED))
def test_any_edit_of_a_shipped_file_gives_located_problems_or_valid(tmp_path, line, snippet, noise, which):
    lines = which.read_text(encoding="utf-8").splitlines()
    lines.insert(line % (len(lines) + 1), snippet + noise)
    path = tmp_path / which.name
    path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    kind, problems = check_file(path)
    for problem in problems:
        assert problem.line >= 1 and problem.column >= 1 and problem.message
        assert "cyder failed" not in problem.message, problem


def test_keys_with_control_characters_are_shown_escaped(tmp_path, capsys):
    path = tmp_path / "r.yaml"
    path.write_text((TESTS / "broken_form" / "name-rule.yaml").read_text(encoding="utf-8").replace(
        "title: Broken", 'title: Broken\n"\\e]0;owned\\a\\e[31m": x'), encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "['\\x1b]0;owned\\x07\\x1b[31m']: unknown field" in err

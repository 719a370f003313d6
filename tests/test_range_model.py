"""Range files: shipped ranges load, broken ones give one located error each, the schema is current."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cyder.cli import main
from cyder.errors import InputError
from cyder.model import load_range
from cyder.model.schema import range_schema

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "ranges").glob("*.yaml"))
BROKEN = sorted((ROOT / "tests" / "broken").glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_ranges_load(path):
    rng = load_range(path)
    assert rng.hosts and rng.segments


def test_saida_city_has_the_three_tiers_and_attacker_hosts():
    rng = load_range(ROOT / "ranges" / "saida-city.yaml")
    assert {s.name for s in rng.segments} >= {"internet", "dmz", "lgwan", "mynumber"}
    assert {h.name for h in rng.hosts_on("internet")} >= {"c2", "attacker-mail", "attacker-dns"}
    assert 12 <= len(rng.hosts) <= 18
    assert rng.title.ja == "さいだ市" and rng.title.en == "Saida City"


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_broken_file_gives_its_one_line_error(path, capsys):
    expected = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ")
    code = main(["validate", str(path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1, err
    assert err[0] == f"{path.parent}/{expected}"


def test_validate_reports_problems_of_every_file_at_once(capsys):
    code = main(["validate", str(BROKEN[0]), str(BROKEN[1]), str(SHIPPED[0])])
    captured = capsys.readouterr()
    assert code == 2
    assert len(captured.err.strip().splitlines()) == 2
    assert f"{SHIPPED[0]}: ok" in captured.out


def test_validate_as_a_command_prints_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "cyder", "validate", str(BROKEN[0])], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_missing_file_is_a_located_error(tmp_path):
    with pytest.raises(InputError) as info:
        load_range(tmp_path / "nope.yaml")
    assert "cannot read file" in str(info.value)


def test_several_problems_in_one_file_are_all_reported(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("name: r\ntitle: R\ndomain: r.example\nsegments: [{name: a, subnet: 10.1.2.0/24, kind: internal}]\n"
                    "hosts:\n  - {name: h1, role: server, attachments: [{segment: b, address: 10.1.2.5}]}\n"
                    "  - {name: h2, role: server, attachments: [{segment: a, address: 10.7.0.1}]}\n")
    with pytest.raises(InputError) as info:
        load_range(path)
    lines = str(info.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{path}:6:") and "unknown segment 'b'" in lines[0]
    assert lines[1].startswith(f"{path}:7:") and "outside segment 'a'" in lines[1]


def test_shipped_schema_is_current_and_ranges_carry_the_modeline():
    shipped = json.loads((ROOT / "ranges" / "schema" / "range.schema.json").read_text(encoding="utf-8"))
    assert shipped == range_schema(), "run: cyder schema range > ranges/schema/range.schema.json"
    assert {"segments", "hosts", "firewall"} <= set(shipped["properties"])
    for path in SHIPPED:
        assert path.read_text(encoding="utf-8").startswith(
            "# yaml-language-server: $schema=schema/range.schema.json")


def test_transport_pool_is_reserved(tmp_path, monkeypatch):
    monkeypatch.setenv("CYDER_TRANSPORT_POOL", "10.1.0.0/16")
    with pytest.raises(InputError) as info:
        load_range(ROOT / "tests" / "broken" / "overlapping-subnets.yaml")
    assert "reserves for its own plumbing" in str(info.value)

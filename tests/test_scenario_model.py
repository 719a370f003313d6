"""Scenario files and team variants: located errors, deterministic seeds, derived ground truth."""

import json
from pathlib import Path

import pytest

from cyder.cli import main
from cyder.model.scenario_load import load_scenario
from cyder.model.schema import scenario_schema
from cyder.scenario.variant import implant_bytes, make_variant

ROOT = Path(__file__).resolve().parent.parent
BROKEN = sorted((ROOT / "tests" / "broken_scenarios").glob("*.yaml"))
SCENARIO, RANGE = load_scenario(ROOT / "scenarios" / "targeted-email.yaml")


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_broken_scenario_gives_its_one_line_error(path, capsys):
    expected = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"{path.parent}/{expected}"]


def test_same_seed_gives_the_same_variant_and_another_seed_another():
    first, again = make_variant(SCENARIO, RANGE, 7), make_variant(SCENARIO, RANGE, 7)
    other = make_variant(SCENARIO, RANGE, 8)
    assert first.values == again.values
    assert first.all_indicators() == again.all_indicators()
    assert first.all_indicators()["domains"] != other.all_indicators()["domains"]
    assert first.all_indicators()["hashes"] != other.all_indicators()["hashes"]


def test_variables_stay_inside_the_range():
    for seed in range(30):
        variant = make_variant(SCENARIO, RANGE, seed)
        c2 = variant.values["c2_ip"]
        assert c2.startswith("203.0.113.")
        assert c2 not in {str(a.address) for h in RANGE.hosts for a in h.attachments}
        assert variant.values["target"].user in {s.user for s in RANGE.staff}
        assert variant.values["c2_domain"].endswith(".example")


def test_timeline_orders_steps_and_places_fallbacks_with_the_step_they_back_up():
    variant = make_variant(SCENARIO, RANGE, 1)
    offsets = {p.step.id: p.offset for p in variant.steps}
    assert [p.step.id for p in variant.steps][0] == "phish"
    assert offsets["phish"] >= 300 and offsets["phish"] <= 390  # at 0:05 plus up to 90 s of jitter
    assert offsets["execute"] == offsets["phish"] + 120
    assert offsets["c2-dns"] == offsets["c2-http"]
    assert variant.planned("c2-dns").fallback_for == "c2-http"
    assert offsets["discovery"] == offsets["c2-http"] + 4 * 60 + 300  # five beacons a minute apart, then 5 min


def test_ground_truth_names_the_c2_and_the_implant():
    variant = make_variant(SCENARIO, RANGE, 3)
    truth = variant.all_indicators()
    assert variant.values["c2_ip"] in truth["addresses"]
    assert f"http://{variant.values['c2_domain']}/update/check" in truth["urls"]
    assert variant.implant_sha256 in truth["hashes"]
    target = variant.values["target"]
    assert f"{target.user}@city.saida.lg.jp" in truth["mail"]
    assert implant_bytes(3) != implant_bytes(4)


def test_plan_needs_no_docker(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    assert main(["plan", "targeted-email", "--team", "team1", "--seed", "41", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["seed"] == 41
    assert [s["technique"] for s in data["steps"]][:2] == ["T1566.001", "T1204.002"]


def test_shipped_scenario_schema_is_current():
    shipped = json.loads((ROOT / "scenarios" / "schema" / "scenario.schema.json").read_text(encoding="utf-8"))
    assert shipped == scenario_schema(), "run: cyder schema scenario > scenarios/schema/scenario.schema.json"
    assert (ROOT / "scenarios" / "targeted-email.yaml").read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=schema/scenario.schema.json")

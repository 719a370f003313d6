"""The command line's behaviour when things are missing: one clear line, a non-zero exit."""

import subprocess
import sys

import pytest

from cyder.backend.base import check_team
from cyder.cli import main
from cyder.errors import CyderError


def test_unreachable_docker_engine_is_one_line_with_the_fix(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    assert main(["status"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "Docker engine is not reachable" in err[0] and "scripts/setup.sh" in err[0]


def test_unknown_range_name_is_a_located_error(capsys):
    assert main(["up", "no-such-range", "--team", "t1"]) == 2
    assert "no-such-range.yaml:1:1: cannot read file" in capsys.readouterr().err


def test_bad_team_name_is_refused():
    with pytest.raises(CyderError, match="lower-case"):
        check_team("Team_1")
    assert check_team("team1") == "team1"


def test_schema_command_prints_json():
    proc = subprocess.run([sys.executable, "-m", "cyder", "schema", "range"], capture_output=True, text=True)
    assert proc.returncode == 0 and '"segments"' in proc.stdout


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "validate" in capsys.readouterr().out

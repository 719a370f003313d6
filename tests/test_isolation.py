"""One team cannot touch another, the answer key is not derivable, stores are private and
append-only, the machine's networks are read from every routing table (no Docker needed; the same
isolation is tried on real containers in tests/docker/test_team_isolation.py)."""

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from cyder.backend.base import BackendError, ExecResult, check_team
from cyder.cli import main
from cyder.errors import CyderError
from cyder.exercise.actions import ACTIONS, ActionError, take_action
from cyder.exercise.engine import Exercise
from cyder.exercise.store import ExerciseStore
from cyder.model.scenario_load import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "targeted-email.yaml"
_, RANGE = load_scenario(SCENARIO)

PATH_TRICKS = ["pc01/../cyder-h2-www", "../cyder-h2-www", "pc01/..", "cyder-h2-www", "www\n", "www/", "WWW",
               "www/../../containers/cyder-h2-www", "", "www%2f..", ".", "..", "www\x00"]


class RecordingBackend:
    """Records every call; a call at all fails the path-trick tests."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        def record(*args, **kwargs):
            self.calls.append((name, args))
            return ExecResult(0, "", "")
        return record


@pytest.mark.parametrize("action", sorted(name for name, spec in ACTIONS.items() if "host" in spec.params))
def test_every_action_refuses_a_host_outside_the_teams_range_before_touching_anything(action):
    spec = ACTIONS[action]
    for trick in PATH_TRICKS:
        backend = RecordingBackend()
        params = {p: "x" for p in spec.params}
        params.update({"host": trick, "user": "admin", "password": "N3w-long-pass", "address": "203.0.113.9",
                       "path": "/tmp/x", "pattern": "x", "domain": "evil.example"})
        params = {k: v for k, v in params.items() if k in spec.params}
        with pytest.raises(ActionError):
            take_action(backend, "h1", RANGE, action, params)
        assert backend.calls == [], (action, trick, backend.calls)


class FakeContainer:
    def __init__(self, name, labels):
        self.name, self.labels, self.status = name, labels, "running"


class FakeClient:
    """A Docker client that knows one container by its name."""

    def __init__(self, containers):
        self.containers = self
        self.known = containers
        self.asked = []

    def get(self, name):
        import docker.errors

        self.asked.append(name)
        if name not in self.known:
            raise docker.errors.NotFound(name)
        return self.known[name]


def test_the_docker_backend_resolves_hosts_by_pattern_and_team_label():
    from cyder.backend.docker import DockerBackend

    client = FakeClient({
        "cyder-h1-www": FakeContainer("cyder-h1-www", {"app": "cyder", "cyder.team": "h1"}),
        "cyder-h1-pc01": FakeContainer("cyder-h1-pc01", {"app": "other"}),  # a user's container of that name
    })
    backend = DockerBackend(client=client)
    assert backend._container("h1", "www").name == "cyder-h1-www"
    for trick in PATH_TRICKS:
        with pytest.raises(BackendError):
            backend._container("h1", trick)
    # Only names of team h1's own objects, with nothing that could climb a Docker API path, are looked up.
    assert all(name.startswith("cyder-h1-") and "/" not in name and "." not in name and name.isprintable()
               for name in client.asked), client.asked
    with pytest.raises(BackendError, match="not team h1's host"):
        backend._container("h1", "pc01")
    for team in ("h1\n", "../h2", "H1", ""):
        with pytest.raises(CyderError):
            backend._container(team, "www")


@pytest.mark.parametrize("team", ["team1\n", "../../x", "Team1", "1team", "t" * 17, "a b", "a-b", ""])
def test_bad_team_names_are_refused_everywhere(team, tmp_path, capsys):
    with pytest.raises(CyderError):
        check_team(team)
    store = ExerciseStore(tmp_path / "ex.sqlite")
    with pytest.raises(CyderError):
        Exercise(RecordingBackend(), store, team, SCENARIO)
    assert store.teams() == []
    Exercise(RecordingBackend(), store, "good", SCENARIO, seed=1)
    store.close()
    code = main(["run", "targeted-email", "--team", team, "--store", str(tmp_path / "ex.sqlite"), "--headless"])
    err = capsys.readouterr().err
    assert code != 0 and err.count("\n") == 1 and "team name" in err and "Traceback" not in err
    assert main(["debrief", "--all", "--store", str(tmp_path / "ex.sqlite"), "--out", str(tmp_path / "r")]) == 0
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["good"]


def test_each_new_exercise_gets_a_random_seed_kept_in_the_store(tmp_path, capsys):
    seeds = set()
    for n in range(4):
        store = ExerciseStore(tmp_path / f"s{n}.sqlite")
        seeds.add(Exercise(RecordingBackend(), store, "team1", SCENARIO).settings["seed"])
        store.close()
    assert len(seeds) == 4, "the seed must not follow from the scenario and team names"
    store_path = str(tmp_path / "s0.sqlite")
    store = ExerciseStore(store_path)
    kept = store.load("team1")[0]["seed"]
    store.close()
    assert main(["plan", "targeted-email", "--team", "team1", "--store", store_path, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["seed"] == kept
    assert main(["plan", "targeted-email", "--team", "team2", "--store", store_path]) != 0
    assert "give --seed" in capsys.readouterr().err


def test_the_data_folder_and_its_stores_are_private(tmp_path, monkeypatch):
    from cyder.evidence.store import EvidenceStore

    data = tmp_path / "deep" / "data"
    monkeypatch.setenv("CYDER_DATA", str(data))
    old = os.umask(0o022)
    try:
        store, evidence = ExerciseStore(), EvidenceStore()
        store.create("team1", {"seed": 1}, {})
    finally:
        os.umask(old)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for path in data.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    store.close()
    evidence.close()
    data.chmod(0o755)  # loosened by someone: tightened again on the next use
    ExerciseStore().close()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    ExerciseStore(shared / "x.sqlite").close()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755, "a folder named by the user is left as it is"


def test_the_journal_and_the_ledger_refuse_updates_and_deletes(tmp_path):
    store = ExerciseStore(tmp_path / "ex.sqlite")
    store.create("team1", {"seed": 1}, {})
    store.log("team1", 1.0, "indicator", {"value": "x"})
    from cyder.exercise.store import LedgerEntry

    store.credit(LedgerEntry("team1", 1.0, "rule", 5, "detection", "why"))
    for sql in ("UPDATE journal SET kind='x'", "DELETE FROM journal", "UPDATE ledger SET points=99",
                "DELETE FROM ledger"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            store._db.execute(sql)
    assert len(store.journal("team1")) == 1 and store.totals("team1")["total"] == 5
    store.close()


def test_the_machines_networks_come_from_every_routing_table(monkeypatch):
    from cyder.backend.docker import hostnet

    answers = {
        ("-j", "-4", "addr", "show"): [],
        ("-j", "-4", "route", "show", "table", "all"): [
            {"dst": "default", "gateway": "192.0.2.1", "dev": "eth0"},
            {"dst": "10.8.0.0/16", "dev": "tun0", "table": "100"},
            {"type": "broadcast", "dst": "10.8.255.255", "dev": "tun0", "table": "local"},
        ],
    }
    monkeypatch.setattr(hostnet, "_ip", lambda *args: json.dumps(answers[args]))
    found = hostnet.machine_networks()
    assert [str(n.network) for n in found] == ["10.8.0.0/16"]
    assert "table 100" in found[0].source


def test_engines_before_the_fix_for_cve_2024_29018_are_named_with_the_fix():
    from cyder.backend.docker.backend import resolver_warning

    for version in ("20.10.24+dfsg1", "23.0.10", "24.0.7", "25.0.4"):
        warning = resolver_warning(version)
        assert warning and "CVE-2024-29018" in warning and "upgrade" in warning and "127.0.0.11" in warning
    for version in ("23.0.11", "25.0.5", "26.0.0", "28.2.2", "29.1.0"):
        assert resolver_warning(version) is None

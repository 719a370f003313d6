"""The Docker backend's parts that need no engine: labels and the one label filter, lookups and
boot reports on a fake client, boot order, the thread pool, and the facade's seams for tests."""

import io
import json
import queue
import tarfile
from pathlib import Path

import docker.errors
import pytest

from cyder.backend.base import BackendError, HostStatus
from cyder.backend.docker import backend as backend_module
from cyder.backend.docker import boot, files, hosts, labels, objects, parallel, status
from cyder.backend.docker.images import ImageSet
from cyder.errors import CyderError
from cyder.model import load_range

ROOT = Path(__file__).resolve().parents[1]


class FakeContainer:
    def __init__(self, name, labels, state="running", logs=(), exec_output=(b"", b""), exit_code=0):
        self.name, self.id, self.labels, self.status = name, f"id-{name}", labels, state
        self.attrs = {"NetworkSettings": {"Networks": {}}}
        self._logs, self._exec = list(logs), (exit_code, exec_output)
        self.ran, self.removed = [], False

    def label_values(self):
        return self.labels

    def remove(self, force):
        assert force
        self.removed = True

    def logs(self, stream, follow):
        assert stream and follow
        return iter(self._logs)

    def exec_run(self, argv, user="root", demux=False):
        from docker.models.containers import ExecResult

        self.ran.append((argv, user, demux))
        return ExecResult(*self._exec)


class FakeNetwork:
    def __init__(self, name, labels):
        self.name, self.attrs = name, {"Labels": labels}
        self.removed = False

    def label_values(self):
        return self.attrs["Labels"]

    def remove(self):
        self.removed = True


class FakeCollection:
    """containers or networks of a fake client: get by name, list by label filter (recorded)."""

    def __init__(self, objects):
        self.known = {o.name: o for o in objects}
        self.asked, self.filters = [], []

    def get(self, name):
        self.asked.append(name)
        if name not in self.known:
            raise docker.errors.NotFound(name)
        return self.known[name]

    def list(self, filters=None, **_):
        self.filters.append(filters)
        wanted = dict(item.split("=", 1) for item in (filters or {}).get("label", []))
        return [obj for obj in self.known.values() if all(obj.label_values().get(k) == v for k, v in wanted.items())]


class FakeClient:
    def __init__(self, containers=(), networks=()):
        self.containers = FakeCollection(containers)
        self.networks = FakeCollection(networks)


def team_labels(team, **more):
    return {"app": "cyder", "cyder.team": team, "cyder.range": "small-office", "cyder.range-hash": "h", **more}


@pytest.fixture
def office():
    return load_range(ROOT / "ranges" / "small-office.yaml")


# -- labels ---------------------------------------------------------------------------------------

def test_one_team_filter_finds_a_teams_objects_or_every_teams():
    assert labels.team_filter("t1") == {"label": ["app=cyder", "cyder.team=t1"]}
    assert labels.team_filter(None) == {"label": ["app=cyder"]}
    # An empty name never widens to every team.
    assert labels.team_filter("") == {"label": ["app=cyder", "cyder.team="]}
    assert labels.run_filter("ci-42") == {"label": ["app=cyder", "cyder.run=ci-42"]}


def test_range_labels_carry_the_run_only_when_cyder_run_is_set(office, monkeypatch):
    monkeypatch.delenv("CYDER_RUN", raising=False)
    plain = labels.range_labels(office, "t1")
    assert plain == {"app": "cyder", "cyder.team": "t1", "cyder.range": "small-office",
                     "cyder.range-hash": labels.range_hash(office), "cyder.collector": "dns"}
    monkeypatch.setenv("CYDER_RUN", "ci-42")
    assert labels.range_labels(office, "t1") == {**plain, "cyder.run": "ci-42"}
    for bad in ("CI-42", "-x", "a" * 33, "a/b", "a\nb"):
        monkeypatch.setenv("CYDER_RUN", bad)
        with pytest.raises(BackendError, match="CYDER_RUN"):
            labels.range_labels(office, "t1")


def test_names_embed_the_team_and_bridges_fit_linux_limits():
    assert labels.object_name("t1", "www") == "cyder-t1-www"
    bridge = labels.bridge_name("team1234567890ab", "a-very-long-segment-name")
    assert bridge.startswith("cy-") and len(bridge) <= 15
    assert bridge == labels.bridge_name("team1234567890ab", "a-very-long-segment-name")
    assert labels.bridge_name("t1", "lan") != labels.bridge_name("t2", "lan")


def two_teams():
    return FakeClient(
        containers=[FakeContainer("cyder-t1-www", team_labels("t1", **{"cyder.host": "www"})),
                    FakeContainer("cyder-t2-www", team_labels("t2", **{"cyder.host": "www"})),
                    FakeContainer("cyder-t1-capture", team_labels("t1", **{"cyder.capture": "1"}))],
        networks=[FakeNetwork("cyder-t1-lan", team_labels("t1", **{"cyder.segment": "lan"})),
                  FakeNetwork("cyder-t2-lan", team_labels("t2", **{"cyder.segment": "lan"}))])


def test_status_lists_through_the_team_filter():
    client = two_teams()
    assert [s.team for s in status.ranges(client, None, False, 4)] == ["t1", "t2"]
    assert [s.team for s in status.ranges(client, "", False, 4)] == ["t1", "t2"]  # as before: no team given
    one = status.ranges(client, "t1", False, 4)
    assert [(s.team, [h.name for h in s.hosts], s.segments) for s in one] == [("t1", ["www"], ["lan"])]
    assert [c.name for c in objects.containers(client, "t1")] == ["cyder-t1-www"]  # not the capture
    allowed = [labels.team_filter(None), labels.team_filter("t1"), labels.team_filter("t2")]
    assert all(f in allowed for f in client.containers.filters + client.networks.filters)


def test_down_removes_one_teams_objects_or_every_teams(monkeypatch, tmp_path):
    from cyder.backend.docker import networks, sealing

    monkeypatch.setattr(networks, "LOCK_DIR", str(tmp_path))
    unsealed = []
    monkeypatch.setattr(sealing, "unseal_team", lambda team: unsealed.append(team) or 2)
    client = two_teams()
    backend = backend_module.DockerBackend(client=client)
    assert backend.down("t1") == 2 + 1 + 2  # www and capture, lan, two host rules
    assert sorted(n for n, c in client.containers.known.items() if c.removed) == ["cyder-t1-capture", "cyder-t1-www"]
    assert [n for n, net in client.networks.known.items() if net.removed] == ["cyder-t1-lan"]
    assert backend.down(None) == 3 + 2 + 2  # the fake lists removed objects too
    assert all(c.removed for c in client.containers.known.values())
    assert unsealed == ["t1", None]
    assert client.containers.filters == [labels.team_filter("t1"), labels.team_filter(None)]
    assert client.networks.filters == [labels.team_filter("t1"), labels.team_filter(None)]
    with pytest.raises(CyderError):
        backend.down("")


# -- lookups --------------------------------------------------------------------------------------

def test_networks_are_resolved_by_pattern_and_team_label():
    client = FakeClient(networks=[FakeNetwork("cyder-h1-lan", team_labels("h1")),
                                  FakeNetwork("cyder-h1-dmz", {"app": "other"})])
    assert objects.network(client, "h1", "lan").name == "cyder-h1-lan"
    for trick in ("../lan", "lan/..", "LAN", "lan\n", "", "a" * 64):
        with pytest.raises(BackendError):
            objects.network(client, "h1", trick)
    with pytest.raises(BackendError, match="not team h1's segment"):
        objects.network(client, "h1", "dmz")
    with pytest.raises(BackendError, match="has no segment"):
        objects.network(client, "h1", "mgmt")
    assert client.networks.asked == ["cyder-h1-lan", "cyder-h1-dmz", "cyder-h1-mgmt"]


def test_the_facade_keeps_the_checked_lookup_that_tests_use():
    client = FakeClient(containers=[FakeContainer("cyder-h1-www", team_labels("h1"))])
    backend = backend_module.DockerBackend(client=client)
    assert backend._container("h1", "www").name == "cyder-h1-www"
    with pytest.raises(BackendError, match="cyder status"):
        backend._container("h1", "pc1")


# -- boot order and boot reports ------------------------------------------------------------------

def test_hosts_with_slow_daemons_start_first():
    saida = load_range(ROOT / "ranges" / "saida-city.yaml")
    weights = {h.name: hosts.boot_weight(h) for h in saida.hosts}
    assert weights["juki-db"] == 0  # postgres
    assert weights["juki-app"] == weights["fileserver"] == weights["groupware"] == 1  # app, smb, mail
    assert weights["www"] == weights["pc01"] == weights["fw"] == 2
    first = sorted(saida.hosts, key=hosts.boot_weight)
    assert first[0].name == "juki-db"


def test_a_boot_report_is_read_across_chunks():
    plan = json.dumps({"interfaces": [{"segment": "lan", "address": "10.0.0.5"}]})
    report = json.dumps({"booted": True, "checks": {"ssh": True}, "failed": []})
    line = f"noise\nCYDER-READY {report}\n".encode()
    container = FakeContainer("cyder-t1-pc1", team_labels("t1", **{"cyder.plan": plan}),
                              logs=[line[:9], line[9:20], line[20:]])
    reports: queue.Queue[tuple[HostStatus, bool]] = queue.Queue()
    boot.follow_boot(FakeClient(containers=[container]), "t1", "pc1", reports)
    status_, ok = reports.get_nowait()
    assert ok and status_ == HostStatus("pc1", "running", {"lan": "10.0.0.5"}, {"ssh": True}, [])


def test_a_failed_or_silent_boot_is_reported():
    failed = json.dumps({"checks": {"smtp": False}, "failed": ["postfix"]})
    client = FakeClient(containers=[
        FakeContainer("cyder-t1-mail", team_labels("t1"), logs=[f"CYDER-FAILED {failed}\n".encode()]),
        FakeContainer("cyder-t1-pc1", team_labels("t1"), logs=[b"booting\n"]),
        FakeContainer("cyder-t1-pc2", team_labels("t1"), logs=[b"CYDER-READY {not json\n"])])
    reports: queue.Queue[tuple[HostStatus, bool]] = queue.Queue()
    for host in ("mail", "pc1", "pc2", "gone"):
        boot.follow_boot(client, "t1", host, reports)
    got = [reports.get_nowait() for _ in range(4)]
    assert [(s.name, s.state, ok) for s, ok in got] == [
        ("mail", "running", False), ("pc1", "exited", False), ("pc2", "unknown", False), ("gone", "unknown", False)]
    assert got[0][0].failed == ["postfix"] and got[1][0].failed == ["the container stopped during boot"]
    assert got[2][0].failed[0].startswith("boot report unreadable")


def test_host_health_runs_the_agent_once_and_reads_its_report():
    report = json.dumps({"booted": False, "checks": {"dns": True}, "failed": []}).encode()
    container = FakeContainer("cyder-t1-dns", team_labels("t1"), exec_output=(report, b""))
    client = FakeClient(containers=[container])
    health = boot.host_health(client, "t1", "dns")
    assert health == HostStatus("dns", "starting", {}, {"dns": True}, [])
    assert container.ran == [(["timeout", "-k", "2", "15", *files.AGENT, "health"], "root", True)]
    assert status.check_service(client, "t1", "dns", "dns") is True
    with pytest.raises(BackendError, match="no service 'smtp'"):
        status.check_service(client, "t1", "dns", "smtp")
    assert status.host_status(client, "t1", "nosuch") is None


# -- exec, files, parallel ------------------------------------------------------------------------

def test_exec_is_bounded_by_timeout_and_tolerates_no_output():
    container = FakeContainer("cyder-t1-pc1", team_labels("t1"), exec_output=None, exit_code=3)
    result = files.exec_in(container, "echo hi", user="tanaka", timeout=0.2)
    assert (result.exit_code, result.stdout, result.stderr) == (3, "", "")
    assert container.ran == [(["timeout", "-k", "2", "1", "/bin/sh", "-c", "echo hi"], "tanaka", True)]


def test_tar_holds_the_files_with_their_mode():
    data = files.tar({"etc/cyder/host.json": b"{}"}, mode=0o600)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        member = archive.next()
        assert member is not None and member.name == "etc/cyder/host.json" and member.mode == 0o600
        extracted = archive.extractfile(member)
        assert extracted is not None and extracted.read() == b"{}"


def test_parallel_keeps_order_and_raises_the_first_failure():
    assert parallel.parallel(lambda n: n * 2, range(20), 4) == [n * 2 for n in range(20)]
    assert parallel.parallel(lambda n: n, [], 4) == []

    def fail(n):
        if n == 3:
            raise ValueError("three")
        return n

    with pytest.raises(ValueError, match="three"):
        parallel.parallel(fail, range(10), 2)
    count = parallel.Counter(2)
    assert (count.next(), count.next(), count.total) == (1, 2, 2)


# -- the facade's seams ---------------------------------------------------------------------------

def test_the_facade_reexports_what_tests_and_bench_import():
    for name in ("AGENT", "APP", "LABEL_APP", "LABEL_TEAM", "LABEL_RANGE", "LABEL_HASH", "LABEL_HOST", "LABEL_PLAN",
                 "LABEL_TRANSPORT", "LABEL_SEGMENT", "LABEL_RUN", "object_name", "bridge_name", "resolver_warning",
                 "range_hash", "image_builder", "DockerBackend", "connect_docker"):
        assert hasattr(backend_module, name), name
    from cyder.backend import docker as package

    assert set(package.__all__) >= {"DockerBackend", "connect_docker", "object_name", "build_images",
                                    "expected_images", "list_images"}


def test_up_reaches_the_image_tags_through_the_module_attribute(office, monkeypatch):
    class NoImages:
        def get(self, tag):
            raise docker.errors.ImageNotFound(tag)

    client = FakeClient()
    client.images = NoImages()
    monkeypatch.setattr(backend_module.image_builder, "expected_images",
                        lambda: ImageSet("cyder/base:none", "cyder/node:doesnotexist"))
    with pytest.raises(BackendError, match="cyder/node:doesnotexist is missing: run `cyder images build`"):
        backend_module.DockerBackend(client=client).up(office, "t1")
    assert client.containers.filters == [] and client.networks.filters == []  # nothing touched before the check

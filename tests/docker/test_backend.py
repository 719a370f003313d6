"""The Docker backend's interface and its sealing, on real containers of small-office."""

import ipaddress
import json

import pytest

from cyder.backend.base import BackendError
from cyder.backend.docker import hostnet
from cyder.backend.docker.backend import LABEL_APP, LABEL_TEAM, object_name
from cyder.model.load import transport_pool
from runid import RUN_LABEL, team

TOFFA = team("toffa")
TOFFB = team("toffb")
TCLASH = team("tclash")
TCRASH = team("tcrash")
TDOWN = team("tdown")
TIMG = team("timg")
TLEFT = team("tleft")
NOSUCHTEAM = team("nosuchteam")


@pytest.fixture(scope="module")
def two_teams(backend, office):
    for name in (TOFFA, TOFFB):
        backend.down(name)
    backend.up(office, TOFFA, timeout=120)
    backend.up(office, TOFFB, timeout=120)
    yield (TOFFA, TOFFB)
    backend.down(TOFFA)
    backend.down(TOFFB)


def test_two_teams_run_the_same_range_with_the_same_addresses(backend, two_teams):
    a, b = backend.status(TOFFA)[0], backend.status(TOFFB)[0]
    assert a.healthy and b.healthy
    assert {h.name: h.addresses for h in a.hosts} == {h.name: h.addresses for h in b.hosts}


def test_teams_cannot_reach_each_other(backend, two_teams):
    backend.write_file(TOFFB, "www", "/var/www/www/index.html", "team-b-page\n".encode())
    seen_by_a = backend.exec(TOFFA, "pc1", "curl -s -m 3 http://10.30.1.80/").stdout
    seen_by_b = backend.exec(TOFFB, "pc1", "curl -s -m 3 http://10.30.1.80/").stdout
    assert seen_by_b == "team-b-page\n"
    assert "team-b-page" not in seen_by_a and "事務所のホームページ" in seen_by_a


def test_every_range_network_is_internal_and_nothing_is_on_a_network_with_a_route_out(backend, two_teams):
    client = backend.client
    containers = client.containers.list(filters={"label": f"{LABEL_APP}=cyder"})
    assert containers
    for container in containers:
        for name in container.attrs["NetworkSettings"]["Networks"]:
            network = client.networks.get(name)
            assert network.attrs["Internal"] is True, name
            assert network.attrs["Labels"].get(LABEL_APP) == "cyder", name
            assert name not in ("bridge", "host")
    networks = client.networks.list(filters={"label": f"{LABEL_APP}=cyder"})
    subnets = [ipaddress.ip_network(n.attrs["IPAM"]["Config"][0]["Subnet"]) for n in networks]
    assert len(set(subnets)) == len(subnets)  # every segment of every team has its own subnet
    assert all(s.subnet_of(transport_pool()) for s in subnets)


def test_range_subnets_do_not_overlap_the_machines_networks(office):
    machine = hostnet.machine_networks(ignore_interfaces=("cy-",))
    assert machine, "the machine has networks of its own"
    assert not hostnet.overlaps([s.subnet for s in office.segments] + [transport_pool()], machine)


def test_up_refuses_a_range_overlapping_the_machine(backend, office):
    machine = hostnet.machine_networks(ignore_interfaces=("cy-",))[0].network
    segments = list(office.segments)
    segments[1] = segments[1].model_copy(update={"subnet": machine})
    clash = office.model_copy(update={"segments": segments})
    with pytest.raises(BackendError, match="overlaps this machine's network"):
        backend.up(clash, TCLASH)
    assert not backend.client.containers.list(all=True, filters={"label": f"{LABEL_TEAM}={TCLASH}"})


def test_containers_cannot_reach_the_machine(backend, two_teams):
    network = backend.client.networks.get(object_name(TOFFA, "lan"))
    gateway = network.attrs["IPAM"]["Config"][0]["Subnet"].rsplit(".", 1)[0] + ".1"
    # Even a host that takes a transport address back cannot talk to the machine's bridge address.
    result = backend.exec(TOFFA, "pc2", f"ip addr add {gateway[:-1]}77/24 dev eth0; "
                                          f"ping -c 1 -W 1 {gateway}; r=$?; ip addr del {gateway[:-1]}77/24 dev eth0; exit $r")
    assert not result.ok


def test_exec_read_write_and_check_service(backend, two_teams):
    backend.write_file(TOFFA, "pc1", "/tmp/cyder-test/hello.txt", "こんにちは\n".encode())
    assert backend.read_file(TOFFA, "pc1", "/tmp/cyder-test/hello.txt").decode() == "こんにちは\n"
    assert backend.exec(TOFFA, "pc1", ["cat", "/tmp/cyder-test/hello.txt"]).stdout == "こんにちは\n"
    assert backend.check_service(TOFFA, "mail", "smtp")
    backend.exec(TOFFA, "mail", "postfix stop")
    assert not backend.check_service(TOFFA, "mail", "smtp")
    backend.exec(TOFFA, "mail", "postfix start")
    assert backend.check_service(TOFFA, "mail", "smtp")
    with pytest.raises(BackendError):
        backend.read_file(TOFFA, "pc1", "/no/such/file")


def test_disconnect_isolates_a_host_and_connect_restores_it(backend, two_teams):
    query = "dig +short +time=1 +tries=1 www.office.example"
    assert backend.exec(TOFFA, "pc1", query).stdout.strip() == "10.30.1.80"
    backend.disconnect(TOFFA, "pc1", "lan")
    assert not backend.exec(TOFFA, "pc1", query).ok
    backend.connect(TOFFA, "pc1", "lan")
    assert backend.exec(TOFFA, "pc1", query).stdout.strip() == "10.30.1.80"


def test_status_json_lists_hosts_and_services(backend, two_teams):
    data = backend.status(TOFFA)[0].to_json()
    assert json.loads(json.dumps(data))["range"] == "small-office"
    assert {h["name"] for h in data["hosts"]} == {"fw", "dns", "mail", "www", "pc1", "pc2"}
    mail = next(h for h in data["hosts"] if h["name"] == "mail")
    assert set(mail["services"]) == {"smtp", "imap", "ssh"}


def test_interrupted_bring_up_leaves_nothing(backend, office):
    def interrupt(event):
        if event.stage == "host":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backend.up(office, TCRASH, progress=interrupt)
    label = {"label": f"{LABEL_TEAM}={TCRASH}"}
    assert not backend.client.containers.list(all=True, filters=label)
    assert not backend.client.networks.list(filters=label)
    from cyder.backend.docker import sealing
    assert not sealing.team_rules(TCRASH)


def test_down_is_idempotent_and_leaves_no_labelled_object(backend, office):
    backend.up(office, TDOWN, timeout=120)
    assert backend.down(TDOWN) > 0
    assert backend.down(TDOWN) == 0
    label = {"label": f"{LABEL_TEAM}={TDOWN}"}
    assert not backend.client.containers.list(all=True, filters=label)
    assert not backend.client.networks.list(filters=label)


def test_missing_image_and_unknown_host_errors_name_the_fix(backend, office, monkeypatch):
    from cyder.backend.docker import backend as backend_module
    from cyder.backend.docker.images import ImageSet

    monkeypatch.setattr(backend_module.image_builder, "expected_images",
                        lambda: ImageSet("cyder/base:none", "cyder/node:doesnotexist"))
    with pytest.raises(BackendError, match="cyder images build"):
        backend.up(office, TIMG)
    with pytest.raises(BackendError, match="cyder status"):
        backend.exec(NOSUCHTEAM, "pc1", "true")


def test_leftovers_of_a_crashed_bring_up_are_reported_and_removed_by_down(backend, office):
    backend.client.networks.create(f"cyder-{TLEFT}-lan", driver="bridge", internal=True,
                                   labels={LABEL_APP: "cyder", LABEL_TEAM: TLEFT, "cyder.run": RUN_LABEL})
    with pytest.raises(BackendError, match=f"cyder down --team {TLEFT}"):
        backend.up(office, TLEFT)
    assert backend.down(TLEFT) == 1
    assert not backend.client.networks.list(filters={"label": f"{LABEL_TEAM}={TLEFT}"})

"""Runs last among the Docker tests: `cyder down --all` leaves no object with the app label."""

from cyder.backend.docker import sealing
from cyder.cli import main


def test_down_all_leaves_no_object_with_the_app_label(backend, capsys):
    assert main(["down", "--all"]) == 0
    label = {"label": "app=cyder"}
    assert not backend.client.containers.list(all=True, filters=label)
    assert not backend.client.networks.list(filters=label)
    assert not sealing.team_rules(None)

"""Runs last among the Docker tests: removing what this run made (by its label) leaves nothing of it
behind, and leaves alone a range that a user started before the run (a live exercise)."""

from cyder.backend.docker import sealing
from runid import RUN_LABEL


def test_clean_up_removes_this_runs_objects_and_leaves_a_users_range_alone(backend, users_range):
    users_team, containers = users_range
    for team in backend.run_teams(RUN_LABEL):
        backend.down(team)
    label = {"label": f"cyder.run={RUN_LABEL}"}
    assert not backend.client.containers.list(all=True, filters=label)
    assert not backend.client.networks.list(filters=label)
    assert users_team not in backend.run_teams(RUN_LABEL)
    status = backend.status(users_team)
    assert status and status[0].healthy, "the user's range was harmed by the test run"
    still = {c.name: c.id for c in backend.client.containers.list(all=True, filters={"label": f"cyder.team={users_team}"})}
    assert still == containers, "the user's containers were replaced or removed"
    assert sealing.team_rules(users_team), "the user's range lost its host rules"

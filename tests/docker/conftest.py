"""Fixtures for tests against the real Docker engine: images built once, ranges up per module.

These tests fail (they do not skip) when the engine is unreachable, so CI cannot pass without them.
Every team they start is named with this run's id and every object carries this run's label
(tests/runid.py); clean-up removes only those. A range "started by a user" before the tests runs
beside them and must be untouched at the end (test_zz_cleanup.py).
"""

import os
from pathlib import Path

import pytest

from cyder.backend.docker import DockerBackend, build_images
from cyder.model import load_range
from cyder.model.population import with_staff
from runid import RUN_ID, team

TSAIDA = team("tsaida")
USERS_TEAM = f"user{RUN_ID}"  # stands for a centre's live exercise on the same engine

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/tests/docker/" in str(item.fspath):
            item.add_marker(pytest.mark.docker)


@pytest.fixture(scope="session")
def backend():
    backend = DockerBackend()
    build_images(backend.client)
    return backend


# Tests run Saida City with 30 simulated staff (one container) rather than its thousand.
TEST_STAFF = 30


@pytest.fixture(scope="session")
def saida():
    return with_staff(load_range(ROOT / "ranges" / "saida-city.yaml"), TEST_STAFF)


@pytest.fixture(scope="session")
def office():
    return load_range(ROOT / "ranges" / "small-office.yaml")


@pytest.fixture(scope="module")
def saida_team(backend, saida):
    backend.down(TSAIDA)
    backend.up(saida, TSAIDA, timeout=240)
    yield TSAIDA
    backend.down(TSAIDA)


@pytest.fixture(scope="session", autouse=True)
def users_range(backend, office):
    """A range brought up as a user would (without this run's label) before any Docker test; the
    last test checks it is untouched, then this removes it."""
    run = os.environ.pop("CYDER_RUN")
    try:
        backend.down(USERS_TEAM)
        backend.up(office, USERS_TEAM, timeout=120)
    finally:
        os.environ["CYDER_RUN"] = run
    containers = {c.name: c.id for c in backend.client.containers.list(
        all=True, filters={"label": f"cyder.team={USERS_TEAM}"})}
    yield USERS_TEAM, containers
    backend.down(USERS_TEAM)

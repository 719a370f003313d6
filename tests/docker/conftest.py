"""Fixtures for tests against the real Docker engine: images built once, ranges up per module.

These tests fail (they do not skip) when the engine is unreachable, so CI cannot pass without them.
"""

from pathlib import Path

import pytest

from cyder.backend.docker import DockerBackend, build_images
from cyder.model import load_range
from cyder.model.population import with_staff

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
    backend.down("tsaida")
    backend.up(saida, "tsaida", timeout=240)
    yield "tsaida"
    backend.down("tsaida")

"""Options and fixtures for the whole suite: the slow Docker scenarios run only with --slow, and a
run-unique id (tests/runid.py) keeps what a run creates apart from anything else on the engine."""

import pytest
from runid import RUN_ID


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", default=False,
                     help="also run the tests marked slow (more seeds and speeds of the long Docker scenarios)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--slow"):
        return
    kept = [item for item in items if "slow" not in item.keywords]
    dropped = [item for item in items if "slow" in item.keywords]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def run_id():
    """Four lower-case letters and digits, new for every test run, for team names and labels."""
    return RUN_ID

"""The id of this test run: a suffix for team names, and the value of the cyder.run label that the
Docker backend puts on every object it creates (CYDER_RUN, inherited by the cyder processes the
tests start), so clean-up removes exactly what this run made and never a live exercise on the same
engine. Imported by tests/conftest.py before any test, so it is set for the whole run."""

import os
import secrets
import string

RUN_ID = secrets.choice(string.ascii_lowercase) + "".join(
    secrets.choice(string.ascii_lowercase + string.digits) for _ in range(3))
RUN_LABEL = f"test-{RUN_ID}"
os.environ["CYDER_RUN"] = RUN_LABEL


def team(base: str) -> str:
    """A team name of this run: `base` (at most 12 characters) with the run's id after it."""
    assert len(base) <= 12, base
    return f"{base}{RUN_ID}"

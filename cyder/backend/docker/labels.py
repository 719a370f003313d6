"""Names and labels of cyder's Docker objects, and the one label filter that finds them.

Every network and container carries labels (app, team, range, range hash, and the run id when
CYDER_RUN is set) and a name with the team's prefix, so tear-down is by label, safe to repeat, and
two teams' objects never collide. Every lookup by label goes through `team_filter` or `run_filter`.
"""

from __future__ import annotations

import hashlib
import os
import re

from ...model.range import Range
from ..base import BackendError

APP = "cyder"
LABEL_APP, LABEL_TEAM, LABEL_RANGE, LABEL_HASH = "app", "cyder.team", "cyder.range", "cyder.range-hash"
LABEL_HOST, LABEL_SEGMENT, LABEL_TRANSPORT = "cyder.host", "cyder.segment", "cyder.transport"
LABEL_PLAN = "cyder.plan"
LABEL_CAPTURE = "cyder.capture"
LABEL_COLLECTOR = "cyder.collector"
LABEL_IMAGE = "cyder.image"  # on cyder's images: base or node
# CYDER_RUN=<id>: every object this process creates also carries cyder.run=<id>, so a test run (or
# anything else that names a run) removes exactly what it made and never a live exercise.
LABEL_RUN, RUN_ENV = "cyder.run", "CYDER_RUN"
RUN_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
BRIDGE_PREFIX = "cy-"

Filters = dict[str, str | list[str] | bool]  # the `filters` argument of Docker's listings


def run_label() -> str | None:
    """The run id from CYDER_RUN (None when unset); BackendError when it is not a label value."""
    run = os.environ.get(RUN_ENV)
    if not run:
        return None
    if not RUN_PATTERN.fullmatch(run):
        raise BackendError(f"{RUN_ENV}={run!r}: use up to 32 lower-case letters, digits and '-' (for example ci-42)")
    return run


def range_hash(rng: Range) -> str:
    """A short hash of a range's definition, to tell copies of different versions apart."""
    return hashlib.sha256(rng.model_dump_json(by_alias=True).encode()).hexdigest()[:12]


def object_name(team: str, name: str) -> str:
    """Docker name of a team's host or segment."""
    return f"{APP}-{team}-{name}"


def bridge_name(team: str, segment: str) -> str:
    """Linux bridge name of a team's segment (at most 15 characters)."""
    return BRIDGE_PREFIX + hashlib.sha1(f"{team}/{segment}".encode()).hexdigest()[:10]


def range_labels(rng: Range, team: str) -> dict[str, str]:
    """The labels every object of a team's range carries (plus the run's, when CYDER_RUN is set)."""
    labels = {LABEL_APP: APP, LABEL_TEAM: team, LABEL_RANGE: rng.name, LABEL_HASH: range_hash(rng)}
    if rng.logging:
        labels[LABEL_COLLECTOR] = rng.logging.collector
    if run := run_label():
        labels[LABEL_RUN] = run
    return labels


def team_filter(team: str | None) -> Filters:
    """Docker's label filter for cyder's objects: one team's, or every team's when `team` is None.

    An empty team name filters on an empty team label (it never widens to every team); callers
    that mean "no team given" pass None.
    """
    labels = [f"{LABEL_APP}={APP}"]
    if team is not None:
        labels.append(f"{LABEL_TEAM}={team}")
    return {"label": labels}


def run_filter(run: str) -> Filters:
    """Docker's label filter for cyder's objects made under one run id (CYDER_RUN)."""
    return {"label": [f"{LABEL_APP}={APP}", f"{LABEL_RUN}={run}"]}

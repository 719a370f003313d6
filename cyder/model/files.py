"""Check a whole file whose kind is not known yet: tell a range from a scenario, then validate it.

This sits above both loaders (cyder/model/load.py for ranges, cyder/model/scenario_load.py for
scenarios), so neither imports the other to dispatch on a file's kind: it moved out of load.py,
where it made load and scenario_load import each other. `check_file` never raises, so one broken
file never hides the reports of the others.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..errors import InputError, Problem
from .load import parse_range
from .range import Range
from .scenario import Scenario
from .yamlsource import parse_yaml, read_source

COMMON_KEYS = {"$schema", "name", "title", "description"}


def _keys(model: type[BaseModel]) -> set[str]:
    return {f.alias or name for name, f in model.model_fields.items()} - COMMON_KEYS


def document_kind(data: Any, text: str = "") -> str | None:
    """'range' or 'scenario' by the fields a document has (a misspelt one still counts a little) and
    its schema modeline; None when it could be either."""
    if not isinstance(data, dict):
        return None
    scores = {}
    for kind, keys in (("range", _keys(Range)), ("scenario", _keys(Scenario))):
        score = 0.0
        for key in map(str, data):
            if key in keys:
                score += 2
            elif difflib.get_close_matches(key, keys, n=1, cutoff=0.75):
                score += 1
        schema = f"{text[:1000]} {data.get('$schema', '')}"
        if f"{kind}.schema.json" in schema:
            score += 3
        scores[kind] = score
    if scores["range"] == scores["scenario"]:
        return None
    return max(scores, key=scores.get)


def check_file(path: str | Path) -> tuple[str, list[Problem]]:
    """Check one range or scenario file completely: its kind ('range', 'scenario', or '' when that
    could not be told) and its problems, none when it is valid. It never raises (but for ctrl-c):
    anything unexpected becomes a problem of the file, so one file never hides the others."""
    file, kind = str(path), ""
    try:
        source = read_source(path)
        head = source[:1000].decode("utf-8", "replace")  # for the schema modeline
        data, smap = parse_yaml(source, file)
        del source  # a big file's bytes are not needed any more
        kind = document_kind(data, head) or ""
        if not isinstance(data, dict):
            return kind, [smap.problem((), "a range or scenario file must be a mapping of fields (name:, title: ...)")]
        if not kind:
            return kind, [smap.problem((), "cannot tell whether this is a range or a scenario: a range has "
                                           "segments: and hosts:, a scenario has range: and steps:")]
        if kind == "scenario":
            # imported only now: checking a range needs no scenario checker (nor networkx)
            from .scenario_load import parse_scenario

            parse_scenario(data, smap, path)
        else:
            parse_range(data, smap)
        return kind, []
    except InputError as exc:
        return kind, exc.problems or [Problem(file, 1, 1, "", f"not a valid {kind or 'file'}")]
    except Exception as exc:  # noqa: BLE001 - a bug of cyder's must still leave the other files' reports
        return kind, [Problem(file, 1, 1, "", f"cyder failed while checking this file ({type(exc).__name__}: "
                                              f"{exc}); please report it")]

"""JSON Schemas of cyder's file formats, for editors' YAML language servers and check-jsonschema.

The schemas are generated from the pydantic models, then adjusted here so that they accept what
cyder accepts: the models' shorthands (`- ssh` for a service, a single name for a flow's `from`)
are applied by validators that pydantic cannot describe, and pydantic copies Python regular
expressions as they are, while JSON Schema validators read ECMA-262 ones.

It lives in the model layer (it was cyder/schema.py) because it reads only the model's types.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from pydantic import BaseModel

from .range import SERVICES, Range
from .scenario import Scenario

Schema = dict[str, Any]

# Characters that ECMA-262 lets a backslash escape in unicode mode (the mode check-jsonschema and
# most validators use): any other escaped punctuation, such as Python's harmless `\"`, is an error.
_ECMA_SYNTAX = set("^$\\.*+?()[]{}|/")


def _schema(model: type[BaseModel], title: str, shorthands: tuple[Callable[[Schema], None], ...]) -> Schema:
    schema = model.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = title
    for add in shorthands:
        add(schema["$defs"])
    _portable_patterns(schema)
    return schema


def range_schema() -> Schema:
    """The JSON Schema of a range file."""
    return _schema(Range, "cyder range", (_service_shorthand, _flow_source_shorthand))


def scenario_schema() -> Schema:
    """The JSON Schema of a scenario file."""
    return _schema(Scenario, "cyder scenario", ())


def schema_text(kind: str) -> str:
    """The schema of a file kind as `cyder schema KIND` prints it and the shipped files hold it."""
    return json.dumps(SCHEMAS[kind](), indent=2, ensure_ascii=False) + "\n"


def shorthand_service_kinds() -> list[str]:
    """Service kinds that may be written as a bare name: those whose other fields all have defaults
    (Host's validator turns `- app` into `{kind: app}` too, but that lacks the app's database)."""
    return [SERVICES.tag_of(cls) for cls in SERVICES.models()
            if all(not f.is_required() for name, f in cls.model_fields.items() if name != SERVICES.tag)]


def _service_shorthand(defs: Schema) -> None:
    """Host.services: `- ssh` stands for `- {kind: ssh}` (Host._short_service_form)."""
    services = defs["Host"]["properties"]["services"]
    services["items"] = {"anyOf": [
        {"type": "string", "enum": shorthand_service_kinds(),
         "description": "a service with its defaults: `- ssh` is `- {kind: ssh}`"},
        services["items"],
    ]}


def _flow_source_shorthand(defs: Schema) -> None:
    """Flow.from: one name stands for a list of that name (Flow._single_source)."""
    source = defs["Flow"]["properties"]["from"]
    items = source.pop("items")
    del source["type"]
    source["anyOf"] = [items, {"type": "array", "items": items}]


def _portable_patterns(node: Any) -> None:
    """Rewrite every `pattern` in a schema as the ECMA-262 regular expression of the same meaning."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                node[key] = ecma_pattern(value)
            else:
                _portable_patterns(value)
    elif isinstance(node, list):
        for item in node:
            _portable_patterns(item)


def ecma_pattern(pattern: str) -> str:
    """A Python regular expression as ECMA-262 (unicode mode) reads it: escaped punctuation that needs
    no escape loses its backslash, `\\-` inside a class keeps it. Only the subset cyder's models use."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escaped = pattern[i + 1]
            if escaped.isalnum() or escaped in _ECMA_SYNTAX or (in_class and escaped == "-"):
                out.append(char)
            out.append(escaped)
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


SCHEMAS = {"range": range_schema, "scenario": scenario_schema}

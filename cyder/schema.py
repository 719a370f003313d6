"""JSON Schemas of cyder's file formats, for editors' YAML language servers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .model.range import Range
from .model.scenario import Scenario


def _schema(model: type[BaseModel], title: str) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = title
    return schema


def range_schema() -> dict[str, Any]:
    """The JSON Schema of a range file."""
    return _schema(Range, "cyder range")


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file."""
    return _schema(Scenario, "cyder scenario")


SCHEMAS = {"range": range_schema, "scenario": scenario_schema}

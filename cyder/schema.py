"""JSON Schemas of cyder's file formats, for editors' YAML language servers."""

from __future__ import annotations

from typing import Any

from .model.range import Range


def range_schema() -> dict[str, Any]:
    """The JSON Schema of a range file."""
    schema = Range.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "cyder range"
    return schema

"""Moved to cyder/model/schema.py (the schemas are read from the model's types only): this shim
keeps the old import path working until every caller imports the new one; it is deleted at the end
of issue 13."""

from .model.schema import (
    SCHEMAS,
    Schema,
    ecma_pattern,
    range_schema,
    scenario_schema,
    schema_text,
    shorthand_service_kinds,
)

__all__ = ["SCHEMAS", "Schema", "ecma_pattern", "range_schema", "scenario_schema", "schema_text",
           "shorthand_service_kinds"]

"""Moved to cyder/model/yamlsource.py (only the model's loaders read YAML): this shim keeps the old
import path working until every caller imports the new one; it is deleted at the end of issue 13."""

from .model.yamlsource import (
    MAX_ALIAS_VALUES,
    MAX_ALIASES,
    MAX_BYTES,
    MAX_DEPTH,
    PathKey,
    SourceMap,
    decode,
    dotted,
    gc_paused,
    load_yaml,
    parse_yaml,
    read_source,
)

__all__ = ["MAX_ALIASES", "MAX_ALIAS_VALUES", "MAX_BYTES", "MAX_DEPTH", "PathKey", "SourceMap", "decode", "dotted",
           "gc_paused", "load_yaml", "parse_yaml", "read_source"]

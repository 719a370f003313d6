"""Moved to cyder/evidence/store.py (the evidence store lives with the evidence it stores; here it
made the evidence and store packages import each other): this shim keeps the old import path
working until every caller imports the new one; it is deleted at the end of issue 13."""

from ..evidence.store import KEY_FIELDS, SCHEMA, EvidenceStore, Query, StoredEvent, default_path, parse_when

__all__ = ["KEY_FIELDS", "SCHEMA", "EvidenceStore", "Query", "StoredEvent", "default_path", "parse_when"]

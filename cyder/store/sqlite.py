"""Moved to cyder/sqlite.py (the base of several layers' stores): this shim keeps the old import
path working until every caller imports the new one; it is deleted at the end of issue 13."""

from ..sqlite import SqliteStore, StorageError

__all__ = ["SqliteStore", "StorageError"]

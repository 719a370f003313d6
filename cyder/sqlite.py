"""One SQLite file shared by threads: the base of cyder's evidence and exercise stores.

Stores hold every team's ground truth (seeds, indicators, the model answer's results), so the
files are readable by their owner only (0600, and the WAL and shared-memory files beside them),
whatever the umask of whoever opens them first. It sits in the base layer (it was
cyder/store/sqlite.py) because stores of several layers build on it: evidence and exercise.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from .errors import CyderError
from .paths import private_folder


class StorageError(CyderError):
    """The store could not be read or written (a full disk, an I/O error): what was being saved is
    still in the caller's hands, and saving it again later works once there is room."""


class _StoreLock:
    """The store's lock: one query at a time across threads, and SQLite's operational errors (disk
    full, I/O error, busy) turned into a StorageError naming the file."""

    def __init__(self, path: Path):
        self._lock = threading.Lock()
        self.path = path

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, kind, exc, tb) -> None:
        self._lock.release()
        if isinstance(exc, sqlite3.OperationalError):
            hint = "; free some space and it is saved again" if "full" in str(exc) else ""
            raise StorageError(f"cannot save to {self.path}: {exc}{hint}") from exc


class SqliteStore:
    """Opens (and creates) a database in WAL mode with its schema; every query holds `_lock`."""

    def __init__(self, path: Path, schema: str, synchronous: str = "NORMAL"):
        self.path = path
        private_folder(self.path.parent)
        self._lock = _StoreLock(self.path)
        old_umask = os.umask(0o077)  # the database, its WAL and its shared memory: owner only
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
        finally:
            os.umask(old_umask)
        for suffix in ("", "-wal", "-shm"):
            try:
                os.chmod(f"{self.path}{suffix}", 0o600)
            except FileNotFoundError:
                pass
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.executescript(schema)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

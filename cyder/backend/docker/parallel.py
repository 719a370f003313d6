"""Running the backend's Docker calls on a bounded thread pool, and counting finished items for progress."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

S = TypeVar("S")
T = TypeVar("T")


def parallel(fn: Callable[[S], T], items: Iterable[S], workers: int) -> list[T]:
    """`fn` over every item on up to `workers` threads; the results in the items' order."""
    todo = list(items)
    if not todo:
        return []
    pool = ThreadPoolExecutor(max_workers=min(workers, len(todo)))
    try:
        return list(pool.map(fn, todo))
    except BaseException:
        # On Ctrl-C or a failure, work not yet started is dropped rather than done and undone.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


class Counter:
    """A thread-safe count of finished items, for progress."""

    def __init__(self, total: int):
        self.total, self._done, self._lock = total, 0, threading.Lock()

    def next(self) -> int:
        """Count one more finished item; return how many have finished."""
        with self._lock:
            self._done += 1
            return self._done

"""Ingest the log collector's lines into the evidence store, and stream new evidence.

The collector (the range's syslog host) writes every host's lines to one file. `EvidenceFeed`
follows that file through the range backend (one long-lived `tail -F`, so lines arrive within
milliseconds), stores each batch of events together with the new read position, and wakes the
streams waiting for evidence. Rsyslog on every host queues its lines while the collector is away,
and the feed resumes from the stored position after a collector or engine restart, so nothing is
lost or stored twice. `sync` does the same in one pass, for commands that only search.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from typing import AsyncIterator, Callable, Iterator

from ..backend.base import BackendError, RangeBackend
from ..services.syslog import SyslogService
from ..sqlite import StorageError
from .parse import Evidence, parse_line
from .store import EvidenceStore, Query, StoredEvent

COLLECTOR_LOG = SyslogService.COLLECTOR_LOG
CHUNK = 4 * 1024 * 1024


def sync(backend: RangeBackend, store: EvidenceStore, team: str, collector: str, chunk: int = CHUNK) -> int:
    """Store every complete line the collector has written since the last sync; return how many."""
    position = store.position(team, collector, COLLECTOR_LOG)
    added = 0
    while True:
        size, data = backend.read_file_from(team, collector, COLLECTOR_LOG, position, chunk)
        if size < position:
            # A new range for the team: its collector's file starts again from the beginning.
            position = 0
            continue
        end = data.rfind(b"\n")
        if end < 0:
            return added  # nothing new, or only the start of a line still being written
        lines = data[:end + 1].decode("utf-8", errors="replace").splitlines()
        events = [e for e in map(parse_line, lines) if e is not None]
        position += end + 1
        added += store.add(team, events, collector, COLLECTOR_LOG, position)
        if len(data) < chunk:
            return added


BatchObserver = Callable[[list[Evidence], float], None]


class EvidenceFeed:
    """A team's live evidence: follows the collector into the store and serves streams and searches.

    `run()` is the ingest loop (an asyncio task for the engine's lifetime); `stream()` yields new
    matching events as they are stored; `search()` queries everything stored so far.
    """

    def __init__(self, backend: RangeBackend, store: EvidenceStore, team: str, collector: str,
                 batch_seconds: float = 0.05, retry_seconds: float = 1.0):
        self.backend = backend
        self.store = store
        self.team = team
        self.collector = collector
        self.batch_seconds = batch_seconds
        self.retry_seconds = retry_seconds
        self.observers: list[BatchObserver] = []
        self.stored = 0
        self.reconnects = 0
        self.problem: str | None = None
        self.on_problem: Callable[[str | None], None] = lambda _: None
        self._arrived: asyncio.Condition | None = None
        self._stream = None

    async def run(self) -> None:
        """Follow the collector until cancelled, reconnecting whenever the stream breaks. When the
        store cannot take a batch (a full disk), the feed says so through `on_problem` and tries
        again from the stored position: nothing is lost, nothing stored twice."""
        self._arrived = self._arrived or asyncio.Condition()
        while True:
            try:
                await self._follow_once()
                self._set_problem(None)
            except BackendError:
                pass  # the collector is restarting or gone for a moment: try again
            except StorageError as exc:
                self._set_problem(str(exc))
            self.reconnects += 1
            await asyncio.sleep(self.retry_seconds)

    def _set_problem(self, problem: str | None) -> None:
        """Remember the current storage problem and tell whoever listens when it starts or ends."""
        if problem != self.problem:
            self.problem = problem
            self.on_problem(problem)

    async def _follow_once(self) -> None:
        """Stream the collector's file from the stored position until the stream ends."""
        loop = asyncio.get_running_loop()
        position = await asyncio.to_thread(self.store.position, self.team, self.collector, COLLECTOR_LOG)
        size, _ = await asyncio.to_thread(self.backend.read_file_from, self.team, self.collector,
                                          COLLECTOR_LOG, position, 0)
        if size < position:
            position = 0  # a new range for the team: its collector's file starts again
        stream = await asyncio.to_thread(self.backend.follow_file, self.team, self.collector, COLLECTOR_LOG, position)
        self._stream = stream
        chunks: asyncio.Queue[bytes | None] = asyncio.Queue()

        def read() -> None:
            try:
                for chunk in stream:
                    loop.call_soon_threadsafe(chunks.put_nowait, chunk)
            except Exception:  # noqa: BLE001 - any transport error ends this stream; run() reconnects
                pass
            finally:
                loop.call_soon_threadsafe(chunks.put_nowait, None)

        reader = threading.Thread(target=read, name=f"evidence-{self.team}", daemon=True)
        reader.start()
        pending = b""
        try:
            ended = False
            while not ended:
                chunk = await chunks.get()
                if chunk is None:
                    break
                pending += chunk
                # Gather what else arrives within a short window: fewer, larger transactions.
                deadline = loop.time() + self.batch_seconds
                while (remaining := deadline - loop.time()) > 0:
                    try:
                        more = await asyncio.wait_for(chunks.get(), remaining)
                    except asyncio.TimeoutError:
                        break
                    if more is None:
                        ended = True
                        break
                    pending += more
                end = pending.rfind(b"\n")
                if end < 0:
                    continue
                complete, pending = pending[:end + 1], pending[end + 1:]
                position += len(complete)
                await self._store(complete, position)
        finally:
            stream.close()
            self._stream = None

    async def _store(self, complete: bytes, position: int) -> None:
        """Parse and store whole lines with the position after them; wake the streams."""
        lines = complete.decode("utf-8", errors="replace").splitlines()
        events = [e for e in map(parse_line, lines) if e is not None]
        await asyncio.to_thread(self.store.add, self.team, events, self.collector, COLLECTOR_LOG, position)
        stored_at = time.time()
        self.stored += len(events)
        for observer in self.observers:
            observer(events, stored_at)
        async with self._arrived:
            self._arrived.notify_all()

    def close(self) -> None:
        """Break the current stream (run() would reconnect; cancel its task to stop for good)."""
        if self._stream is not None:
            self._stream.close()

    async def stream(self, query: Query, from_start: bool = False) -> AsyncIterator[StoredEvent]:
        """New evidence matching the query as it is stored (an endless async iterator).

        With `from_start`, what is already stored comes first, in arrival order.
        """
        self._arrived = self._arrived or asyncio.Condition()
        query = dataclasses.replace(query, team=self.team)
        last_id = 0 if from_start else await asyncio.to_thread(self.store.last_id)
        while True:
            found = await asyncio.to_thread(lambda: list(self.store.search(dataclasses.replace(query, after_id=last_id))))
            for event in found:
                last_id = max(last_id, event.id)
                yield event
            if not found:
                async with self._arrived:
                    try:
                        await asyncio.wait_for(self._arrived.wait(), 1.0)
                    except asyncio.TimeoutError:
                        pass

    def search(self, query: Query) -> Iterator[StoredEvent]:
        """Stored evidence of this team matching the query, in time order."""
        return self.store.search(dataclasses.replace(query, team=self.team))

"""Ingest the log collector's lines into the evidence store, and stream new evidence.

The collector (the range's syslog host) writes every host's lines to one file; ingestion reads it
from where it last stopped, in whole lines, through the range backend, and stores the events and
the new position together. Rsyslog on every host queues its lines while the collector is away,
so a collector restart loses nothing; an ingester restart resumes from the stored position.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import AsyncIterator

from ..backend.base import RangeBackend
from ..store.evidence import EvidenceStore, Query, StoredEvent
from .parse import parse_line

COLLECTOR_LOG = "/var/log/remote/all.log"
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


async def stream(backend: RangeBackend, store: EvidenceStore, query: Query, collector: str,
                 interval: float = 0.5) -> AsyncIterator[StoredEvent]:
    """New evidence matching the query, as it arrives (an endless async iterator)."""
    last_id = store.last_id()
    while True:
        await asyncio.to_thread(sync, backend, store, query.team, collector)
        found = list(store.search(dataclasses.replace(query, after_id=last_id)))
        for event in found:
            last_id = max(last_id, event.id)
            yield event
        if not found:
            await asyncio.sleep(interval)

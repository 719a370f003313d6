"""The event bus of one team's engine: what the engine emits reaches its `on_event` callback and
every listener (an interface's async iterator), from the engine's loop or from the worker threads
that carry out the team's actions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from .protocol import EventKind, ExerciseEvent

__all__ = ["EventBus", "ExerciseEvent", "running_loop"]


class EventBus:
    """Hands each event to the `on_event` callback, then to every listener that wants its kind."""

    def __init__(self, on_event: Callable[[ExerciseEvent], None] | None = None) -> None:
        self.on_event = on_event
        self.loop: asyncio.AbstractEventLoop | None = None  # the engine's loop, once it runs
        self._listeners: list[tuple[asyncio.Queue[ExerciseEvent], frozenset[EventKind] | None]] = []

    def emit(self, kind: EventKind, time: float, data: Mapping[str, Any]) -> None:
        """Publish an event that happened at `time` (seconds of exercise time)."""
        event = ExerciseEvent(kind, time, data)
        if self.on_event:
            self.on_event(event)
        loop = self.loop
        # The team's actions run in worker threads; queues belong to the engine's loop.
        other_loop = None if loop is None or running_loop() is loop else loop
        for listener, kinds in self._listeners:
            if kinds is not None and kind not in kinds:
                continue
            if other_loop is None:
                listener.put_nowait(event)
            else:
                other_loop.call_soon_threadsafe(listener.put_nowait, event)

    async def events(self, kinds: frozenset[EventKind] | None = None) -> AsyncIterator[ExerciseEvent]:
        """Every event from now on, or those of some kinds (an endless async iterator)."""
        queue: asyncio.Queue[ExerciseEvent] = asyncio.Queue()
        listener = (queue, kinds)
        self._listeners.append(listener)
        try:
            while True:
                yield await queue.get()
        finally:
            self._listeners.remove(listener)


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running in this thread, if any."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None

"""The application factory: builds cyder's stores, its range backend and the teams' exercises once.

A command (or a test) makes one `Application` from `Settings` and asks it for what it needs: the
exercise store, the evidence store, the backend, a team's exercise. Each is built on first need
and only once; `close()` closes what was opened and nothing else. The real backend is Docker,
imported only when a command first needs it (so `cyder validate` never loads the Docker SDK); tests
pass their own backend factory. The engine's modules are imported on first need too, so a command
that needs none of them (`cyder --help`, `validate`) starts at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .backend.base import RangeBackend
    from .evidence.store import EvidenceStore
    from .exercise.engine import Exercise
    from .exercise.opening import ExerciseOptions
    from .exercise.protocol import ExerciseEvent
    from .exercise.store import ExerciseStore


@dataclass(frozen=True)
class Settings:
    """Where cyder keeps its data (None: the default file under $CYDER_DATA)."""

    exercise_store: Path | None = None
    evidence_store: Path | None = None  # None: beside a named exercise store as cyder.sqlite, else the default

    @property
    def evidence_path(self) -> Path | None:
        """The evidence database: as set, else beside a named exercise store, else None (the default)."""
        if self.evidence_store is not None:
            return self.evidence_store
        return self.exercise_store.with_name("cyder.sqlite") if self.exercise_store is not None else None


def docker_backend() -> RangeBackend:
    """The Docker backend (the Docker SDK is imported only now)."""
    from .backend.docker import DockerBackend

    return DockerBackend()


class Application:
    """Builds the stores, the backend and the exercises once; commands ask it for what they need."""

    def __init__(self, settings: Settings | None = None,
                 backend: Callable[[], RangeBackend] = docker_backend) -> None:
        self.settings = settings or Settings()
        self._make_backend = backend

    @cached_property
    def exercises(self) -> ExerciseStore:
        """The exercise store (opened on first use)."""
        from .exercise.store import ExerciseStore

        return ExerciseStore(self.settings.exercise_store)

    @cached_property
    def evidence(self) -> EvidenceStore:
        """The evidence store (opened on first use)."""
        from .evidence.store import EvidenceStore

        return EvidenceStore(self.settings.evidence_path)

    @cached_property
    def backend(self) -> RangeBackend:
        """The range backend, built on first use."""
        return self._make_backend()

    def open_exercise(self, team: str, scenario: str | None = None, options: ExerciseOptions | None = None,
                      *, needs_range: bool = True, collect_evidence: bool = False,
                      on_event: Callable[[ExerciseEvent], None] | None = None) -> Exercise:
        """The team's exercise, resumed or started by `exercise.opening`'s rules. Without
        `needs_range` (submissions, the debrief) it gets an `OfflineBackend` and no Docker engine
        is reached; with `collect_evidence` (play, run) it stores the range's evidence in the
        evidence store."""
        from .backend.offline import OfflineBackend
        from .exercise.opening import ExerciseOptions, open_exercise

        backend = self.backend if needs_range else OfflineBackend()
        evidence = (lambda: self.evidence) if collect_evidence else None
        return open_exercise(backend, self.exercises, team, scenario, options or ExerciseOptions(),
                             evidence=evidence, on_event=on_event)

    def close(self) -> None:
        """Close the stores that were opened (and only those)."""
        for name in ("exercises", "evidence"):
            store = self.__dict__.pop(name, None)
            if store is not None:
                store.close()

    def __enter__(self) -> Application:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

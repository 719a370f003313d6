"""The trainee app's messages: how panes, workers and the command palette tell the app what
happened or what the team asked for.

Panes never call back into the app: they post one of these, and the app's `@on` handlers own
every state change (toasts, tab labels, the status line, focus, read marks). Posting is
thread-safe, so thread workers post too instead of using `call_from_thread`.

Every message has the namespace `cyder`, so its default handler name (`on_cyder_notify` ...)
never collides with Textual's own (`App._on_notify` handles Textual's `Notify`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from ..exercise.protocol import ExerciseEvent, HostDetail, HostState, Progress, StoredEvent


# -- what a pane asks the app to do -----------------------------------------------------------------


@dataclass
class Notify(Message, namespace="cyder"):
    """A toast for the team. The text may carry range data: the app shows it literally, on one line."""

    message: str
    severity: SeverityLevel = "information"


@dataclass
class InjectShown(Message, namespace="cyder"):
    """The team can see an unread message in the inbox: the app marks it read."""

    inject: str


@dataclass
class OpenShell(Message, namespace="cyder"):
    """Open a real shell in a host (the app steps aside until it exits)."""

    host: str


@dataclass
class ActionTaken(Message, namespace="cyder"):
    """A response action was carried out on the range (posted from the thread that ran it)."""

    action: str
    params: dict[str, str]
    outcome: str


# -- what the command palette asks for ----------------------------------------------------------------


@dataclass
class ShowTab(Message, namespace="cyder"):
    """Open a tab."""

    tab: str


@dataclass
class FocusField(Message, namespace="cyder"):
    """Open a tab and put the cursor in one of its widgets (a CSS selector)."""

    tab: str
    selector: str


@dataclass
class ChooseAction(Message, namespace="cyder"):
    """Open the actions tab with an action chosen."""

    name: str


@dataclass
class ChooseReport(Message, namespace="cyder"):
    """Open the reports tab with a report chosen."""

    report: str


@dataclass
class AskHint(Message, namespace="cyder"):
    """Open the score tab and ask for a step's next hint."""

    step: str


@dataclass
class ShowHelp(Message, namespace="cyder"):
    """Show the keys of the open tab."""


@dataclass
class Quit(Message, namespace="cyder"):
    """Save the open draft and close the app (the exercise clock stops)."""


# -- what workers found ---------------------------------------------------------------------------------


@dataclass
class EngineEvent(Message, namespace="cyder"):
    """Something the engine emitted (an event with `kind` and `data`)."""

    event: ExerciseEvent


@dataclass
class Prepared(Message, namespace="cyder"):
    """Progress while the range comes up (posted from the engine's bring-up)."""

    progress: Progress


@dataclass
class HostStates(Message, namespace="cyder"):
    """Every host's state, read in a thread."""

    states: dict[str, HostState]


@dataclass
class HostLoaded(Message, namespace="cyder"):
    """A host's details (or why they could not be read), read in a thread."""

    host: str
    detail: HostDetail | None
    error: str = ""


@dataclass
class EvidenceFound(Message, namespace="cyder"):
    """Events for the evidence list: a search's results (replace) or new live events (append)."""

    events: list[StoredEvent]
    replace: bool
    status: str
    live: bool
    after: int | None = None


@dataclass
class EventListMoved(Message, namespace="cyder"):
    """The evidence list's cursor moved; `following` says whether the list follows new lines."""

    following: bool

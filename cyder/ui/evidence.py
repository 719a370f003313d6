"""The evidence area: a live feed of every log line and searches over all of them.

`EventList` renders only the lines on screen (the toolong way), so its cost does not grow with
the number of events, and it keeps at most `max_lines`: the live view drops its oldest lines and
a search shows its newest matches. Searching and polling run in threads; only message handlers
touch widgets.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input, Static

from ..exercise.protocol import Query, StoredEvent, TeamSession
from .dialogs import MessageScreen
from .messages import EventListMoved, EvidenceFound
from .text import literal, one_line

LIVE_LINES = 5000
SEARCH_LIMIT = 5000
POLL_SECONDS = 0.25  # a poll for new events reads only the id range: about 0.2 ms over a million
LINE_WIDTH = 400


def event_line(stored: StoredEvent) -> Text:
    """One event as a list line: time, host, kind, then the raw log line (literally)."""
    e = stored.evidence
    line = Text(no_wrap=True)
    line.append(time.strftime("%H:%M:%S ", time.localtime(e.time)), "dim")
    line.append(f"{one_line(e.host)[:14]:<14} ", "bold")  # the host name comes from the log line itself
    line.append(f"{one_line(e.kind)[:13]:<13} ", "italic")
    line.append(one_line(e.raw))
    return line


def event_details(stored: StoredEvent) -> Text:
    """Everything about one event, for its detail view (literally)."""
    e = stored.evidence
    text = Text()
    text.append(time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.time)) + f"  #{stored.id}\n", "bold")
    for name, value in (("host", e.host), ("source", e.source), ("kind", e.kind), *sorted(e.fields.items())):
        text.append(f"{name:<12}", "dim")
        text.append(literal(value))
        text.append("\n")
    text.append("\n")
    text.append(literal(e.raw))
    return text


class EventList(ScrollView, can_focus=True):
    """A list of events that renders only its visible lines and keeps at most `max_lines`."""

    BINDINGS = [
        Binding("up", "move(-1)", show=False), Binding("down", "move(1)", show=False),
        Binding("pageup", "move(-20)", show=False), Binding("pagedown", "move(20)", show=False),
        Binding("home", "first", show=False), Binding("end", "last", "Follow", id="evidence.follow", show=False),
        Binding("enter", "details", "Details", id="evidence.details"),
    ]
    cursor = reactive(0, always_update=True)

    def __init__(self, max_lines: int = LIVE_LINES, **kwargs):
        super().__init__(**kwargs)
        self.max_lines = max_lines
        self.events: list[StoredEvent] = []
        self.following = True

    def set_events(self, events: list[StoredEvent]) -> None:
        """Show these events (the newest `max_lines` of them), cursor on the last."""
        self.events = list(events)[-self.max_lines:]
        self.following = True
        self._resize()
        self.action_last()

    def append(self, events: list[StoredEvent]) -> None:
        """Add new events at the end, dropping the oldest beyond the bound."""
        if not events:
            return
        self.events.extend(events)
        dropped = max(0, len(self.events) - self.max_lines)
        if dropped:
            del self.events[:dropped]
            if not self.following:
                self.cursor = max(0, self.cursor - dropped)
        self._resize()
        if self.following:
            self.action_last()
        else:
            self.refresh()

    def _resize(self) -> None:
        self.virtual_size = Size(LINE_WIDTH, len(self.events))

    def render_line(self, y: int) -> Strip:
        """Only the lines on screen are ever built."""
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        if index >= len(self.events):
            return Strip.blank(width, self.rich_style)
        line = event_line(self.events[index])
        if index == self.cursor and self.has_focus:
            line.stylize("reverse")
        elif index == self.cursor:
            line.stylize("underline")
        strip = Strip(line.render(self.app.console), line.cell_len)
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width, self.rich_style)

    def watch_cursor(self, _: int) -> None:
        self.scroll_to_region_cursor()
        self.refresh()

    def scroll_to_region_cursor(self) -> None:
        """Keep the cursor's line in view."""
        top, height = self.scroll_offset.y, self.size.height
        if height <= 0:
            return
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def action_move(self, delta: int) -> None:
        """Move the cursor; moving away from the last line stops following."""
        if not self.events:
            return
        self.cursor = max(0, min(len(self.events) - 1, self.cursor + delta))
        self._set_following(self.cursor == len(self.events) - 1)

    def action_first(self) -> None:
        """Go to the oldest line shown."""
        self.cursor = 0
        self._set_following(len(self.events) <= 1)

    def action_last(self) -> None:
        """Go to the newest line and follow new ones."""
        self.cursor = max(0, len(self.events) - 1)
        # After the next layout, when the new virtual size is known.
        self.call_after_refresh(self.scroll_end, animate=False, immediate=True)
        self._set_following(True)

    def _set_following(self, following: bool) -> None:
        if following != self.following:
            self.following = following
            self.post_message(EventListMoved(following))

    def action_details(self) -> None:
        """Open the event under the cursor."""
        if self.events:
            stored = self.events[self.cursor]
            self.app.push_screen(MessageScreen(f"{stored.evidence.host} {stored.evidence.kind}", event_details(stored)))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


class EvidencePane(Vertical):
    """Search box, status line and the event list; live when the search box is empty."""

    BINDINGS = [Binding("slash", "focus_search", "Search", id="evidence.search"),
                Binding("escape", "live", "Live", id="evidence.live")]

    def __init__(self, exercise: TeamSession, tr, **kwargs):
        super().__init__(**kwargs)
        self.exercise, self.tr = exercise, tr
        self.live = True
        self.loaded = False  # polling starts once the newest events are in the list
        self.last_id = 0
        self.total = 0

    def compose(self) -> ComposeResult:
        yield Input(placeholder=self.tr("evidence.placeholder"), id="evidence-query", compact=True)
        yield Static("", id="evidence-status")
        yield EventList(id="evidence-list")

    def on_mount(self) -> None:
        self.load_live()
        self.set_interval(POLL_SECONDS, self.poll)

    @work(thread=True, exclusive=True, group="evidence-live", exit_on_error=False)
    def load_live(self) -> None:
        """The newest events, to start the live view."""
        newest = self.exercise.search(Query(self.exercise.team, limit=500, newest_first=True))
        total = self.exercise.evidence_count()
        events = list(reversed(newest))
        self.total = total
        self.post_message(EvidenceFound(events, True, "", True, after=max((e.id for e in events), default=0)))

    def poll(self) -> None:
        """Look for new events (in a thread) while live."""
        if self.live and self.loaded:
            self._poll()

    @work(thread=True, exclusive=True, group="evidence-poll", exit_on_error=False)
    def _poll(self) -> None:
        events = self.exercise.evidence_after(self.last_id, 2000)
        if events:
            self.total += len(events)  # counting a million rows again on every poll costs 0.1 s
            self.post_message(EvidenceFound(events, False, "", True, after=events[-1].id))

    @on(EvidenceFound)
    def show_found(self, message: EvidenceFound) -> None:
        """Put events into the list (on the app's thread)."""
        if message.live != self.live:
            return  # the view changed mode while this was on its way
        event_list = self.query_one(EventList)
        if message.after is not None:
            self.last_id = max(self.last_id, message.after)
        if message.replace:
            event_list.set_events(message.events)
            self.loaded = self.live
        else:
            event_list.append(message.events)
        self._status(message.status)

    def _status(self, status: str = "") -> None:
        event_list = self.query_one(EventList)
        if not status and self.live:
            status = self.tr("evidence.live", shown=len(event_list.events), total=max(self.total, len(event_list.events)))
            if not event_list.following:
                status += "  " + self.tr("evidence.paused")
        if status:
            self.query_one("#evidence-status", Static).update(literal(status))

    @on(EventListMoved)
    def moved(self, _: EventListMoved) -> None:
        """Say whether the live view is following."""
        if self.live:
            self._status()

    @on(Input.Submitted, "#evidence-query")
    def submitted(self, event: Input.Submitted) -> None:
        """Search for what was typed; an empty search returns to the live view."""
        words = event.value.split()
        if not words:
            self.action_live()
            return
        try:
            query = Query.parse(self.exercise.team, words, limit=SEARCH_LIMIT, newest_first=True)
        except ValueError as exc:
            self.query_one("#evidence-status", Static).update(literal(self.tr("evidence.bad", error=exc)))
            return
        self.live = False
        self.query_one("#evidence-status", Static).update(self.tr("evidence.searching"))
        self.search(query)
        self.query_one(EventList).focus()

    @work(thread=True, exclusive=True, group="evidence-search", exit_on_error=False)
    def search(self, query: Query) -> None:
        """Run a search (in a thread) and post its newest matches in time order."""
        started = time.perf_counter()
        found = list(reversed(self.exercise.search(query)))
        elapsed = round((time.perf_counter() - started) * 1000)
        more = self.tr("evidence.more") if len(found) >= SEARCH_LIMIT else ""
        self.post_message(EvidenceFound(found, True, self.tr("evidence.found", shown=len(found), more=more, ms=elapsed),
                                        False))

    def action_focus_search(self) -> None:
        """Put the cursor in the search box."""
        self.query_one("#evidence-query", Input).focus()

    def action_live(self) -> None:
        """Back to the live feed."""
        self.query_one("#evidence-query", Input).value = ""
        self.live, self.loaded = True, False
        self.last_id = 0
        self.load_live()
        self.query_one(EventList).focus()

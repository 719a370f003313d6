"""The host view: a host's addresses, services, processes and latest logs, and a real shell into it."""

from __future__ import annotations

import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..errors import CyderError
from ..exercise.protocol import HostDetail, HostState, TeamSession
from .messages import HostLoaded, OpenShell
from .overview import STATE_MARKS
from .text import literal, literal_line, one_line


class HostsPane(Horizontal):
    """Hosts on the left; the chosen host's details on the right."""

    BINDINGS = [Binding("s", "shell", "Shell", id="hosts.shell"),
                Binding("r", "reload", "Refresh", id="hosts.refresh")]

    def __init__(self, exercise: TeamSession, tr, **kwargs):
        super().__init__(**kwargs)
        self.exercise, self.tr = exercise, tr
        self.hosts = [h.name for h in exercise.running_range.hosts]
        self.states: dict[str, HostState] = {}

    def compose(self) -> ComposeResult:
        yield OptionList(*[Option(name, id=name) for name in self.hosts], id="host-list")
        with Vertical(id="host-side"):
            yield Static(self.tr("hosts.hint"), id="host-hint")
            with VerticalScroll(id="host-view"):
                yield Static(self.tr("hosts.pick"), id="host-detail")

    @property
    def current(self) -> str | None:
        """The highlighted host."""
        highlighted = self.query_one("#host-list", OptionList).highlighted
        return self.hosts[highlighted] if highlighted is not None else None

    def show_states(self, states: dict[str, HostState]) -> None:
        """Mark each host with its state."""
        self.states = states
        listing = self.query_one("#host-list", OptionList)
        for index, name in enumerate(self.hosts):
            mark, colour = STATE_MARKS.get(states.get(name, ""), ("·", "dim"))
            listing.replace_option_prompt_at_index(index, Text.assemble((mark + " ", colour), name))

    @on(OptionList.OptionHighlighted, "#host-list")
    def highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Read the highlighted host's details."""
        self.query_one("#host-detail", Static).update(self.tr("hosts.loading", host=event.option.id))
        self.load(event.option.id)

    def action_reload(self) -> None:
        """Read the current host again."""
        if self.current:
            self.load(self.current)

    @work(thread=True, exclusive=True, group="host-detail", exit_on_error=False)
    def load(self, host: str) -> None:
        """Read a host's details in a thread."""
        try:
            self.post_message(HostLoaded(host, self.exercise.host_detail(host)))
        except CyderError as exc:
            self.post_message(HostLoaded(host, None, str(exc)))

    @on(HostLoaded)
    def loaded(self, message: HostLoaded) -> None:
        """Show what was read (if the host is still the one chosen)."""
        if message.host != self.current:
            return
        detail = self.query_one("#host-detail", Static)
        detail.update(literal(message.error) if message.detail is None else self.render_detail(message.detail))

    def render_detail(self, detail: HostDetail) -> Text:
        """State, addresses, services, processes and recent logs; range data literally."""
        tr, text = self.tr, Text()
        text.append(f"{detail['host']}  ", "bold")
        text.append(f"{tr('hosts.state')}: {one_line(detail['state'])}\n", "dim")
        text.append(f"{tr('hosts.addresses')}: ", "dim")
        text.append(one_line(", ".join(f"{seg} {addr}" for seg, addr in detail["addresses"].items()) or "-"))
        text.append(f"\n{tr('hosts.services')}: ", "dim")
        for name, ok in detail["services"].items():
            text.append(f"{one_line(name)} ", "")
            text.append("ok  " if ok else "DOWN  ", "green" if ok else "bold red")
        text.append(f"\n\n{tr('hosts.processes')}\n", "bold")
        for line in detail["processes"]:
            text.append_text(literal_line(line))
            text.append("\n")
        text.append(f"\n{tr('hosts.logs')}\n", "bold")
        for stored in detail["logs"]:
            text.append(time.strftime("%H:%M:%S ", time.localtime(stored.evidence.time)), "dim")
            text.append_text(literal_line(stored.evidence.raw))
            text.append("\n")
        return text

    def action_shell(self) -> None:
        """Open a shell in the current host (the app steps aside until it exits)."""
        if self.current:
            self.post_message(OpenShell(self.current))

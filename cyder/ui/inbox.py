"""The inbox: injects from the monitoring company, the supervisor, the CSIRT or a vendor, with
unread marks and deadlines; bodies shown literally."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..exercise.protocol import DeliveredInject, TeamSession
from .messages import InjectShown
from .overview import clock_text
from .text import literal, literal_line


class InboxPane(Horizontal):
    """Messages on the left (newest first), the selected one on the right."""

    def __init__(self, exercise: TeamSession, tr, **kwargs):
        super().__init__(**kwargs)
        self.exercise, self.tr = exercise, tr
        self.order: list[str] = []
        self.tab_open = False  # whether the inbox tab is the one open (the app sets it when tabs change)

    def compose(self) -> ComposeResult:
        yield OptionList(id="inbox-list")
        with VerticalScroll(id="inbox-view"):
            yield Static(self.tr("inbox.empty"), id="inbox-body")

    def on_mount(self) -> None:
        self.refresh_data()

    def unread(self) -> int:
        """How many delivered injects the team has not opened."""
        return len(set(self.exercise.injects) - self.exercise.read_injects())

    def refresh_data(self) -> None:
        """List the injects again (keeping the selection)."""
        ex = self.exercise
        listing = self.query_one("#inbox-list", OptionList)
        selected = listing.highlighted
        current = self.order[selected] if selected is not None and selected < len(self.order) else None
        read = ex.read_injects()
        injects = sorted(ex.injects.values(), key=lambda i: i["due"], reverse=True)
        self.order = [i["id"] for i in injects]
        listing.clear_options()
        for inject in injects:
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append("● " if inject["id"] not in read else "  ", "bold")
            line.append(clock_text(inject["due"]) + " ", "dim")
            line.append_text(literal_line(self.tr.pick(inject["subject"]), "" if inject["id"] in read else "bold"))
            listing.add_option(Option(line, id=inject["id"]))
        if current in self.order:
            listing.highlighted = self.order.index(current)
        elif self.order and selected is None:
            listing.highlighted = 0

    @on(OptionList.OptionHighlighted, "#inbox-list")
    def show(self, event: OptionList.OptionHighlighted) -> None:
        """Show the highlighted message and mark it read."""
        inject = self.exercise.injects.get(event.option.id or "")
        if inject is None:
            return
        self.query_one("#inbox-body", Static).update(self.render_inject(inject))
        self.opened()

    def opened(self) -> None:
        """Say that the shown message is seen, once the team can see it (the inbox tab is open);
        the app marks it read."""
        listing = self.query_one("#inbox-list", OptionList)
        if not self.tab_open or listing.highlighted is None or listing.highlighted >= len(self.order):
            return
        inject = self.order[listing.highlighted]
        if inject not in self.exercise.read_injects():
            self.post_message(InjectShown(inject))

    def render_inject(self, inject: DeliveredInject) -> Text:
        """Headers, deadline and body of a message, all literal."""
        tr, text = self.tr, Text()
        for label, value in ((tr("inbox.from"), tr.pick(inject["sender"])), (tr("inbox.to"), inject.get("recipient", "")),
                             (tr("inbox.received"), clock_text(inject["due"]))):
            text.append(f"{label}: ", "dim")
            text.append_text(literal(value))
            text.append("\n")
        deadline = inject.get("deadline")
        if deadline is not None:
            left = deadline - self.exercise.now()
            text.append(f"{tr('inbox.deadline')}: ", "dim")
            text.append(clock_text(deadline) + "  ")
            text.append(tr("inbox.left", time=clock_text(left)) if left > 0 else tr("inbox.overdue"),
                        "yellow" if left > 0 else "red")
            text.append("\n")
        text.append("\n")
        text.append_text(literal(tr.pick(inject["subject"]), "bold"))
        text.append("\n\n")
        text.append_text(literal(tr.pick(inject["body"])))
        return text

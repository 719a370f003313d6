"""Modal dialogs: a yes/no confirmation, a message shown literally, and the key help."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from .text import literal


class ConfirmScreen(ModalScreen[bool]):
    """Asks before anything that changes the range or the score; dismisses with True or False."""

    BINDINGS = [Binding("escape", "answer(False)", "No", id="dialog.no", show=False),
                Binding("y", "answer(True)", "Yes", id="dialog.yes", show=False)]

    def __init__(self, question: str, yes: str, no: str):
        super().__init__()
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(literal(self.question), classes="question")
            with Horizontal(classes="buttons"):
                yield Button(self.yes, id="yes", variant="warning")
                yield Button(self.no, id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Yes or no."""
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        """Answer from the keyboard (y, or escape for no)."""
        self.dismiss(answer)


class MessageScreen(ModalScreen[None]):
    """Shows a title and a body (range data, shown literally) until closed."""

    BINDINGS = [Binding("escape", "close", "Close", id="dialog.close")]

    def __init__(self, title: str, body: str | Text):
        super().__init__()
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(literal(self.title_text, "bold"), classes="title")
            with VerticalScroll(classes="body"):
                yield Static(self.body if isinstance(self.body, Text) else literal(self.body), id="message-body")
            with Horizontal(classes="buttons"):
                yield Button("OK", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, _: Button.Pressed) -> None:
        """Close."""
        self.dismiss(None)

    def action_close(self) -> None:
        """Close from the keyboard."""
        self.dismiss(None)

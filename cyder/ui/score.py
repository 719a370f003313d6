"""The score: a bar per phase, the ledger with every entry's reason, and the hints with their cost."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from ..errors import CyderError
from ..exercise.protocol import HintOffer, TeamSession
from ..model.rubric import PHASES
from .dialogs import ConfirmScreen, MessageScreen
from .messages import Notify
from .overview import clock_text
from .text import literal, literal_line, pad

BAR_WIDTH = 30


def phase_bars(totals: dict[str, float], maximums: dict[str, float], tr) -> Text:
    """One bar per phase: points earned against the phase's maximum."""
    text = Text()
    for phase in (*PHASES, "total"):
        got, top = totals.get(phase, 0.0), maximums.get(phase, 0.0)
        share = max(0.0, min(1.0, got / top)) if top else 0.0
        filled = round(share * BAR_WIDTH)
        text.append(pad(tr("phase." + phase), 10) + " ", "bold" if phase == "total" else "")
        text.append("█" * filled, "green" if got >= 0 else "red")
        text.append("░" * (BAR_WIDTH - filled), "dim")
        text.append(f" {got:>6g} / {top:g}\n")
    return text


class ScorePane(Vertical):
    """Bars, ledger and hints."""

    BINDINGS = [Binding("h", "hint", "Hint", id="score.hint")]

    def __init__(self, exercise: TeamSession, tr, **kwargs):
        super().__init__(**kwargs)
        self.exercise, self.tr = exercise, tr

    def compose(self) -> ComposeResult:
        yield Static(id="score-bars")
        yield Static(self.tr("score.ledger"), classes="label")
        yield DataTable(id="ledger", cursor_type="row", zebra_stripes=True)
        yield Static(self.tr("score.hints"), classes="label")
        yield DataTable(id="hints", cursor_type="row")

    def on_mount(self) -> None:
        tr = self.tr
        self.query_one("#ledger", DataTable).add_columns(tr("score.when"), tr("score.points"), tr("score.phase"),
                                                          tr("score.reason"))
        self.query_one("#hints", DataTable).add_columns(tr("score.step"), tr("score.taken"), tr("score.cost"))
        self.refresh_data()

    def refresh_data(self) -> None:
        """Redraw bars, ledger and hints."""
        ex, tr = self.exercise, self.tr
        self.query_one("#score-bars", Static).update(phase_bars(ex.totals(), ex.maximums(), tr))
        ledger = self.query_one("#ledger", DataTable)
        ledger.clear()
        for entry in ex.ledger():
            ledger.add_row(clock_text(entry.time), Text(f"{entry.points:+g}", "green" if entry.points > 0 else "red"),
                           tr("phase." + entry.phase), literal_line(entry.reason))
        if ledger.row_count:
            ledger.move_cursor(row=ledger.row_count - 1)
        hints = self.query_one("#hints", DataTable)
        hints.clear()
        for offer in ex.hint_offers():
            cost = tr("score.none_left") if offer["next_cost"] is None else f"-{offer['next_cost']:g}"
            hints.add_row(offer["step"], f"{offer['taken']}/{offer['offered']}", cost, key=offer["step"])

    @on(DataTable.RowSelected, "#hints")
    def hint_row(self, event: DataTable.RowSelected) -> None:
        """Enter on a hint's row takes its next tier."""
        self.take_hint(str(event.row_key.value))

    def action_hint(self) -> None:
        """Take the next hint of the highlighted step."""
        hints = self.query_one("#hints", DataTable)
        if hints.row_count:
            self.take_hint(str(hints.coordinate_to_cell_key(hints.cursor_coordinate).row_key.value))

    def take_hint(self, step: str) -> None:
        """Ask (showing the cost), then show the hint and every earlier one for the step."""
        offer = next((o for o in self.exercise.hint_offers() if o["step"] == step), None)
        if offer is None:
            return
        if offer["next_cost"] is None:
            self.show_hints(offer)
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.exercise.take_hint(step)
            except CyderError as exc:
                self.post_message(Notify(str(exc), "error"))
                return
            self.refresh_data()
            self.show_hints(next(o for o in self.exercise.hint_offers() if o["step"] == step))

        question = self.tr("score.hint_confirm", tier=offer["taken"] + 1, step=step, cost=offer["next_cost"])
        self.app.push_screen(ConfirmScreen(question, self.tr("dlg.yes"), self.tr("dlg.no")), answered)

    def show_hints(self, offer: HintOffer) -> None:
        """Every hint taken for a step."""
        body = Text()
        for tier, text in enumerate(offer["texts"], 1):
            body.append(self.tr("score.hint", tier=tier, step=offer["step"]) + "\n", "bold")
            body.append_text(literal(self.tr.pick(text)))
            body.append("\n\n")
        self.app.push_screen(MessageScreen(offer["step"], body))

"""Indicators: submit one and see every submission with its verdict; declare the incident."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Select, Static

from ..errors import CyderError
from ..exercise.protocol import TeamSession
from ..model.rubric import INDICATOR_KINDS
from .messages import Notify
from .overview import clock_text
from .text import literal_line

VERDICT_STYLES = {"correct": "green", "wrong": "red", "already credited": "dim"}


class IndicatorsPane(Vertical):
    """The submission row, the list of submissions, and the incident declaration."""

    def __init__(self, exercise: TeamSession, tr, **kwargs):
        super().__init__(**kwargs)
        self.exercise, self.tr = exercise, tr

    def compose(self) -> ComposeResult:
        tr = self.tr
        with Horizontal(classes="form-row"):
            yield Select([(k, k) for k in INDICATOR_KINDS], value="domain", allow_blank=False, id="ind-kind",
                         compact=True)
            yield Input(placeholder=tr("ind.value"), id="ind-value", compact=True)
            yield Input(placeholder=tr("ind.note"), id="ind-note", compact=True)
            yield Button(tr("ind.submit"), id="ind-submit", variant="primary", compact=True)
        yield DataTable(id="ind-table", cursor_type="row", zebra_stripes=True)
        yield Static(tr("ind.incident"), classes="label")
        with Horizontal(classes="form-row"):
            yield Input(placeholder="pc01, fileserver", id="incident-hosts", compact=True)
            yield Button(tr("ind.declare"), id="incident-declare", variant="warning", compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#ind-table", DataTable)
        tr = self.tr
        table.add_columns(tr("score.when"), tr("ind.kind"), tr("ind.value"), tr("ind.verdict"))
        self.refresh_data()

    def refresh_data(self) -> None:
        """List every submission again."""
        table = self.query_one("#ind-table", DataTable)
        table.clear()
        for record in self.exercise.submissions("indicator"):
            verdict = record["verdict"]
            table.add_row(clock_text(record["time"]), record["kind"], literal_line(record["value"]),
                          Text(self.tr("verdict." + verdict), VERDICT_STYLES.get(verdict, "")))
        for incident in self.exercise.submissions("incident"):
            table.add_row(clock_text(incident["time"]), "incident", literal_line(", ".join(incident["hosts"])),
                          literal_line(incident["verdict"]))
        if table.row_count:
            table.move_cursor(row=table.row_count - 1)

    @on(Button.Pressed, "#ind-submit")
    @on(Input.Submitted, "#ind-value")
    @on(Input.Submitted, "#ind-note")
    def submit(self) -> None:
        """Submit the indicator typed; the verdict comes back at once."""
        value = self.query_one("#ind-value", Input)
        if not value.value.strip():
            self.post_message(Notify(self.tr("ind.empty"), "warning"))
            return
        kind = str(self.query_one("#ind-kind", Select).value)
        note = self.query_one("#ind-note", Input)
        try:
            record = self.exercise.submit_indicator(kind, value.value.strip(), note.value.strip())
        except CyderError as exc:
            self.post_message(Notify(str(exc), "error"))
            return
        verdict = self.tr("verdict." + record["verdict"])
        self.post_message(Notify(self.tr("ind.judged", kind=kind, value=record["value"], verdict=verdict),
                                 "information" if record["verdict"] == "correct" else "warning"))
        value.value = note.value = ""
        self.refresh_data()
        self.query_one("#ind-table").focus()  # out of the text box, so the tab keys work again

    @on(Button.Pressed, "#incident-declare")
    @on(Input.Submitted, "#incident-hosts")
    def declare(self) -> None:
        """Declare the incident with the hosts typed."""
        hosts = [h.strip() for h in self.query_one("#incident-hosts", Input).value.split(",") if h.strip()]
        if not hosts:
            self.post_message(Notify(self.tr("ind.empty"), "warning"))
            return
        try:
            record = self.exercise.declare_incident(hosts)
        except CyderError as exc:
            self.post_message(Notify(str(exc), "error"))
            return
        self.post_message(Notify(self.tr("ind.declared", verdict=record["verdict"])))
        self.refresh_data()
        self.query_one("#ind-table").focus()

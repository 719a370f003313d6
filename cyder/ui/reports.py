"""Report forms: one text box per field, saved as a draft a moment after every change (and when
the app closes), filed when the team is ready."""

from __future__ import annotations

import time

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Select, Static, TextArea

from ..errors import CyderError
from ..exercise.protocol import TeamSession
from .dialogs import ConfirmScreen
from .messages import Notify
from .overview import clock_text
from .text import literal, visible

SAVE_DELAY = 0.3
RETRY_DELAY = 5.0  # seconds between tries when the store cannot take a draft (a full disk)


class ReportsPane(Vertical):
    """Choose a report; edit its fields; submit it."""

    def __init__(self, exercise: TeamSession, tr, **kwargs):
        super().__init__(**kwargs)
        self.exercise, self.tr = exercise, tr
        self.rules = {r.id: r for r in exercise.rubric.reports}
        self.report: str | None = None
        self._pending = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Select(self._options(), allow_blank=not self.rules, id="rep-name", compact=True,
                         **({"value": next(iter(self.rules))} if self.rules else {}))
            yield Static("", id="rep-saved")
            yield Button(self.tr("rep.submit"), id="rep-submit", variant="warning", compact=True)
        yield VerticalScroll(id="rep-form")

    def _options(self) -> list[tuple[str, str]]:
        filed = {r["report"] for r in self.exercise.submissions("report")}
        options = []
        for rule in self.rules.values():
            state = self.tr("rep.filed") if rule.id in filed else ""
            deadline = self.exercise.injects.get(rule.inject, {}).get("deadline") if rule.inject else None
            if not state and deadline is not None:
                state = self.tr("rep.due", time=clock_text(deadline))
            options.append((f"{self.tr.pick(rule.name)}" + (f" ({state})" if state else ""), rule.id))
        return options

    async def on_mount(self) -> None:
        if self.rules:
            await self.open(next(iter(self.rules)))

    def refresh_data(self) -> None:
        """Update the report list's states (filed, due)."""
        select = self.query_one("#rep-name", Select)
        with self.prevent(Select.Changed):
            select.set_options(self._options())
            if self.report:
                select.value = self.report

    def select_report(self, report: str) -> None:
        """Choose a report (its form opens, the one left is saved)."""
        self.query_one("#rep-name", Select).value = report

    @on(Select.Changed, "#rep-name")
    async def changed(self, event: Select.Changed) -> None:
        """Open another report (saving the one being left)."""
        if event.value != Select.BLANK and event.value != self.report:
            self.save_now()
            await self.open(str(event.value))

    async def open(self, report: str) -> None:
        """Show a report's fields: the filed text, or the saved draft to go on with."""
        self.report = report
        rule = self.rules[report]
        filed = next((r for r in self.exercise.submissions("report") if r["report"] == report), None)
        values = filed["fields"] if filed else self.exercise.draft(report)
        form = self.query_one("#rep-form", VerticalScroll)
        await form.remove_children()
        widgets: list[Widget] = []
        if filed:
            widgets.append(Static(self.tr("rep.readonly"), classes="label"))
        for field in rule.fields:
            widgets.append(Static(Text.assemble((self.tr("field." + field.name), "bold"), f"  ({field.points} pt)"),
                                  classes="label"))
            widgets.append(TextArea(visible(values.get(field.name, "")), id=f"field-{field.name}", read_only=bool(filed),
                                    classes="report-field", soft_wrap=True))
        await form.mount_all(widgets)
        self.query_one("#rep-submit", Button).disabled = bool(filed)
        self.query_one("#rep-saved", Static).update("")

    def fields(self) -> dict[str, str]:
        """What is typed in the open report."""
        areas = self.query(".report-field").results(TextArea)
        return {(area.id or "").removeprefix("field-"): area.text for area in areas}

    @on(TextArea.Changed, ".report-field")
    def typed(self, _: TextArea.Changed) -> None:
        """Save a moment after the last change (a burst of typing is one write)."""
        if self._pending is not None:
            self._pending.stop()
        self._pending = self.set_timer(SAVE_DELAY, self.save_now)

    def save_now(self) -> None:
        """Save the open report's draft now (unless it was filed)."""
        self._pending = None
        if self.report is None or self.query_one("#rep-submit", Button).disabled:
            return
        try:
            self.exercise.save_draft(self.report, self.fields())
        except CyderError as exc:
            # The text stays in the boxes; say so, and try again until the store takes it.
            self.query_one("#rep-saved", Static).update(literal(self.tr("rep.unsaved"), "bold red"))
            self.post_message(Notify(self.tr("rep.save-failed", error=str(exc)), "error"))
            if self._pending is None:
                self._pending = self.set_timer(RETRY_DELAY, self.save_now)
            return
        self.query_one("#rep-saved", Static).update(literal(self.tr("rep.saved", time=time.strftime("%H:%M:%S")), "dim"))

    @on(Button.Pressed, "#rep-submit")
    def submit(self) -> None:
        """Ask, then file the report."""
        if self.report is None:
            return
        self.save_now()
        report, name = self.report, self.tr.pick(self.rules[self.report].name)

        async def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                record = self.exercise.submit_report(report, self.fields())
            except CyderError as exc:
                self.post_message(Notify(str(exc), "error"))
                return
            self.post_message(Notify(self.tr("rep.done", report=name, points=record["points"],
                                             late=self.tr("rep.late") if record["late"] else "")))
            self.refresh_data()
            await self.open(report)

        self.app.push_screen(ConfirmScreen(self.tr("rep.confirm", report=name), self.tr("dlg.yes"), self.tr("dlg.no")),
                             answered)

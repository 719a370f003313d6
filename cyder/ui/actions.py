"""Response actions: choose one, fill in its parameters, confirm, and see what it did."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Select, Static

from ..errors import CyderError
from ..exercise.protocol import TeamSession
from .dialogs import ConfirmScreen
from .messages import ActionTaken, Notify
from .overview import clock_text
from .text import literal, literal_line


class ActionsPane(Vertical):
    """The action form and the actions taken so far."""

    def __init__(self, exercise: TeamSession, tr, **kwargs):
        super().__init__(**kwargs)
        self.exercise, self.tr = exercise, tr
        self.specs = {spec.name: spec for spec in exercise.action_specs()}

    def compose(self) -> ComposeResult:
        first = next(iter(self.specs))
        with Horizontal(classes="form-row"):
            yield Select([(name, name) for name in self.specs], value=first, allow_blank=False, id="act-name",
                         compact=True)
            yield Button(self.tr("act.run"), id="act-run", variant="warning", compact=True)
        yield Static(literal(self.specs[first].help), id="act-help")
        yield Horizontal(id="act-params", classes="form-row")
        yield Static(self.tr("act.history"), classes="label")
        yield DataTable(id="act-table", cursor_type="row", zebra_stripes=True)

    async def on_mount(self) -> None:
        table = self.query_one("#act-table", DataTable)
        table.add_columns(self.tr("score.when"), self.tr("act.action"), "", "")
        await self.choose(next(iter(self.specs)))
        self.refresh_data()

    @on(Select.Changed, "#act-name")
    async def changed(self, event: Select.Changed) -> None:
        """Show the chosen action's parameters."""
        await self.choose(str(event.value))

    async def choose(self, name: str, values: dict[str, str] | None = None) -> None:
        """Show the form of an action, optionally filled in."""
        spec = self.specs[name]
        self.query_one("#act-help", Static).update(literal(spec.help))
        params = self.query_one("#act-params", Horizontal)
        await params.remove_children()
        await params.mount_all([Input(value=(values or {}).get(p, ""), placeholder=p, id=f"param-{p}", compact=True)
                                for p in spec.params])

    def select_action(self, name: str) -> None:
        """Choose an action in the form (its parameters follow)."""
        self.query_one("#act-name", Select).value = name

    def refresh_data(self) -> None:
        """List the actions taken so far."""
        table = self.query_one("#act-table", DataTable)
        table.clear()
        for record in self.exercise.submissions("action"):
            params = " ".join(f"{k}={v}" for k, v in record["params"].items())
            table.add_row(clock_text(record["time"]), record["action"], literal_line(params),
                          literal_line(record["outcome"]))
        if table.row_count:
            table.move_cursor(row=table.row_count - 1)

    @on(Button.Pressed, "#act-run")
    @on(Input.Submitted)
    def run(self, event) -> None:
        """Ask, then take the action."""
        if isinstance(event, Input.Submitted) and not (event.input.id or "").startswith("param-"):
            return
        name = str(self.query_one("#act-name", Select).value)
        params = {p: self.query_one(f"#param-{p}", Input).value.strip() for p in self.specs[name].params}
        shown = " ".join(f"{k}={v}" for k, v in params.items())

        def answered(yes: bool | None) -> None:
            if yes:
                self.post_message(Notify(self.tr("act.running", action=name)))
                self.take(name, params)

        self.app.push_screen(ConfirmScreen(self.tr("act.confirm", action=name, params=shown),
                                           self.tr("dlg.yes"), self.tr("dlg.no")), answered)

    @work(thread=True, exit_on_error=False, group="actions")
    def take(self, name: str, params: dict[str, str]) -> None:
        """Carry the action out on the range (in a thread: it runs commands in containers); say how
        it went."""
        try:
            outcome = self.exercise.act(name, params)
        except CyderError as exc:
            self.post_message(Notify(self.tr("act.failed", action=name, error=exc), "error"))
            return
        self.post_message(Notify(self.tr("act.done", action=name, outcome=outcome)))
        self.post_message(ActionTaken(name, params, outcome))

    @on(ActionTaken)
    def taken(self, _: ActionTaken) -> None:
        """An action was carried out: list it."""
        self.refresh_data()

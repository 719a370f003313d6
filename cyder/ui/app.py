"""The trainee app: glue between the exercise engine and the areas of the screen.

The app holds no exercise logic. It starts the engine (images, range, clock) in a worker,
renders the engine's events, and hands the team's submissions and actions to the engine's
methods. Blocking calls (Docker, searches) run in thread workers that post messages; handlers on
the app's thread own every widget. Panes and the command palette never call back into the app:
they post the messages of `messages.py`, and the handlers here own every state change (toasts,
tab labels, the status line, focus, read marks). Build it with `CyderApp(exercise, ...)`: tests
pass a fake engine and a frozen clock the same way.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, ScreenStackError, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, Input, Log, ProgressBar, Static, TabbedContent, TabPane, TextArea
from textual.worker import Worker, WorkerState

from ..errors import CyderError
from ..exercise.protocol import LocalSession, Progress
from ..output import echo
from . import messages
from .actions import ActionsPane
from .bindings import TAB_IDS, keys_in_effect, localised
from .commands import CyderCommands, PaletteSource
from .dialogs import MessageScreen
from .evidence import EvidencePane
from .hosts import HostsPane
from .i18n import Translator
from .inbox import InboxPane
from .indicators import IndicatorsPane
from .messages import (AskHint, ChooseAction, ChooseReport, EngineEvent, FocusField, HostStates, InjectShown, Notify,
                       OpenShell, Quit, ShowHelp, ShowTab)
from .overview import OverviewPane, clock_text
from .reports import ReportsPane
from .score import ScorePane
from .text import literal, one_line

HOST_STATE_SECONDS = 10.0
# What gets the cursor when a tab opens: a list or table, whose keys work at once.
TAB_FOCUS = {"overview": "#tabs Tabs", "inbox": "#inbox-list", "evidence": "EventList", "hosts": "#host-list",
             "indicators": "#ind-table", "actions": "#act-table", "reports": "#tabs Tabs", "score": "#ledger"}


class StartScreen(Screen):
    """Shown while images are checked and the range comes up: what is happening and how far along."""

    def __init__(self, title: str):
        super().__init__()
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="start"):
            yield Static(literal(self.title_text, "bold"), id="start-title")
            yield ProgressBar(id="start-bar", show_eta=False)
            yield Log(id="start-log", max_lines=500)

    def progress(self, event: Progress) -> None:
        """One progress report from the backend."""
        count = f" [{event.done}/{event.total}]" if event.total else ""
        self.query_one("#start-log", Log).write_line(one_line(f"{event.stage:<8}{count} {event.subject} {event.message}"))
        if event.total:
            self.query_one("#start-bar", ProgressBar).update(total=event.total, progress=event.done)

    def line(self, text: str) -> None:
        """A line of the app's own (a stage starting, an error)."""
        self.query_one("#start-log", Log).write_line(one_line(text))


class CyderApp(App):
    """The trainee's view of one team's exercise.

    `CyderApp(exercise, language=...)` makes an instance of the class in that language (see
    `bindings.localised`): the descriptions of its keys are part of its class, as Textual wants.
    """

    CSS_PATH = "app.tcss"
    TITLE = "cyder"
    COMMANDS = App.COMMANDS | {CyderCommands}
    TAB_IDS = TAB_IDS
    BINDINGS = [
        *[Binding(str(n), f"show_tab('{tab}')", tab, id=f"tab.{tab}", show=False) for n, tab in enumerate(TAB_IDS, 1)],
        Binding("question_mark", "help", "Help", id="help"),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
        Binding("escape", "leave_field", show=False),
    ]
    # tests/docker/test_play.py reads it as CyderApp.Prepared (handlers below name it messages.Prepared).
    Prepared: ClassVar[type[messages.Prepared]] = messages.Prepared

    def __new__(cls, exercise: LocalSession, language: str = "en", keymap: dict[str, str] | None = None,
                on_finish: Callable[[], str] | None = None, run_engine: bool = True):
        """An instance of the class in `language` (`__init__` then runs with the same arguments)."""
        return super().__new__(localised(cls, Translator(language)))

    def __init__(self, exercise: LocalSession, language: str = "en", keymap: dict[str, str] | None = None,
                 on_finish: Callable[[], str] | None = None, run_engine: bool = True):
        super().__init__()
        self.exercise: LocalSession = exercise
        self.tr = Translator(language)
        self.on_finish = on_finish
        self.run_engine_on_start = run_engine
        self.ready = False
        self.open_tab = ""
        self.keymap_overrides = keymap or {}
        self.palette_source = self._palette_source()

    def _palette_source(self) -> PaletteSource:
        """What the command palette offers, read from the engine when the palette opens."""
        ex, tr = self.exercise, self.tr
        return PaletteSource(
            tr=tr, tabs=TAB_IDS,
            actions=lambda: [(spec.name, spec.help) for spec in ex.action_specs()],
            hosts=lambda: [host.name for host in ex.running_range.hosts],
            reports=lambda: [(rule.id, tr.pick(rule.name)) for rule in ex.rubric.reports],
            hints=lambda: [offer["step"] for offer in ex.hint_offers()])

    # -- layout -----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        ex, tr = self.exercise, self.tr
        yield Static(id="status-bar")
        with TabbedContent(id="tabs"):
            panes: dict[str, type[Any]] = {
                "overview": OverviewPane, "inbox": InboxPane, "evidence": EvidencePane, "hosts": HostsPane,
                "indicators": IndicatorsPane, "actions": ActionsPane, "reports": ReportsPane, "score": ScorePane}
            for tab in TAB_IDS:
                with TabPane(tr(f"tab.{tab}"), id=tab):
                    yield localised(panes[tab], tr)(ex, tr, id=f"{tab}-pane")
        yield Footer()

    def on_mount(self) -> None:
        # The screen holding the areas; dialogs and the start screen go on top of it.
        self.main = self.screen
        if self.keymap_overrides:
            self.set_keymap(self.keymap_overrides)
        self.set_interval(1.0, self.tick)
        self.watch_events()
        if self.run_engine_on_start:
            self.start_engine()
        else:
            self.engine_ready()
        self.refresh_status()

    def engine_ready(self) -> None:
        """The range is up and the engine runs: show it, and start reading host states."""
        self.ready = True
        self.refresh_status()
        self.read_host_states()
        self.set_interval(HOST_STATE_SECONDS, self.read_host_states)

    # -- the engine -------------------------------------------------------------------------------

    @work(exclusive=True, group="engine", exit_on_error=False)
    async def start_engine(self) -> None:
        """Bring the range up with progress shown, then run the exercise until it ends or the app closes."""
        start = StartScreen(self.tr("start.title", scenario=self.tr.pick(self.exercise.scenario.title),
                                    team=self.exercise.team))
        await self.push_screen(start)
        try:
            self.exercise.claim()
            await self.exercise.prepare(progress=lambda p: self.post_message(messages.Prepared(p)))
        except CyderError as exc:
            start.line(self.tr("start.failed", error=exc))
            start.line(self.tr("start.quit"))
            return
        if self.screen is start:
            self.pop_screen()
        self.engine_ready()
        try:
            await self.exercise.run()
        except CyderError as exc:
            self.post_message(Notify(str(exc), "error"))

    @on(messages.Prepared)
    def prepared(self, message: messages.Prepared) -> None:
        """Show bring-up progress."""
        start = self.start_screen()
        if start is not None:
            start.progress(message.progress)

    def start_screen(self) -> StartScreen | None:
        """The start screen while it is shown."""
        try:
            return self.screen if isinstance(self.screen, StartScreen) else None
        except ScreenStackError:
            return None

    @work(exclusive=True, group="events", exit_on_error=False)
    async def watch_events(self) -> None:
        """Turn the engine's events into messages for the app."""
        async for event in self.exercise.events():
            self.post_message(EngineEvent(event))

    @on(EngineEvent)
    def engine_event(self, message: EngineEvent) -> None:
        """Render what the engine emitted (attack steps stay hidden: they are the answer)."""
        event, tr = message.event, self.tr
        kind, data = event.kind, event.data
        try:
            screen = self.screen
        except ScreenStackError:
            return  # the app is closing
        if kind == "range" and isinstance(screen, StartScreen):
            key = {"images": "start.images", "starting": "start.range", "ready": "start.ready"}[data["state"]]
            screen.line(tr(key, range=data["range"]))
        elif kind == "inject":
            self.post_message(Notify(tr("inbox.new", subject=tr.pick(data["subject"])), "warning"))
            self.bell()
            self.inbox_changed()
            self.pane(ReportsPane).refresh_data()
        elif kind == "ledger":
            self.post_message(Notify(tr("score.changed", points=data["points"], reason=data["reason"]),
                                     "information" if data["points"] >= 0 else "warning"))
            self.pane(ScorePane).refresh_data()
            self.pane(IndicatorsPane).refresh_data()
        elif kind == "action":
            self.pane(ActionsPane).refresh_data()
        elif kind == "fault":
            self.post_message(Notify(tr("range.fault"), "error"))
        elif kind == "evidence" and event.data.get("problem"):
            self.post_message(Notify(tr("evidence.problem", error=event.data["problem"]), "error"))
        elif kind == "finish":
            self.finished()
        self.refresh_status()

    @work(thread=True, exit_on_error=False, group="finish")
    def finished(self) -> None:
        """Write the debrief and say where it is."""
        path = self.on_finish() if self.on_finish else ""
        self.post_message(Notify(self.tr("finished", total=self.exercise.totals()["total"], path=path)))

    @work(thread=True, exclusive=True, group="host-states", exit_on_error=False)
    def read_host_states(self) -> None:
        """Read every host's state (in a thread: it asks Docker)."""
        try:
            self.post_message(HostStates(self.exercise.host_states()))
        except CyderError:
            pass  # the range is going down or not up yet: keep the last states

    @on(HostStates)
    def host_states(self, message: HostStates) -> None:
        """Mark each host on the map and in the host list."""
        self.pane(OverviewPane).show_states(message.states)
        self.pane(HostsPane).show_states(message.states)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker's failure is shown, in one place, and the app goes on."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            text = str(error) if isinstance(error, CyderError) else f"{type(error).__name__}: {error}"
            self.post_message(Notify(text, "error"))

    # -- what the team sees all the time ----------------------------------------------------------

    def tick(self) -> None:
        """Once a second: the clock, phase and score (others may submit from `cyder submit`)."""
        try:
            self.refresh_status()
            if self.showing("overview"):
                self.pane(OverviewPane).refresh_summary()
        except NoMatches:
            pass  # the app is closing

    def refresh_status(self) -> None:
        """The top line: team, clock, speed, phase, score, unread messages."""
        ex, tr = self.exercise, self.tr
        clock = ex.clock
        state = ("⏸ " + tr("clock.paused")) if clock.get("paused") else ("▶" if self.ready else tr("clock.starting"))
        if clock.get("finished"):
            state = "■"
        totals = ex.totals()
        unread = len(set(ex.injects) - ex.read_injects())
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" cyder ", "bold reverse")
        text.append(f" {ex.team}  ")
        text.append(f"{state} {clock_text(ex.now())}/{clock_text(ex.duration)} ×{clock.get('speed', 1):g}  ", "bold")
        text.append(f"{tr('phase.' + ex.phase())}  ")
        text.append(f"{totals['total']:g} {tr('status.points')}", "bold")
        if unread:
            text.append(f"  ✉ {unread}", "bold yellow")
        self.main.query_one("#status-bar", Static).update(text)

    @on(InjectShown)
    def inject_shown(self, message: InjectShown) -> None:
        """The team sees a message: mark it read."""
        if message.inject not in self.exercise.read_injects():
            self.exercise.mark_read(message.inject)
            self.inbox_changed()

    def inbox_changed(self) -> None:
        """New or newly read messages: the inbox, its tab label and the status line."""
        inbox = self.pane(InboxPane)
        inbox.refresh_data()
        unread = inbox.unread()
        label = self.tr("tab.inbox") + (f" ({unread})" if unread else "")
        self.main.query_one("#tabs", TabbedContent).get_tab("inbox").label = label
        self.refresh_status()

    @on(Notify)
    def toast(self, message: Notify) -> None:
        """A toast with text that may carry range data (shown literally, on one line)."""
        self.notify(one_line(message.message)[:400], severity=message.severity, markup=False)

    # -- navigation and commands ------------------------------------------------------------------

    def pane(self, kind: type):
        """The one pane of a kind."""
        return self.main.query_one(kind)

    def showing(self, tab: str) -> bool:
        """Whether a tab is the one open."""
        try:
            return self.main.query_one("#tabs", TabbedContent).active == tab
        except Exception:  # noqa: BLE001 - before the tabs exist
            return False

    def action_show_tab(self, tab: str) -> None:
        """Open a tab."""
        self.main.query_one("#tabs", TabbedContent).active = tab

    @on(ShowTab)
    def show_tab(self, message: ShowTab) -> None:
        """Open a tab (from the palette)."""
        self.action_show_tab(message.tab)

    @on(TabbedContent.TabActivated)
    def tab_opened(self, event: TabbedContent.TabActivated) -> None:
        """Put the cursor where the tab's keys work (never in a text box, where digits would be
        typed); opening the inbox marks the shown message read; other tabs refresh what they show."""
        tab = event.pane.id or ""
        if tab == self.open_tab:
            return  # the same tab again (Textual says so when a tab's label changes)
        self.open_tab = tab
        target = self.main.query_one(TAB_FOCUS[tab])
        target.focus()
        # Textual may move the focus off the pane being hidden after this, onto another hidden
        # widget, which would open its tab again: put it back unless the team is already typing
        # in one of this tab's text boxes.
        self.call_after_refresh(self._keep_focus_in, event.pane, target)
        inbox = self.pane(InboxPane)
        inbox.tab_open = tab == "inbox"
        if tab == "inbox":
            inbox.opened()
        elif tab == "overview":
            self.pane(OverviewPane).refresh_summary()
        elif tab == "score":
            self.pane(ScorePane).refresh_data()
        elif tab == "indicators":
            self.pane(IndicatorsPane).refresh_data()
        elif tab == "hosts":
            self.pane(HostsPane).action_reload()

    def _keep_focus_in(self, pane, target) -> None:
        focused = self.focused
        if not (isinstance(focused, (Input, TextArea)) and pane in focused.ancestors):
            target.focus()

    def action_leave_field(self) -> None:
        """Escape from a text box, so the tab keys work again."""
        if isinstance(self.focused, (Input, TextArea)):
            self.main.query_one("#tabs Tabs").focus()

    @on(FocusField)
    def focus_field(self, message: FocusField) -> None:
        """Open a tab and put the cursor in one of its widgets."""
        self.action_show_tab(message.tab)
        self.call_after_refresh(lambda: self.main.query_one(message.selector).focus())

    @on(ChooseAction)
    def choose_action(self, message: ChooseAction) -> None:
        """Open the actions tab with an action chosen."""
        self.action_show_tab("actions")
        self.pane(ActionsPane).select_action(message.name)

    @on(ChooseReport)
    def choose_report(self, message: ChooseReport) -> None:
        """Open the reports tab with a report chosen."""
        self.action_show_tab("reports")
        self.pane(ReportsPane).select_report(message.report)

    @on(AskHint)
    def ask_hint(self, message: AskHint) -> None:
        """Open the score tab and ask for a step's next hint."""
        self.action_show_tab("score")
        self.pane(ScorePane).take_hint(message.step)

    @on(OpenShell)
    def shell_asked(self, message: OpenShell) -> None:
        """Open the shell in a worker, so the app goes on handling messages meanwhile."""
        self.run_worker(self.open_shell(message.host))

    async def open_shell(self, host: str) -> None:
        """A real shell in a host: the app steps aside until the shell exits (the engine keeps running)."""
        try:
            argv = self.exercise.shell_command(host)
        except CyderError as exc:
            self.post_message(Notify(str(exc), "error"))
            return
        try:
            with self.suspend():
                echo(f"\n--- {host}: exit (or ctrl+d) returns to cyder ---\n", flush=True)
                process = await asyncio.create_subprocess_exec(*argv)
                await process.wait()
        except SuspendNotSupported:
            self.post_message(Notify(self.tr("hosts.no_shell"), "warning"))
            return
        self.post_message(Notify(self.tr("hosts.shell_back", host=host)))
        self.pane(HostsPane).action_reload()

    @on(ShowHelp)
    def show_help(self, _: ShowHelp) -> None:
        """The keys (from the palette)."""
        self.action_help()

    def action_help(self) -> None:
        """Every key with its binding id, for the app and the open tab."""
        lines = Text()
        lines.append(self.tr("help.title") + "\n\n", "bold")
        nodes = [self, self.main.query_one(f"#{self.main.query_one('#tabs', TabbedContent).active}-pane")]
        nodes += list(nodes[1].query("*"))
        tabs = sorted(((key, b) for key, b in keys_in_effect(self, self.keymap_overrides)
                       if (b.id or "").startswith("tab.")), key=lambda kb: TAB_IDS.index((kb[1].id or "")[4:]))
        keys = " ".join(self.get_key_display(dataclasses.replace(b, key=key)) for key, b in tabs)
        lines.append(f"{'tab.*':<18} {keys}\n{'':<19}{', '.join(b.description for _, b in tabs)}\n")
        seen = {b.id for _, b in tabs}
        for node in nodes:
            for key, binding in keys_in_effect(node, self.keymap_overrides):
                if binding.id and binding.id not in seen:
                    seen.add(binding.id)
                    shown = self.get_key_display(dataclasses.replace(binding, key=key))
                    lines.append(f"{binding.id:<18} {shown:<10} {binding.description}\n")
        lines.append(f"{'command-palette':<18} {'ctrl+p':<10} {self.tr('key.palette')}\n")
        lines.append("\n" + self.tr("help.more"), "dim")
        self.push_screen(MessageScreen(self.tr("key.help"), lines))

    @on(Quit)
    async def quit_asked(self, _: Quit) -> None:
        """Quit (from the palette)."""
        await self.action_quit()

    async def action_quit(self) -> None:
        """Save the open report draft, then close (the engine stops with the app; its clock with it)."""
        try:
            self.pane(ReportsPane).save_now()
        except Exception:  # noqa: BLE001 - closing must not fail on a half-built screen
            pass
        self.exit()

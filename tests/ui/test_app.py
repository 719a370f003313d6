"""The trainee app against a fake engine (no Docker): what each area shows and does, keys, palette,
languages, and that range data is shown literally. The same flows run on a real range in
tests/docker/test_play.py."""

from __future__ import annotations

import ast
import html
import inspect
import re
import typing
from pathlib import Path

import pytest
from fake_engine import HOSTILE, FakeExercise
from textual.notifications import Notification, Notify
from textual.widgets import DataTable, Input, Select, Static, TabbedContent, TextArea

from cyder.errors import CyderError
from cyder.exercise.engine import Exercise
from cyder.model.rubric import ReportField
from cyder.ui.app import CyderApp
from cyder.ui.dialogs import ConfirmScreen, MessageScreen
from cyder.ui.evidence import EventList
from cyder.ui.i18n import TEXTS, Translator, choose_language
from cyder.ui.play import parse_keymap, web_argv
from cyder.ui.reports import SAVE_DELAY
from cyder.ui.testing import settle
from cyder.ui.text import literal, visible


ROOT = Path(__file__).resolve().parents[2]


def make_app(**kwargs) -> tuple[CyderApp, FakeExercise]:
    exercise = FakeExercise(hostile=kwargs.pop("hostile", False))
    return CyderApp(exercise, run_engine=False, **kwargs), exercise


class Toasts(list[Notification]):
    """Every toast the app shows, collected from Textual's `Notify` messages (pass it to
    `run_test(message_hook=...)`)."""

    def __call__(self, message) -> None:
        if isinstance(message, Notify):
            self.append(message.notification)


def screen_text(app) -> str:
    """The screen as plain text, one line per row (from the SVG screenshot)."""
    rows: dict[int, list[tuple[float, str]]] = {}
    for x, row, text in re.findall(r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
                                   r'clip-path="url\(#[^)]*line-(\d+)\)">(.*?)</text>', app.export_screenshot()):
        rows.setdefault(int(row), []).append((float(x), html.unescape(text).replace("\xa0", " ")))
    return "\n".join("".join(t for _, t in sorted(parts)) for _, parts in sorted(rows.items()))


def test_fake_matches_the_engine():
    """Every method the fake offers exists on the real engine with the same parameters."""
    for name, member in inspect.getmembers(FakeExercise, inspect.isfunction):
        if name.startswith("_") or name == "deliver":
            continue
        real = getattr(Exercise, name, None)
        assert real is not None, f"Exercise has no {name}"
        fake_params = list(inspect.signature(member).parameters)
        real_params = list(inspect.signature(real).parameters)
        assert fake_params[:len(real_params)] == real_params[:len(fake_params)], name


def test_panes_talk_to_the_app_through_messages_and_only_public_textual_api_is_used():
    """Panes post messages (cyder/ui/messages.py) instead of calling the app; nothing in the UI or
    its tests reaches Textual's private members."""
    allowed = {"push_screen", "console", "post_message"}  # public Textual API a widget may use
    private = {"_bindings", "_merged_bindings", "_keymap", "_notifications", "_normalize_keymap"}
    for path in [*(ROOT / "cyder" / "ui").glob("*.py"), *(ROOT / "tests" / "ui").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Attribute):
                continue
            assert node.attr not in private, f"{path.name}:{node.lineno}: {node.attr}"
            if path.name != "app.py" and path.parent.name == "ui" and path.parent.parent.name == "cyder":
                inner = node.value
                if (isinstance(inner, ast.Attribute) and inner.attr == "app" and isinstance(inner.value, ast.Name)
                        and inner.value.id == "self"):
                    assert node.attr in allowed, f"{path.name}:{node.lineno}: self.app.{node.attr}"


def test_visible_escapes_control_characters():
    assert visible("a\x1b[31mb") == "a\\x1b[31mb"
    assert visible("\x9b2J\x07\r") == "\\x9b2J\\x07\\r"
    assert visible("line\n\tnext") == "line\n    next"
    text = literal("[bold]x[/bold]")
    assert text.plain == "[bold]x[/bold]" and not text.spans


def test_language_choice():
    assert choose_language("ja", {}) == "ja"
    assert choose_language(None, {"CYDER_LANG": "ja"}) == "ja"
    assert choose_language(None, {"LANG": "ja_JP.UTF-8"}) == "ja"
    assert choose_language(None, {"LANG": "C.UTF-8"}) == "en"
    assert choose_language(None, {}) == "en"
    with pytest.raises(ValueError, match="unknown language"):
        choose_language("fr", {})
    assert all(len(pair) == 2 and all(pair) for pair in TEXTS.values())
    assert Translator("ja")("tab.score") == "得点"


def test_every_text_the_app_asks_for_exists_in_both_languages():
    source = "\n".join(path.read_text() for path in (ROOT / "cyder" / "ui").glob("*.py"))
    keys = set(re.findall(r"""tr\(\s*["']([a-z_]+\.[a-z_ .]+)["']""", source))
    keys |= {f"tab.{tab}" for tab in CyderApp.TAB_IDS} | {f"phase.{p}" for p in ("detection", "response", "reporting",
                                                                               "recovery", "finished", "total")}
    keys |= {f"field.{name}" for name in typing.get_args(ReportField.model_fields["name"].annotation)}
    keys |= {f"verdict.{v}" for v in ("correct", "wrong", "already credited", "recorded")}
    assert keys and not keys - set(TEXTS), sorted(keys - set(TEXTS))


def test_keymap_parsing():
    assert parse_keymap("help=f2, tab.score=ctrl+g") == {"help": "f2", "tab.score": "ctrl+g"}
    assert parse_keymap("") == {}
    with pytest.raises(CyderError, match="expected id=key"):
        parse_keymap("help")


def test_web_session_runs_the_same_command_without_web():
    class Args:
        scenario, team, seed, speed, course, staff, store, lang, results = ("usb-supplier", "t2", None, 30.0, None,
                                                                           None, None, "ja", "results")
    assert web_argv(Args) == ["play", "usb-supplier", "--team", "t2", "--speed", "30.0", "--lang", "ja",
                              "--results", "results"]


async def test_markup_and_escape_sequences_in_a_mail_body_are_shown_literally():
    app, _ = make_app(hostile=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        body = app.query_one("#inbox-body", Static)
        rendered = body.render()
        plain = str(rendered)
        assert "[bold red]not bold[/]" in plain and "[link=http://x]link[/link]" in plain
        assert "\\x1b[31mred" in plain and "\\x1b]0;pwned\\x07" in plain and "\\x9b31m" in plain
        assert "\x1b" not in plain and "\x9b" not in plain and "\x07" not in plain
        shot = screen_text(app)
        assert "\x1b" not in shot and "[bold red]not bold[/]" in shot and "\\x1b[31mred" in shot
        # The same line in the evidence list and in its detail view.
        await pilot.press("3")
        await settle(pilot)
        events = app.query_one(EventList)
        assert events.events[-1].evidence.raw == HOSTILE
        events.focus()
        await pilot.press("end", "enter")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        detail = str(app.screen.query_one("#message-body", Static).render())
        assert "[bold red]not bold[/]" in detail and "\\x1b[2J" in detail and "\x1b" not in detail


async def test_reading_a_message_marks_it_read_and_a_new_one_is_announced():
    app, exercise = make_app()
    toasts = Toasts()
    async with app.run_test(size=(80, 24), message_hook=toasts) as pilot:
        await settle(pilot)
        assert "soc-alert" not in exercise.read  # delivered, not yet opened
        assert "✉ 1" in screen_text(app)
        await pilot.press("2")
        await settle(pilot)
        assert exercise.read == {"soc-alert"}
        exercise.deliver({"id": "supervisor-report", "due": 2712.0, "deadline": 4512.0,
                          "sender": {"ja": "課長", "en": "Head of division"}, "recipient": "it-staff",
                          "subject": {"ja": "第一報", "en": "First report, please"}, "body": {"ja": "本文", "en": "Body"}})
        await pilot.pause(0.2)
        await settle(pilot)
        assert any("First report, please" in n.message for n in toasts)
        tab = app.query_one("#tabs", TabbedContent).get_tab("inbox")
        assert "(1)" in str(tab.label) or exercise.read == {"soc-alert", "supervisor-report"}


async def test_a_range_fault_is_announced_without_giving_the_attack_away():
    app, exercise = make_app()
    shown = Toasts()
    async with app.run_test(size=(80, 24), message_hook=shown) as pilot:
        await settle(pilot)
        exercise._emit("fault", {"what": "step c2-http", "reason": "beacon to http://evil.example failed"})
        await pilot.pause(0.2)
        await settle(pilot)
        toasts = [n for n in shown if "range had a fault" in n.message]
        assert toasts and toasts[0].severity == "error"
        assert not any("evil.example" in n.message or "c2-http" in n.message for n in shown)


async def test_submitting_an_indicator_lists_its_verdict():
    app, exercise = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        app.query_one("#ind-value", Input).focus()
        await pilot.press(*"update-mail28[.]example", "enter")
        await settle(pilot)
        assert exercise.journal["indicator"][-1]["verdict"] == "correct"
        table = app.query_one("#ind-table", DataTable)
        assert table.row_count == 3
        assert "correct" in str(table.get_row_at(2)[3])
        assert app.query_one("#ind-value", Input).value == ""
        await pilot.press("6")  # the cursor left the text box: the tab keys work again
        await settle(pilot)
        assert app.query_one("#tabs", TabbedContent).active == "actions"


async def test_an_action_runs_only_after_confirmation():
    app, exercise = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        app.query_one("#act-name", Select).value = "block-domain-proxy"
        await settle(pilot)
        app.query_one("#param-domain", Input).value = "update-mail28.example"
        app.query_one("#act-run").press()
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.pause(1.2)  # the clock ticks on under a dialog
        assert "0:45:12" in str(app.main.query_one("#status-bar", Static).render())
        await pilot.press("escape")  # no
        await settle(pilot)
        assert exercise.calls == []
        app.query_one("#act-run").press()
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert exercise.calls == [("act", "block-domain-proxy", {"domain": "update-mail28.example"})]
        assert app.query_one("#act-table", DataTable).row_count == 1


async def test_report_drafts_are_saved_while_typing_and_come_back():
    app, exercise = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("7")
        await settle(pilot)
        app.query_one("#field-incident_type", TextArea).focus()
        await pilot.press(*"malware")
        await pilot.pause(SAVE_DELAY + 0.3)
        assert exercise.drafts["first-report"]["incident_type"] == "malware"
    again = CyderApp(exercise, run_engine=False)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("7")
        await settle(pilot)
        assert again.query_one("#field-incident_type", TextArea).text == "malware"
        again.query_one("#rep-submit").press()
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert exercise.journal["report"][-1]["fields"]["incident_type"] == "malware"
        assert again.query_one("#field-incident_type", TextArea).read_only


async def test_a_hint_costs_points_only_when_confirmed():
    app, exercise = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("8")
        await settle(pilot)
        app.query_one("#hints", DataTable).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and "costs 2 points" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        assert exercise.hints_taken == {"c2-http": 1}
        assert isinstance(app.screen, MessageScreen)


async def test_the_command_palette_reaches_every_area():
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"Go to Score")
        await pilot.pause(0.5)
        await settle(pilot)  # the palette's search has finished (a loaded machine takes longer than 0.5 s)
        await pilot.press("enter")
        await settle(pilot)
        assert app.query_one("#tabs", TabbedContent).active == "score"
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"Action: isolate")
        await pilot.pause(0.5)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.query_one("#tabs", TabbedContent).active == "actions"
        assert app.query_one("#act-name", Select).value == "isolate"


async def test_help_lists_binding_ids_and_keys_can_be_remapped():
    app, _ = make_app(keymap={"help": "f2", "tab.score": "ctrl+g"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert app.query_one("#tabs", TabbedContent).active == "score"
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        text = str(app.screen.query_one("#message-body", Static).render())
        assert "quit" in text and "score.hint" in text and "tab.*" in text and "f2" in text


async def test_japanese_interface():
    app, _ = make_app(language="ja")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shot = screen_text(app)
        assert "概要" in shot and "受信箱" in shot and "検知" in shot and "演習時間" in shot
        await pilot.press("2")
        await settle(pilot)
        assert "不審な通信の検知について" in screen_text(app)


async def test_the_shell_key_asks_the_engine_for_the_host_and_needs_a_terminal():
    """Pilot runs headless, where the app cannot hand the terminal over; the shell itself is tested on
    Docker (tests/docker/test_play.py)."""
    app, exercise = make_app()
    asked = []
    exercise.shell_command = lambda host: asked.append(host) or ["true"]
    toasts = Toasts()
    async with app.run_test(size=(80, 24), message_hook=toasts) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        app.query_one("#host-list").focus()
        await pilot.press("down", "s")
        await settle(pilot)
        assert asked == ["isp-dns"]
        assert any("needs a terminal" in n.message for n in toasts)


async def test_evidence_search_and_live_view():
    app, exercise = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        events = app.query_one(EventList)
        assert len(events.events) == 40 and events.following
        query = app.query_one("#evidence-query", Input)
        query.focus()
        await pilot.press(*"news.example/7", "enter")
        await settle(pilot)
        assert [e.evidence.fields["url"] for e in events.events] == ["http://news.example/7"]
        assert "1 matches" in str(app.query_one("#evidence-status", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert len(events.events) == 40
        exercise.evidence.append(exercise.evidence[0].__class__(99, "team1", exercise.evidence[0].evidence))
        await pilot.pause(0.8)
        await settle(pilot)
        assert events.events[-1].id == 99


async def test_the_live_view_is_bounded():
    app, exercise = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        events = app.query_one(EventList)
        events.max_lines = 50
        batch = [exercise.evidence[0].__class__(1000 + n, "team1", exercise.evidence[0].evidence) for n in range(120)]
        events.append(batch)
        assert len(events.events) == 50 and events.events[-1].id == 1119


async def test_a_draft_that_cannot_be_saved_stays_on_screen_and_is_saved_once_there_is_room():
    from cyder.store.sqlite import StorageError
    from cyder.ui import reports

    app, exercise = make_app()
    saved = exercise.save_draft
    full = {"disk": True}

    def save_draft(report, fields):
        if full["disk"]:
            raise StorageError("cannot save to exercises.sqlite: database or disk is full")
        saved(report, fields)

    exercise.save_draft = save_draft
    reports.RETRY_DELAY = 0.3
    toasts = Toasts()
    async with app.run_test(size=(80, 24), message_hook=toasts) as pilot:
        await settle(pilot)
        await pilot.press("7")
        await settle(pilot)
        app.query_one("#field-incident_type", TextArea).focus()
        await pilot.press(*"malware")
        await pilot.pause(SAVE_DELAY + 0.3)
        assert "first-report" not in exercise.drafts
        assert app.query_one("#field-incident_type", TextArea).text == "malware"
        assert "NOT saved" in str(app.query_one("#rep-saved", Static).render())
        assert any("disk is full" in n.message for n in toasts)
        full["disk"] = False
        await pilot.pause(0.8)
        assert exercise.drafts["first-report"]["incident_type"] == "malware"
        assert "draft saved" in str(app.query_one("#rep-saved", Static).render())
    reports.RETRY_DELAY = 5.0

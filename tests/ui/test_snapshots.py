"""Snapshots of the main screens at 80x24 with a frozen clock and a fake engine.

Run `.venv/bin/python -m pytest tests/ui/test_snapshots.py --snapshot-update` after a deliberate
change of the layout, look at the SVGs under __snapshots__/ and commit them with the change.
"""

from __future__ import annotations

import pytest
from fake_engine import FakeExercise
from textual.widgets import Input, TextArea

from cyder.ui.app import CyderApp
from cyder.ui.testing import settle


def app(language: str = "en", hostile: bool = False) -> CyderApp:
    return CyderApp(FakeExercise(hostile=hostile), language=language, run_engine=False)


def steady(*keys: str):
    """Press keys, then wait until the app's work is done and nothing blinks."""
    async def run_before(pilot) -> None:
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        await settle(pilot)
        for widget in pilot.app.query("*").results():
            if isinstance(widget, (Input, TextArea)):
                widget.cursor_blink = False
        await pilot.pause()
    return run_before


@pytest.mark.parametrize("tab", ["1", "2", "3", "4", "5", "6", "7", "8"])
def test_each_area_at_80x24(snap_compare, tab):
    assert snap_compare(app(), run_before=steady(tab), terminal_size=(80, 24))


def test_overview_in_japanese(snap_compare):
    assert snap_compare(app("ja"), run_before=steady("1"), terminal_size=(80, 24))


def test_inbox_shows_markup_and_escapes_literally(snap_compare):
    assert snap_compare(app(hostile=True), run_before=steady("2"), terminal_size=(80, 24))


def test_help_screen(snap_compare):
    assert snap_compare(app(), run_before=steady("question_mark"), terminal_size=(80, 24))


def test_larger_terminal(snap_compare):
    assert snap_compare(app(), run_before=steady("1"), terminal_size=(120, 36))

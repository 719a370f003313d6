"""Showing untrusted text literally.

Mail bodies, log lines, file names and report text come from the range, where the attacker and the
staff write them. They are never parsed as Rich markup (they always go into `Text` objects, not
markup strings) and their control characters are replaced by visible escapes, so an ESC sequence
in a log line cannot recolour, retitle or scroll the trainee's terminal.
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.text import Text

# C0 controls except newline and tab, DEL, and the C1 controls (0x9b is a one-byte CSI).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(value: object) -> str:
    """The text with every control character written as a visible escape (\\x1b, \\r ...)."""
    text = str(value)
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text).replace("\t", "    ")


def one_line(value: object) -> str:
    """Like `visible`, on one line (newlines shown as ⏎)."""
    return visible(value).replace("\n", " ⏎ ")


def literal(value: object, style: str = "") -> Text:
    """A Rich Text that shows the value exactly as written: no markup, no control sequences."""
    return Text(visible(value), style=style, no_wrap=False)


def literal_line(value: object, style: str = "") -> Text:
    """A one-line literal Text (cut at the widget's edge instead of wrapping)."""
    return Text(one_line(value), style=style, no_wrap=True, overflow="ellipsis")


def pad(text: str, width: int) -> str:
    """Left-aligned in a column of `width` terminal cells (Japanese characters take two)."""
    return text + " " * max(0, width - cell_len(text))

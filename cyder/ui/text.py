"""Showing untrusted text literally.

Mail bodies, log lines, file names and report text come from the range, where the attacker and the
staff write them. They are never parsed as Rich markup (they always go into `Text` objects, not
markup strings) and their control characters are replaced by visible escapes, so an ESC sequence
in a log line cannot recolour, retitle or scroll the trainee's terminal.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from ..output import one_line, visible

__all__ = ["literal", "literal_line", "one_line", "pad", "visible"]


def literal(value: object, style: str = "") -> Text:
    """A Rich Text that shows the value exactly as written: no markup, no control sequences."""
    return Text(visible(value), style=style, no_wrap=False)


def literal_line(value: object, style: str = "") -> Text:
    """A one-line literal Text (cut at the widget's edge instead of wrapping)."""
    return Text(one_line(value), style=style, no_wrap=True, overflow="ellipsis")


def pad(text: str, width: int) -> str:
    """Left-aligned in a column of `width` terminal cells (Japanese characters take two)."""
    return text + " " * max(0, width - cell_len(text))

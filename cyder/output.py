"""Showing untrusted text literally, in every form cyder writes it.

Log lines, mail, file names, step reasons and whatever a trainee types (indicators, report text,
notes) reach the terminal, Markdown, HTML and CSV. None of it may act on the reader: an ESC or C1
sequence must not recolour, retitle or scroll a terminal, raw HTML must not run in a Markdown
viewer, a cell must not become a spreadsheet formula. Every command-line output goes through
`echo`, JSON through `json_text`, Markdown through `markdown_text` and CSV cells through
`csv_cell`. Nothing here imports Textual or Docker.
"""

from __future__ import annotations

import json
import re
import sys
from typing import IO, Any

# C0 controls except newline and tab, DEL, and the C1 controls (0x9b is a one-byte CSI).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_C1 = re.compile(r"[\x7f-\x9f]")
# Characters with a meaning in Markdown or in the HTML a Markdown viewer passes through.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]|~])")
# What makes a line a heading, a list item, a quote or a rule when it starts one.
_LINE_START = re.compile(r"^(#|[-+=]|\d+[.)])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def visible(value: object) -> str:
    """The text with every control character written as a visible escape (\\x1b, \\r ...); tabs as
    four spaces, newlines kept."""
    text = str(value)
    return CONTROL.sub(lambda m: repr(m.group())[1:-1], text).replace("\t", "    ")


def one_line(value: object) -> str:
    """Like `visible`, on one line (newlines shown as ⏎)."""
    return visible(value).replace("\r\n", "\n").replace("\n", " ⏎ ")


def echo(*values: object, file: IO[str] | None = None, end: str = "\n", sep: str = " ", flush: bool = False) -> None:
    """Print to the terminal (stdout unless `file`) with every control character made visible."""
    print(*(visible(v) for v in values), file=file or sys.stdout, end=end, sep=sep, flush=flush)


def json_text(data: Any, **options: Any) -> str:
    """JSON that keeps non-ASCII text readable but carries no raw control character: the C0 ones
    JSON escapes itself, DEL and C1 (which `ensure_ascii=False` would pass) as \\u escapes."""
    text = json.dumps(data, ensure_ascii=False, **options)
    return _C1.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def markdown_text(value: object) -> str:
    """Text for a Markdown page, shown as written: control characters visible, Markdown syntax
    backslash-escaped and HTML's special characters as entities (viewers pass raw HTML through)."""
    text = _LINE_START.sub(r"\\\1", _MARKDOWN.sub(r"\\\1", one_line(value)))
    return "".join(_HTML.get(ch, ch) for ch in text)


def csv_cell(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text: control characters visible, and a leading
    =, +, -, @ (a formula in Excel or LibreOffice) guarded by a quote. Numbers pass unchanged."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = visible(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

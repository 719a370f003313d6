"""Tables in the docs written from the kind registries, so the docs follow the code.

    python -m cyder.devtools.docs [--root DIR] [--check]

A generated table sits between `<!-- cyder:table NAME -->` and `<!-- /cyder:table -->` in a
Markdown file; this rewrites each from its generator in TABLES (`--check` only reports the tables
that are not current, and exits 1). Today: the services table of docs/ranges.md, from each service
kind's fields and its `daemon`, `evidence` and `option_notes` ClassVars (cyder/services/); the
checks and actions tables of docs/scoring.md, from each check kind's `bad` and `good` ClassVars
(cyder/exercise/checks/) and each action's parameters and `help` (cyder/exercise/actions/).
variables, steps and preconditions tables of docs/authoring.md, from those kinds' fields,
docstrings and ClassVars (cyder/scenario/variables/, steps/, preconditions/). A file of TABLES that
does not exist under the root is skipped with a note (a --root holding only some of the docs).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel

from ..exercise.actions import ACTION_KINDS
from ..exercise.checks import CHECKS, check_kinds
from ..model.range import SERVICES
from ..model.scenario import PRECONDITIONS, STEP_ACTIONS, VARIABLES
from ..scenario.variables import variable_kinds
from ..services import service_kinds

MARKER = re.compile(r"(<!-- cyder:table (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /cyder:table -->)", re.DOTALL)


def services_table() -> str:
    """One row per service kind: its tag, daemon, options (its YAML fields) and evidence."""
    rows = ["| kind | daemon | options | evidence it leaves |", "|---|---|---|---|"]
    for kind in service_kinds():
        options = ", ".join(f"`{name}`" + (f" ({kind.option_notes[name]})" if name in kind.option_notes else "")
                            for name in kind.model_fields if name != SERVICES.tag)
        rows.append(_row(f"`{SERVICES.tag_of(kind)}`", kind.daemon, options, kind.evidence))
    return "\n".join(rows) + "\n"


def checks_table() -> str:
    """One row per check kind: its tag, and what its bad and good states are."""
    rows = ["| check | bad | good |", "|---|---|---|"]
    for kind in check_kinds():
        rows.append(_row(f"`{CHECKS.tag_of(kind)}`", kind.bad, kind.good))
    return "\n".join(rows) + "\n"


def actions_table() -> str:
    """One row per response action: its name, its parameters and what it does."""
    rows = ["| action | parameters | what it does |", "|---|---|---|"]
    for cls in ACTION_KINDS.models():
        rows.append(_row(f"`{cls.name()}`", " ".join(f"`{p}=`" for p in cls.params()), cls.help))
    return "\n".join(rows) + "\n"


def variables_table() -> str:
    """One row per variable kind: its tag, how it is written, what it gives."""
    rows = ["| kind | example | gives |", "|---|---|---|"]
    for kind in variable_kinds():
        rows.append(_row(f"`{VARIABLES.tag_of(kind)}`", kind.example, kind.gives))
    return "\n".join(rows) + "\n"


def steps_table() -> str:
    """One row per step kind: its tag, its fields (required, then optional) and what it does."""
    rows = ["| kind | fields | what it does |", "|---|---|---|"]
    for kind in STEP_ACTIONS.models():
        rows.append(_row(f"`{STEP_ACTIONS.tag_of(kind)}`", _fields(kind, STEP_ACTIONS.tag), _doc(kind)))
    return "\n".join(rows) + "\n"


def preconditions_table() -> str:
    """One row per precondition check: its tag, the fields it needs and what it checks."""
    rows = ["| check | needs | holds when |", "|---|---|---|"]
    for kind in PRECONDITIONS.models():
        needs = ", ".join(f"`{name}`" for name in ("host", *kind.needs))
        rows.append(_row(f"`{PRECONDITIONS.tag_of(kind)}`", needs, _doc(kind)))
    return "\n".join(rows) + "\n"


def _fields(kind: type[BaseModel], tag: str) -> str:
    """A kind's YAML fields: the required ones, then the optional ones marked so."""
    fields = [(name, f) for name, f in kind.model_fields.items() if name != tag]
    required = [f"`{name}`" for name, f in fields if f.is_required()]
    optional = [f"`{name}`" for name, f in fields if not f.is_required()]
    return ", ".join(required) + (f"; optional {', '.join(optional)}" if optional else "")


def _doc(kind: type) -> str:
    """A class's docstring as one line of a table."""
    return " ".join((kind.__doc__ or "").split()).replace("|", "\\|")


def _row(*cells: str) -> str:
    """A Markdown table row (an empty cell as `| |`)."""
    return "|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|"


TABLES: dict[str, tuple[str, Callable[[], str]]] = {
    # name: (the file that holds it, relative to the root; its generator)
    "services": ("docs/ranges.md", services_table),
    "checks": ("docs/scoring.md", checks_table),
    "actions": ("docs/scoring.md", actions_table),
    "variables": ("docs/authoring.md", variables_table),
    "steps": ("docs/authoring.md", steps_table),
    "preconditions": ("docs/authoring.md", preconditions_table),
}


def rewrite(text: str, file: str) -> str:
    """The text with every table of TABLES that it holds written anew."""
    def table(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in TABLES or TABLES[name][0] != file:
            raise KeyError(f"{file}: no table {name!r} is generated for this file")
        return match[1] + TABLES[name][1]() + match[4]

    return MARKER.sub(table, text)


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite the generated tables (or, with --check, say which are not current); 1 when some were not."""
    parser = argparse.ArgumentParser(prog="python -m cyder.devtools.docs", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2],
                        help="the checkout holding docs/ (default: this one)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a table is not current")
    args = parser.parse_args(argv)
    stale = []
    for file in sorted({file for file, _ in TABLES.values()}):
        path = args.root / file
        if not path.exists():
            print(f"{file}: not found under {args.root}; its tables are skipped", file=sys.stderr)
            continue
        text = path.read_text(encoding="utf-8")
        names = {m["name"] for m in MARKER.finditer(text)}
        missing = sorted(n for n, (f, _) in TABLES.items() if f == file and n not in names)
        if missing:
            print(f"{file}: no <!-- cyder:table {missing[0]} --> marker for the generated table", file=sys.stderr)
            return 1
        new = rewrite(text, file)
        if new != text:
            stale.append(file)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    for file in stale:
        print(f"{file}: {'not current; run python -m cyder.devtools.docs' if args.check else 'rewritten'}")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())

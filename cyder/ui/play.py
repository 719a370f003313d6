"""`cyder play`: from a fresh machine's images to a team at work in the app, or the same app served
to a browser.

It opens (or resumes) the team's exercise, makes sure no other process runs it, and starts the
app, which builds missing images and brings the range up with progress shown before the clock
starts. With `--web`, textual-serve runs this same command for each browser that connects, on
loopback unless told otherwise.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path

from ..errors import CyderError
from ..paths import data_dir
from .i18n import choose_language

DEFAULT_SCENARIO = "targeted-email"


def parse_keymap(text: str | None) -> dict[str, str]:
    """Key overrides from `id=key,id=key` (CYDER_KEYMAP); a CyderError names a bad entry."""
    keymap = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        binding, sep, keys = item.partition("=")
        if not sep or not binding.strip() or not keys.strip():
            raise CyderError(f"CYDER_KEYMAP: expected id=key, got {item.strip()!r}")
        keymap[binding.strip()] = keys.strip()
    return keymap


def run_app(exercise, language: str | None, results: Path) -> int:
    """Run the app in this terminal until the team quits; print where the exercise stands."""
    from ..exercise.debrief import write_debrief
    from .app import CyderApp

    try:
        lang = choose_language(language)
    except ValueError as exc:
        raise CyderError(str(exc)) from None
    keymap = parse_keymap(os.environ.get("CYDER_KEYMAP"))

    def debrief() -> str:
        paths = write_debrief(exercise, results / exercise.team)
        return str(paths[0]) if paths else ""

    app = CyderApp(exercise, language=lang, keymap=keymap, on_finish=debrief)
    app.run()
    exercise.release()
    totals = exercise.totals()
    state = "finished" if exercise.clock["finished"] else "stopped; `cyder play` resumes it"
    print(f"team {exercise.team}: {totals['total']:g} points; exercise clock {exercise.now():.0f} s, {state}")
    return app.return_code or 0


def web_template_dir() -> Path:
    """textual-serve's page without its web-font link: nothing is fetched from outside at run time."""
    import textual_serve

    source = Path(textual_serve.__file__).parent / "templates" / "app_index.html"
    page = re.sub(r"<link\s+rel=\"stylesheet\"\s+href=\"https://fonts\.googleapis\.com[^>]*>", "", source.read_text())
    folder = data_dir() / "web-templates"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app_index.html").write_text(page)
    return folder


def serve_web(argv: list[str], host: str, port: int, title: str) -> int:
    """Serve `cyder play` (without --web) to browsers with textual-serve until interrupted."""
    from textual_serve.server import Server

    command = shlex.join([sys.executable, "-m", "cyder", *argv])
    server = Server(command, host=host, port=port, title=title, templates_path=web_template_dir())
    print(f"cyder play: serving the app at http://{host}:{port}/ (ctrl+c stops)", file=sys.stderr, flush=True)
    server.serve()
    return 0


def web_argv(args) -> list[str]:
    """The `cyder play` command line a browser session runs (the same options, without --web)."""
    argv = ["play"]
    if args.scenario:
        argv.append(args.scenario)
    argv += ["--team", args.team]
    for option in ("seed", "speed", "course", "staff", "store", "lang", "results"):
        value = getattr(args, option, None)
        if value is not None:
            argv += [f"--{option}", str(value)]
    return argv

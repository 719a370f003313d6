"""`cyder play`: from a fresh machine's images to a team at work in the app, or the same app served
to a browser.

It opens (or resumes) the team's exercise, makes sure no other process runs it, and starts the
app, which builds missing images and brings the range up with progress shown before the clock
starts. With `--web`, textual-serve runs this same command for each browser that connects, on
loopback unless told otherwise; since every connection starts a process as the user who runs the
server (often root), the server only answers pages that carry this run's random token, from the
names it is reached by (Host) and from its own pages (Origin), and runs at most `--max-sessions`
sessions at once.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import shlex
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import CyderError
from ..exercise.protocol import LocalSession
from ..output import echo
from ..paths import data_dir
from .i18n import choose_language

# One session plays the team's exercise; the spare one lets a reloaded page or a second tab reach
# the app and be told the exercise is already running, instead of being refused.
DEFAULT_WEB_SESSIONS = 2
WILDCARD_HOSTS = ("", "0.0.0.0", "::")


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


def run_app(exercise: LocalSession, language: str | None, results: Path) -> int:
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
    echo(f"team {exercise.team}: {totals['total']:g} points; exercise clock {exercise.now():.0f} s, {state}")
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


@dataclass
class WebAccess:
    """Who may use the web app of one `cyder play --web` run, and the addresses its pages give.

    A Host that is an address, `localhost`, the machine's name, the listening host or the public
    URL's host is accepted: a page on another site can reach this server through DNS rebinding only
    under a name of its own, which is refused. An Origin must be the server's own (the Host's, or the
    public URL's), so other sites' pages cannot open a session; the token in the URL keeps out
    anyone who was not given the link.
    """

    token: str
    listen_host: str
    port: int
    public_url: str | None = None
    max_sessions: int = DEFAULT_WEB_SESSIONS
    sessions: int = 0

    def __post_init__(self) -> None:
        if self.max_sessions < 1:
            raise CyderError("--max-sessions must be at least 1")
        if self.public_url is not None:
            parts = urlsplit(self.public_url)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
                raise CyderError(f"--public-url: expected http(s)://HOST[:PORT][/PATH], got {self.public_url!r}")
            self.public_url = self.public_url.rstrip("/")

    def host_allowed(self, host: str) -> bool:
        """Whether a request's Host names this server."""
        name = _hostname(host)
        if not name:
            return False
        try:
            ipaddress.ip_address(name)
            return True
        except ValueError:
            pass
        names = {"localhost", self.listen_host.lower(), socket.gethostname().lower()}
        if self.public_url:
            names.add(urlsplit(self.public_url).hostname or "")
        return name in names

    def origin_allowed(self, origin: str, host: str) -> bool:
        """Whether a request's Origin is one of this server's own pages."""
        own = {f"http://{host}".lower(), f"https://{host}".lower()}
        if self.public_url:
            parts = urlsplit(self.public_url)
            own.add(f"{parts.scheme}://{parts.netloc}".lower())
        return origin.lower() in own

    def token_ok(self, token: str | None) -> bool:
        """Whether a request carries this run's token (compared in constant time)."""
        return token is not None and secrets.compare_digest(token.encode(), self.token.encode())

    def base_url(self, scheme: str, host: str) -> str:
        """Where browsers reach the server: the public URL, else the address this request used."""
        return self.public_url or f"{scheme}://{host}"

    def websocket_url(self, scheme: str, host: str) -> str:
        """The session's websocket for a page requested with this scheme and Host."""
        base = self.base_url(scheme, host)
        return ("wss" if base.startswith("https:") else "ws") + base[base.index(":"):] + f"/ws/{self.token}"

    def page_url(self) -> str:
        """The link to give the team: the page with this run's token."""
        if self.public_url:
            base = self.public_url
        else:
            host = "127.0.0.1" if self.listen_host in WILDCARD_HOSTS else self.listen_host
            base = f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"
        return f"{base}/?token={self.token}"


def _hostname(host: str) -> str | None:
    """The name or address in a Host header, lower-case and without port or brackets."""
    try:
        return urlsplit(f"//{host}").hostname
    except ValueError:
        return None


def web_server(command: str, access: WebAccess, title: str):
    """A textual-serve server for `command` that lets in only what `access` allows."""
    import aiohttp_jinja2
    from aiohttp import web
    from textual_serve.server import Server, to_int

    @web.middleware
    async def check_host_and_origin(request: web.Request, handler):
        if not access.host_allowed(request.host):
            raise web.HTTPForbidden(text="this server is not reached by that name (Host)\n")
        origin = request.headers.get("Origin")
        if origin is not None and not access.origin_allowed(origin, request.host):
            raise web.HTTPForbidden(text="requests from other sites' pages are refused (Origin)\n")
        return await handler(request)

    def announce() -> None:
        echo(f"cyder play: serving the app at {access.page_url()} (ctrl+c stops)\n"
             "  the link carries this run's token: give it only to the team", file=sys.stderr, flush=True)
        if access.listen_host in WILDCARD_HOSTS and not access.public_url:
            echo("  from other machines, use this machine's address instead of 127.0.0.1, "
                 "or start with --public-url", file=sys.stderr, flush=True)

    class GuardedServer(Server):
        """textual-serve with the checks of `access`: the page and its websocket need the token, the
        websocket a browser's own Origin and a free session; the page names the websocket as the
        browser reached the server (or by the public URL), never by the listening address."""

        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            app.middlewares.append(check_host_and_origin)
            # The token goes in the path: textual.js appends `?width=...` to the websocket URL.
            app.router.add_get("/ws/{token}", self.handle_websocket, name="session")
            return app

        async def on_startup(self, app: web.Application) -> None:
            """Nothing: the link is printed once the server listens (textual-serve's banner omits the token)."""

        def serve(self, debug: bool = False) -> None:
            """Serve until ctrl+c or SIGTERM, printing the link once the port is open."""
            self.debug = debug
            self.initialize_logging()
            web.run_app(self._make_app(), host=self.host, port=self.port, print=lambda *_: announce())

        async def handle_index(self, request: web.Request) -> web.StreamResponse:
            if not access.token_ok(request.query.get("token")):
                raise web.HTTPForbidden(text="open the link `cyder play --web` printed: it carries a token\n")
            base = access.base_url(request.scheme, request.host)
            context = {
                "font_size": to_int(request.query.get("fontsize", "16"), 16),
                "app_websocket_url": access.websocket_url(request.scheme, request.host),
                "config": {"static": {"url": f"{base}/static/"}},
                "application": {"name": self.title},
            }
            response = aiohttp_jinja2.render_template("app_index.html", request, context)
            # The address holds the token: keep it out of caches and of other sites' logs.
            response.headers["Cache-Control"] = "no-store"
            response.headers["Referrer-Policy"] = "no-referrer"
            return response

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            if not access.token_ok(request.match_info.get("token")):
                raise web.HTTPForbidden(text="missing or wrong token\n")
            if "Origin" not in request.headers:
                raise web.HTTPForbidden(text="a session is opened only by the app's page (Origin)\n")
            if access.sessions >= access.max_sessions:
                raise web.HTTPServiceUnavailable(
                    text=f"{access.sessions} sessions already open (cyder play --web --max-sessions)\n")
            access.sessions += 1
            try:
                return await super().handle_websocket(request)
            finally:
                access.sessions -= 1

    return GuardedServer(command, host=access.listen_host, port=access.port, title=title,
                         public_url=access.public_url, templates_path=web_template_dir())


def serve_web(argv: list[str], host: str, port: int, title: str, *, public_url: str | None = None,
              max_sessions: int = DEFAULT_WEB_SESSIONS) -> int:
    """Serve `cyder play` (without --web) to browsers with textual-serve until interrupted."""
    access = WebAccess(secrets.token_urlsafe(24), host, port, public_url, max_sessions)
    command = shlex.join([sys.executable, "-m", "cyder", *argv])
    web_server(command, access, title).serve()
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

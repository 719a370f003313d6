"""`cyder play --web`: only the team's own page, reached by the server's own names and carrying this
run's token, opens sessions, and no more of them than allowed. The servers run on 127.0.0.1 with a
stand-in command (it waits for textual-serve's quit), so no Docker and no exercise are needed."""

import asyncio
import os
import re
import shlex
import socket
import subprocess
import sys
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web

from cyder.errors import CyderError
from cyder.ui.play import WebAccess, web_server

TOKEN = "t0ken-for-this-test"
# Stands in for `cyder play`: stays until textual-serve sends its quit packet on stdin.
STAND_IN = shlex.join([sys.executable, "-c", "import sys\n"
                       "for chunk in iter(lambda: sys.stdin.buffer.read1(4096), b''):\n"
                       "    if b'quit' in chunk: break\n"])


@pytest.fixture(autouse=True)
def data_folder(tmp_path, monkeypatch):
    """The page template is written under the data folder: keep it in the test's own."""
    monkeypatch.setenv("CYDER_DATA", str(tmp_path / "data"))


@asynccontextmanager
async def serving(**options):
    """A guarded server on 127.0.0.1 on a free port; yields (access, base URL)."""
    access = WebAccess(TOKEN, options.pop("listen_host", "127.0.0.1"), 0, **options)
    app = await web_server(STAND_IN, access, "cyder: test")._make_app()
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    access.port = port
    try:
        yield access, f"http://127.0.0.1:{port}"
        await wait_for_sessions(access, 0)  # each stand-in has quit: no process outlives its test
    finally:
        await runner.cleanup()


async def status(session, url, **headers) -> int:
    async with session.get(url, headers=headers, allow_redirects=False) as response:
        return response.status


async def websocket_status(session, url, **headers) -> int:
    """101 when the websocket opened (it is closed again at once), else the refusal's status."""
    try:
        async with session.ws_connect(url, headers=headers):
            return 101
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status


def websocket_url_in(page: str) -> str:
    return re.search(r'data-session-websocket-url="([^"]+)"', page).group(1)


async def test_page_needs_the_token_and_names_its_websocket_as_reached():
    async with serving() as (access, base), aiohttp.ClientSession() as session:
        assert await status(session, f"{base}/") == 403
        assert await status(session, f"{base}/?token=wrong") == 403
        async with session.get(f"{base}/?token={TOKEN}") as response:
            assert response.status == 200
            assert response.headers["Referrer-Policy"] == "no-referrer"
            page = await response.text()
        assert websocket_url_in(page) == f"ws://127.0.0.1:{access.port}/ws/{TOKEN}"
        assert f'href="{base}/static/css/xterm.css"' in page
        assert "fonts.googleapis.com" not in page
        async with session.get(f"{base}/?token={TOKEN}", headers={"Host": f"localhost:{access.port}"}) as response:
            assert websocket_url_in(await response.text()) == f"ws://localhost:{access.port}/ws/{TOKEN}"


async def test_wrong_host_or_origin_is_refused():
    async with serving() as (access, base), aiohttp.ClientSession() as session:
        page = f"{base}/?token={TOKEN}"
        assert await status(session, page, Host=f"evil.example:{access.port}") == 403  # DNS rebinding
        assert await status(session, f"{base}/static/js/textual.js", Host="evil.example") == 403
        assert await status(session, page, Origin="http://evil.example") == 403
        assert await status(session, page, Origin="null") == 403
        assert await status(session, page, Origin=base) == 200
        assert await status(session, f"{base}/static/js/textual.js") == 200  # textual-serve's own files


async def test_websocket_needs_token_and_own_origin():
    async with serving() as (access, base), aiohttp.ClientSession() as session:
        ws = f"ws://127.0.0.1:{access.port}"
        assert await websocket_status(session, f"{ws}/ws", Origin=base) == 403  # textual-serve's own route
        assert await websocket_status(session, f"{ws}/ws/wrong", Origin=base) == 403
        assert await websocket_status(session, f"{ws}/ws/{TOKEN}") == 403  # no Origin: not a browser's page
        assert await websocket_status(session, f"{ws}/ws/{TOKEN}", Origin="http://evil.example") == 403
        assert await websocket_status(session, f"{ws}/ws/{TOKEN}", Origin=base,
                                      Host=f"evil.example:{access.port}") == 403
        assert await websocket_status(session, f"{ws}/ws/{TOKEN}?width=80&height=24", Origin=base) == 101


async def wait_for_sessions(access, count):
    for _ in range(100):
        if access.sessions == count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{access.sessions} sessions open, expected {count}")


async def test_session_limit_refuses_the_extra_one_and_frees_a_slot_on_close():
    async with serving(max_sessions=1) as (access, base), aiohttp.ClientSession() as session:
        url = f"ws://127.0.0.1:{access.port}/ws/{TOKEN}"
        async with session.ws_connect(url, headers={"Origin": base}):
            await wait_for_sessions(access, 1)
            assert await websocket_status(session, url, Origin=base) == 503
        await wait_for_sessions(access, 0)
        assert await websocket_status(session, url, Origin=base) == 101


async def test_public_url_is_what_pages_advertise_and_accept():
    async with serving(public_url="https://cyder.example/team1/") as (access, base), \
            aiohttp.ClientSession() as session:
        headers = {"Host": "cyder.example", "Origin": "https://cyder.example"}
        async with session.get(f"{base}/?token={TOKEN}", headers=headers) as response:
            assert response.status == 200
            page = await response.text()
        assert websocket_url_in(page) == f"wss://cyder.example/team1/ws/{TOKEN}"
        assert 'href="https://cyder.example/team1/static/css/xterm.css"' in page
        assert await websocket_status(session, f"ws://127.0.0.1:{access.port}/ws/{TOKEN}",
                                      Origin="https://cyder.example") == 101
        assert access.page_url() == f"https://cyder.example/team1/?token={TOKEN}"


async def test_all_interfaces_advertise_the_address_the_browser_used():
    # Listening on every interface (configured, not done: the test's socket stays on 127.0.0.1), a
    # browser that came by the machine's address gets a websocket on that address, not ws://0.0.0.0.
    async with serving(listen_host="0.0.0.0") as (access, base), aiohttp.ClientSession() as session:
        host = f"192.0.2.10:{access.port}"
        async with session.get(f"{base}/?token={TOKEN}", headers={"Host": host}) as response:
            assert websocket_url_in(await response.text()) == f"ws://{host}/ws/{TOKEN}"
        assert "0.0.0.0" not in access.page_url()


def test_bad_options_are_refused():
    with pytest.raises(CyderError, match="--max-sessions"):
        WebAccess(TOKEN, "127.0.0.1", 8000, max_sessions=0)
    with pytest.raises(CyderError, match="--public-url"):
        WebAccess(TOKEN, "127.0.0.1", 8000, public_url="cyder.example:8000")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_cyder_play_web_prints_a_link_with_a_new_token(tmp_path):
    env = {**os.environ, "CYDER_DATA": str(tmp_path / "data")}
    links = []
    for _ in range(2):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cyder", "play", "--web", "--port", str(free_port()), "--team", "t1",
            "--store", str(tmp_path / "ex.sqlite"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        try:
            line = (await asyncio.wait_for(proc.stderr.readline(), 30)).decode()
            link = re.search(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{20,}", line).group(0)
            async with aiohttp.ClientSession() as session:
                assert await status(session, link) == 200
                assert await status(session, link.split("?")[0]) == 403
            links.append(link)
        finally:
            proc.terminate()
            await proc.wait()
    assert links[0].split("token=")[1] != links[1].split("token=")[1]

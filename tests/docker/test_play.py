"""The trainee app on a real range: a short exercise played through the UI, the shell into a host,
and the app served to a browser over loopback."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
import pytest
from textual.widgets import DataTable, Input, Select, Static, TabbedContent, TextArea

from cyder.exercise.engine import Exercise
from cyder.exercise.store import ExerciseStore
from cyder.evidence.store import EvidenceStore
from cyder.ui.app import CyderApp
from cyder.ui.dialogs import ConfirmScreen
from cyder.ui.evidence import EventList
from cyder.ui.reports import SAVE_DELAY

from conftest import TEST_STAFF
from runid import team


ROOT = Path(__file__).resolve().parents[2]
TEAM = team("tplay")


async def until(pilot, condition, timeout: float, what: str) -> None:
    """Let the app run until a condition holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.25)


async def press_in(pilot, widget, *keys: str) -> None:
    widget.focus()
    await pilot.pause()
    await pilot.press(*keys)


@pytest.fixture
def exercise(backend, tmp_path):
    backend.down(TEAM)
    exercise = Exercise(backend, ExerciseStore(tmp_path / "exercises.sqlite"), TEAM, ROOT / "scenarios" / "targeted-email.yaml",
                        speed=60, staff=TEST_STAFF, evidence=EvidenceStore(tmp_path / "evidence.sqlite"))
    yield exercise
    backend.down(TEAM)


async def test_a_short_exercise_played_through_the_app(exercise):
    values = exercise.variant.values
    domain, pc = values["c2_domain"], values["target"].pc
    app = CyderApp(exercise)
    progress = []

    def seen(message) -> None:
        if isinstance(message, CyderApp.Prepared):
            progress.append(message.progress)

    async with app.run_test(size=(100, 30), message_hook=seen) as pilot:
        # The range comes up behind the start screen, with progress shown, then the clock runs.
        await until(pilot, lambda: app.ready, 240, "the range to come up")
        stages = {p.stage for p in progress}
        assert "image" in stages and "ready" in stages, stages
        await until(pilot, lambda: exercise.clock["started"], 60, "the clock to start")

        # The SOC's alert arrives in the inbox; opening it marks it read.
        await until(pilot, lambda: "soc-alert" in exercise.injects, 180, "the SOC inject")
        await pilot.press("2")
        await pilot.pause(0.5)
        body = str(app.query_one("#inbox-body", Static).render())
        assert "Suspicious traffic detected" in body and pc in body
        assert "soc-alert" in exercise.read_injects()

        # The beacon is in the evidence: search for the C2 domain.
        await pilot.press("3")
        await pilot.pause(0.5)
        await press_in(pilot, app.query_one("#evidence-query", Input), *domain, "enter")
        events = app.query_one(EventList)
        await until(pilot, lambda: not app.query_one("#evidence-pane").live and events.events, 30, "search results")
        beacons = [e for e in events.events if e.evidence.kind == "proxy-access" and domain in e.evidence.raw]
        assert beacons, [e.evidence.raw for e in events.events][:5]

        # Submit the C2 domain: judged correct, credited in the ledger.
        before = len(exercise.ledger())
        await pilot.press("5")
        await pilot.pause(0.3)
        await press_in(pilot, app.query_one("#ind-value", Input), *domain.replace(".", "[.]"), "enter")
        await pilot.pause(0.3)
        assert exercise.submissions("indicator")[-1]["verdict"] == "correct"
        assert any(e.rule == f"indicator:domain:{domain}" and e.points > 0 for e in exercise.ledger())

        # Block it at the proxy, after confirming; the next round's check on the range credits it.
        await pilot.press("6")
        await pilot.pause(0.3)
        assert app.main.query_one("#tabs", TabbedContent).active == "actions"
        app.query_one("#act-name", Select).value = "block-domain-proxy"
        await pilot.pause(0.3)
        app.query_one("#param-domain", Input).value = domain
        app.query_one("#act-run").press()
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5, "the confirmation")
        await pilot.press("y")
        await until(pilot, lambda: exercise.submissions("action"), 60, "the action")
        assert domain in exercise.submissions("action")[-1]["outcome"]
        await until(pilot, lambda: "c2-blocked" in exercise.credited_rules, 120, "the C2 block to be credited")

        # The first report: typed, saved as a draft, filed.
        await pilot.press("7")
        await pilot.pause(0.5)
        assert app.main.query_one("#tabs", TabbedContent).active == "reports"
        await press_in(pilot, app.query_one("#field-affected_systems", TextArea), *pc)
        await press_in(pilot, app.query_one("#field-indicators", TextArea), *domain, "escape")
        await pilot.pause(SAVE_DELAY + 0.5)
        area = app.query_one("#field-affected_systems", TextArea)
        assert exercise.draft("first-report").get("affected_systems") == pc, (app.focused, area.text, app.screen)
        app.query_one("#rep-submit").press()
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5, "the confirmation")
        await pilot.press("y")
        await until(pilot, lambda: "first-report" in exercise.reports, 10, "the report")
        assert any(e.rule == "report:first-report:indicators" and e.points > 0 for e in exercise.ledger())

        # The score shows every ledger entry, more than before.
        await pilot.press("8")
        await pilot.pause(0.5)
        ledger = app.query_one("#ledger", DataTable)
        assert ledger.row_count == len(exercise.ledger()) > before
        reasons = " ".join(str(ledger.get_row_at(n)[3]) for n in range(ledger.row_count))
        assert "C2 traffic blocked" in reasons and domain in reasons

        # The host view: services, processes and logs of the chosen host.
        await pilot.press("4")
        detail = app.query_one("#host-detail", Static)
        await until(pilot, lambda: "PID" in str(detail.render()), 30, "the host's processes")
        shown = str(detail.render())
        assert "fw" in shown and "Services" in shown and "Recent logs" in shown

        # The map knows the hosts' states.
        await pilot.press("1")
        await until(pilot, lambda: app.pane(type(app.query_one("#overview-pane"))).states.get(pc) == "running", 30,
                    "host states")
    # Closing the app stops the engine: its clock stands still and another process may run it.
    stopped = exercise.now()
    await asyncio.sleep(1.5)
    assert exercise.now() == stopped
    exercise.claim()
    exercise.release()


def test_the_shell_command_reaches_the_host(backend, saida_team):
    """The command the app hands the terminal to opens a login shell in the host's container."""
    from cyder.model import load_range

    argv = backend.shell_command(saida_team, "pc01", tty=False)
    assert argv[:2] == ["docker", "exec"] and "-i" in argv
    done = subprocess.run(argv, input="hostname; id -un; exit\n", capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:2] == ["pc01", "root"]
    assert load_range(ROOT / "ranges" / "saida-city.yaml").host("pc01") is not None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_app_is_served_to_a_browser_on_loopback(backend, tmp_path, run_id):
    """`cyder play --web`: the page is served on 127.0.0.1 only, to the link with this run's token,
    and a browser session runs the app, which brings the team's range up."""
    team = f"tweb{run_id}"
    backend.down(team)
    port = free_port()
    env = {**os.environ, "CYDER_DATA": str(tmp_path)}
    server = subprocess.Popen([sys.executable, "-m", "cyder", "play", "--team", team, "--staff", "0", "--web",
                               "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        link = ""
        deadline = time.monotonic() + 60
        while not link and time.monotonic() < deadline:
            line = server.stdout.readline()
            found = re.search(r"(http://127\.0\.0\.1:\d+/\?token=[\w-]+)", line)
            link = found.group(1) if found else ""
        assert link, "cyder play --web printed no link"
        token = link.rsplit("=", 1)[1]
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)  # no token: refused
        page = urllib.request.urlopen(link, timeout=5).read().decode()
        assert "textual" in page.lower() and "googleapis" not in page
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout
        local = [line.split()[3] for line in listening.splitlines()]
        assert local == [f"127.0.0.1:{port}"], listening
        screen = asyncio.run(browser_session(port, token, until_text="Overview", timeout=240))
        assert "Overview" in screen and "Preparing" in screen
        assert backend.status(team, health=False), "the web session did not bring the range up"
    finally:
        server.terminate()
        server.wait(timeout=20)
        backend.down(team)


async def browser_session(port: int, token: str, until_text: str, timeout: float) -> str:
    """Act as xterm.js in a browser: open the app's websocket and collect what it draws."""
    seen = ""
    origin = {"Origin": f"http://127.0.0.1:{port}"}
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"http://127.0.0.1:{port}/ws/{token}?width=100&height=30", headers=origin) as ws:
            await ws.send_str(json.dumps(["resize", {"width": 100, "height": 30}]))
            deadline = time.monotonic() + timeout
            while until_text not in seen and time.monotonic() < deadline:
                try:
                    message = await ws.receive(timeout=5)
                except asyncio.TimeoutError:
                    continue
                if message.type == aiohttp.WSMsgType.BINARY:
                    seen += message.data.decode(errors="replace")
                elif message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    break
            await ws.close()
    return seen

"""The app in a real pseudo-terminal (80x24): the shell key hands the terminal over to a command
and the app comes back when it exits; ctrl+q quits. (Pilot runs headless, where Textual cannot
suspend, so this needs a pty.)"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

APP = """
import sys
sys.path.insert(0, {here!r})
from fake_engine import FakeExercise
from cyder.ui.app import CyderApp
exercise = FakeExercise()
exercise.shell_command = lambda host: ["sh", "-c", "echo " + host + " > {marker}; echo SHELL-RAN; sleep 0.5"]
CyderApp(exercise, run_engine=False).run()
print("APP-CLOSED")
"""


def read_until(fd: int, needle: bytes, timeout: float) -> bytes:
    """Read the terminal until `needle` appears."""
    seen, deadline = b"", time.monotonic() + timeout
    while needle not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{needle!r} not seen; last output: {seen[-400:]!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def test_the_shell_takes_the_terminal_and_gives_it_back(tmp_path):
    marker = tmp_path / "shell-ran"
    script = tmp_path / "app.py"
    script.write_text(APP.format(here=str(HERE), marker=str(marker)))
    pid, fd = pty.fork()
    if pid == 0:  # the child: the app on the pty
        os.environ.update(TERM="xterm-256color", COLUMNS="80", LINES="24")
        os.execv(sys.executable, [sys.executable, str(script)])
    try:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        read_until(fd, b"Overview", 30)
        time.sleep(0.5)
        os.write(fd, b"4")  # the Hosts tab
        read_until(fd, b"shell into the host", 10)
        time.sleep(0.5)
        os.write(fd, b"s")  # a shell on the first host
        read_until(fd, b"SHELL-RAN", 10)
        assert marker.read_text().strip() == "fw"
        read_until(fd, b"Back from the shell", 10)  # the app is drawn again
        os.write(fd, b"\x11")  # ctrl+q
        read_until(fd, b"APP-CLOSED", 10)
    finally:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)

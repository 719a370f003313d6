"""Acting inside a team's hosts: running commands, reading, writing and following files, resource
usage, and the command line of an interactive shell."""

from __future__ import annotations

import io
import os
import shlex
import tarfile
import time
from typing import cast

import docker
import docker.errors
from docker.models.containers import Container

from ...agent.contract import AGENT_COMMAND
from ..base import BackendError, ByteStream, ExecResult, HostUsage
from . import objects

AGENT = list(AGENT_COMMAND)  # the in-container agent, for `health`, `attach` and `capture`


def exec_in(container: Container, command: list[str] | str, user: str = "root",
            timeout: float = 30.0) -> ExecResult:
    """Run a command in a container and wait for it; a string runs through /bin/sh."""
    argv = ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)
    # Docker has no exec timeout of its own; coreutils' timeout keeps a hung command bounded.
    argv = ["timeout", "-k", "2", str(int(max(1, timeout))), *argv]
    try:
        result = container.exec_run(argv, user=user, demux=True)
    except docker.errors.APIError as exc:
        raise BackendError(f"exec in {container.name} failed: {exc.explanation or exc}") from None
    out, err = _demuxed(result.output) or (b"", b"")
    return ExecResult(cast(int, result.exit_code), (out or b"").decode(errors="replace"),
                      (err or b"").decode(errors="replace"))


def _demuxed(output: object) -> tuple[bytes | None, bytes | None] | None:
    """An exec's output with demux=True: (stdout, stderr), each None when empty, or None for no output
    at all (the SDK's types do not tell this case apart)."""
    return cast("tuple[bytes | None, bytes | None] | None", output)


def run_command(client: docker.DockerClient, team: str, host: str, command: list[str] | str, user: str = "root",
                timeout: float = 30.0) -> ExecResult:
    """Run a command in a team's host; a string runs through /bin/sh."""
    return exec_in(objects.container(client, team, host), command, user=user, timeout=timeout)


def read_file(client: docker.DockerClient, team: str, host: str, path: str) -> bytes:
    """Read a file out of a host."""
    container = objects.container(client, team, host)
    try:
        stream, _ = container.get_archive(path)
    except docker.errors.NotFound:
        raise BackendError(f"{host}: no such file {path}") from None
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        member = tar.next()
        if member is None or not member.isfile():
            raise BackendError(f"{host}: {path} is not a regular file")
        extracted = tar.extractfile(member)
        assert extracted is not None  # a regular file always has a reader
        return extracted.read()


def read_file_from(client: docker.DockerClient, team: str, host: str, path: str, offset: int,
                   limit: int) -> tuple[int, bytes]:
    """The file's size and up to `limit` bytes from `offset`, read with tail inside the host."""
    container = objects.container(client, team, host)
    size = exec_in(container, ["stat", "-c", "%s", path], timeout=10)
    if not size.ok:
        return 0, b""
    quoted = shlex.quote(path)
    result = container.exec_run(["/bin/sh", "-c", f"tail -c +{int(offset) + 1} {quoted} | head -c {int(limit)}"],
                                demux=True)
    output = _demuxed(result.output)
    return int(size.stdout.strip()), (output[0] or b"") if output else b""


def follow_file(client: docker.DockerClient, team: str, host: str, path: str, offset: int) -> ByteStream:
    """Stream a growing file from `offset` through one long-lived `tail -F` inside the host.

    Lines arrive within tens of milliseconds of being written; the stream ends when the host
    stops or the caller closes it (tail then dies on its next write).
    """
    container = objects.container(client, team, host)
    # tail cannot use inotify on overlayfs and polls: every 50 ms rather than its default second.
    command = f"exec tail -c +{int(offset) + 1} -F -s 0.05 {shlex.quote(path)} 2>/dev/null"
    try:
        exec_id = client.api.exec_create(container.id, ["/bin/sh", "-c", command], stdout=True, stderr=False)
        # exec_start takes exec_create's answer as it is (it reads its Id); the SDK's types want a str.
        stream: ByteStream = client.api.exec_start(cast(str, exec_id), stream=True)
        return stream
    except docker.errors.APIError as exc:
        raise BackendError(f"cannot follow {path} on {host}: {exc.explanation or exc}") from None


def usage(client: docker.DockerClient, team: str, host: str) -> HostUsage:
    """CPU time and memory (without the page cache) of a host's container, from Docker's stats."""
    container = objects.container(client, team, host)
    try:
        stats = client.api.stats(objects.id_of(container), stream=False, one_shot=True)
    except docker.errors.APIError as exc:
        raise BackendError(f"no stats for {host}: {exc.explanation or exc}") from None
    memory = stats.get("memory_stats", {})
    cache = memory.get("stats", {}).get("inactive_file", memory.get("stats", {}).get("cache", 0))
    return HostUsage(stats["cpu_stats"]["cpu_usage"]["total_usage"] / 1e9, max(0, memory.get("usage", 0) - cache))


def write_file(client: docker.DockerClient, team: str, host: str, path: str, data: bytes, mode: int = 0o644) -> None:
    """Write a file into a host, creating its folder."""
    container = objects.container(client, team, host)
    folder, name = path.rsplit("/", 1)
    exec_in(container, ["mkdir", "-p", folder or "/"])
    container.put_archive(folder or "/", tar({name: data}, mode=mode))


def shell_command(client: docker.DockerClient, team: str, host: str, tty: bool = True) -> list[str]:
    """`docker exec` into the host's container with a login shell."""
    container = objects.container(client, team, host)
    flags = ["-it"] if tty else ["-i"]
    return ["docker", "exec", *flags, "-e", "TERM=" + os.environ.get("TERM", "xterm-256color"),
            objects.name_of(container), "/bin/bash", "-l"]


def tar(files: dict[str, bytes], mode: int = 0o644) -> bytes:
    """A tar archive of files (name -> contents) with one mode, as Docker's put_archive takes it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, int(time.time())
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()

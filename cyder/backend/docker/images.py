"""Range images, built offline: a Debian base from mmdebstrap piped into `docker import`, then
cyder's node layer on top. Both are tagged by the hash of what went into them, so a build whose
inputs have not changed finds its image and returns in seconds.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import docker
import docker.errors

from ...paths import image_recipes_dir
from ..base import BackendError, Progress, ProgressCallback, no_progress
from .labels import APP, LABEL_APP, LABEL_IMAGE, team_filter

SUITE = "bookworm"
BASE_REPO = "cyder/base"
NODE_REPO = "cyder/node"
# Shrinks the base by a third; Japanese locale data stays for the trainees' texts.
DPKG_OPTIONS = ["path-exclude=/usr/share/doc/*", "path-exclude=/usr/share/man/*",
                "path-exclude=/usr/share/locale/*", "path-include=/usr/share/locale/ja*"]


@dataclass(frozen=True)
class ImageSet:
    """The content-addressed tags of the images that ranges need."""

    base: str
    node: str


def packages(recipes: Path | None = None) -> list[str]:
    """The Debian packages of the base image."""
    text = ((recipes or image_recipes_dir()) / "packages.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def agent_source() -> bytes:
    """The in-container agent's source, as copied into the node image."""
    return resources.files("cyder.agent").joinpath("agent.py").read_bytes()


def expected_images(recipes: Path | None = None) -> ImageSet:
    """Tags that the current recipes and agent produce."""
    recipes = recipes or image_recipes_dir()
    base_hash = _digest([SUITE, *DPKG_OPTIONS, *packages(recipes)])
    base = f"{BASE_REPO}:{base_hash}"
    node_hash = _digest([base, (recipes / "Dockerfile.node").read_text(encoding="utf-8"), agent_source().decode()])
    return ImageSet(base=base, node=f"{NODE_REPO}:{node_hash}")


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


def has_image(client: docker.DockerClient, tag: str) -> bool:
    """Whether the engine has an image with this tag."""
    try:
        client.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def build_images(client: docker.DockerClient, progress: ProgressCallback = no_progress,
                 base_from_dockerfile: bool = False, force: bool = False) -> ImageSet:
    """Build whatever of the base and node images is missing; return their tags."""
    recipes = image_recipes_dir()
    images = expected_images(recipes)
    if force or not has_image(client, images.base):
        if base_from_dockerfile:
            _build_base_from_dockerfile(client, recipes, images.base, progress)
        else:
            _build_base_offline(client, recipes, images.base, progress)
    else:
        progress(Progress("image", images.base, 1, 2, "up to date"))
    if force or not has_image(client, images.node):
        _build_node(client, recipes, images, progress)
    else:
        progress(Progress("image", images.node, 2, 2, "up to date"))
    return images


def _build_base_offline(client: docker.DockerClient, recipes: Path, tag: str, progress: ProgressCallback) -> None:
    if shutil.which("mmdebstrap") is None:
        raise BackendError("mmdebstrap is not installed: run `apt-get install -y mmdebstrap` (or scripts/setup.sh)")
    command = ["mmdebstrap", "--variant=apt", f"--include={','.join(packages(recipes))}",
               *[f"--dpkgopt={o}" for o in DPKG_OPTIONS],
               "--customize-hook=rm -rf \"$1\"/var/lib/apt/lists/* \"$1\"/var/cache/apt/*.bin",
               SUITE, "-"]
    if mirror := os.environ.get("CYDER_DEBIAN_MIRROR"):
        command.append(mirror)
    progress(Progress("image", tag, 0, 2, "building the Debian base with mmdebstrap (about two minutes)"))
    started = time.monotonic()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        stderr_lines: list[str] = []
        import threading

        def relay_stderr() -> None:
            for raw in proc.stderr:
                line = raw.decode(errors="replace").rstrip()
                stderr_lines.append(line)
                if line.startswith("I: "):
                    progress(Progress("image", tag, 0, 2, f"{line[3:]} ({time.monotonic() - started:.0f} s)"))

        relay = threading.Thread(target=relay_stderr, daemon=True)
        relay.start()
        repo, version = tag.split(":")
        try:
            client.api.import_image_from_stream(
                proc.stdout, repository=repo, tag=version,
                changes=[f"LABEL {LABEL_APP}={APP} {LABEL_IMAGE}=base", "ENV LANG=C.UTF-8"])
        except docker.errors.APIError as exc:
            proc.kill()
            raise BackendError(f"docker import of the base failed: {exc.explanation or exc}") from None
        proc.wait()
        relay.join(timeout=5)
    if proc.returncode != 0:
        _remove_quietly(client, tag)
        tail = " / ".join(stderr_lines[-3:])
        raise BackendError(f"mmdebstrap failed ({proc.returncode}): {tail} "
                           "- check that Debian's package mirror is reachable (CYDER_DEBIAN_MIRROR)")
    progress(Progress("image", tag, 1, 2, f"built in {time.monotonic() - started:.0f} s"))


def _build_base_from_dockerfile(client: docker.DockerClient, recipes: Path, tag: str,
                                progress: ProgressCallback) -> None:
    progress(Progress("image", tag, 0, 2, "building the base from Dockerfile.base (needs a registry)"))
    try:
        client.images.build(path=str(recipes), dockerfile="Dockerfile.base", tag=tag, rm=True,
                            labels={LABEL_APP: APP, LABEL_IMAGE: "base"})
    except (docker.errors.BuildError, docker.errors.APIError) as exc:
        raise BackendError(f"building the base from Dockerfile.base failed: {exc}") from None
    progress(Progress("image", tag, 1, 2, "built"))


def _build_node(client: docker.DockerClient, recipes: Path, images: ImageSet, progress: ProgressCallback) -> None:
    progress(Progress("image", images.node, 1, 2, "adding cyder's agent"))
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, data in (("Dockerfile", (recipes / "Dockerfile.node").read_bytes()), ("agent.py", agent_source())):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    try:
        client.images.build(fileobj=context, custom_context=True, tag=images.node, rm=True,
                            buildargs={"BASE": images.base}, network_mode="none")
    except (docker.errors.BuildError, docker.errors.APIError) as exc:
        raise BackendError(f"building {images.node} failed: {exc}") from None
    progress(Progress("image", images.node, 2, 2, "built"))


def _remove_quietly(client: docker.DockerClient, tag: str) -> None:
    try:
        client.images.remove(tag, force=True)
    except docker.errors.DockerException:
        pass


def list_images(client: docker.DockerClient) -> list[dict[str, object]]:
    """cyder's images on the engine, with whether each is what the current recipes produce."""
    current = expected_images()
    rows = []
    for image in client.images.list(filters=team_filter(None)):
        for tag in image.tags or ["<none>"]:
            rows.append({"tag": tag, "id": image.short_id.split(":")[-1], "size_mb": round(image.attrs["Size"] / 1e6),
                         "created": image.attrs["Created"][:19], "current": tag in (current.base, current.node)})
    return sorted(rows, key=lambda r: r["tag"])

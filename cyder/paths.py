"""Where cyder finds its shipped files (ranges, scenarios, image recipes) and keeps its data."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The folder holding ranges/ and scenarios/: $CYDER_HOME, or the checkout cyder runs from."""
    if env := os.environ.get("CYDER_HOME"):
        return Path(env)
    return Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Where cyder keeps its databases: $CYDER_DATA, or ~/.local/share/cyder."""
    return Path(os.environ.get("CYDER_DATA") or Path.home() / ".local" / "share" / "cyder")


def private_folder(folder: Path) -> Path:
    """Create a folder (and its missing parents) readable by its owner only (0700); a folder that
    exists already is left as it is (a store named in /tmp must not close /tmp)."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)
    return folder


def data_folder() -> Path:
    """The data folder, created 0700 and tightened to 0700 when it is ours: it holds every team's
    ground truth, which other users of the machine (trainees with a shell on a centre's server,
    say) must not read."""
    folder = private_folder(data_dir())
    info = folder.stat()
    if info.st_uid == os.getuid() and info.st_mode & 0o077:
        folder.chmod(0o700)
    return folder


def ranges_dir() -> Path:
    """Shipped organisation ranges."""
    return project_root() / "ranges"


def image_recipes_dir() -> Path:
    """Image recipes (package lists and Dockerfiles)."""
    return ranges_dir() / "images"


def _resolve(name_or_path: str, folder: Path) -> Path:
    path = Path(name_or_path)
    if path.exists() or path.suffix in (".yaml", ".yml"):
        return path
    return folder / f"{name_or_path}.yaml"


def resolve_range(name_or_path: str) -> Path:
    """A range given by path, or by the name of a shipped range (`saida-city`)."""
    return _resolve(name_or_path, ranges_dir())


def scenarios_dir() -> Path:
    """Shipped attack scenarios."""
    return project_root() / "scenarios"


def resolve_scenario(name_or_path: str) -> Path:
    """A scenario given by path, or by the name of a shipped scenario (`targeted-email`)."""
    return _resolve(name_or_path, scenarios_dir())

"""The lint and type-check ratchet: which excused files and modules in pyproject.toml are clean now.

    python -m cyder.devtools.ratchet [--root DIR] [--only ruff|mypy] [--suggest]

pyproject.toml excuses the code that was not clean when the gates began: ruff rules per file in
`[tool.ruff.lint.per-file-ignores]` (the entries naming one file; the globs are for good), and
modules under the mypy override with `ignore_errors = true`. This runs both tools without those
excuses and reports, for each entry, whether it is still needed: an entry that is not (the file was
fixed, moved or deleted) should be deleted, so the lists only shrink. It also names code that the
lists do not cover (a module that moved keeps its findings under a new name). `--suggest` prints
both lists as they would be now.
Exit 1 when an entry is stale or something is not covered.
"""

from __future__ import annotations

import argparse
import configparser
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MYPY_ERROR = re.compile(r"^(?P<path>[^:\s]+\.pyi?):\d+(?::\d+)?: error: .*?(?:\[(?P<code>[a-z0-9-]+)\])?$")


def load(root: Path) -> dict[str, Any]:
    """The parsed pyproject.toml of the checkout."""
    with (root / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def ruff_excuses(project: dict[str, Any]) -> dict[str, set[str]]:
    """The ruff ratchet: file -> rule codes it is excused from (per-file-ignores that name one file)."""
    table = _ruff_per_file(project)
    return {path: set(codes) for path, codes in table.items() if not _is_glob(path)}


def _ruff_per_file(project: dict[str, Any]) -> dict[str, list[str]]:
    table: dict[str, list[str]] = project.get("tool", {}).get("ruff", {}).get("lint", {}).get("per-file-ignores", {})
    return table


def ruff_needed(root: Path, project: dict[str, Any]) -> dict[str, set[str]]:
    """file -> the rule codes ruff finds in it when the ratchet is lifted (the glob entries stay)."""
    kept = {path: codes for path, codes in _ruff_per_file(project).items() if _is_glob(path)}
    inline = "{" + ", ".join(f"{json.dumps(path)} = {json.dumps(codes)}" for path, codes in kept.items()) + "}"
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "json", "--no-cache",
                          "--config", f"lint.per-file-ignores = {inline}", "."],
                         cwd=root, capture_output=True, text=True, check=False)
    if run.returncode not in (0, 1):
        raise SystemExit(f"ruff failed: {run.stderr.strip()}")
    needed: dict[str, set[str]] = {}
    for item in json.loads(run.stdout or "[]"):
        path = Path(item["filename"]).resolve().relative_to(root.resolve()).as_posix()
        needed.setdefault(path, set()).add(item["code"] or "syntax")
    return needed


def mypy_excuses(project: dict[str, Any]) -> list[str]:
    """The mypy ratchet: the modules of the override that sets ignore_errors."""
    for override in project.get("tool", {}).get("mypy", {}).get("overrides", []):
        if override.get("ignore_errors"):
            modules = override["module"]
            return [modules] if isinstance(modules, str) else list(modules)
    return []


def mypy_config_without_ratchet(project: dict[str, Any]) -> str:
    """[tool.mypy] as a mypy INI file, minus the ignore_errors override."""

    def value(v: object) -> str:
        if isinstance(v, bool):
            return "True" if v else "False"
        if isinstance(v, list):
            return ",".join(str(x) for x in v)
        return str(v)

    mypy = dict(project["tool"]["mypy"])
    overrides = mypy.pop("overrides", [])
    if isinstance(mypy.get("exclude"), list):
        mypy["exclude"] = "|".join(mypy["exclude"])
    ini = configparser.ConfigParser(interpolation=None)
    ini.optionxform = str  # type: ignore[assignment,method-assign]
    ini["mypy"] = {k: value(v) for k, v in mypy.items()}
    for override in overrides:
        if override.get("ignore_errors"):
            continue
        modules = override["module"]
        section = "mypy-" + (modules if isinstance(modules, str) else ",".join(modules))
        ini[section] = {k: value(v) for k, v in override.items() if k != "module"}
    if "pydantic-mypy" in project["tool"]:
        ini["pydantic-mypy"] = {k: value(v) for k, v in project["tool"]["pydantic-mypy"].items()}
    lines: list[str] = []
    for section in ini.sections():
        lines.append(f"[{section}]")
        lines += [f"{k} = {v}" for k, v in ini[section].items()]
        lines.append("")
    return "\n".join(lines)


def mypy_needed(root: Path, project: dict[str, Any]) -> dict[str, int]:
    """module -> the number of mypy errors in it when the ratchet is lifted."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "mypy.ini"
        config.write_text(mypy_config_without_ratchet(project), encoding="utf-8")
        run = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(config),
                              "--cache-dir", str(Path(tmp) / "cache")],
                             cwd=root, capture_output=True, text=True, check=False)
    if run.returncode not in (0, 1):
        raise SystemExit(f"mypy failed: {run.stderr.strip() or run.stdout.strip()}")
    counts: dict[str, int] = {}
    for line in run.stdout.splitlines():
        match = MYPY_ERROR.match(line)
        if match:
            name = _module_of(match.group("path"))
            counts[name] = counts.get(name, 0) + 1
    return counts


def _module_of(path: str) -> str:
    parts = list(Path(path).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _module_exists(root: Path, module: str) -> bool:
    base = root.joinpath(*module.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def report_ruff(root: Path, project: dict[str, Any], suggest: bool) -> int:
    """Print the ruff ratchet's stale and uncovered entries; return how many there are."""
    excused, needed = ruff_excuses(project), ruff_needed(root, project)
    problems = 0
    for path, codes in sorted(excused.items()):
        if not (root / path).exists():
            print(f"ruff: {path}: no such file; delete its entry (re-add the file's new path if it moved)")
            problems += 1
            continue
        for code in sorted(codes - needed.get(path, set())):
            print(f"ruff: {path}: {code} is clean now; delete it from the entry")
            problems += 1
    for path, codes in sorted(needed.items()):
        for code in sorted(codes - excused.get(path, set())):
            print(f"ruff: {path}: {code} is not excused (`ruff check {path}` shows it): fix it")
            problems += 1
    if suggest:
        print("\n[tool.ruff.lint.per-file-ignores]  # the ratchet part")
        for path, codes in sorted(needed.items()):
            new = "  # new: fix instead" if path not in excused else ""
            print(f'"{path}" = [{", ".join(json.dumps(c) for c in sorted(codes))}]{new}')
    return problems


def report_mypy(root: Path, project: dict[str, Any], suggest: bool) -> int:
    """Print the mypy ratchet's stale and uncovered modules; return how many there are."""
    excused, needed = mypy_excuses(project), mypy_needed(root, project)
    problems = 0
    for module in excused:
        if not _module_exists(root, module):
            print(f"mypy: {module}: no such module; delete it (add its new name if it moved)")
            problems += 1
        elif module not in needed:
            print(f"mypy: {module}: clean now; delete it from the ignore_errors list")
            problems += 1
    for module, count in sorted(needed.items()):
        if module not in excused:
            print(f"mypy: {module}: {count} error(s) not excused (`mypy` shows them): fix them")
            problems += 1
    if suggest:
        print("\nmodule = [")
        for module, count in sorted(needed.items()):
            new = ", new: fix instead" if module not in excused else ""
            print(f'    "{module}",  # {count} error(s){new}')
        print("]")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Report the ratchet; 0 when every entry is still needed and everything found is covered."""
    parser = argparse.ArgumentParser(prog="python -m cyder.devtools.ratchet", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2])
    parser.add_argument("--only", choices=("ruff", "mypy"))
    parser.add_argument("--suggest", action="store_true", help="print the lists as they would be now")
    args = parser.parse_args(argv)
    project = load(args.root)
    problems = 0
    if args.only in (None, "ruff"):
        problems += report_ruff(args.root, project, args.suggest)
    if args.only in (None, "mypy"):
        problems += report_mypy(args.root, project, args.suggest)
    print(f"ratchet: {problems} entr{'y' if problems == 1 else 'ies'} to update", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

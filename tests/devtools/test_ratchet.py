"""The lint/type-check ratchet report: stale entries and uncovered code are named, in small projects."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cyder.devtools import ratchet


def project(root: Path, files: dict[str, str]) -> Path:
    """Write a small project under `root` and return root."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def test_the_ruff_ratchet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("ruff")
    root = project(tmp_path, {
        "pyproject.toml": '''
            [tool.ruff]
            line-length = 40
            [tool.ruff.lint]
            select = ["E501", "F401"]
            [tool.ruff.lint.per-file-ignores]
            "gen/*" = ["E501"]
            "a.py" = ["E501", "F401"]
            "gone.py" = ["F401"]
            ''',
        "a.py": "x = 'a line that is longer than forty characters'\n",
        "b.py": "import os\n",
        "gen/c.py": "x = 'a line that is longer than forty characters'\n",
    })
    problems = ratchet.report_ruff(root, ratchet.load(root), suggest=True)
    out = capsys.readouterr().out
    assert problems == 3
    assert "ruff: a.py: F401 is clean now" in out
    assert "ruff: gone.py: no such file" in out
    assert "ruff: b.py: F401 is not excused" in out
    assert '"a.py" = ["E501"]\n' in out and '"b.py" = ["F401"]  # new: fix instead' in out
    assert "gen/c.py" not in out  # the glob entries stay in force


def test_the_mypy_ratchet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("mypy")
    root = project(tmp_path, {
        "pyproject.toml": '''
            [tool.mypy]
            files = ["pkg"]
            exclude = ["^pkg/skip/"]
            [[tool.mypy.overrides]]
            module = ["pkg.bad", "pkg.good", "pkg.moved"]
            ignore_errors = true
            ''',
        "pkg/__init__.py": "",
        "pkg/bad.py": "x: int = 'text'\n",
        "pkg/good.py": "x: int = 1\n",
        "pkg/other.py": "y: str = 2\n",
        "pkg/skip/__init__.py": "z: str = 3\n",
    })
    problems = ratchet.report_mypy(root, ratchet.load(root), suggest=False)
    out = capsys.readouterr().out
    assert problems == 3, out
    assert "mypy: pkg.good: clean now" in out
    assert "mypy: pkg.moved: no such module" in out
    assert "mypy: pkg.other: 1 error(s) not excused" in out
    assert "pkg.bad" not in out and "pkg.skip" not in out


def test_the_real_config_keeps_everything_but_the_ratchet() -> None:
    """The INI written for the unexcused mypy run carries every setting except the ignore_errors list."""
    root = Path(ratchet.__file__).resolve().parents[2]
    config = ratchet.mypy_config_without_ratchet(ratchet.load(root))
    assert "[mypy]" in config and "plugins = pydantic.mypy" in config and "[pydantic-mypy]" in config
    assert "ignore_errors" not in config
    assert "disallow_untyped_defs = True" in config

"""The docs' generated tables: current in the checkout, and rewritten when they drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from cyder.devtools import docs


def test_the_tables_in_the_docs_are_current() -> None:
    assert docs.main(["--check"]) == 0


def test_a_stale_table_is_reported_then_rewritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "scoring.md").write_text(  # the checkout's other page with generated tables
        "<!-- cyder:table checks -->\n<!-- /cyder:table -->\n<!-- cyder:table actions -->\n<!-- /cyder:table -->\n",
        encoding="utf-8")
    page = tmp_path / "docs" / "ranges.md"
    page.write_text("Services:\n\n<!-- cyder:table services -->\n| old |\n<!-- /cyder:table -->\n\nMore.\n",
                    encoding="utf-8")
    assert docs.main(["--root", str(tmp_path), "--check"]) == 1
    assert "docs/ranges.md: not current" in capsys.readouterr().out
    assert "| old |" in page.read_text(encoding="utf-8")
    assert docs.main(["--root", str(tmp_path)]) == 0
    text = page.read_text(encoding="utf-8")
    assert text.startswith("Services:\n\n<!-- cyder:table services -->\n| kind | daemon |") and text.endswith(
        "| `syslog` | rsyslog collector (RELP 2514, syslog 514) | | `/var/log/remote/<host>/<program>.log` and "
        "`all.log` |\n<!-- /cyder:table -->\n\nMore.\n")
    assert docs.main(["--root", str(tmp_path), "--check"]) == 0


def test_a_page_without_its_marker_fails(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "ranges.md").write_text("No table here.\n", encoding="utf-8")
    assert docs.main(["--root", str(tmp_path), "--check"]) == 1

"""All-or-nothing output folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from dse.export.errors import ExportError
from dse.export.staging import staged_folder


def test_success_renames_into_place_and_force_replaces(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b"
    with staged_folder(out) as tmp:
        assert tmp.parent == out.parent and tmp.name.startswith(".b.")
        (tmp / "x").write_text("1")
    assert [p.name for p in out.iterdir()] == ["x"]
    with pytest.raises(ExportError, match="not empty"):
        with staged_folder(out):
            pass
    with staged_folder(out, force=True) as tmp:
        (tmp / "y").write_text("2")
    assert [p.name for p in out.iterdir()] == ["y"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["b"]


def test_failure_removes_everything_it_made(tmp_path: Path) -> None:
    out = tmp_path / "new" / "deeper" / "out"
    with pytest.raises(RuntimeError):
        with staged_folder(out) as tmp:
            (tmp / "half").write_text("written")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_existing_file_and_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("a file")
    with pytest.raises(ExportError, match="is a file"):
        with staged_folder(tmp_path / "f"):
            pass
    (tmp_path / "empty").mkdir()
    with staged_folder(tmp_path / "empty") as tmp:  # an empty folder is no obstacle
        (tmp / "z").write_text("3")
    assert [p.name for p in (tmp_path / "empty").iterdir()] == ["z"]

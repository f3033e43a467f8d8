"""All or nothing: an export is written into a hidden folder beside the target and renamed into place."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dse.export.errors import ExportError


def check_target(out: Path, force: bool) -> None:
    """Refuse an existing file or non-empty folder at ``out`` unless ``force``."""
    if force or not (out.exists() or out.is_symlink()):
        return
    if not out.is_dir():
        raise ExportError(f"{out} exists and is a file; pass --force to replace it, or choose another --out")
    if any(out.iterdir()):
        raise ExportError(f"output folder {out} exists and is not empty; pass --force to replace it, or choose another --out")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _commit(tmp: Path, out: Path) -> None:
    if not (out.exists() or out.is_symlink()):
        tmp.rename(out)
        return
    old = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.old")
    out.rename(old)
    try:
        tmp.rename(out)
    except BaseException:
        old.rename(out)
        raise
    _remove(old)


@contextmanager
def staged_folder(out: str | Path, force: bool = False) -> Iterator[Path]:
    """Yield an empty hidden folder beside ``out``; on success it replaces ``out`` in one rename,
    on any error it is deleted (with any parent folders this call created), leaving nothing behind."""
    out = Path(out)
    check_target(out, force)
    created = [p for p in [out.parent, *out.parent.parents] if not p.exists()]
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
    except OSError as exc:
        raise ExportError(f"cannot write into {out.parent}: {exc.strerror or exc}") from None
    try:
        yield tmp
        check_target(out, force)  # something may have appeared there meanwhile
        try:
            _commit(tmp, out)
        except OSError as exc:
            raise ExportError(f"cannot move the export into {out}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for folder in created:  # deepest first
            try:
                folder.rmdir()
            except OSError:
                break
        raise

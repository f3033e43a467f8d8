"""Finding a dataset's files: explicit data dir, ``$DSE_DATA_DIR``, system copies,
the download cache, then (last resort) a download; else one DataNotFoundError."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from dse.data.errors import DataNotFoundError, one_line
from dse.data.sources import Found, Source

__all__ = ["DATA_ENV", "DOWNLOAD_TIMEOUT_S", "locate"]

DATA_ENV = "DSE_DATA_DIR"
DOWNLOAD_TIMEOUT_S = 30.0


@contextlib.contextmanager
def _socket_timeout(seconds: float) -> Iterator[None]:
    """Bound each blocking socket operation of a download (torchvision sets none)."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds if previous is None else previous)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _roots(
    source: Source, data_dir: str | os.PathLike[str] | None, download_root: Path
) -> list[tuple[str, Path | None]]:
    env = os.environ.get(DATA_ENV)
    roots: list[tuple[str, Path | None]] = [
        ("data_dir", Path(data_dir).expanduser() if data_dir is not None else None),
        (f"${DATA_ENV}", Path(env).expanduser() if env else None),
    ]
    roots += [("system copy", path) for path in source.system_dirs]
    if source.download is not None:
        roots.append(("download cache", download_root))
    return roots


def locate(
    source: Source,
    data_dir: str | os.PathLike[str] | None,
    download_root: Path,
    *,
    download: bool,
) -> Found:
    """Where ``source``'s files are, downloading into ``download_root`` only as a last resort."""
    looked = []
    for label, root in _roots(source, data_dir, download_root):
        if root is None:
            looked.append(f"{label} (not set)")
            continue
        found = source.find(root)
        if found is not None:
            return found
        looked.append(f"{label} {root}")
    if source.download is None:
        looked.append("download (not available for this dataset)")
    elif not download:
        looked.append("download (disabled)")
    else:
        try:
            with _socket_timeout(DOWNLOAD_TIMEOUT_S):
                source.download(download_root)  # torchvision's own download, md5 checked
            found = source.find(download_root)
            if found is not None:
                return found
            looked.append(f"download into {download_root} (finished but files are incomplete)")
        except Exception as err:  # noqa: BLE001 - network/IO errors of any library end here
            looked.append(f"download into {download_root} failed ({one_line(err)})")
    layouts = ", ".join(f"{lay}/" for lay in source.layouts if lay != ".")
    direct = " or directly" if "." in source.layouts else ""
    where = f" (in {layouts}{direct})" if layouts else ""
    raise DataNotFoundError(
        f"dataset {source.info.name!r} not found: looked for {source.expected}{where} in: "
        f"{'; '.join(looked)}. To get it: {source.how_to_get}; or set ${DATA_ENV}"
        + (", or allow download with network access" if source.download else "")
    )

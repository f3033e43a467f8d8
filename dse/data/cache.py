"""Caches of decoded datasets: on disk (torch.save files), in process, and per device.

* Disk: ``<cache>/tensors/<name>-<size>px-<hash>.pt``, written atomically (temp file
  then ``os.replace``), so a second process loads tensors instead of decoding.
* Process: a module-level dict keyed by content key, so two trials in one worker
  reuse the same tensors; :func:`clear_memory_cache` empties it.
* Device: :func:`to_device` keeps one copy per (dataset, device), so a GPU worker
  holds each dataset once in GPU memory.

:func:`cache_info` returns counters (decodes, hits, writes) that tests use to prove reuse.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from dse.data.container import TensorDataset
from dse.data.info import DatasetInfo

__all__ = [
    "CacheStats",
    "cache_info",
    "clear_memory_cache",
    "resolve_cache_dir",
    "to_device",
]

log = logging.getLogger(__name__)

CACHE_ENV = "DSE_CACHE_DIR"
_FORMAT = 1
LOCK = threading.RLock()


@dataclass
class CacheStats:
    """Counters since process start; compare two snapshots to see what a call did."""

    decodes: int = 0
    memory_hits: int = 0
    disk_hits: int = 0
    disk_writes: int = 0
    device_copies: int = 0
    device_hits: int = 0


STATS = CacheStats()
_MEMORY: dict[str, TensorDataset] = {}
_DEVICE: dict[tuple[str, str], TensorDataset] = {}


def cache_info() -> CacheStats:
    """A snapshot of the cache counters."""
    with LOCK:
        return replace(STATS)


def clear_memory_cache() -> None:
    """Forget every dataset held in process memory and on devices (the disk cache stays)."""
    with LOCK:
        _MEMORY.clear()
        _DEVICE.clear()


def resolve_cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """``cache_dir``, else ``$DSE_CACHE_DIR``, else ``$XDG_CACHE_HOME/dse`` or ``~/.cache/dse``."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "dse"


def memory_get(key: str) -> TensorDataset | None:
    data = _MEMORY.get(key)
    if data is not None:
        STATS.memory_hits += 1
    return data


def memory_put(data: TensorDataset) -> None:
    _MEMORY[data.key] = data


def disk_path(cache_root: Path, name: str, size: int, digest: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:40]
    return cache_root / "tensors" / f"{slug}-{size}px-{digest}.pt"


def disk_get(path: Path, key: str) -> TensorDataset | None:
    """The dataset cached at ``path`` if it is there, readable and for ``key``."""
    if not path.is_file():
        return None
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        if blob.get("format") != _FORMAT or blob.get("key") != key:
            return None
        data = TensorDataset(
            blob["train_images"],
            blob["train_labels"],
            blob["test_images"],
            blob["test_labels"],
            DatasetInfo.from_dict(blob["info"]),
            source=blob["source"],
            key=key,
        )
    except Exception as err:  # noqa: BLE001 - any unreadable cache file is just a miss
        log.warning("ignoring unreadable dataset cache %s: %s", path, err)
        return None
    STATS.disk_hits += 1
    return data


def disk_put(path: Path, data: TensorDataset) -> None:
    """Write ``data`` to ``path`` atomically; a failure only logs a warning."""
    blob = {
        "format": _FORMAT,
        "key": data.key,
        "source": data.source,
        "info": data.info.to_dict(),
        "train_images": data.train_images,
        "train_labels": data.train_labels,
        "test_images": data.test_images,
        "test_labels": data.test_labels,
    }
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            torch.save(blob, handle)
        os.replace(tmp, path)
        tmp = None
        STATS.disk_writes += 1
    except OSError as err:
        log.warning("could not write dataset cache %s: %s", path, err)
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def _normalise(device: torch.device | str) -> torch.device:
    dev = torch.device(device)
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", torch.cuda.current_device())
    return dev


def to_device(data: TensorDataset, device: torch.device | str) -> TensorDataset:
    """``data`` on ``device``, copied there at most once per process (memoised per device).

    Returns ``data`` itself when it is already there. The copy keeps ``data.key``.
    """
    dev = _normalise(device)
    if data.device == dev:
        return data
    with LOCK:
        slot = (data.key, str(dev))
        held = _DEVICE.get(slot)
        if held is not None:
            STATS.device_hits += 1
            return held
        moved = data.to(dev)
        _DEVICE[slot] = moved
        STATS.device_copies += 1
        return moved

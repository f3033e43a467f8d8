"""Readers for the real on-disk formats: IDX (MNIST family), CIFAR pickles, SVHN .mat.

Each reader returns uint8 arrays in (N, C, H, W) order and int64 labels, and raises
:class:`DataFormatError` naming the file when its content is not what the format says.
These read the files that torchvision downloads, without torchvision's md5 checks, so
any copy in the official format works (and tests can write small files of their own).
"""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path
from typing import Any

import numpy as np

from dse.data.errors import DataFormatError

__all__ = ["find_idx", "read_cifar_batches", "read_idx", "read_svhn_mat"]

_IDX_UBYTE = 0x08


def find_idx(folder: Path, stem: str) -> Path | None:
    """``folder/stem`` or ``folder/stem.gz``, whichever exists (plain preferred)."""
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file of unsigned bytes (plain or gzip-compressed) into an array."""
    try:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError) as err:
        raise DataFormatError(f"cannot read IDX file {path}: {err}") from err
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataFormatError(f"{path} is not an IDX file (bad magic number)")
    if data[2] != _IDX_UBYTE:
        raise DataFormatError(f"{path}: IDX element type 0x{data[2]:02x} is not unsigned byte")
    ndim = data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise DataFormatError(f"{path}: truncated IDX header")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(dims, dtype=np.int64))
    if len(data) - header != expected:
        raise DataFormatError(
            f"{path}: IDX header says {dims} ({expected} bytes) but holds {len(data) - header}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def read_idx_pair(images: Path, labels: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 1, H, W) and labels (N,) from a pair of IDX files."""
    x = read_idx(images)
    y = read_idx(labels)
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
        raise DataFormatError(
            f"{images.name} / {labels.name}: expected images (N, H, W) and labels (N,), "
            f"got {x.shape} and {y.shape}"
        )
    return x[:, None], y.astype(np.int64)


def _unpickle(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            obj = pickle.load(handle, encoding="latin1")
    except (OSError, pickle.UnpicklingError, EOFError, ValueError) as err:
        raise DataFormatError(f"cannot unpickle {path}: {err}") from err
    if not isinstance(obj, dict):
        raise DataFormatError(f"{path}: expected a pickled dict, got {type(obj).__name__}")
    return obj


def read_cifar_batches(
    files: list[Path], label_key: str, size: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate CIFAR python batches (dicts with ``data`` (N, 3072) and a label list)."""
    images, labels = [], []
    for path in files:
        batch = _unpickle(path)
        if "data" not in batch or label_key not in batch:
            raise DataFormatError(f"{path}: missing 'data' or {label_key!r} entry")
        data = np.asarray(batch["data"], dtype=np.uint8)
        lab = np.asarray(batch[label_key], dtype=np.int64)
        if data.ndim != 2 or data.shape[1] != 3 * size * size or len(data) != len(lab):
            raise DataFormatError(
                f"{path}: expected data (N, {3 * size * size}) and N labels, "
                f"got {data.shape} and {lab.shape}"
            )
        images.append(data.reshape(-1, 3, size, size))
        labels.append(lab)
    return np.concatenate(images), np.concatenate(labels)


def read_cifar_names(path: Path, key: str) -> tuple[str, ...]:
    """Class names from a CIFAR meta file (``label_names`` or ``fine_label_names``)."""
    meta = _unpickle(path)
    if key not in meta:
        raise DataFormatError(f"{path}: missing {key!r} entry")
    return tuple(str(n) for n in meta[key])


def read_svhn_mat(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """SVHN cropped digits: ``X`` (32, 32, 3, N) and ``y`` (N, 1) with 10 meaning digit 0."""
    try:
        from scipy import io as sio
    except ImportError as err:
        raise DataFormatError("reading SVHN .mat files needs scipy: pip install scipy") from err
    try:
        mat = sio.loadmat(str(path), variable_names=("X", "y"))
    except (OSError, ValueError, TypeError) as err:
        raise DataFormatError(f"cannot read MATLAB file {path}: {err}") from err
    if "X" not in mat or "y" not in mat:
        raise DataFormatError(f"{path}: missing 'X' or 'y' variable")
    x, y = mat["X"], np.asarray(mat["y"]).reshape(-1).astype(np.int64)
    if x.ndim != 4 or x.shape[2] != 3 or x.shape[3] != len(y):
        raise DataFormatError(f"{path}: expected X (H, W, 3, N) with N labels, got {x.shape}")
    if len(y) and (y.min() < 1 or y.max() > 10):
        raise DataFormatError(f"{path}: labels must be 1..10 (10 means digit 0)")
    y[y == 10] = 0
    return np.ascontiguousarray(x.astype(np.uint8).transpose(3, 2, 0, 1)), y

"""Write tiny datasets in the real on-disk formats (IDX, CIFAR pickles, SVHN .mat, PNG)."""

from __future__ import annotations

import gzip
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Arrays:
    """What a written dataset must load back as: uint8 (N, C, H, W) and int64 labels."""

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray


def random_arrays(
    n_train: int, n_test: int, channels: int, size: int, classes: int, seed: int = 0
) -> Arrays:
    rng = np.random.default_rng(seed)

    def part(n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.integers(0, 256, (n, channels, size, size), dtype=np.uint8)
        y = (np.arange(n) % classes).astype(np.int64)
        return x, rng.permutation(y)

    return Arrays(*part(n_train), *part(n_test))


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_idx_dir(folder: Path, arrays: Arrays, *, gz: bool) -> Path:
    """The four MNIST-style IDX files in ``folder`` (``.gz`` or plain)."""
    folder.mkdir(parents=True, exist_ok=True)
    contents = {
        "train-images-idx3-ubyte": arrays.train_x[:, 0],
        "train-labels-idx1-ubyte": arrays.train_y.astype(np.uint8),
        "t10k-images-idx3-ubyte": arrays.test_x[:, 0],
        "t10k-labels-idx1-ubyte": arrays.test_y.astype(np.uint8),
    }
    for stem, array in contents.items():
        data = idx_bytes(array)
        if gz:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / stem).write_bytes(data)
    return folder


def _pickle(path: Path, obj: dict) -> None:
    with path.open("wb") as handle:
        pickle.dump(obj, handle, protocol=2)


def write_cifar10(root: Path, arrays: Arrays) -> Path:
    """cifar-10-batches-py/ with data_batch_1..5, test_batch, batches.meta."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    flat = arrays.train_x.reshape(len(arrays.train_x), -1)
    for i, (xs, ys) in enumerate(
        zip(np.array_split(flat, 5), np.array_split(arrays.train_y, 5), strict=True), start=1
    ):
        _pickle(
            folder / f"data_batch_{i}",
            {
                "batch_label": f"training batch {i} of 5",
                "labels": [int(v) for v in ys],
                "data": xs,
                "filenames": [f"img_{i}_{j}.png" for j in range(len(xs))],
            },
        )
    _pickle(
        folder / "test_batch",
        {
            "batch_label": "testing batch 1 of 1",
            "labels": [int(v) for v in arrays.test_y],
            "data": arrays.test_x.reshape(len(arrays.test_x), -1),
            "filenames": [],
        },
    )
    _pickle(
        folder / "batches.meta",
        {
            "label_names": [f"c{k}" for k in range(10)],
            "num_cases_per_batch": 10000,
            "num_vis": 3072,
        },
    )
    return folder


def write_cifar100(root: Path, arrays: Arrays) -> Path:
    """cifar-100-python/ with train, test, meta."""
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True)
    for name, xs, ys in (
        ("train", arrays.train_x, arrays.train_y),
        ("test", arrays.test_x, arrays.test_y),
    ):
        _pickle(
            folder / name,
            {
                "filenames": [],
                "batch_label": name,
                "fine_labels": [int(v) for v in ys],
                "coarse_labels": [int(v) // 5 for v in ys],
                "data": xs.reshape(len(xs), -1),
            },
        )
    _pickle(
        folder / "meta",
        {
            "fine_label_names": [f"f{k}" for k in range(100)],
            "coarse_label_names": [f"g{k}" for k in range(20)],
        },
    )
    return folder


def write_svhn(folder: Path, arrays: Arrays) -> Path:
    """train_32x32.mat and test_32x32.mat: X (32, 32, 3, N), y (N, 1) in 1..10 (10 = digit 0)."""
    from scipy.io import savemat

    folder.mkdir(parents=True, exist_ok=True)
    for name, xs, ys in (
        ("train", arrays.train_x, arrays.train_y),
        ("test", arrays.test_x, arrays.test_y),
    ):
        mat_y = np.where(ys == 0, 10, ys).astype(np.uint8)[:, None]
        savemat(folder / f"{name}_32x32.mat", {"X": xs.transpose(2, 3, 1, 0), "y": mat_y})
    return folder


def write_png_folder(
    folder: Path,
    classes: list[str],
    per_class: int,
    size: tuple[int, int],
    seed: int = 0,
    mode: str = "RGB",
) -> dict[str, list[np.ndarray]]:
    """``folder/<class>/<i>.png`` random images; returns the arrays written per class."""
    rng = np.random.default_rng(seed)
    written: dict[str, list[np.ndarray]] = {}
    for cls in classes:
        (folder / cls).mkdir(parents=True, exist_ok=True)
        written[cls] = []
        for i in range(per_class):
            shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
            pixels = rng.integers(0, 256, shape, dtype=np.uint8)
            Image.fromarray(pixels, mode=mode).save(folder / cls / f"{i:03d}.png")
            written[cls].append(pixels)
    return written


def write_named(name: str, root: Path) -> Arrays | None:
    """Write registered dataset ``name`` under ``root`` in its torchvision layout.

    Returns the arrays to expect, or None for ``fashion-mnist-mini`` (it ships bundled).
    """
    if name in ("mnist", "fashion-mnist"):
        arrays = random_arrays(24, 12, 1, 28, 10, seed=1)
        sub = "MNIST/raw" if name == "mnist" else "FashionMNIST/raw"
        write_idx_dir(root / sub, arrays, gz=True)
        return arrays
    if name == "cifar10":
        arrays = random_arrays(25, 10, 3, 32, 10, seed=2)
        write_cifar10(root, arrays)
        return arrays
    if name == "cifar100":
        arrays = random_arrays(200, 100, 3, 32, 100, seed=3)
        write_cifar100(root, arrays)
        return arrays
    if name == "svhn":
        arrays = random_arrays(20, 10, 3, 32, 10, seed=4)
        write_svhn(root, arrays)
        return arrays
    if name == "fashion-mnist-mini":
        return None
    raise KeyError(f"tests/data/writers.py has no writer for dataset {name!r}; add one")

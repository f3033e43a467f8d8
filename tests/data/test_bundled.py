"""The shipped fashion-mnist-mini and Debian's full Fashion-MNIST."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from dse.data import get_info, load_dataset
from dse.data.mini import main as mini_main
from dse.data.sources import BUNDLED_DIR, DEBIAN_DATASETS, MINI_FILE

DEBIAN_FMNIST = DEBIAN_DATASETS / "fashion-mnist"
needs_debian = pytest.mark.skipif(
    not (DEBIAN_FMNIST / "train-images-idx3-ubyte.gz").is_file(),
    reason=f"{DEBIAN_FMNIST} absent: apt-get install dataset-fashion-mnist",
)


def test_mini_loads_with_equal_classes() -> None:
    data = load_dataset("fashion-mnist-mini", download=False)
    assert data.train_images.shape == (10_000, 1, 28, 28)
    assert data.test_images.shape == (2_000, 1, 28, 28)
    assert torch.bincount(data.train_labels).tolist() == [1_000] * 10
    assert torch.bincount(data.test_labels).tolist() == [200] * 10
    assert data.info.hflip is False and data.info.num_classes == 10


def test_mini_statistics_match_its_info() -> None:
    data = load_dataset("fashion-mnist-mini")
    pixels = data.train_images.double() / 255
    assert abs(pixels.mean().item() - data.info.mean[0]) < 1e-3
    assert abs(pixels.std().item() - data.info.std[0]) < 1e-3


def test_mini_file_is_small_and_licensed() -> None:
    assert (BUNDLED_DIR / MINI_FILE).stat().st_size < 8_000_000
    licence = (BUNDLED_DIR / "LICENSE-fashion-mnist.txt").read_text()
    for words in (
        "MIT",
        "Zalando SE",
        "https://github.com/zalandoresearch/fashion-mnist",
        "Permission is hereby granted",
    ):
        assert words in licence


@needs_debian
def test_debian_full_fashion_mnist_loads() -> None:
    data = load_dataset("fashion-mnist", download=False)
    assert data.source == str(DEBIAN_FMNIST)
    assert data.train_images.shape == (60_000, 1, 28, 28)
    assert data.test_images.shape == (10_000, 1, 28, 28)
    assert torch.bincount(data.train_labels).tolist() == [6_000] * 10
    pixels = data.train_images.double() / 255
    info = get_info("fashion-mnist")
    assert abs(pixels.mean().item() - info.mean[0]) < 1e-3
    assert abs(pixels.std().item() - info.std[0]) < 1e-3


@needs_debian
def test_mini_is_reproducible_from_debian_copy(tmp_path: Path) -> None:
    out = tmp_path / "mini.npz"
    assert mini_main([str(DEBIAN_FMNIST), str(out)]) == 0
    with np.load(out) as fresh, np.load(BUNDLED_DIR / MINI_FILE) as shipped:
        for key in ("x_train", "y_train", "x_test", "y_test", "train_index", "test_index"):
            assert np.array_equal(fresh[key], shipped[key]), key
    full = load_dataset("fashion-mnist", download=False)
    with np.load(BUNDLED_DIR / MINI_FILE) as shipped:
        picked = torch.from_numpy(shipped["train_index"].astype(np.int64))
        assert torch.equal(full.train_images[picked, 0], torch.from_numpy(shipped["x_train"]))

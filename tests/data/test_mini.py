"""The generator of the bundled mini set, on small IDX files written by the test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dse.data.mini import main, make_mini

from .writers import random_arrays, write_idx_dir


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return write_idx_dir(tmp_path / "src", random_arrays(200, 60, 1, 28, 10, seed=3), gz=True)


def test_generator_is_stratified_and_reproducible(src: Path, tmp_path: Path) -> None:
    args = ["--train-per-class", "5", "--test-per-class", "2"]
    assert main([str(src), str(tmp_path / "a.npz"), *args]) == 0
    assert main([str(src), str(tmp_path / "b.npz"), *args]) == 0
    with np.load(tmp_path / "a.npz") as a, np.load(tmp_path / "b.npz") as b:
        assert np.bincount(a["y_train"]).tolist() == [5] * 10
        assert np.bincount(a["y_test"]).tolist() == [2] * 10
        assert a["x_train"].shape == (50, 28, 28) and a["x_train"].dtype == np.uint8
        for key in a.files:
            assert np.array_equal(a[key], b[key]), key
        assert np.all(np.diff(a["train_index"]) > 0)


def test_generator_picks_the_source_pixels(src: Path, tmp_path: Path) -> None:
    arrays = make_mini(src, tmp_path / "m.npz", train_per_class=3, test_per_class=1, seed=1)
    source = random_arrays(200, 60, 1, 28, 10, seed=3)
    assert np.array_equal(arrays["x_train"], source.train_x[arrays["train_index"], 0])
    assert np.array_equal(arrays["y_test"], source.test_y[arrays["test_index"]])
    other = make_mini(src, tmp_path / "o.npz", train_per_class=3, test_per_class=1, seed=2)
    assert not np.array_equal(arrays["train_index"], other["train_index"])


def test_generator_reports_errors(tmp_path: Path, src: Path, capsys) -> None:
    assert main([str(tmp_path / "nowhere"), str(tmp_path / "x.npz")]) == 1
    assert "does not hold train-images-idx3-ubyte" in capsys.readouterr().err
    assert main([str(src), str(tmp_path / "x.npz"), "--train-per-class", "100"]) == 1
    assert "fewer than 100" in capsys.readouterr().err

"""Every registered dataset loads from files in its real on-disk format."""

from __future__ import annotations

import gzip
from dataclasses import replace
from pathlib import Path

import pytest
import torch

import dse.data
from dse.data import DataFormatError, load_dataset

from .writers import random_arrays, write_cifar10, write_idx_dir, write_named, write_svhn

FILE_DATASETS = [n for n in dse.data.list_datasets() if n != "fashion-mnist-mini"]


def assert_matches(data: dse.data.TensorDataset, arrays) -> None:
    assert torch.equal(data.train_images, torch.from_numpy(arrays.train_x))
    assert torch.equal(data.train_labels, torch.from_numpy(arrays.train_y))
    assert torch.equal(data.test_images, torch.from_numpy(arrays.test_x))
    assert torch.equal(data.test_labels, torch.from_numpy(arrays.test_y))
    assert data.train_images.dtype == torch.uint8 and data.train_labels.dtype == torch.int64


def test_every_registered_dataset_has_a_writer(tmp_path: Path) -> None:
    for name in dse.data.list_datasets():
        write_named(name, tmp_path / name)  # raises KeyError for a dataset without one


@pytest.mark.parametrize("name", FILE_DATASETS)
def test_registered_dataset_loads_from_real_format(name: str, tmp_path: Path) -> None:
    arrays = write_named(name, tmp_path)
    data = load_dataset(name, tmp_path, download=False)
    assert_matches(data, arrays)
    info = dse.data.get_info(name)
    assert replace(data.info, classes=info.classes) == info  # class names come from the files
    assert data.train_images.shape[1:] == (info.in_channels, info.image_size, info.image_size)
    assert len(data.info.classes) == info.num_classes


def test_idx_plain_files_in_torchvision_layout(tmp_path: Path) -> None:
    arrays = random_arrays(10, 5, 1, 28, 10, seed=7)
    write_idx_dir(tmp_path / "FashionMNIST" / "raw", arrays, gz=False)
    assert_matches(load_dataset("fashion-mnist", tmp_path, download=False), arrays)


def test_debian_style_flat_gz_dir_as_root_and_as_parent(tmp_path: Path) -> None:
    arrays = random_arrays(10, 5, 1, 28, 10, seed=8)
    folder = write_idx_dir(tmp_path / "fashion-mnist", arrays, gz=True)
    assert_matches(load_dataset("fashion-mnist", tmp_path, download=False), arrays)
    dse.data.clear_memory_cache()
    assert_matches(load_dataset("fashion-mnist", folder, download=False), arrays)


def test_files_linked_under_their_names_load(tmp_path: Path) -> None:
    arrays = random_arrays(6, 3, 1, 28, 10, seed=9)
    store = write_idx_dir(tmp_path / "store", arrays, gz=True)
    (tmp_path / "mnist").mkdir()
    for i, gz in enumerate(sorted(store.iterdir())):
        gz.rename(store / f"blob{i}")
        (tmp_path / "mnist" / gz.name).symlink_to(store / f"blob{i}")
    assert_matches(load_dataset("mnist", tmp_path, download=False), arrays)


def test_mnist_does_not_pick_up_fashion_mnist_files(tmp_path: Path) -> None:
    write_idx_dir(tmp_path / "fashion-mnist", random_arrays(10, 5, 1, 28, 10), gz=True)
    with pytest.raises(dse.data.DataNotFoundError, match="'mnist' not found"):
        load_dataset("mnist", tmp_path / "fashion-mnist", download=False)


def test_svhn_label_10_means_digit_0(tmp_path: Path) -> None:
    arrays = random_arrays(20, 10, 3, 32, 10, seed=5)
    write_svhn(tmp_path, arrays)
    data = load_dataset("svhn", tmp_path, download=False)
    assert int((data.train_labels == 0).sum()) == int((arrays.train_y == 0).sum()) > 0
    assert int(data.train_labels.max()) == 9


def test_cifar_class_names_come_from_meta(tmp_path: Path) -> None:
    write_cifar10(tmp_path, random_arrays(10, 5, 3, 32, 10))
    data = load_dataset("cifar10", tmp_path, download=False)
    assert data.info.classes == tuple(f"c{k}" for k in range(10))
    assert data.info.hflip is True and data.info.crop_padding == 4


def test_truncated_idx_file_is_a_format_error(tmp_path: Path) -> None:
    folder = write_idx_dir(tmp_path / "fashion-mnist", random_arrays(10, 5, 1, 28, 10), gz=True)
    bad = folder / "train-images-idx3-ubyte.gz"
    bad.write_bytes(gzip.compress(gzip.decompress(bad.read_bytes())[:-5]))
    with pytest.raises(DataFormatError, match=f"cannot read {folder.resolve()}") as caught:
        load_dataset("fashion-mnist", tmp_path, download=False)
    assert "\n" not in str(caught.value) and "train-images-idx3-ubyte" in str(caught.value)


def test_truncated_gzip_names_the_file(tmp_path: Path) -> None:
    folder = write_idx_dir(tmp_path / "fashion-mnist", random_arrays(10, 5, 1, 28, 10), gz=True)
    bad = folder / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:-12])
    with pytest.raises(DataFormatError, match=r"cannot decompress .*t10k-labels-idx1-ubyte\.gz"):
        load_dataset("fashion-mnist", tmp_path, download=False)


def test_wrong_magic_number_is_a_format_error(tmp_path: Path) -> None:
    folder = write_idx_dir(tmp_path / "mnist", random_arrays(10, 5, 1, 28, 10), gz=False)
    (folder / "t10k-labels-idx1-ubyte").write_bytes(b"\x01\x02\x03\x04garbage")
    with pytest.raises(DataFormatError, match=r"'mnist': cannot read .*expected train-images"):
        load_dataset("mnist", tmp_path, download=False)


def test_label_out_of_range_is_a_format_error(tmp_path: Path) -> None:
    arrays = random_arrays(10, 5, 1, 28, 10)
    arrays.train_y[0] = 12
    write_idx_dir(tmp_path / "mnist", arrays, gz=False)
    with pytest.raises(DataFormatError, match=r"labels must be in 0\.\.9"):
        load_dataset("mnist", tmp_path, download=False)


def test_corrupt_cifar_pickle_is_a_format_error(tmp_path: Path) -> None:
    folder = write_cifar10(tmp_path, random_arrays(10, 5, 3, 32, 10))
    (folder / "data_batch_3").write_bytes(b"not a pickle")
    with pytest.raises(DataFormatError, match=r"'cifar10': cannot read .*Unpickl"):
        load_dataset("cifar10", tmp_path, download=False)


def test_image_size_resizes_and_scales_padding(tmp_path: Path) -> None:
    arrays = write_named("cifar10", tmp_path)
    data = load_dataset("cifar10", tmp_path, download=False, image_size=16)
    assert data.train_images.shape == (len(arrays.train_y), 3, 16, 16)
    assert data.info.image_size == 16 and data.info.crop_padding == 2
    expected = dse.data.get_info("cifar10", image_size=16)
    assert replace(data.info, classes=expected.classes) == expected
    assert torch.equal(data.train_labels, torch.from_numpy(arrays.train_y))


def test_unknown_name_lists_the_choices() -> None:
    with pytest.raises(dse.data.DataNotFoundError, match=r"cifar10.*imagefolder:<path>"):
        load_dataset("cifar11")
    assert issubclass(dse.data.DataNotFoundError, ValueError)

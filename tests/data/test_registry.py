"""The registry of dataset descriptions."""

from __future__ import annotations

import json

import pytest

import dse.data
from dse.data import DataError, DatasetInfo, get_info, list_datasets

EXPECTED = {"fashion-mnist", "fashion-mnist-mini", "mnist", "cifar10", "cifar100", "svhn"}


def test_builtin_datasets_are_registered() -> None:
    assert set(list_datasets()) == EXPECTED
    assert list_datasets() == sorted(list_datasets())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_info_is_consistent(name: str) -> None:
    info = get_info(name)
    assert info.name == name
    assert len(info.mean) == len(info.std) == info.in_channels
    assert all(0 < m < 1 for m in info.mean) and all(0 < s < 1 for s in info.std)
    assert info.crop_padding == {28: 2, 32: 4}[info.image_size]
    assert info.hflip is name.startswith("cifar")  # never for digits, garments, SVHN
    assert info.source
    assert DatasetInfo.from_dict(json.loads(json.dumps(info.to_dict()))) == info


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mean": (0.5, 0.5)}, "one value per channel"),
        ({"std": (0.0,)}, "std must be > 0"),
        ({"crop_padding": -1}, "crop_padding"),
        ({"num_classes": 0}, ">= 1"),
        ({"classes": ("a",)}, "class names"),
    ],
)
def test_bad_info_raises(kwargs: dict, match: str) -> None:
    fields = {
        "name": "x",
        "num_classes": 2,
        "in_channels": 1,
        "image_size": 8,
        "mean": (0.5,),
        "std": (0.2,),
        "hflip": False,
        "crop_padding": 1,
        "source": "test",
        **kwargs,
    }
    with pytest.raises(DataError, match=match):
        DatasetInfo(**fields)


def test_public_api_names() -> None:
    for name in (
        "DatasetInfo",
        "TensorDataset",
        "load_dataset",
        "split_train_val",
        "BatchLoader",
        "Augment",
        "to_device",
        "list_datasets",
        "get_info",
        "DataNotFoundError",
        "make_synthetic",
        "clear_memory_cache",
    ):
        assert name in dse.data.__all__ and hasattr(dse.data, name)


def test_make_synthetic_is_deterministic_and_valid() -> None:
    a = dse.data.make_synthetic(3, 30, 2, 6, seed=1)
    b = dse.data.make_synthetic(3, 30, 2, 6, seed=1)
    c = dse.data.make_synthetic(3, 30, 2, 6, seed=2)
    assert a.train_images.shape == (30, 2, 6, 6) and a.test_images.shape == (7, 2, 6, 6)
    assert sorted(a.train_labels.unique().tolist()) == [0, 1, 2]
    assert (a.train_images == b.train_images).all() and not (a.train_images == c.train_images).all()
    assert a.key == b.key != c.key
    with pytest.raises(DataError, match=">= 1"):
        dse.data.make_synthetic(0, 10)

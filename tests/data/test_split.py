"""The validation split: deterministic, disjoint, stratified; the test set only on request."""

from __future__ import annotations

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dse.data import DataError, evaluation_data, make_synthetic, split_train_val


@pytest.fixture(scope="module")
def data():
    return make_synthetic(num_classes=10, n=1000, channels=1, size=4, seed=0)


def test_same_seed_same_split(data) -> None:
    a = split_train_val(data, 0.1, seed=3)
    b = split_train_val(data, 0.1, seed=3)
    assert torch.equal(a.train, b.train) and torch.equal(a.val, b.val)


def test_different_seed_different_split(data) -> None:
    a = split_train_val(data, 0.1, seed=0)
    b = split_train_val(data, 0.1, seed=1)
    assert not torch.equal(a.val, b.val)


def test_parts_are_disjoint_sorted_and_cover_everything(data) -> None:
    train, val = split_train_val(data, 0.1, seed=0)
    assert len(val) == 100 and len(train) == 900
    assert not set(train.tolist()) & set(val.tolist())
    assert torch.equal(torch.cat([train, val]).sort().values, torch.arange(1000))
    assert torch.equal(val, val.sort().values) and val.dtype == torch.int64


def test_stratified_split_keeps_class_shares(data) -> None:
    _, val = split_train_val(data, 0.1, seed=0)
    assert torch.bincount(data.train_labels[val], minlength=10).tolist() == [10] * 10


def test_val_count_and_unstratified(data) -> None:
    train, val = split_train_val(data, seed=0, val_count=37, stratified=False)
    assert len(val) == 37 and len(train) == 963


@pytest.mark.parametrize(
    "kwargs",
    [{"val_fraction": 1.0}, {"val_fraction": -0.1}, {"val_count": 1000}, {"val_count": -1}],
)
def test_bad_sizes_raise(data, kwargs) -> None:
    with pytest.raises(DataError, match="val_"):
        split_train_val(data, **kwargs)


def test_evaluation_data_uses_test_only_when_asked(data) -> None:
    split = split_train_val(data, 0.1, seed=0)
    images, labels = evaluation_data(data, split)
    assert torch.equal(images, data.train_images[split.val])
    assert torch.equal(labels, data.train_labels[split.val])
    test_images, test_labels = evaluation_data(data, split, use_test=True)
    assert test_images is data.test_images and test_labels is data.test_labels


def test_evaluation_data_empty_val_is_an_error(data) -> None:
    split = split_train_val(data, 0.0, seed=0)
    assert len(split.val) == 0
    with pytest.raises(DataError, match="validation split is empty"):
        evaluation_data(data, split)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 300),
    classes=st.integers(1, 12),
    fraction=st.floats(0.0, 0.95),
    seed=st.integers(0, 2**31),
)
def test_split_sizes_property(n: int, classes: int, fraction: float, seed: int) -> None:
    assume(round(fraction * n) < n)  # at least one training image must remain
    data = make_synthetic(num_classes=classes, n=n, channels=1, size=2, seed=seed % 7)
    train, val = split_train_val(data, fraction, seed=seed)
    assert len(val) == round(fraction * n)
    assert len(train) + len(val) == n
    assert not set(train.tolist()) & set(val.tolist())
    counts = torch.bincount(data.train_labels, minlength=classes).double()
    got = torch.bincount(data.train_labels[val], minlength=classes).double()
    assert torch.all((got - counts * len(val) / n).abs() < 1.0 + 1e-9)

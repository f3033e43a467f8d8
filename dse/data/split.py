"""Deterministic train/validation split of the training set; the test set stays apart."""

from __future__ import annotations

from typing import NamedTuple

import torch

from dse.data.container import TensorDataset
from dse.data.errors import DataError

__all__ = ["TrainValSplit", "evaluation_data", "split_train_val"]


class TrainValSplit(NamedTuple):
    """Sorted int64 index tensors (CPU) into ``data.train_images`` / ``data.train_labels``."""

    train: torch.Tensor
    val: torch.Tensor


def _quotas(counts: torch.Tensor, total: int) -> torch.Tensor:
    """Per-class shares of ``total`` proportional to ``counts`` (largest remainder)."""
    exact = counts.double() * total / counts.sum()
    quota = exact.floor().long()
    missing = total - int(quota.sum())
    if missing:
        order = torch.argsort(exact - quota, descending=True, stable=True)
        quota[order[:missing]] += 1
    return torch.minimum(quota, counts)


def split_train_val(
    data: TensorDataset,
    val_fraction: float = 0.1,
    seed: int = 0,
    *,
    val_count: int | None = None,
    stratified: bool = True,
) -> TrainValSplit:
    """Carve a validation part out of the training set, the same for the same seed.

    The size is ``round(val_fraction * N)``, or ``val_count`` when given. Stratified
    (default) keeps each class's share; otherwise a plain random subset. The two index
    tensors are disjoint, sorted and cover every training image.
    """
    labels = data.train_labels.cpu()
    n = len(labels)
    if val_count is None:
        if not 0.0 <= val_fraction < 1.0:
            raise DataError(f"val_fraction must be in [0, 1), got {val_fraction}")
        val_count = round(val_fraction * n)
    if not 0 <= val_count < n:
        raise DataError(
            f"val_count must be in [0, {n - 1}] for {n} training images, got {val_count}"
        )
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(n, generator=gen)
    if stratified and val_count:
        grouped = perm[torch.argsort(labels[perm], stable=True)]
        counts = torch.bincount(labels, minlength=data.info.num_classes)
        quota = _quotas(counts, val_count)
        starts = torch.cumsum(counts, 0) - counts
        rank = torch.arange(n) - torch.repeat_interleave(starts, counts)
        chosen = grouped[rank < torch.repeat_interleave(quota, counts)]
    else:
        chosen = perm[:val_count]
    is_val = torch.zeros(n, dtype=torch.bool)
    is_val[chosen] = True
    return TrainValSplit(torch.nonzero(~is_val).flatten(), torch.nonzero(is_val).flatten())


def evaluation_data(
    data: TensorDataset, split: TrainValSplit, *, use_test: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images and labels to evaluate on: the validation part, or the test set only when
    ``use_test`` is true (the test set is never touched otherwise)."""
    if use_test:
        if data.num_test == 0:
            raise DataError(f"dataset {data.info.name!r} has no test images")
        return data.test_images, data.test_labels
    if len(split.val) == 0:
        raise DataError("the validation split is empty; use val_fraction > 0 or use_test=True")
    index = split.val.to(data.device)
    return data.train_images.index_select(0, index), data.train_labels.index_select(0, index)

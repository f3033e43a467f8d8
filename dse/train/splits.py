"""The images one trial trains, validates and tests on, as on-device `BatchLoader`s."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

import dse.data as dse_data
from dse.train.config import Budget, TrainConfig, TrainConfigError

__all__ = ["TrialData", "prepare_trial_data"]


@dataclass(frozen=True)
class TrialData:
    """The dataset (on the training device) and the index tensors of its parts.

    `train_index` and `val_index` index `data.train_images`; nothing is copied.
    """

    data: Any
    train_index: Tensor
    val_index: Tensor

    @property
    def num_train(self) -> int:
        return int(self.train_index.numel())

    def loader(self, part: str, batch_size: int, config: TrainConfig) -> Any:
        """A `dse.data.BatchLoader` over "train" (shuffled, augmented), "val" or "test"."""
        data, info = self.data, self.data.info
        train = part == "train"
        images, labels = (
            (data.test_images, data.test_labels)
            if part == "test"
            else (data.train_images, data.train_labels)
        )
        indices = {"train": self.train_index, "val": self.val_index}.get(part)
        augment = dse_data.Augment.from_info(info) if train and config.augment else None
        return dse_data.BatchLoader(
            images,
            labels,
            batch_size,
            device=images.device,
            mean=info.mean,
            std=info.std,
            shuffle=train,
            drop_last=train,
            augment=augment,
            seed=config.seed,
            channels_last=config.channels_last,
            indices=indices,
        )


def prepare_trial_data(
    data: Any, config: TrainConfig, budget: Budget, device: torch.device
) -> TrialData:
    """Put `data` on `device` (memoised by dse.data), split off validation with the fixed
    `split_seed`, and draw the `train_subset` (also with `split_seed`, so every trial of a
    study trains on the same images)."""
    on_device = dse_data.to_device(data, device)
    split = dse_data.split_train_val(
        on_device, val_fraction=config.val_fraction, seed=config.split_seed
    )
    train_index, val_index = split.train, split.val
    n, n_val = int(train_index.numel()), int(val_index.numel())
    if n == 0 or n_val == 0:
        raise TrainConfigError(
            f"TrainConfig.val_fraction={config.val_fraction} leaves {n} training and {n_val} "
            f"validation images of {on_device.train_images.shape[0]}: both must be non-empty"
        )
    if budget.train_subset is not None and budget.train_subset < n:
        generator = torch.Generator().manual_seed(config.split_seed)
        keep = torch.randperm(n, generator=generator)[: budget.train_subset]
        train_index = train_index[keep.sort().values]
    return TrialData(data=on_device, train_index=train_index, val_index=val_index)

"""BatchLoader works as Lightning's train and val dataloader."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from dse.data import Augment, BatchLoader, make_synthetic, split_train_val


@pytest.mark.slow
def test_lightning_fit_with_batch_loaders(tmp_path: Path) -> None:
    import lightning as L

    data = make_synthetic(num_classes=4, n=256, channels=1, size=8, seed=0)
    split = split_train_val(data, 0.25, seed=0)
    info = data.info

    class Tiny(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = nn.Sequential(
                nn.Conv2d(1, 4, 3, padding=1),
                nn.ReLU(),
                nn.AdaptiveAvgPool2d(1),
                nn.Flatten(),
                nn.Linear(4, 4),
            )
            self.seen: list[int] = []

        def training_step(self, batch, batch_idx):
            x, y = batch
            self.seen.append(len(y))
            return nn.functional.cross_entropy(self.net(x), y)

        def validation_step(self, batch, batch_idx):
            x, y = batch
            self.log("val_acc", (self.net(x).argmax(1) == y).float().mean())

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    common = {"device": "cpu", "mean": info.mean, "std": info.std}
    train = BatchLoader(
        data.train_images,
        data.train_labels,
        32,
        shuffle=True,
        drop_last=True,
        augment=Augment.from_info(info),
        indices=split.train,
        **common,
    )
    val = BatchLoader(data.train_images, data.train_labels, 64, indices=split.val, **common)
    model = Tiny()
    trainer = L.Trainer(
        max_epochs=2,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        default_root_dir=tmp_path,
    )
    trainer.fit(model, train_dataloaders=train, val_dataloaders=val)
    assert trainer.num_training_batches == len(train) == 6
    assert model.seen == [32] * 12
    assert train.epoch == 2  # one iter() per epoch: reshuffled each time
    assert "val_acc" in trainer.callback_metrics

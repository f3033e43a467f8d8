"""Pieces of benchmarks/train_throughput.py: step timing, a tiny CNN, and the naive pipeline (c):
Lightning with a torchvision-style dataset, per-sample transforms and a DataLoader with workers."""

from __future__ import annotations

import argparse
import time
from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn

from dse.train import Classifier, TrainConfig
from dse.train.config import resolve_precision
from dse.train.devices import resolve_device
from dse.train.scoped import quiet_lightning


class StepClock:
    """Timestamps at the start of each timed step and at the end of the last one.

    On CUDA only the first and last stamps synchronise the device (so per-step
    durations are not meaningful there and are not reported).
    """

    def __init__(self, warmup: int, steps: int, device: torch.device) -> None:
        self.warmup, self.steps, self.device = warmup, steps, device
        self.stamps: list[float] = []

    def tick(self, step: int) -> None:
        """Call at the start of step `step` (0-based) and once after the last step."""
        if not self.warmup <= step <= self.warmup + self.steps:
            return
        if self.device.type == "cuda" and step in (self.warmup, self.warmup + self.steps):
            torch.cuda.synchronize(self.device)
        self.stamps.append(time.perf_counter())

    def result(self, batch_size: int) -> dict[str, Any]:
        if len(self.stamps) != self.steps + 1:
            raise RuntimeError(f"timed {len(self.stamps) - 1} of {self.steps} steps")
        seconds = self.stamps[-1] - self.stamps[0]
        per_step = [b - a for a, b in zip(self.stamps, self.stamps[1:], strict=False)]
        return {
            "images_per_second": self.steps * batch_size / seconds,
            "step_seconds": per_step if self.device.type == "cpu" else [],
        }


class StepClockCallback(pl.Callback):
    """Drives a `StepClock` from Lightning's batch hooks."""

    def __init__(self, clock: StepClock) -> None:
        self.clock = clock

    def on_train_batch_start(
        self, trainer: pl.Trainer, module: pl.LightningModule, batch: Any, idx: int
    ) -> None:
        self.clock.tick(trainer.global_step)

    def on_train_batch_end(
        self, trainer: pl.Trainer, module: pl.LightningModule, out: Any, batch: Any, idx: int
    ) -> None:
        if trainer.global_step == self.clock.warmup + self.clock.steps:
            self.clock.tick(trainer.global_step)


class TinyCNN(nn.Module):
    """A small BN conv net (used with --model tiny, or when dse.arch is unavailable)."""

    def __init__(self, in_channels: int, num_classes: int, width: float = 1.0) -> None:
        super().__init__()
        c1, c2, c3 = (max(8, int(w * width)) for w in (32, 64, 128))

        def block(cin: int, cout: int) -> list[nn.Module]:
            return [
                nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
            ]

        self.net = nn.Sequential(
            *block(in_channels, c1),
            *block(c1, c1),
            nn.MaxPool2d(2),
            *block(c1, c2),
            *block(c2, c2),
            nn.MaxPool2d(2),
            *block(c2, c3),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(c3, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class PILImages(torch.utils.data.Dataset):
    """The naive per-sample dataset: uint8 tensor -> PIL image -> torchvision transforms."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform: Any) -> None:
        self.images, self.labels, self.transform = (
            images.cpu().numpy(),
            labels.cpu().numpy(),
            transform,
        )

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        from PIL import Image

        array = self.images[i]
        image = (
            Image.fromarray(array[0])
            if array.shape[0] == 1
            else Image.fromarray(array.transpose(1, 2, 0))
        )
        return self.transform(image), int(self.labels[i])


def run_naive(
    factory: Any, data: Any, config: TrainConfig, args: argparse.Namespace
) -> dict[str, float]:
    from torchvision import transforms as T

    info = data.info
    ops: list[Any] = (
        [T.RandomCrop(info.image_size, padding=info.crop_padding)] if info.crop_padding else []
    )
    ops += [T.RandomHorizontalFlip()] if info.hflip else []
    ops += [T.ToTensor(), T.Normalize(info.mean, info.std)]
    device = resolve_device(args.device)
    loader = torch.utils.data.DataLoader(
        PILImages(data.train_images, data.train_labels, T.Compose(ops)),
        batch_size=config.batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=args.workers,
        pin_memory=device.type == "cuda",
    )
    torch.manual_seed(config.seed)
    model = factory()
    if args.naive_channels_last:
        model = model.to(memory_format=torch.channels_last)
    module = Classifier(model, config, divergence_check_every=1 if device.type == "cpu" else 25)
    clock = StepClock(args.warmup, args.steps, device)
    with quiet_lightning():
        trainer = pl.Trainer(
            accelerator="auto" if args.device == "auto" else device.type,
            devices=1,
            precision=resolve_precision(config.precision, device),  # type: ignore[arg-type]
            max_steps=args.warmup + args.steps,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            callbacks=[StepClockCallback(clock)],
        )
        trainer.fit(module, train_dataloaders=loader)
    return clock.result(config.batch_size)

"""`TrialMonitor`: the Lightning callback that times a trial and reports each epoch."""

from __future__ import annotations

import time
from typing import Any, Protocol

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback

__all__ = ["EpochHook", "TrialMonitor"]


class EpochHook(Protocol):
    """`on_epoch(epoch, val_acc)`; returning True stops training (the trial is pruned)."""

    def __call__(self, epoch: int, val_acc: float) -> bool | None: ...


class TrialMonitor(Callback):
    """Times training apart from validation, reports epochs, and ends on `max_steps`.

    - `train_seconds` / `val_seconds`: wall time in training and in validation.
    - After each validation pass, `on_epoch(epoch, val_acc)` is called; True sets
      `trainer.should_stop` and records `pruned_epoch`.
    - When `max_steps` is reached mid-epoch it sets `trainer.should_stop`, so that
      Lightning still runs a final validation pass on the trained weights.
    """

    def __init__(self, on_epoch: EpochHook | None = None, max_steps: int | None = None) -> None:
        self.on_epoch = on_epoch
        self.max_steps = max_steps
        self.val_curve: list[float] = []
        self.pruned_epoch: int | None = None
        self.train_seconds = 0.0
        self.val_seconds = 0.0
        self._started: float | None = None
        self._val_started: float | None = None

    @staticmethod
    def _now(pl_module: pl.LightningModule) -> float:
        if pl_module.device.type == "cuda":
            torch.cuda.synchronize(pl_module.device)
        return time.perf_counter()

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._started = self._now(pl_module)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._stop_clock(pl_module)

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        if self._started is not None:
            self.train_seconds += time.perf_counter() - self._started
            self._started = None

    def _stop_clock(self, pl_module: pl.LightningModule) -> None:
        if self._started is not None:
            self.train_seconds += self._now(pl_module) - self._started
            self._started = None

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        if self.max_steps is not None and trainer.global_step >= self.max_steps:
            trainer.should_stop = True

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        self._stop_clock(pl_module)
        self._val_started = time.perf_counter()

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or self._val_started is None:
            return
        # the accuracy read in on_validation_epoch_end has already synchronised the device
        now = time.perf_counter()
        self.val_seconds += now - self._val_started
        self._val_started = None
        curve = getattr(pl_module, "val_curve", None)
        if curve:
            acc = float(curve[-1])
            self.val_curve.append(acc)
            if self.on_epoch is not None and self.on_epoch(len(self.val_curve) - 1, acc) is True:
                self.pruned_epoch = len(self.val_curve) - 1
                trainer.should_stop = True
        self._started = time.perf_counter()

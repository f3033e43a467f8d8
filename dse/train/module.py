"""`Classifier`: a LightningModule that trains any image classifier `nn.Module`."""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import torch
from torch import Tensor, nn

from dse.train.config import TrainConfig
from dse.train.schedule import make_optimizer, make_scheduler

__all__ = ["Classifier", "DivergenceError"]


class DivergenceError(RuntimeError):
    """The training loss became NaN or infinite."""


class Classifier(pl.LightningModule):
    """Cross-entropy training of `model` ((N,C,H,W) floats -> (N,classes) logits).

    The hot path does no per-step logging. Validation accuracy is accumulated on
    the device and read once per epoch into `val_curve` (and logged as "val_acc").
    The loss is checked for NaN/inf every `divergence_check_every` steps (1 = every
    step; larger values avoid a host-device sync per step on accelerators) and a
    non-finite loss raises `DivergenceError("non-finite loss at step K")`, K being
    the first step whose loss was not finite (1-based; exact for any check period).
    """

    def __init__(
        self,
        model: nn.Module,
        config: TrainConfig | None = None,
        *,
        divergence_check_every: int = 1,
    ) -> None:
        super().__init__()
        self.model = model
        self.config = config if config is not None else TrainConfig()
        self.criterion = nn.CrossEntropyLoss(label_smoothing=self.config.label_smoothing)
        self.divergence_check_every = max(1, int(divergence_check_every))
        self.val_curve: list[float] = []
        self.test_acc: float | None = None
        self._nonfinite: Tensor | None = None
        self._correct: Tensor | None = None
        self._seen = 0
        self._stepped = 0

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x)

    # ----------------------------------------------------------------- training
    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        x, y = batch
        loss = self.criterion(self.model(x), y)
        self._check_finite(loss)
        return loss

    def _check_finite(self, loss: Tensor) -> None:
        bad = ~torch.isfinite(loss.detach())
        self._stepped += 1
        if self.divergence_check_every == 1:
            if bool(bad):
                raise DivergenceError(f"non-finite loss at step {self._stepped} ({loss.item()})")
            return
        # No host-device sync here: the device remembers the first step whose loss was not
        # finite (0 = none yet), so the check every N steps still names that step exactly.
        if self._nonfinite is None:
            self._nonfinite = torch.zeros((), dtype=torch.long, device=loss.device)
        self._nonfinite = torch.where((self._nonfinite == 0) & bad, self._stepped, self._nonfinite)
        if self._stepped % self.divergence_check_every == 0:
            self.raise_if_diverged()

    def raise_if_diverged(self) -> None:
        """Raise `DivergenceError` if a non-finite loss was seen since the last check."""
        first = 0 if self._nonfinite is None else int(self._nonfinite)
        if first:
            raise DivergenceError(f"non-finite loss at step {first} (noticed at step {self._stepped})")
        self._nonfinite = None

    def on_train_epoch_end(self) -> None:
        self.raise_if_diverged()

    def on_validation_start(self) -> None:
        self.raise_if_diverged()

    def configure_optimizers(self) -> Any:
        optimizer = make_optimizer(self.model, self.config)
        total = int(self.trainer.estimated_stepping_batches)
        per_epoch = self.trainer.num_training_batches
        per_epoch = int(per_epoch) if per_epoch not in (None, float("inf")) else total
        scheduler = make_scheduler(
            optimizer, self.config, total_steps=total, steps_per_epoch=per_epoch
        )
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }

    # --------------------------------------------------------------- evaluation
    def _start_count(self) -> None:
        self._correct = torch.zeros((), dtype=torch.long, device=self.device)
        self._seen = 0

    def _count(self, batch: tuple[Tensor, Tensor]) -> None:
        x, y = batch
        logits = self.model(x)
        if self._correct is None:
            self._start_count()
        self._correct = self._correct + (logits.argmax(dim=1) == y).sum()
        self._seen += int(y.shape[0])

    def _accuracy(self) -> float:
        correct = 0 if self._correct is None else int(self._correct.item())
        return correct / self._seen if self._seen else float("nan")

    def on_validation_epoch_start(self) -> None:
        self._start_count()

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._count(batch)

    def on_validation_epoch_end(self) -> None:
        acc = self._accuracy()
        if not self.trainer.sanity_checking:
            self.val_curve.append(acc)
        self.log("val_acc", acc, prog_bar=True)

    def on_test_epoch_start(self) -> None:
        self._start_count()

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._count(batch)

    def on_test_epoch_end(self) -> None:
        self.test_acc = self._accuracy()
        self.log("test_acc", self.test_acc)

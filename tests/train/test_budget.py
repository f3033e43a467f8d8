"""train_candidate honours every Budget limit and reports what it used."""

from __future__ import annotations

import time
from typing import Any

import torch
from torch import nn

from dse.train import Budget, TrainConfig, train_candidate

CONFIG = TrainConfig(batch_size=32, lr=0.05)


def test_epochs_budget_gives_one_validation_per_epoch(synthetic: Any, tiny_net: Any) -> None:
    result = train_candidate(tiny_net(), synthetic, CONFIG, Budget(epochs=3))
    per_epoch = 461 // 32  # 512 images, 10% (51) held out for validation
    assert result.status == "completed" and result.reason is None
    assert result.epochs == 3 and len(result.val_curve) == 3
    assert result.steps == 3 * per_epoch
    assert result.train_images == result.steps * 32
    if not torch.cuda.is_available():
        assert result.device == "cpu" and result.precision == "32-true"
    assert result.train_seconds > 0 and result.images_per_second > 0
    assert result.wall_seconds >= result.train_seconds + result.val_seconds
    assert all(0.0 <= acc <= 1.0 for acc in result.val_curve)


def test_max_steps_stops_mid_epoch_and_still_validates(synthetic: Any, tiny_net: Any) -> None:
    result = train_candidate(tiny_net(), synthetic, CONFIG, Budget(epochs=5, max_steps=20))
    assert result.status == "completed"
    assert result.steps == 20
    assert result.epochs == 2  # 14 steps per epoch: the second epoch is partial
    assert len(result.val_curve) == 2


def test_train_subset_size_is_actually_used(synthetic: Any, tiny_net: Any) -> None:
    result = train_candidate(tiny_net(), synthetic, CONFIG, Budget(epochs=2, train_subset=100))
    assert result.steps == 2 * (100 // 32)
    small = train_candidate(tiny_net(), synthetic, CONFIG, Budget(epochs=1, train_subset=20))
    assert small.batch_size == 20 and small.steps == 1 and small.train_images == 20


class SlowNet(nn.Module):
    """Sleeps in every forward pass, so the wall-clock cap is reached quickly."""

    def __init__(self, inner: nn.Module, seconds: float) -> None:
        super().__init__()
        self.inner, self.seconds = inner, seconds

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        time.sleep(self.seconds)
        return self.inner(x)


def test_max_seconds_caps_training_and_counts_as_completed(synthetic: Any, tiny_net: Any) -> None:
    start = time.perf_counter()
    result = train_candidate(
        SlowNet(tiny_net(), 0.02), synthetic, CONFIG, Budget(epochs=50, max_seconds=0.5)
    )
    elapsed = time.perf_counter() - start
    assert result.status == "completed"
    assert result.reason is not None and "max_seconds=0.5" in result.reason
    assert 1 <= result.steps < 50 * 14
    assert len(result.val_curve) >= 1  # the partially trained weights were validated
    assert elapsed < 10


def test_evaluate_test_reports_test_accuracy(synthetic: Any, tiny_net: Any) -> None:
    result = train_candidate(tiny_net(), synthetic, CONFIG, Budget(epochs=1), evaluate_test=True)
    assert result.test_acc is not None and 0.0 <= result.test_acc <= 1.0
    assert train_candidate(tiny_net(), synthetic, CONFIG, Budget(epochs=1)).test_acc is None

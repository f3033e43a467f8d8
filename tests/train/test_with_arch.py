"""train_candidate trains a network built by dse.arch from a preset."""

from __future__ import annotations

from typing import Any

from dse.arch import build, get_preset
from dse.train import Budget, TrainConfig, train_candidate


def test_trains_a_squeezenet_cifar_preset(synthetic: Any) -> None:
    spec = get_preset(
        "squeezenet_cifar", in_channels=1, input_size=8, num_classes=4, width_multiplier=0.125
    )
    result = train_candidate(
        lambda: build(spec),
        synthetic,
        TrainConfig(batch_size=64),
        Budget(epochs=1, max_steps=3),
        evaluate_test=True,
    )
    assert result.status == "completed" and result.steps == 3
    assert len(result.val_curve) == 1 and 0.0 <= result.val_acc <= 1.0
    assert result.test_acc is not None and 0.0 <= result.test_acc <= 1.0

"""The per-step learning-rate schedule and the optimiser factory."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dse.train import TrainConfig, lr_factor, make_optimizer, make_scheduler


def _lrs(config: TrainConfig, total: int, per_epoch: int = 10) -> list[float]:
    model = nn.Linear(2, 2)
    optimizer = make_optimizer(model, config)
    scheduler = make_scheduler(optimizer, config, total_steps=total, steps_per_epoch=per_epoch)
    lrs = []
    for _ in range(total):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


@pytest.mark.parametrize("schedule", ["cosine", "linear"])
def test_warmup_increases_then_decays(schedule: str) -> None:
    config = TrainConfig(lr=0.1, warmup_fraction=0.2, schedule=schedule)  # type: ignore[arg-type]
    lrs = _lrs(config, total=50)
    warm, decay = lrs[:10], lrs[10:]
    assert all(b > a for a, b in zip(warm, warm[1:], strict=False))
    assert lrs[10] == pytest.approx(0.1)
    assert max(lrs) == pytest.approx(0.1)
    assert all(b < a for a, b in zip(decay, decay[1:], strict=False))
    assert lrs[0] < 0.02 and lrs[-1] < 0.01


def test_warmup_epochs_override_fraction_and_min_ratio() -> None:
    config = TrainConfig(lr=1.0, warmup_fraction=0.5, warmup_epochs=1, min_lr_ratio=0.1)
    lrs = _lrs(config, total=40, per_epoch=4)
    assert lrs.index(max(lrs)) == 4
    assert lr_factor(40, total_steps=40, warmup_steps=4, min_ratio=0.1) == pytest.approx(0.1)


def test_constant_schedule_and_cosine_midpoint() -> None:
    assert lr_factor(30, total_steps=40, warmup_steps=0, schedule="constant") == 1.0
    assert lr_factor(20, total_steps=40, warmup_steps=0, schedule="cosine") == pytest.approx(0.5)
    assert lr_factor(10, total_steps=40, warmup_steps=0, schedule="linear") == pytest.approx(0.75)


def test_optimizer_kinds_and_no_decay_on_biases_and_norms() -> None:
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4))
    sgd = make_optimizer(model, TrainConfig(weight_decay=1e-3))
    assert isinstance(sgd, torch.optim.SGD) and sgd.defaults["nesterov"] is True
    decays = {id(p): g["weight_decay"] for g in sgd.param_groups for p in g["params"]}
    assert decays[id(model[0].weight)] == 1e-3
    assert decays[id(model[0].bias)] == 0.0 and decays[id(model[1].weight)] == 0.0
    adamw = make_optimizer(model, TrainConfig(optimizer="adamw", lr=1e-3))
    assert isinstance(adamw, torch.optim.AdamW)

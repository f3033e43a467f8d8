"""Per-step learning-rate schedule: linear warm-up, then cosine/linear decay."""

from __future__ import annotations

import functools
import math

import torch
from torch.optim.lr_scheduler import LambdaLR

from dse.train.config import SCHEDULES, TrainConfig, TrainConfigError

__all__ = ["lr_factor", "make_optimizer", "make_scheduler", "warmup_steps_for"]


def lr_factor(
    step: int,
    *,
    total_steps: int,
    warmup_steps: int,
    schedule: str = "cosine",
    min_ratio: float = 0.0,
) -> float:
    """Multiplier of the peak learning rate before optimiser step `step` (0-based).

    Warm-up rises linearly from 1/(warmup_steps+1) to 1; the decay then goes from 1
    to `min_ratio` at `total_steps` ("cosine" or "linear"), or stays at 1 ("constant").
    """
    if schedule not in SCHEDULES:
        raise TrainConfigError(
            f"schedule={schedule!r} is invalid: must be one of {', '.join(SCHEDULES)}"
        )
    if step < warmup_steps:
        return (step + 1) / (warmup_steps + 1)
    if schedule == "constant":
        return 1.0
    decay_steps = max(1, total_steps - warmup_steps)
    progress = min(1.0, max(0.0, (step - warmup_steps) / decay_steps))
    if schedule == "cosine":
        shape = 0.5 * (1.0 + math.cos(math.pi * progress))
    else:
        shape = 1.0 - progress
    return min_ratio + (1.0 - min_ratio) * shape


def warmup_steps_for(config: TrainConfig, *, total_steps: int, steps_per_epoch: int) -> int:
    """Warm-up length in steps: `warmup_epochs` when set, else `warmup_fraction` of all steps."""
    if config.warmup_epochs is not None:
        warmup = round(config.warmup_epochs * steps_per_epoch)
    else:
        warmup = round(config.warmup_fraction * total_steps)
    return int(min(max(0, warmup), max(0, total_steps - 1)))


def make_optimizer(model: torch.nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """SGD (Nesterov) or AdamW; no weight decay on biases and normalisation weights."""
    decay, no_decay = [], []
    for param in model.parameters():
        if param.requires_grad:
            (decay if param.ndim > 1 else no_decay).append(param)
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    groups = [g for g in groups if g["params"]]
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            groups, lr=config.lr, momentum=config.momentum, nesterov=config.momentum > 0
        )
    return torch.optim.AdamW(groups, lr=config.lr, betas=(config.momentum, 0.999))


def make_scheduler(
    optimizer: torch.optim.Optimizer, config: TrainConfig, *, total_steps: int, steps_per_epoch: int
) -> LambdaLR:
    """A `LambdaLR` to be stepped once per optimiser step."""
    total_steps = max(1, int(total_steps))
    warmup = warmup_steps_for(
        config, total_steps=total_steps, steps_per_epoch=max(1, steps_per_epoch)
    )
    factor = functools.partial(
        lr_factor,
        total_steps=total_steps,
        warmup_steps=warmup,
        schedule=config.schedule,
        min_ratio=config.min_lr_ratio,
    )
    return LambdaLR(optimizer, lr_lambda=factor)

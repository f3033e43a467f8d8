"""Typed, validated configuration for brief candidate training.

`TrainConfig` says *how* a candidate is trained (optimiser, schedule, precision,
seed); `Budget` says *how much* (epochs, steps, images, seconds). Both are frozen
dataclasses validated on construction; a bad value raises `TrainConfigError`
whose message names the field and the allowed values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Literal

import torch

__all__ = [
    "OPTIMIZERS",
    "PRECISIONS",
    "SCHEDULES",
    "Budget",
    "TrainConfig",
    "TrainConfigError",
    "resolve_precision",
]

Optimizer = Literal["sgd", "adamw"]
Schedule = Literal["cosine", "linear", "constant"]
Precision = Literal["auto", "32-true", "bf16-mixed", "16-mixed"]

OPTIMIZERS: tuple[str, ...] = ("sgd", "adamw")
SCHEDULES: tuple[str, ...] = ("cosine", "linear", "constant")
PRECISIONS: tuple[str, ...] = ("auto", "32-true", "bf16-mixed", "16-mixed")
_PRECISION_ALIASES: dict[str, str] = {"32": "32-true", "bf16": "bf16-mixed", "16": "16-mixed"}


class TrainConfigError(ValueError):
    """A `TrainConfig` or `Budget` field has a value that cannot be used."""


def _fail(owner: str, field: str, value: object, allowed: str) -> TrainConfigError:
    return TrainConfigError(f"{owner}.{field}={value!r} is invalid: must be {allowed}")


def _check_number(
    owner: str,
    name: str,
    value: object,
    *,
    low: float,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
) -> None:
    """Raise `TrainConfigError` unless `value` is a finite number within the bounds."""
    kind = "an integer" if integer else "a number"
    lo = f"{'>' if low_open else '>='} {low:g}"
    hi = "" if high == math.inf else f" and {'<' if high_open else '<='} {high:g}"
    allowed = f"{kind} {lo}{hi}"
    if isinstance(value, bool):
        raise _fail(owner, name, value, allowed)
    ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    if not ok_type or not math.isfinite(float(value)):  # type: ignore[arg-type]
        raise _fail(owner, name, value, allowed)
    v = float(value)  # type: ignore[arg-type]
    if (v <= low if low_open else v < low) or (v >= high if high_open else v > high):
        raise _fail(owner, name, value, allowed)


@dataclass(frozen=True)
class TrainConfig:
    """How one candidate is trained.

    Attributes:
        optimizer: "sgd" (Nesterov momentum) or "adamw".
        lr: peak learning rate, reached at the end of warm-up.
        momentum: SGD momentum (Nesterov); AdamW beta1.
        weight_decay: decoupled (AdamW) or L2 (SGD) decay; not applied to biases
            and normalisation parameters.
        label_smoothing: cross-entropy label smoothing in [0, 1).
        batch_size: training batch size (clamped to the training-set size).
        eval_batch_size: batch size for validation and test passes.
        warmup_fraction: fraction of all optimiser steps spent warming up linearly.
        warmup_epochs: when set, warm-up length in epochs (overrides warmup_fraction).
        schedule: decay after warm-up: "cosine", "linear" or "constant".
        min_lr_ratio: final learning rate as a fraction of `lr`.
        precision: "auto" (bf16-mixed on a GPU with bf16, else 16-mixed; 32-true on
            CPU), or one of "32-true", "bf16-mixed", "16-mixed".
        seed: seeds the weights' training randomness and the batch order.
        val_fraction: fraction of the training split held out for validation.
        split_seed: seed of the train/validation split and of the `Budget.train_subset`
            draw; fixed so that all trials of a study see the same images.
        augment: use the dataset's own augmentation (random crop padding, h-flip).
        channels_last: train in channels-last memory format.
        deterministic: ask PyTorch for deterministic kernels (slower on GPU).
        num_threads: CPU threads for torch during training; None keeps torch's setting.
    """

    optimizer: Optimizer = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    label_smoothing: float = 0.1
    batch_size: int = 128
    eval_batch_size: int = 1024
    warmup_fraction: float = 0.05
    warmup_epochs: float | None = None
    schedule: Schedule = "cosine"
    min_lr_ratio: float = 0.0
    precision: str = "auto"
    seed: int = 0
    val_fraction: float = 0.1
    split_seed: int = 0
    augment: bool = True
    channels_last: bool = True
    deterministic: bool = False
    num_threads: int | None = None

    def __post_init__(self) -> None:
        own = "TrainConfig"
        if self.optimizer not in OPTIMIZERS:
            raise _fail(own, "optimizer", self.optimizer, f"one of {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            raise _fail(own, "schedule", self.schedule, f"one of {', '.join(SCHEDULES)}")
        precision = _PRECISION_ALIASES.get(str(self.precision), self.precision)
        if precision not in PRECISIONS:
            raise _fail(own, "precision", self.precision, f"one of {', '.join(PRECISIONS)}")
        object.__setattr__(self, "precision", precision)
        _check_number(own, "lr", self.lr, low=0.0, low_open=True)
        _check_number(own, "momentum", self.momentum, low=0.0, high=1.0, high_open=True)
        _check_number(own, "weight_decay", self.weight_decay, low=0.0)
        _check_number(
            own, "label_smoothing", self.label_smoothing, low=0.0, high=1.0, high_open=True
        )
        _check_number(own, "batch_size", self.batch_size, low=1, integer=True)
        _check_number(own, "eval_batch_size", self.eval_batch_size, low=1, integer=True)
        _check_number(
            own, "warmup_fraction", self.warmup_fraction, low=0.0, high=1.0, high_open=True
        )
        if self.warmup_epochs is not None:
            _check_number(own, "warmup_epochs", self.warmup_epochs, low=0.0)
        _check_number(own, "min_lr_ratio", self.min_lr_ratio, low=0.0, high=1.0)
        _check_number(own, "seed", self.seed, low=0, integer=True)
        _check_number(
            own, "val_fraction", self.val_fraction, low=0.0, high=1.0, low_open=True, high_open=True
        )
        _check_number(own, "split_seed", self.split_seed, low=0, integer=True)
        for flag in ("augment", "channels_last", "deterministic"):
            if not isinstance(getattr(self, flag), bool):
                raise _fail(own, flag, getattr(self, flag), "true or false")
        if self.num_threads is not None:
            _check_number(own, "num_threads", self.num_threads, low=1, integer=True)

    def to_dict(self) -> dict[str, object]:
        """Plain-data form (for trial records)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Budget:
    """How much training one candidate gets (its fidelity).

    Attributes:
        epochs: passes over the (possibly subsetted) training split.
        max_steps: optional cap on optimiser steps; whichever of epochs/steps ends
            first stops training, and the learning-rate schedule spans that length.
        train_subset: optional number of training images, drawn once with
            `TrainConfig.split_seed`; None uses the whole training split.
        max_seconds: optional wall-clock cap on training; reaching it ends training
            with status "completed" and a note in `TrainResult.reason`.
    """

    epochs: int = 10
    max_steps: int | None = None
    train_subset: int | None = None
    max_seconds: float | None = None

    def __post_init__(self) -> None:
        own = "Budget"
        _check_number(own, "epochs", self.epochs, low=1, integer=True)
        if self.max_steps is not None:
            _check_number(own, "max_steps", self.max_steps, low=1, integer=True)
        if self.train_subset is not None:
            _check_number(own, "train_subset", self.train_subset, low=1, integer=True)
        if self.max_seconds is not None:
            _check_number(own, "max_seconds", self.max_seconds, low=0.0, low_open=True)

    def to_dict(self) -> dict[str, object]:
        """Plain-data form (for trial records)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def resolve_precision(precision: str, device: torch.device) -> str:
    """Map "auto" to a concrete Lightning precision for `device`.

    GPU: "bf16-mixed" where supported, else "16-mixed". Anything else: "32-true".
    Mixed precision requested on CPU is honoured (Lightning supports bf16 on CPU).
    """
    precision = _PRECISION_ALIASES.get(precision, precision)
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    return "32-true"

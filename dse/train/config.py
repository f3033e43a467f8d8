"""Typed, validated configuration for brief candidate training.

`TrainConfig` says *how* a candidate is trained (optimiser, schedule, precision, seed); `Budget`
says *how much* (epochs, steps, images, seconds). Both are frozen pydantic models with strict
types (a bad value raises pydantic's `ValidationError`; in a study or space file,
`dse.errors.config_error` turns it into one line naming the file, the field and what is allowed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import ConfigDict, Field, field_validator

from dse.errors import ConfigError, Strict

if TYPE_CHECKING:
    import torch

__all__ = ["OPTIMIZERS", "PRECISIONS", "SCHEDULES", "Budget", "TrainConfig", "TrainConfigError",
           "resolve_precision"]

Optimizer = Literal["sgd", "adamw"]
Schedule = Literal["cosine", "linear", "constant"]
Precision = Literal["auto", "32-true", "bf16-mixed", "16-mixed"]
OPTIMIZERS: tuple[str, ...] = get_args(Optimizer)
SCHEDULES: tuple[str, ...] = get_args(Schedule)
PRECISIONS: tuple[str, ...] = get_args(Precision)
_PRECISION_ALIASES: dict[str, str] = {"32": "32-true", "bf16": "bf16-mixed", "16": "16-mixed"}


class TrainConfigError(ConfigError, ValueError):
    """A training setup that cannot be used (e.g. a validation split that leaves no images)."""


class _Checked(Strict):
    model_config = ConfigDict(strict=True)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (for trial records)."""
        return self.model_dump()


class TrainConfig(_Checked):
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
            CPU), or one of "32-true", "bf16-mixed", "16-mixed" ("32", "bf16", "16" for short).
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
    lr: float = Field(default=0.05, gt=0)
    momentum: float = Field(default=0.9, ge=0, lt=1)
    weight_decay: float = Field(default=5e-4, ge=0)
    label_smoothing: float = Field(default=0.1, ge=0, lt=1)
    batch_size: int = Field(default=128, ge=1)
    eval_batch_size: int = Field(default=1024, ge=1)
    warmup_fraction: float = Field(default=0.05, ge=0, lt=1)
    warmup_epochs: float | None = Field(default=None, ge=0)
    schedule: Schedule = "cosine"
    min_lr_ratio: float = Field(default=0.0, ge=0, le=1)
    precision: Precision = "auto"
    seed: int = Field(default=0, ge=0)
    val_fraction: float = Field(default=0.1, gt=0, lt=1)
    split_seed: int = Field(default=0, ge=0)
    augment: bool = True
    channels_last: bool = True
    deterministic: bool = False
    num_threads: int | None = Field(default=None, ge=1)

    @field_validator("precision", mode="before")
    @classmethod
    def _alias(cls, value: Any) -> Any:
        return _PRECISION_ALIASES.get(str(value), value)


class Budget(_Checked):
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

    epochs: int = Field(default=10, ge=1)
    max_steps: int | None = Field(default=None, ge=1)
    train_subset: int | None = Field(default=None, ge=1)
    max_seconds: float | None = Field(default=None, gt=0)


def resolve_precision(precision: str, device: torch.device) -> str:
    """Map "auto" to a concrete Lightning precision for `device`.

    GPU: "bf16-mixed" where supported, else "16-mixed". Anything else: "32-true".
    Mixed precision requested on CPU is honoured (Lightning supports bf16 on CPU).
    """
    import torch

    precision = _PRECISION_ALIASES.get(precision, precision)
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    return "32-true"

"""`train_candidate`: briefly train one candidate network and report how it did."""

from __future__ import annotations

import functools
import gc
import math
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback, Timer
from torch import nn

from dse.train.config import Budget, TrainConfig, TrainConfigError, resolve_precision
from dse.train.devices import is_out_of_memory, release_device_memory, resolve_device
from dse.train.module import Classifier, DivergenceError
from dse.train.monitor import EpochHook, TrialMonitor
from dse.train.scoped import quiet_lightning, torch_state
from dse.train.splits import prepare_trial_data

__all__ = ["TrainResult", "Status", "train_candidate"]

Status = Literal["completed", "pruned", "diverged", "oom"]
# On accelerators the NaN check runs every this many steps (a sync per check).
_ACCELERATOR_CHECK_EVERY = 25


@dataclass
class TrainResult:
    """Outcome of one brief training run.

    Attributes:
        status: "completed" (budget used up, including a `max_seconds` cap; see
            `reason`), "pruned" (`on_epoch` asked to stop), "diverged" (NaN/inf loss)
            or "oom" (out of memory).
        reason: why training ended early or failed; None for a full, normal run.
        val_acc: last validation accuracy (NaN when no validation pass finished).
        val_curve: validation accuracy after each epoch (a partial last epoch counts).
        test_acc: test accuracy when `evaluate_test=True` and status is "completed".
        epochs: epochs run, a partial last one included.
        steps: optimiser steps taken.
        train_images: training images processed (steps x batch size).
        train_seconds: seconds in the training loop, validation passes excluded.
        val_seconds: seconds in validation passes.
        wall_seconds: seconds for the whole call (setup and test pass included).
        images_per_second: `train_images / train_seconds`.
        device: the device trained on, e.g. "cpu" or "cuda:0".
        precision: the Lightning precision used, e.g. "32-true" or "bf16-mixed".
        batch_size: the training batch size used.
        seed: `TrainConfig.seed`.
    """

    status: Status
    reason: str | None
    val_acc: float
    val_curve: list[float] = field(default_factory=list)
    test_acc: float | None = None
    epochs: int = 0
    steps: int = 0
    train_images: int = 0
    train_seconds: float = 0.0
    val_seconds: float = 0.0
    wall_seconds: float = 0.0
    images_per_second: float = 0.0
    device: str = "cpu"
    precision: str = "32-true"
    batch_size: int = 0
    seed: int = 0

    @property
    def ok(self) -> bool:
        """True when training finished with usable accuracies (completed or pruned)."""
        return self.status in ("completed", "pruned")

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (for trial records)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def train_candidate(
    model: nn.Module | Callable[[], nn.Module],
    data: Any,
    config: TrainConfig | None = None,
    budget: Budget | None = None,
    *,
    device: str | torch.device = "auto",
    on_epoch: EpochHook | None = None,
    evaluate_test: bool = False,
    quiet: bool = True,
    callbacks: Sequence[Callback] = (),
) -> TrainResult:
    """Train `model` briefly on `data` and return accuracies, timings and a status.

    Args:
        model: the network, or a zero-argument factory building it (then its
            initialisation is seeded by `config.seed` too). Trained in place and
            left on the CPU.
        data: a `dse.data.TensorDataset`; it is put on the device once (memoised by
            `dse.data.to_device`) and batched there by `dse.data.BatchLoader`.
        config: how to train; defaults to `TrainConfig()`.
        budget: how much to train; defaults to `Budget()`.
        device: "auto" (Lightning's choice: the first GPU when present, else CPU),
            "cpu", "cuda", "cuda:1", ...
        on_epoch: called as `on_epoch(epoch, val_acc)` after each validation pass;
            returning True stops training with status "pruned".
        evaluate_test: also measure accuracy on the test split (completed runs only).
        quiet: silence Lightning's banners, progress bar and advisory warnings.
        callbacks: extra Lightning callbacks (e.g. a profiler or a custom timer).

    A NaN/inf loss gives status "diverged"; running out of memory gives "oom" (and
    the device's cached memory is released). Other exceptions propagate.
    """
    wall_start = time.perf_counter()
    config = TrainConfig() if config is None else config
    budget = Budget() if budget is None else budget
    if not isinstance(config, TrainConfig):
        raise TrainConfigError(f"config must be a TrainConfig, got {type(config).__name__}")
    if not isinstance(budget, Budget):
        raise TrainConfigError(f"budget must be a Budget, got {type(budget).__name__}")
    target = resolve_device(device)
    precision = resolve_precision(config.precision, target)
    trial = prepare_trial_data(data, config, budget, target)
    batch_size = min(config.batch_size, trial.num_train)
    monitor = TrialMonitor(on_epoch=on_epoch, max_steps=budget.max_steps)
    test_acc: float | None = None
    with (
        quiet_lightning(quiet),
        torch_state(
            device=target,
            num_threads=config.num_threads,
            cudnn_benchmark=(target.type == "cuda" and not config.deterministic) or None,
        ),
        torch.random.fork_rng(devices=[target.index or 0] if target.type == "cuda" else []),
    ):
        torch.manual_seed(config.seed)
        net = _instantiate(model, config)
        check_every = 1 if target.type == "cpu" else _ACCELERATOR_CHECK_EVERY
        classifier = Classifier(net, config, divergence_check_every=check_every)
        train_loader = trial.loader("train", batch_size, config)
        trainer = pl.Trainer(
            accelerator="auto" if device == "auto" else _accelerator_name(target),
            devices=1 if device == "auto" or target.index is None else [target.index],
            precision=precision,  # type: ignore[arg-type]
            max_epochs=budget.epochs,
            max_steps=-1 if budget.max_steps is None else budget.max_steps,
            max_time=None if budget.max_seconds is None else timedelta(seconds=budget.max_seconds),
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=not quiet,
            enable_model_summary=False,
            num_sanity_val_steps=0,
            deterministic=config.deterministic or None,
            callbacks=[monitor, *callbacks],
        )
        used = trainer.strategy.root_device
        status, reason = _fit(
            trainer, classifier, train_loader, trial.loader("val", config.eval_batch_size, config)
        )
        steps = int(trainer.global_step)
        planned = min(budget.epochs * len(train_loader), budget.max_steps or math.inf)
        if status == "completed" and monitor.pruned_epoch is not None:
            status, reason = "pruned", f"pruned by on_epoch after epoch {monitor.pruned_epoch}"
        elif status == "completed" and steps < planned and _time_is_up(trainer):
            reason = f"max_seconds={budget.max_seconds:g} reached after {steps} of {planned} steps"
        if evaluate_test and status == "completed":
            test_loader = trial.loader("test", config.eval_batch_size, config)
            oom = _guard_oom(
                functools.partial(trainer.test, classifier, test_loader, verbose=False)
            )
            if oom is None:
                test_acc = classifier.test_acc
            else:
                status, reason = "oom", f"out of memory in the test pass: {oom}"
        net.to("cpu")
        del trainer, train_loader, classifier
        if status in ("oom", "diverged"):
            gc.collect()
            release_device_memory(used)

    curve = list(monitor.val_curve)
    train_images = steps * batch_size
    return TrainResult(
        status=status,
        reason=reason,
        val_acc=curve[-1] if curve else float("nan"),
        val_curve=curve,
        test_acc=test_acc,
        epochs=math.ceil(steps / max(1, trial.num_train // batch_size)),
        steps=steps,
        train_images=train_images,
        train_seconds=monitor.train_seconds,
        val_seconds=monitor.val_seconds,
        wall_seconds=time.perf_counter() - wall_start,
        images_per_second=train_images / monitor.train_seconds
        if monitor.train_seconds > 0
        else 0.0,
        device=str(used) if used.type == "cpu" or used.index is not None else f"{used.type}:0",
        precision=precision,
        batch_size=batch_size,
        seed=config.seed,
    )


def _instantiate(model: nn.Module | Callable[[], nn.Module], config: TrainConfig) -> nn.Module:
    net = model if isinstance(model, nn.Module) else model()
    if not isinstance(net, nn.Module):
        raise TypeError(f"model factory returned {type(net).__name__}, not an nn.Module")
    return net.to(memory_format=torch.channels_last) if config.channels_last else net


def _fit(
    trainer: pl.Trainer, classifier: Classifier, train_loader: Any, val_loader: Any
) -> tuple[Status, str | None]:
    """Run `trainer.fit`; turn divergence and out-of-memory errors into a status.

    Lightning answers Ctrl-C with `sys.exit(1)` after ignoring SIGINT; here the SIGINT
    handler is restored and `KeyboardInterrupt` re-raised, so callers can stop cleanly.
    """
    sigint = signal.getsignal(signal.SIGINT)

    def fit() -> None:
        trainer.fit(classifier, train_dataloaders=train_loader, val_dataloaders=val_loader)

    try:
        oom = _guard_oom(fit)
    except SystemExit:
        if not trainer.interrupted:
            raise
        if (
            signal.getsignal(signal.SIGINT) != sigint
            and threading.current_thread() is threading.main_thread()
        ):
            signal.signal(signal.SIGINT, sigint)
        raise KeyboardInterrupt from None
    except DivergenceError as exc:
        return "diverged", f"diverged: {exc}"
    return ("completed", None) if oom is None else ("oom", f"out of memory: {oom}")


def _guard_oom(run: Callable[[], object]) -> str | None:
    """Run `run()`; return a one-line description if it ran out of memory, else None.

    Any other exception propagates.
    """
    try:
        run()
    except Exception as exc:  # noqa: BLE001 - only out-of-memory is handled here
        if not is_out_of_memory(exc):
            raise
        return (str(exc).strip() or type(exc).__name__).splitlines()[0][:300]
    return None


def _accelerator_name(device: torch.device) -> str:
    return {"cuda": "gpu", "mps": "mps"}.get(device.type, device.type)


def _time_is_up(trainer: pl.Trainer) -> bool:
    """True when Lightning's `max_time` Timer has run out."""
    timers = [cb for cb in trainer.callbacks if isinstance(cb, Timer)]  # type: ignore[attr-defined]
    return any((t.time_remaining("train") or 0.0) <= 0.0 for t in timers)

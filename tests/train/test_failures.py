"""Divergence, out-of-memory and other errors; quietness; no leaked global state."""

from __future__ import annotations

import logging
import os
import signal
import warnings
from typing import Any

import pytest
import torch
from lightning.pytorch.callbacks import Callback
from torch import nn

from dse.train import (
    Budget,
    Classifier,
    DivergenceError,
    TrainConfig,
    TrainConfigError,
    train_candidate,
)

CONFIG = TrainConfig(batch_size=32, lr=0.05)


class NaNAfter(nn.Module):
    """Produces NaN logits from the `after`-th training forward pass on."""

    def __init__(self, inner: nn.Module, after: int) -> None:
        super().__init__()
        self.inner, self.after, self.calls = inner, after, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.calls += 1
        out = self.inner(x)
        return out * float("nan") if self.training and self.calls > self.after else out


class Raises(nn.Module):
    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise self.error


def test_nan_loss_is_diverged_and_the_next_trial_trains(synthetic: Any, tiny_net: Any) -> None:
    result = train_candidate(NaNAfter(tiny_net(), after=3), synthetic, CONFIG, Budget(epochs=2))
    assert result.status == "diverged"
    assert result.reason is not None and result.reason.startswith("diverged: non-finite loss at step 4 ")
    assert "nan" in result.reason.lower()
    assert result.steps == 3  # stopped before the optimiser applied the NaN step
    assert result.val_curve == [] and result.val_acc != result.val_acc  # NaN
    assert not result.ok
    healthy = train_candidate(tiny_net, synthetic, CONFIG, Budget(epochs=2))
    assert healthy.status == "completed" and healthy.val_acc >= 0.8


def test_training_stops_at_the_first_non_finite_loss(synthetic: Any, tiny_net: Any) -> None:
    net = NaNAfter(tiny_net(), after=3)  # the loss of training step 4 is NaN
    result = train_candidate(net, synthetic, CONFIG, Budget(epochs=5))  # 16 steps per epoch
    assert net.calls == 4  # counted in steps: no training step ran after the first NaN loss
    assert result.status == "diverged" and result.steps == 3
    assert result.reason is not None and result.reason.startswith("diverged: non-finite loss at step 4")


def test_divergence_check_every_n_steps_without_sync(tiny_net: Any) -> None:
    classifier = Classifier(NaNAfter(tiny_net(), after=1), CONFIG, divergence_check_every=4)
    batch = (torch.randn(8, 1, 8, 8), torch.randint(0, 4, (8,)))
    for _ in range(3):  # the NaN at step 2 is noticed only at the 4th-step check
        classifier.training_step(batch, 0)
    with pytest.raises(DivergenceError, match=r"non-finite loss at step 2 \(noticed at step 4\)"):
        classifier.training_step(batch, 0)


def test_periodic_check_names_the_first_bad_step_after_finite_ones(tiny_net: Any) -> None:
    classifier = Classifier(NaNAfter(tiny_net(), after=2), CONFIG, divergence_check_every=25)
    batch = (torch.randn(8, 1, 8, 8), torch.randint(0, 4, (8,)))
    for _ in range(24):  # steps 3..24 are NaN; only step 3 is named
        classifier.training_step(batch, 0)
    with pytest.raises(DivergenceError, match=r"non-finite loss at step 3 \(noticed at step 25\)"):
        classifier.training_step(batch, 0)


@pytest.mark.parametrize(
    "error",
    [
        torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB"),
        RuntimeError("[enforce fail] DefaultCPUAllocator: can't allocate memory: out of memory"),
        MemoryError(),
    ],
    ids=["cuda", "runtime", "host"],
)
def test_out_of_memory_is_a_failed_trial_not_a_crash(
    synthetic: Any, tiny_net: Any, error: BaseException
) -> None:
    result = train_candidate(Raises(error), synthetic, CONFIG, Budget(epochs=1))
    assert result.status == "oom"
    assert result.reason is not None and result.reason.startswith("out of memory")
    assert result.steps == 0 and result.val_curve == []
    after = train_candidate(tiny_net(), synthetic, CONFIG, Budget(epochs=1, max_steps=3))
    assert after.status == "completed"


def test_other_errors_propagate(synthetic: Any) -> None:
    level = logging.getLogger("lightning.pytorch").level
    with pytest.raises(ValueError, match="boom"):
        train_candidate(Raises(ValueError("boom")), synthetic, CONFIG, Budget(epochs=1))
    assert logging.getLogger("lightning.pytorch").level == level


def test_quiet_by_default_and_no_leaked_global_state(
    synthetic: Any, tiny_net: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    filters = list(warnings.filters)
    levels = {
        name: logging.getLogger(name).level for name in ("lightning.pytorch", "lightning.fabric")
    }
    threads = torch.get_num_threads()
    benchmark = torch.backends.cudnn.benchmark
    deterministic = torch.are_deterministic_algorithms_enabled()
    cublas = os.environ.get("CUBLAS_WORKSPACE_CONFIG")
    config = TrainConfig(batch_size=32, deterministic=True, num_threads=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = train_candidate(tiny_net(), synthetic, config, Budget(epochs=1, max_steps=3))
    out, err = capfd.readouterr()
    assert result.status == "completed"
    assert out == "" and err == ""
    assert [str(w.message) for w in caught] == []
    assert warnings.filters == filters
    assert {name: logging.getLogger(name).level for name in levels} == levels
    assert torch.get_num_threads() == threads
    assert torch.backends.cudnn.benchmark == benchmark
    assert torch.are_deterministic_algorithms_enabled() == deterministic
    assert os.environ.get("CUBLAS_WORKSPACE_CONFIG") == cublas


@pytest.mark.filterwarnings("ignore")
def test_not_quiet_shows_lightning_output(
    synthetic: Any, tiny_net: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    train_candidate(tiny_net(), synthetic, CONFIG, Budget(epochs=1, max_steps=2), quiet=False)
    out, err = capfd.readouterr()
    assert "Epoch 0" in out + err


def test_ctrl_c_is_a_keyboard_interrupt_not_an_exit(synthetic: Any) -> None:
    handler = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        train_candidate(Raises(KeyboardInterrupt()), synthetic, CONFIG, Budget(epochs=1))
    assert signal.getsignal(signal.SIGINT) == handler


class OOMWhenArmed(nn.Module):
    """Runs `inner`, but raises a CUDA OOM error once `armed` is set."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner, self.armed = inner, False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.armed:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory in the test pass")
        return self.inner(x)


class ArmOnTest(Callback):
    def on_test_start(self, trainer: Any, pl_module: Any) -> None:
        pl_module.model.armed = True


def test_out_of_memory_in_the_test_pass_is_oom(synthetic: Any, tiny_net: Any) -> None:
    result = train_candidate(
        OOMWhenArmed(tiny_net()),
        synthetic,
        CONFIG,
        Budget(epochs=1, max_steps=2),
        evaluate_test=True,
        callbacks=[ArmOnTest()],
    )
    assert result.status == "oom" and result.test_acc is None
    assert result.reason is not None and "test pass" in result.reason
    assert len(result.val_curve) == 1  # training itself finished


def test_wrong_config_types_are_clear_errors(synthetic: Any, tiny_net: Any) -> None:
    with pytest.raises(TrainConfigError, match="config must be a TrainConfig"):
        train_candidate(tiny_net(), synthetic, {"lr": 0.1}, Budget(epochs=1))  # type: ignore[arg-type]
    with pytest.raises(TrainConfigError, match="budget must be a Budget"):
        train_candidate(tiny_net(), synthetic, CONFIG, 3)  # type: ignore[arg-type]

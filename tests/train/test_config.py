"""TrainConfig / Budget validation: a bad value is refused naming the field; one line from config_error."""

from __future__ import annotations

import pytest
import torch
from pydantic import ValidationError

from dse.errors import config_error
from dse.train import Budget, TrainConfig, resolve_precision


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("optimizer", "rmsprop"),
        ("lr", 0.0),
        ("lr", float("nan")),
        ("momentum", 1.0),
        ("weight_decay", -1e-4),
        ("label_smoothing", 1.0),
        ("batch_size", 0),
        ("batch_size", 32.0),
        ("batch_size", True),
        ("eval_batch_size", -1),
        ("warmup_fraction", 1.0),
        ("warmup_epochs", -0.5),
        ("schedule", "step"),
        ("min_lr_ratio", 1.5),
        ("precision", "fp8"),
        ("seed", -1),
        ("val_fraction", 0.0),
        ("val_fraction", 1.0),
        ("augment", "yes"),
        ("num_threads", 0),
    ],
)
def test_train_config_rejects_bad_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as info:
        TrainConfig(**{field: value})
    assert str(config_error(info.value, "TrainConfig")).startswith(f"TrainConfig: {field}: got ")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("epochs", 0),
        ("epochs", 1.5),
        ("max_steps", 0),
        ("train_subset", -3),
        ("max_seconds", 0.0),
        ("max_seconds", float("inf")),
    ],
)
def test_budget_rejects_bad_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as info:
        Budget(**{field: value})
    assert str(config_error(info.value, "b.yaml", "budget")).startswith(f"b.yaml: budget.{field}: got ")


def test_error_is_a_value_error_and_lists_allowed_values() -> None:
    with pytest.raises(ValueError) as info:
        TrainConfig(optimizer="adam")  # type: ignore[arg-type]
    assert str(config_error(info.value, "s.yaml")) == "s.yaml: optimizer: got 'adam'; allowed: 'sgd' or 'adamw'"
    with pytest.raises(ValueError) as info:
        TrainConfig(lrr=0.1)
    assert str(config_error(info.value, "s.yaml")).startswith("s.yaml: lrr: unknown field; allowed: optimizer, lr, ")


def test_configs_are_frozen_and_defaults_valid() -> None:
    config, budget = TrainConfig(), Budget()
    with pytest.raises(ValidationError):
        config.lr = 1.0  # type: ignore[misc]
    with pytest.raises(ValidationError):
        budget.epochs = 3  # type: ignore[misc]
    assert config.to_dict()["optimizer"] == "sgd"
    assert budget.to_dict() == {
        "epochs": 10,
        "max_steps": None,
        "train_subset": None,
        "max_seconds": None,
    }


def test_precision_aliases_and_auto_resolution() -> None:
    assert TrainConfig(precision="32").precision == "32-true"
    assert TrainConfig(precision=32).precision == "32-true"  # YAML reads `precision: 32` as a number
    assert TrainConfig(precision="bf16").precision == "bf16-mixed"
    assert resolve_precision("auto", torch.device("cpu")) == "32-true"
    assert resolve_precision("bf16-mixed", torch.device("cpu")) == "bf16-mixed"
    if torch.cuda.is_available():
        assert resolve_precision("auto", torch.device("cuda", 0)) in ("bf16-mixed", "16-mixed")

"""dse.study._preflight: what would fail every trial is refused before the study exists; good studies pass."""

from __future__ import annotations

import copy
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest

import dse.data
from dse.arch import cost
from dse.space import space_from_data
from dse.study._config import config_from_data, load_config
from dse.errors import DseError
from dse.study._preflight import PreflightError, _check_constraints, _check_train_values, _Drawn, preflight
from dse.study._session import load_space_for
from tests.bad_input_cases import SPACE, study

FIXED = {"in_channels": 1, "input_size": 28, "num_classes": 10}


@pytest.fixture(scope="module")
def mini() -> Any:
    return dse.data.load_dataset("fashion-mnist-mini")


def _config(**changes: Any):
    return config_from_data(study(**changes), "study.yaml")


def test_a_good_study_passes(mini: Any) -> None:
    config = _config()
    preflight(config, load_space_for(config), mini)


@pytest.mark.parametrize("name", ["quickstart", "cifar10_pareto", "paper_bypass", "paper_pct3x3_sweep", "paper_sr_sweep"])
def test_shipped_studies_pass(name: str, mini: Any) -> None:
    config = load_config(name)
    data = mini if config.dataset.name == "fashion-mnist-mini" else dse.data.make_synthetic(
        num_classes=10, n=300, channels=3, size=32, seed=0)
    preflight(config, load_space_for(config), data)


def test_a_constraint_only_the_smallest_corner_meets_is_not_refused(mini: Any) -> None:
    data = copy.deepcopy(SPACE)
    data["parameters"] = {
        "base_e": {"kind": "int", "low": 16, "high": 128, "step": 16, "target": "meta.base_e"},
        "incr_e": {"kind": "int", "low": 16, "high": 128, "step": 16, "target": "meta.incr_e"},
        "sr": {"kind": "float", "low": 0.25, "high": 1.0, "step": 0.125, "target": "meta.sr"},
        "pct3x3": {"kind": "float", "low": 0.1, "high": 0.9, "target": "meta.pct3x3"},
    }
    space = space_from_data(data, source="corner")
    smallest = cost(space.candidate({"base_e": 16, "incr_e": 16, "sr": 0.25, "pct3x3": 0.1}, FIXED).spec).params
    config = _config(space=data, constraints={"max_params": smallest})
    preflight(config, space, mini)  # random draws alone would hardly hit this one candidate
    with pytest.raises(PreflightError, match=f"max_params: {smallest - 1:,} is below .* at least {smallest:,}"):
        preflight(_config(space=data, constraints={"max_params": smallest - 1}), space, mini)


def test_constraints_met_one_by_one_but_never_together() -> None:
    space = space_from_data(SPACE, source="x")
    wide = space.candidate({"sr": 0.5, "pct3x3": 0.9}, {**FIXED, "input_size": 8})  # more params, few MACs
    narrow = space.candidate({"sr": 0.25, "pct3x3": 0.1}, {**FIXED, "input_size": 64})  # fewer params, many MACs
    cw, cn = cost(wide.spec), cost(narrow.spec)
    assert cw.params > cn.params and cw.macs < cn.macs
    drawn = _Drawn(candidates=[wide, narrow])
    config = _config(constraints={"max_params": cn.params, "max_macs": cw.macs})
    with pytest.raises(PreflightError, match=r"constraints: none of 2 candidates .* tried meets max_params .* and "
                                             r"max_macs .* together; raise one of them"):
        _check_constraints(config, space, drawn)
    _check_constraints(_config(constraints={"max_params": cw.params, "max_macs": cw.macs}), space, drawn)


@pytest.mark.parametrize(("param", "field"), [
    ({"kind": "float", "low": -0.1, "high": 0.1}, r"parameters\.lr\.low"),
    ({"kind": "categorical", "choices": ["sgd", "lion"], "train": "optimizer"}, r"parameters\.lr\.choices\.1"),
    ({"kind": "float", "low": 0.01, "high": 0.1, "train": "lrr"}, r"parameters\.lr\.target: 'train\.lrr'"),
])
def test_train_values_every_trial_would_refuse(param: dict[str, Any], field: str, mini: Any) -> None:
    """Refused by loading the space or, failing that, by the pre-flight: never trial by trial."""
    target = param.pop("train", "lr")
    data = copy.deepcopy(SPACE)
    data["parameters"]["lr"] = {**param, "target": f"train.{target}"}
    with pytest.raises(DseError, match=field):
        config = _config(space=data)
        preflight(config, load_space_for(config), mini)


def _fake_space(param: dict[str, Any], target: str) -> Any:
    """A space whose train parameter skipped the space's own checks (the pre-flight is the backstop)."""
    lr = SimpleNamespace(kind=param["kind"], choices=param.get("choices"), low=param.get("low"),
                         high=param.get("high"))
    return SimpleNamespace(name="fake", order=("lr",), parameters={"lr": lr}, train={"batch_size": 64},
                           target=lambda name: target)


@pytest.mark.parametrize(("param", "target", "match"), [
    ({"kind": "float", "low": -0.1, "high": 0.1}, "train.lr",
     r"space fake: parameters\.lr\.low: -0\.1 fails every trial that samples it: .*lr"),
    ({"kind": "categorical", "choices": ["sgd", "lion"]}, "train.optimizer",
     r"parameters\.lr\.choices\.1: 'lion' fails every trial that samples it"),
    ({"kind": "float", "low": 0.01, "high": 0.1}, "train.lrr",
     r"parameters\.lr\.target: 'train\.lrr' is not a training field; allowed: .*train\.lr,"),
])
def test_preflight_checks_every_train_value(param: dict[str, Any], target: str, match: str) -> None:
    with pytest.raises(PreflightError, match=match) as refused:
        _check_train_values(_config(), _fake_space(param, target))
    assert "\n" not in str(refused.value)


def test_one_class_and_too_small_images_name_the_dataset() -> None:
    config = _config()
    space = load_space_for(config)
    one = dse.data.make_synthetic(num_classes=2, n=64, channels=1, size=28, seed=0)
    one = replace(one, info=replace(one.info, num_classes=1))  # what a one-class image folder gives
    with pytest.raises(PreflightError, match=r"dataset \S+ \(1 class, 1x28x28 images\) gives no valid network .*"
                                             r"num_classes.*at least 2 classes"):
        preflight(config, space, one)
    small = dse.data.make_synthetic(num_classes=10, n=64, channels=1, size=4, seed=0)
    config = _config(space={**SPACE, "base": {"preset": "squeezenet1_0", "width_multiplier": 0.125}})
    with pytest.raises(PreflightError, match=r"4 px input; use larger images or a base with fewer"):
        preflight(config, load_space_for(config), small)

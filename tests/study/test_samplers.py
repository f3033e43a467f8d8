"""The sampler registry: every registered sampler runs a tiny study, and a new one plugs in by name."""

from __future__ import annotations

import optuna
import pytest

from dse.study._config import ConfigError, config_from_data
from dse.study._runner import trial_status
from dse.study._samplers import make_sampler, register_sampler, sampler_names
from dse.study._session import start
from dse.train import TrainResult

from .conftest import TINY_SPACE, tiny_config

# the grid sampler needs every range stepped
SPACE = {**TINY_SPACE, "parameters": {**TINY_SPACE["parameters"],
                                      "pct3x3": {"kind": "float", "low": 0.1, "high": 0.9, "step": 0.4,
                                                 "target": "meta.pct3x3"}}}


def stand_in(model, data, config, budget, **kw) -> TrainResult:
    acc = 0.3 + 0.5 * model().spec.meta.sr
    return TrainResult(status="completed", reason=None, val_acc=acc, val_curve=[acc], train_seconds=0.01)


@pytest.fixture
def no_training(monkeypatch):
    import dse.study._objective as objective

    monkeypatch.setattr(objective, "train_candidate", stand_in)


def test_the_builtin_samplers_are_registered() -> None:
    assert set(sampler_names()) >= {"nsga2", "tpe", "gp", "random", "grid", "cost_aware"}


@pytest.mark.parametrize("name", sampler_names())
def test_every_registered_sampler_runs_three_trials(name, tmp_path, no_training) -> None:
    session = start(config_from_data(tiny_config(tmp_path, space=SPACE, sampler={"name": name})))
    session.run()
    assert [trial_status(t) for t in session.study.trials] == ["completed"] * 3
    assert type(session.study.sampler) is type(make_sampler(session.config, session.objective.space))


def test_a_registered_sampler_is_accepted_by_name_and_built(tmp_path, monkeypatch, no_training) -> None:
    import dse.study._samplers as samplers

    built = []

    def factory(config, space, fixed, seed, *, flavour="plain"):
        built.append((fixed["num_classes"], seed, flavour))
        return optuna.samplers.RandomSampler(seed=seed)

    monkeypatch.setitem(samplers._SAMPLERS, "mine", factory)
    with pytest.raises(ConfigError, match="sampler.name: got 'mine2'; allowed: .*, mine$"):
        config_from_data(tiny_config(tmp_path, sampler={"name": "mine2"}))
    start(config_from_data(tiny_config(tmp_path, seed=5, sampler={"name": "mine", "options": {"flavour": "x"}}))).run()
    assert built[0] == (10, 5, "x")
    with pytest.raises(ConfigError, match="sampler.options: not accepted by the mine sampler"):
        start(config_from_data(tiny_config(tmp_path, name="other", sampler={"name": "mine", "options": {"bogus": 1}})))
    assert register_sampler("mine")(factory) is factory

"""A Suggest adapter over trial.suggest_* (as the study engine writes one) works with Optuna."""

from __future__ import annotations

from typing import Any

import optuna
import pytest

from dse.arch import ArchSpecError, cost
from dse.space import SearchSpace, Suggest, load_space, space_from_data
from dse.study._objective import OptunaSuggest
from tests.space.test_sampling import SWEEP

FASHION_MNIST = {"in_channels": 1, "input_size": 28, "num_classes": 10}


TrialSuggest = OptunaSuggest  # the study engine's adapter, the one place that calls trial.suggest_*


@pytest.fixture(autouse=True)
def _quiet_optuna() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def _objective(space: SearchSpace, n_objectives: int) -> Any:
    def objective(trial: optuna.Trial) -> Any:
        suggest = TrialSuggest(trial)
        assert isinstance(suggest, Suggest)
        try:
            candidate = space.sample(suggest, fixed=FASHION_MNIST)
        except ArchSpecError as exc:
            raise optuna.TrialPruned(str(exc)) from exc
        trial.set_user_attr("arch_hash", candidate.spec.arch_hash())
        trial.set_user_attr("values", candidate.values)
        c = cost(candidate.spec)
        return (c.params, c.macs) if n_objectives == 2 else float(c.params)

    return objective


def _check_trials(space: SearchSpace, study: optuna.Study) -> None:
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(done) >= len(study.trials) - 2
    for trial in done:
        # decoded values are what was stored; replaying trial.params rebuilds the same network
        assert space.decode(trial.params) == trial.user_attrs["values"]
        assert (
            space.replay(trial.params, fixed=FASHION_MNIST).spec.arch_hash()
            == trial.user_attrs["arch_hash"]
        )
        grows = trial.params.get("incr_e", 0) != 0
        if "incr_e" in space.parameters:
            assert ("freq" in trial.params) is grows


def test_tpe_samples_the_full_space() -> None:
    space = load_space("squeezenet_full")
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=5))
    study.optimize(_objective(space, 1), n_trials=15)
    _check_trials(space, study)
    assert any(isinstance(t.params.get("downsample"), str) for t in study.trials)


def test_nsga2_samples_the_micro_space_multi_objective() -> None:
    space = load_space("squeezenet_micro")
    sampler = optuna.samplers.NSGAIISampler(seed=0, population_size=6)
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_objective(space, 2), n_trials=18)
    _check_trials(space, study)
    assert study.best_trials


def test_grid_sampler_visits_every_grid_point() -> None:
    data = {**SWEEP, "parameters": {k: v for k, v in SWEEP["parameters"].items() if k != "freq"}}
    space = space_from_data(data)
    grid = space.grid()
    study = optuna.create_study(sampler=optuna.samplers.GridSampler(grid, seed=0))
    study.optimize(_objective(space, 1), n_trials=3 * 3 * 3)
    seen = {tuple(t.params[name] for name in grid) for t in study.trials}
    assert len(seen) == 27


def test_grid_sampler_with_a_conditional_parameter() -> None:
    space = space_from_data(SWEEP)
    grid = space.grid()
    study = optuna.create_study(sampler=optuna.samplers.GridSampler(grid, seed=0))
    study.optimize(_objective(space, 1), n_trials=3 * 2 * 3 * 3)
    seen = {tuple(t.params.get(name) for name in grid) for t in study.trials}
    assert len(seen) == 9 + 2 * 2 * 9  # freq is only asked when incr_e grows
    assert all(("freq" in t.params) is (t.params["incr_e"] != 0) for t in study.trials)

"""The pruner inside a real (SQLite) study: a dominated candidate is stopped at a rung, keeps its
curve and reason, and never appears on the Pareto front."""

from __future__ import annotations

import optuna
import pytest

from dse.study import attrs
from dse.study._config import config_from_data
from dse.study._progress import pareto_trials
from dse.study._session import start
from dse.train import TrainResult

from .conftest import tiny_config


def fake_trainer(accuracies: dict[float, list[float]]):
    """Stands in for train_candidate: reports a fixed curve per squeeze ratio, honouring on_epoch."""

    def train(model, data, config, budget, *, device="auto", on_epoch=None, quiet=True, **kw):
        net = model()
        sr = round(net.spec.meta.sr if net.spec.meta else 0.0, 3)
        curve = []
        for epoch, acc in enumerate(accuracies[sr][: budget.epochs]):
            curve.append(acc)
            if on_epoch is not None and on_epoch(epoch, acc):
                return TrainResult(status="pruned", reason=f"pruned at epoch {epoch}", val_acc=acc, val_curve=curve)
        return TrainResult(status="completed", reason=None, val_acc=curve[-1], val_curve=curve)

    return train


@pytest.mark.parametrize("mode", ["pareto", "halving"])
def test_dominated_candidate_is_pruned_and_never_on_front(tmp_path, monkeypatch, mode) -> None:
    import dse.study._objective as objective

    # sr 0.25 is the cheapest and best; 1.0 is the costliest and clearly worse at epoch 1
    curves = {0.25: [0.8, 0.85, 0.9], 0.5: [0.78, 0.84, 0.88], 0.75: [0.76, 0.8, 0.86], 1.0: [0.3, 0.4, 0.5]}
    monkeypatch.setattr(objective, "train_candidate", fake_trainer(curves))
    space = {
        "name": "four", "description": "four squeeze ratios",
        "base": {"preset": "squeezenet_cifar", "width_multiplier": 0.125, "meta": {"pct3x3": 0.5}},
        "parameters": {"sr": {"kind": "categorical", "choices": [0.25, 0.5, 0.75, 1.0], "target": "meta.sr"}},
    }
    config = config_from_data(tiny_config(
        tmp_path, space=space, sampler={"name": "random"}, trials=4, budget={"epochs": 3, "train_subset": 256},
        pruner={"mode": mode, "rungs": [1], "min_trials": 2, "margin": 0.02, "cost_ratio": 10.0},
    ))
    session = start(config)
    for sr in (0.25, 0.5, 0.75, 1.0):  # the worst candidate comes last, when peers have reached rung 1
        session.study.enqueue_trial({"sr": sr})
    session.run()
    by_sr = {t.params["sr"]: t for t in session.study.trials}
    worst = by_sr[1.0]
    assert worst.state == optuna.trial.TrialState.PRUNED
    assert worst.user_attrs[attrs.VAL_CURVE] == [0.3]
    assert "epoch 1" in worst.user_attrs[attrs.PRUNE_REASON]
    assert worst.number not in {t.number for t in pareto_trials(session.study)}
    assert by_sr[0.25].state == optuna.trial.TrialState.COMPLETE
    assert by_sr[0.25].user_attrs[attrs.VAL_CURVE] == [0.8, 0.85, 0.9]


def test_no_pruning_at_the_last_epoch(tmp_path, monkeypatch) -> None:
    import dse.study._objective as objective

    curves = {0.25: [0.9], 0.5: [0.85], 0.75: [0.8], 1.0: [0.1]}
    monkeypatch.setattr(objective, "train_candidate", fake_trainer(curves))
    space = {
        "name": "four", "description": "four squeeze ratios",
        "base": {"preset": "squeezenet_cifar", "width_multiplier": 0.125},
        "parameters": {"sr": {"kind": "categorical", "choices": [0.25, 0.5, 0.75, 1.0], "target": "meta.sr"}},
    }
    config = config_from_data(tiny_config(tmp_path, space=space, sampler={"name": "grid"}, trials=4,
                                          pruner={"mode": "pareto", "rungs": [1], "min_trials": 1}))
    session = start(config)
    session.run()
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in session.study.trials)

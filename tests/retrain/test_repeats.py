"""`repeats: k`: each candidate trained with k seeds, the objective is their mean; pruning and
duplicate reuse keep working (stand-in trainer, real SQLite study)."""

from __future__ import annotations

import statistics

import optuna
import pytest

from dse.study import attrs
from dse.study._config import config_from_data
from dse.study._objective import REPEAT_SEED_STEP
from dse.study._session import start
from dse.train import TrainResult
from tests.study.conftest import tiny_config

SPACE = {
    "name": "four", "description": "four squeeze ratios",
    "base": {"preset": "squeezenet_cifar", "width_multiplier": 0.125, "meta": {"pct3x3": 0.5}},
    "parameters": {"sr": {"kind": "categorical", "choices": [0.25, 0.5, 0.75, 1.0], "target": "meta.sr"}},
}


def fake_trainer(curves: dict[float, list[float]], calls: list):
    """Accuracy = the squeeze ratio's curve plus a seed-dependent offset (seed % 7 / 100)."""

    def train(model, data, config, budget, *, device="auto", on_epoch=None, quiet=True, **kw):
        net = model()
        sr = round(net.spec.meta.sr, 3)
        calls.append((sr, config.seed))
        curve = []
        for epoch, acc in enumerate(curves[sr][: budget.epochs]):
            acc = acc + (config.seed % 7) / 100
            curve.append(acc)
            if on_epoch is not None and on_epoch(epoch, acc):
                return TrainResult(status="pruned", reason=f"pruned at epoch {epoch}", val_acc=acc, val_curve=curve,
                                   seed=config.seed)
        return TrainResult(status="completed", reason=None, val_acc=curve[-1], val_curve=curve, seed=config.seed,
                           train_seconds=1.0, train_images=100)

    return train


def test_repeats_store_every_seed_and_their_mean(tmp_path, monkeypatch) -> None:
    import dse.study._objective as objective

    calls: list = []
    monkeypatch.setattr(objective, "train_candidate", fake_trainer({0.5: [0.5, 0.6], 0.25: [0.4, 0.5]}, calls))
    config = config_from_data(tiny_config(tmp_path, space=SPACE, trials=3, repeats=2, pruner={"mode": "off"},
                                          budget={"epochs": 2, "train_subset": 256}))
    session = start(config)
    for sr in (0.5, 0.25, 0.5):  # the third is a duplicate of the first
        session.study.enqueue_trial({"sr": sr})
    session.run()
    first, second, third = session.study.trials
    seeds = first.user_attrs[attrs.SEEDS]
    assert seeds == [first.user_attrs[attrs.SEED], first.user_attrs[attrs.SEED] + REPEAT_SEED_STEP]
    per_seed = first.user_attrs[attrs.VAL_ACC_PER_SEED]
    assert per_seed == pytest.approx([0.6 + (s % 7) / 100 for s in seeds])
    assert per_seed[0] != per_seed[1]
    assert first.values[0] == pytest.approx(statistics.fmean(per_seed)) == first.user_attrs[attrs.VAL_ACC]
    assert first.user_attrs[attrs.VAL_ACC_STD] == pytest.approx(statistics.stdev(per_seed))
    assert first.user_attrs[attrs.VAL_CURVE][0] == pytest.approx(statistics.fmean(0.5 + (s % 7) / 100 for s in seeds))
    assert third.user_attrs[attrs.STATUS] == "duplicate" and third.values == first.values
    assert third.user_attrs[attrs.VAL_ACC_PER_SEED] == per_seed
    assert len(calls) == 4  # two seeds for each of the two distinct candidates, none for the duplicate
    assert second.user_attrs[attrs.VAL_ACC_STD] > 0


def test_a_pruned_candidate_trains_no_further_seed(tmp_path, monkeypatch) -> None:
    import dse.study._objective as objective

    calls: list = []
    curves = {0.25: [0.8, 0.85, 0.9], 0.5: [0.78, 0.84, 0.88], 0.75: [0.76, 0.8, 0.86], 1.0: [0.3, 0.4, 0.5]}
    monkeypatch.setattr(objective, "train_candidate", fake_trainer(curves, calls))
    config = config_from_data(tiny_config(
        tmp_path, space=SPACE, trials=4, repeats=2, budget={"epochs": 3, "train_subset": 256},
        pruner={"mode": "pareto", "rungs": [1], "min_trials": 2, "margin": 0.02, "cost_ratio": 10.0},
    ))
    session = start(config)
    for sr in (0.25, 0.5, 0.75, 1.0):
        session.study.enqueue_trial({"sr": sr})
    session.run()
    pruned = [t for t in session.study.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert 1.0 in {t.params["sr"] for t in pruned}
    for t in pruned:  # its first seed was stopped at the rung and no second seed was trained
        seed, sr = t.user_attrs[attrs.SEED], t.params["sr"]
        assert (sr, seed) in calls and (sr, seed + REPEAT_SEED_STEP) not in calls
        assert attrs.VAL_ACC_PER_SEED not in t.user_attrs
    completed = [t for t in session.study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert all(len(t.user_attrs[attrs.VAL_ACC_PER_SEED]) == 2 for t in completed)


def test_default_repeats_keeps_the_config_hash() -> None:
    from tests.study.conftest import tiny_config as cfg

    base = config_from_data(cfg(__import__("pathlib").Path("/tmp")))
    assert base.repeats == 1 and "repeats" not in base.identity()
    assert config_from_data(cfg(__import__("pathlib").Path("/tmp"), repeats=2)).config_hash() != base.config_hash()

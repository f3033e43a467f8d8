"""The Pareto pruner across worker processes: a worker judges its candidate against rung results
that other processes wrote to the shared storage (SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from dse.arch import cost
from dse.space import ReplaySuggest, space_from_data
from dse.study import attrs
from dse.study._config import load_config
from dse.study._progress import pareto_trials
from dse.study._runner import trial_status
from dse.study._session import start
from tests.study.conftest import TINY_SPACE

from .conftest import load, start_worker, study_config

pytestmark = pytest.mark.slow

CHEAP = {"sr": 0.25, "pct3x3": 0.5}
COSTLY = {"sr": 1.0, "pct3x3": 0.5}
FASHION = {"in_channels": 1, "input_size": 28, "num_classes": 10}


def params_of(values: dict[str, float]) -> int:
    return cost(space_from_data(TINY_SPACE).sample(ReplaySuggest(values), fixed=FASHION).spec).params


def test_workers_prune_against_peers_in_the_shared_storage(storage_url: str, tmp_path: Path) -> None:
    target = 2
    config = study_config(tmp_path, "prune", storage_url, trials=target,
                          budget={"epochs": 2, "train_subset": 64},
                          # after one step accuracies stay far below 0.5: only the perfect peer can
                          # beat a candidate by the margin, never another real one
                          pruner={"mode": "pareto", "rungs": [1], "min_trials": 1, "margin": 0.5})
    session = start(load_config(config))
    study = session.study
    study.set_user_attr(attrs.STUDY_TARGET_TRIALS, target)
    # A peer written by another process: cheaper than the costly candidates, dearer than the cheap
    # ones, and perfect after epoch 1. Pruned itself, so it never counts toward the target.
    between = (params_of(CHEAP) + params_of(COSTLY)) // 2
    study.add_trial(optuna.trial.create_trial(
        state=TrialState.PRUNED,
        user_attrs={attrs.PARAMS: between, attrs.VAL_CURVE: [1.0], attrs.STATUS: "pruned"},
    ))
    for values in (COSTLY, COSTLY | {"pct3x3": 0.6}, CHEAP, CHEAP | {"pct3x3": 0.4}):
        study.enqueue_trial(values)

    workers = [start_worker("prune", storage_url) for _ in range(2)]
    try:
        outputs = [w.communicate(timeout=300)[0] for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    assert [w.returncode for w in workers] == [0, 0], outputs

    trials = load("prune", storage_url).get_trials(deepcopy=False)
    costly = [t for t in trials if t.params.get("sr") == 1.0]
    cheap = [t for t in trials if t.params.get("sr") == 0.25]
    assert len(costly) == 2 and len(cheap) == 2, [(t.number, t.params, t.state) for t in trials]
    for t in costly:  # dominated by the peer at rung 1: stopped after one of two epochs
        assert t.state == TrialState.PRUNED and trial_status(t) == "pruned", t.user_attrs
        assert len(t.user_attrs[attrs.VAL_CURVE]) == 1
        assert "dominated after epoch 1" in t.user_attrs[attrs.PRUNE_REASON]
    for t in cheap:  # nothing cheaper did better: trained to the end
        assert t.state == TrialState.COMPLETE and trial_status(t) == "completed", t.user_attrs
        assert len(t.user_attrs[attrs.VAL_CURVE]) == 2
    assert all(t.user_attrs[attrs.WORKER] for t in costly + cheap)  # run by the worker processes
    front = {t.number for t in pareto_trials(load("prune", storage_url))}
    assert front and front <= {t.number for t in cheap}

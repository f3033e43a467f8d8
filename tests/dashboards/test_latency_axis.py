"""Latency is a selectable cost axis wherever trials measured it, also when it is not an objective."""

from __future__ import annotations

import optuna

from dse.dashboard.data import cost_metrics
from dse.study import attrs
from dse.study._records import load_study_info, load_trials


def _study(url: str, measured: bool) -> None:
    study = optuna.create_study(study_name="lat", storage=url, directions=["maximize", "minimize"])
    study.set_user_attr(attrs.STUDY_OBJECTIVES, [{"name": "val_acc", "direction": "maximize"},
                                                 {"name": "params", "direction": "minimize"}])
    for i, (acc, params, ms) in enumerate([(0.7, 1000, 0.4), (0.8, 5000, 0.9)]):
        trial = study.ask()
        trial.set_user_attr(attrs.PARAMS, params)
        trial.set_user_attr(attrs.VAL_ACC, acc)
        if measured:
            trial.set_user_attr(attrs.LATENCY_MS, ms)
        study.tell(trial, [acc, params])


def test_measured_latency_is_read_and_offered_as_a_cost_axis(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'lat.db'}"
    _study(url, measured=True)
    records = load_trials(url, "lat")
    assert sorted(r.metric("latency_ms") for r in records) == [0.4, 0.9]
    assert "latency_ms" in cost_metrics(load_study_info(url, "lat"), records)


def test_latency_is_not_offered_where_nothing_measured_it(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'lat.db'}"
    _study(url, measured=False)
    records = load_trials(url, "lat")
    assert all(r.metric("latency_ms") is None for r in records)
    assert "latency_ms" not in cost_metrics(load_study_info(url, "lat"), records)

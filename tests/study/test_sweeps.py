"""Grid sweeps train every grid point: pruning is off unless asked, and unmeasured points are listed."""

from __future__ import annotations

import optuna
import pytest
from typer.testing import CliRunner

from dse.dashboard.report import write_report
from dse.cli import app

from dse.resources import shipped_files
from dse.study import attrs
from dse.study._config import config_from_data, load_config
from dse.study._session import start
from dse.study._sweep import missing_grid_points

from .conftest import tiny_config
from .test_pruning_study import fake_trainer

SRS = [0.25, 0.375, 0.5, 0.75, 1.0]
THREE = {
    "name": "three", "description": "three squeeze ratios",
    "base": {"preset": "squeezenet_cifar", "width_multiplier": 0.125, "meta": {"pct3x3": 0.5}},
    "parameters": {"sr": {"kind": "categorical", "choices": [0.25, 0.5, 1.0], "target": "meta.sr"}},
}
FIVE = {**THREE, "parameters": {"sr": {"kind": "categorical", "choices": SRS, "target": "meta.sr"}}}
# sr 1.0 is the costliest and clearly worse after epoch 1: the default Pareto pruner (rungs 1, 2, 4,
# at least 4 peers at a rung) would stop it once the four others reached epoch 1
CURVES = {0.25: [0.8, 0.85, 0.9], 0.375: [0.79, 0.85, 0.89], 0.5: [0.78, 0.84, 0.88],
          0.75: [0.77, 0.83, 0.87], 1.0: [0.3, 0.4, 0.5]}


def test_grid_without_pruner_setting_trains_every_point() -> None:
    config = config_from_data({"name": "g", "space": THREE, "dataset": "fashion-mnist-mini", "sampler": {"name": "grid"}})
    assert config.pruner.mode == "off"
    assert config.warnings() == []


def test_grid_asking_for_pruning_keeps_it_with_a_warning() -> None:
    config = config_from_data({"name": "g", "space": THREE, "dataset": "fashion-mnist-mini",
                               "sampler": {"name": "grid"}, "pruner": {"mode": "pareto"}})
    assert config.pruner.mode == "pareto"
    assert len(config.warnings()) == 1 and "unmeasured" in config.warnings()[0]


def test_other_samplers_keep_pruning_by_default() -> None:
    config = config_from_data({"name": "g", "space": THREE, "dataset": "fashion-mnist-mini", "sampler": {"name": "random"}})
    assert config.pruner.mode == "pareto"


@pytest.mark.parametrize("name", ["paper_sr_sweep", "paper_pct3x3_sweep", "paper_bypass"])
def test_shipped_paper_studies_do_not_prune(name: str) -> None:
    config = load_config(shipped_files("studies")[name])
    assert config.sampler.name == "grid"
    assert config.pruner.mode == "off"
    assert config.warnings() == []


def _run(tmp_path, monkeypatch, **overrides) -> optuna.Study:
    import dse.study._objective as objective

    monkeypatch.setattr(objective, "train_candidate", fake_trainer(CURVES))
    config = config_from_data(tiny_config(tmp_path, space=FIVE, sampler={"name": "grid"}, trials=5,
                                          budget={"epochs": 3, "train_subset": 256}, **overrides))
    session = start(config)
    for sr in SRS:  # the worst point last, when its peers have reached rung 1
        session.study.enqueue_trial({"sr": sr})
    session.run()
    return session.study


def test_grid_sweep_measures_every_point_even_where_the_pruner_would_stop_one(tmp_path, monkeypatch) -> None:
    study = _run(tmp_path, monkeypatch)
    states = {t.params["sr"]: t.state for t in study.trials}
    assert states == {sr: optuna.trial.TrialState.COMPLETE for sr in SRS}
    assert study.user_attrs[attrs.STUDY_CONFIG]["pruner"]["mode"] == "off"


def test_grid_sweep_with_explicit_pruning_leaves_a_point_unmeasured_and_lists_it(tmp_path, monkeypatch) -> None:
    # the same sweep with pruning asked for: proves the curves above do trigger the pruner
    study = _run(tmp_path, monkeypatch, pruner={"mode": "pareto"})
    pruned = [t.params["sr"] for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert pruned, "the stand-in curves should make the pruner stop a grid point"
    measured = [t.params for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    missing = missing_grid_points(study.user_attrs[attrs.STUDY_CONFIG], study.user_attrs[attrs.STUDY_SPACE], measured)
    assert missing == [{"sr": sr} for sr in sorted(pruned)]
    storage = f"sqlite:///{tmp_path / 'tiny.db'}"
    shown = CliRunner().invoke(app, ["show", "tiny", "--storage", storage], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert f"grid points without a completed trial ({len(pruned)}): sr=1.0" in shown.output
    report = write_report(storage, "tiny", tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'id="unmeasured"' in report and "sr=1.0" in report


def test_missing_grid_points_is_empty_for_searches_and_complete_sweeps() -> None:
    config = {"sampler": {"name": "grid"}}
    assert missing_grid_points(config, THREE, [{"sr": 0.25}, {"sr": 0.5}, {"sr": 1.0}]) == []
    assert missing_grid_points(config, THREE, [{"sr": 0.5}]) == [{"sr": 0.25}, {"sr": 1.0}]
    assert missing_grid_points({"sampler": {"name": "nsga2"}}, THREE, []) == []

"""Issue 16, finding 10: dse names its objectives for Optuna, so optuna-dashboard and Optuna's own
plots show "val_acc" and "params" instead of "Objective 0/1"."""

from __future__ import annotations

from pathlib import Path

import optuna

from dse.study._config import config_from_data
from dse.study._runner import create_or_continue
from tests.study.conftest import TINY_SPACE, tiny_config


def test_a_new_study_carries_its_objective_names(tmp_path: Path) -> None:
    config = config_from_data(tiny_config(tmp_path), "test config")
    create_or_continue(config, TINY_SPACE, {"name": "fashion-mnist-mini"})
    study = optuna.load_study(study_name="tiny", storage=f"sqlite:///{tmp_path / 'tiny.db'}")
    assert study.metric_names == ["val_acc", "params"]

"""Fixtures for the dashboard tests: one SQLite database holding several synthetic studies."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import optuna
import pytest

from tests.dashboards.synthetic import Mix, build_study

HOSTILE = "<script>alert(1)</script>"


@dataclass(frozen=True)
class StudyDB:
    path: Path
    url: str
    small: str = "small"  # 2 objectives (val_acc, params), 120 trials
    three: str = "three"  # 3 objectives (val_acc, params, macs), 80 trials
    hostile: str = HOSTILE  # a study whose name is an HTML injection attempt
    plain: str = "plain"  # a study not created by dse: no dse attrs at all


def add_plain_study(url: str, name: str = "plain", n: int = 12) -> None:
    study = optuna.create_study(storage=url, study_name=name, directions=["minimize", "minimize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), (1 - t.suggest_float("y", 0, 1)) ** 2), n_trials=n)


def make_db(path: Path) -> StudyDB:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = f"sqlite:///{path}"
    build_study(url, "small", 120, seed=0)
    build_study(url, "three", 80, objectives=("val_acc", "params", "macs"), seed=1)
    build_study(url, HOSTILE, 15, seed=2, mix=Mix(pruned=0.2, infeasible=0.1, failed=0.1, running=1))
    add_plain_study(url)
    return StudyDB(path, url)


@pytest.fixture(scope="session")
def study_db(tmp_path_factory: pytest.TempPathFactory) -> StudyDB:
    """Shared, never written after creation: tests that write use ``fresh_db``."""
    return make_db(tmp_path_factory.mktemp("dashboards") / "studies.db")


@pytest.fixture
def fresh_db(tmp_path: Path) -> StudyDB:
    return make_db(tmp_path / "studies.db")

"""A database lost while a worker runs: the run leaves its trial to the heartbeat and ends with one
line, and a write that is not safe to repeat (creating or finishing a trial) and loses its
connection ends the run only when the database stays away."""

from __future__ import annotations

import logging
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from sqlalchemy.exc import OperationalError

from dse.study import _database as storage
from dse.study._database import DatabaseUnavailable
from dse.study._runner import optimize_until

from .conftest import open_sqlite_study

pytestmark = pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning")  # tests ask directly


def test_lost_database_leaves_the_trial_running_and_raises_one_line(tmp_path: Path) -> None:
    study, _ = open_sqlite_study(tmp_path, "lost")

    def objective(trial: optuna.Trial) -> float:
        raise DatabaseUnavailable("storage x is unreachable: gone (gave up after 3 attempts in 1 s)")

    with pytest.raises(DatabaseUnavailable, match="unreachable"):
        optimize_until(study, objective, 3)
    assert [t.state for t in study.trials] == [TrialState.RUNNING]  # left for the heartbeat to expire


def _refused() -> optuna.exceptions.StorageInternalError:
    """What Optuna raises when a write (creating, finishing a trial) finds the server gone."""
    try:
        raise OperationalError("INSERT INTO trials ...", {}, Exception('connection to server at "127.0.0.1", '
                                                                        "port 5 failed: Connection refused"))
    except OperationalError as exc:
        try:
            raise optuna.exceptions.StorageInternalError("An exception is raised during the commit.") from exc
        except optuna.exceptions.StorageInternalError as wrapped:
            return wrapped


def test_trial_creation_that_loses_the_database_ends_the_run_with_one_line(tmp_path: Path, monkeypatch) -> None:
    """CI finding: the connection cut while ``ask`` created a trial (a write dse does not retry)
    crashed the worker with a traceback instead of its one-line "unreachable" exit."""
    study, opened = open_sqlite_study(tmp_path, "gone")
    optimize_until(study, lambda t: t.suggest_float("x", 0, 1), 1)

    def create(*args, **kwargs):
        monkeypatch.setattr(storage, "call_with_retries", unreachable)  # and reads give up too
        raise _refused()

    def unreachable(fn, policy, what):
        raise DatabaseUnavailable(f"{what} is unreachable: Connection refused (gave up after 3 attempts in 1 s)")

    monkeypatch.setattr(opened, "_create_new_trial", create)
    with pytest.raises(DatabaseUnavailable, match="unreachable: Connection refused"):
        optimize_until(study, lambda t: t.suggest_float("x", 0, 1), 3)
    monkeypatch.undo()
    assert [t.state for t in study.trials] == [TrialState.COMPLETE]


def test_a_write_that_loses_its_connection_once_does_not_stop_the_run(tmp_path: Path, monkeypatch, caplog) -> None:
    study, opened = open_sqlite_study(tmp_path, "blip")
    real = opened._create_new_trial
    calls = []

    def create(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise _refused()
        return real(*args, **kwargs)

    monkeypatch.setattr(opened, "_create_new_trial", create)
    with caplog.at_level(logging.WARNING):
        assert optimize_until(study, lambda t: t.suggest_float("x", 0, 1), 3).stopped_by == "target"
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3
    assert "lost its connection (connection to server" in caplog.text


def test_a_database_that_drops_every_write_ends_the_run(tmp_path: Path, monkeypatch) -> None:
    study, opened = open_sqlite_study(tmp_path, "flaky")

    def create(*args, **kwargs):
        raise _refused()

    monkeypatch.setattr(opened, "_create_new_trial", create)
    with pytest.raises(DatabaseUnavailable, match="dropped 4 writes in a row"):
        optimize_until(study, lambda t: t.suggest_float("x", 0, 1), 3)

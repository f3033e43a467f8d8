"""Pins the Optuna behaviour that dse/study/_optuna_compat.py works around or relies on: each test
fails when Optuna changes it (then the workaround is either wrong or no longer needed)."""

from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from dse.study import _optuna_compat as compat


def _rdb(tmp_path: Path, cls: type = optuna.storages.RDBStorage) -> optuna.storages.RDBStorage:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return cls(f"sqlite:///{tmp_path / 'c.db'}", heartbeat_interval=1, grace_period=1)


@pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning")
def test_optuna_leaves_a_trial_without_heartbeat_until_optimize_beats(tmp_path: Path) -> None:
    """The gap: a trial made by ``ask`` has no heartbeat, and Optuna never counts it stale."""
    storage = _rdb(tmp_path)
    study = optuna.create_study(study_name="gap", storage=storage)
    study.ask()
    time.sleep(2.2)
    assert storage._get_stale_trial_ids(study._study_id) == []  # still the gap: keep the workaround


@pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning")
def test_heartbeat_from_creation_makes_such_a_trial_stale_with_its_reason(tmp_path: Path) -> None:
    storage = _rdb(tmp_path, compat.HeartbeatFromCreation)
    study = optuna.create_study(study_name="fix", storage=storage)  # Optuna wraps it in its cache
    trial = study.ask()  # goes through the cached storage to _create_new_trial
    time.sleep(2.2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)  # calls _get_stale_trial_ids
    frozen = storage.get_trial(compat.trial_id(trial))
    assert frozen.number == trial.number and frozen.state == TrialState.FAIL
    assert frozen.user_attrs[compat.FAIL_REASON_KEY] == "worker lost: no heartbeat for 1 s"


def test_the_private_reads_retried_by_dse_exist() -> None:
    for name in compat.PRIVATE_IDEMPOTENT_READS:
        assert callable(getattr(optuna.storages.RDBStorage, name)), name
    assert callable(optuna.storages.RDBStorage._create_new_trial)


def test_optunas_failed_trial_warning_comes_from_the_filtered_logger(tmp_path: Path) -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    logger = logging.getLogger(compat.OPTIMIZE_LOGGER)
    logger.addHandler(handler)
    logger.removeFilter(compat._FILTER)
    try:
        study = optuna.create_study()
        study.optimize(lambda t: float("nan"), n_trials=1)
        assert any(" failed with " in r.getMessage() for r in records)  # Optuna still logs it there
        records.clear()
        compat.quiet_optuna_logs()
        study.optimize(lambda t: float("nan"), n_trials=1)
        assert not any(" failed with " in r.getMessage() for r in records)
    finally:
        logger.removeHandler(handler)
        compat.quiet_optuna_logs()


def test_optimize_does_not_tell_a_trial_left_by_a_base_exception() -> None:
    """dse leaves a trial RUNNING (for the heartbeat to expire) by raising a BaseException."""

    class Leave(BaseException):
        pass

    study = optuna.create_study()
    with pytest.raises(Leave):
        study.optimize(lambda t: (_ for _ in ()).throw(Leave()), n_trials=1)
    assert study.trials[0].state == TrialState.RUNNING


def test_a_handed_back_trial_is_taken_by_the_next_ask() -> None:
    study = optuna.create_study()
    trial = study.ask()
    compat.hand_back(trial)
    assert study.trials[0].state == TrialState.WAITING
    assert study.ask().number == trial.number


def test_the_fast_reads_know_the_schema_of_this_optuna(tmp_path: Path) -> None:
    """A new Optuna schema revision fails here: check read_trial_rows against it, then add it."""
    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 's.db'}")
    assert storage.get_current_version() in compat.FAST_READ_SCHEMAS
    assert compat.fast_reads_supported(storage)

    class Newer(optuna.storages.RDBStorage):
        def get_current_version(self) -> str:
            return "v9.9.9.z"

    assert not compat.fast_reads_supported(Newer(f"sqlite:///{tmp_path / 's.db'}"))

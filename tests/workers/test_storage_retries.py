"""Storage retries, the worker loop's waiting and dead-trial retry, in one process (no worker
processes)."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import warnings
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from sqlalchemy.exc import IntegrityError, OperationalError

from dse.study import _optuna_compat as compat
from dse.study import _database as storage
from dse.study import attrs
from dse.study._runner import INTERRUPTED, optimize_until
from dse.study._database import (
    DatabaseUnavailable,
    RetryPolicy,
    StorageError,
    call_with_retries,
    heartbeat_settings,
    open_storage,
)

from .conftest import open_sqlite_study

NO_WAIT = RetryPolicy(attempts=3, first_delay=0.0)
pytestmark = pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning")  # tests ask directly


def locked() -> OperationalError:
    return OperationalError("UPDATE studies ...", {}, sqlite3.OperationalError("database is locked"))


def test_transient_errors_are_retried_until_success() -> None:
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise locked()
        return "ok"

    assert call_with_retries(flaky, NO_WAIT, "storage x") == "ok"
    assert len(calls) == 3


def test_persistent_outage_gives_one_line_after_the_last_attempt() -> None:
    calls = []

    def down() -> None:
        calls.append(1)
        raise optuna.exceptions.StorageInternalError("commit failed") from locked()

    with pytest.raises(DatabaseUnavailable) as info:
        call_with_retries(down, NO_WAIT, "storage sqlite:///x.db")
    assert len(calls) == 3
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("storage sqlite:///x.db is locked by another process: database is locked")
    assert "3 attempts" in message


def test_other_errors_are_not_retried() -> None:
    calls = []

    def broken() -> None:
        calls.append(1)
        raise IntegrityError("INSERT ...", {}, Exception("duplicate key"))

    with pytest.raises(IntegrityError):
        call_with_retries(broken, NO_WAIT, "storage x")
    assert len(calls) == 1


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=8, first_delay=1.0, max_delay=4.0)
    delays = [policy.delay(i) for i in range(1, 6)]
    assert 0.75 <= delays[0] <= 1.25 and 1.5 <= delays[1] <= 2.5 and all(3.0 <= d <= 5.0 for d in delays[2:])


def test_heartbeat_and_retry_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert heartbeat_settings() == (storage.HEARTBEAT_INTERVAL, storage.GRACE_PERIOD)
    monkeypatch.setenv("DSE_HEARTBEAT_INTERVAL", "1")
    monkeypatch.setenv("DSE_GRACE_PERIOD", "3")
    monkeypatch.setenv("DSE_DB_RETRIES", "2")
    monkeypatch.setenv("DSE_DB_RETRY_DELAY", "0.5")
    assert heartbeat_settings() == (1, 3)
    assert RetryPolicy.from_env() == RetryPolicy(attempts=2, first_delay=0.5)
    monkeypatch.setenv("DSE_GRACE_PERIOD", "soon")
    with pytest.raises(StorageError, match="DSE_GRACE_PERIOD='soon': must be a whole number >= 1"):
        heartbeat_settings()


def test_sqlite_lock_held_longer_than_the_busy_timeout_is_survived(tmp_path: Path, monkeypatch, caplog) -> None:
    caplog.set_level(logging.INFO, logger="dse.study._database")
    monkeypatch.setattr(storage, "SQLITE_BUSY_TIMEOUT", 0.2)
    monkeypatch.setenv("DSE_DB_RETRY_DELAY", "0.2")
    path = tmp_path / "busy.db"
    study = optuna.create_study(study_name="busy", storage=open_storage(f"sqlite:///{path}"))
    holder = sqlite3.connect(path, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing for a long time
    threading.Timer(1.0, holder.rollback).start()
    start = time.monotonic()
    study.set_user_attr("after", "the lock")  # locked for 1 s: busy timeout 0.2 s, then retries
    assert time.monotonic() - start >= 0.9
    assert "database is locked; retry 1 of" in caplog.text
    holder.close()
    assert optuna.load_study(study_name="busy", storage=f"sqlite:///{path}").user_attrs["after"] == "the lock"


def _finish(study: optuna.Study, status: str = "completed") -> None:
    trial = study.ask()
    trial.set_user_attr(attrs.STATUS, status)
    study.tell(trial, 1.0)


def test_only_idempotent_calls_are_retried() -> None:
    for name in ("get_all_trials", "set_trial_user_attr", "set_study_user_attr", "_get_trials", "get_trial"):
        assert hasattr(getattr(storage.DseStorage, name), "__wrapped__"), name
    for name in ("_create_new_trial", "set_trial_state_values", "_set_trial_param", "create_new_study"):
        assert not hasattr(getattr(storage.DseStorage, name), "__wrapped__"), name


def test_waits_while_others_hold_the_last_slot_and_runs_when_one_fails(tmp_path: Path, monkeypatch) -> None:
    from dse.study import _runner as runner

    monkeypatch.setattr(runner, "POLL_SECONDS", 0.1)
    study, _ = open_sqlite_study(tmp_path, "slot")
    _finish(study)
    other = study.ask()  # another worker holds the last slot of target 2 ...
    threading.Timer(1.0, lambda: study.tell(other, state=TrialState.FAIL)).start()  # ... and fails
    start = time.monotonic()
    outcome = optimize_until(study, lambda t: 1.0, 2)
    assert outcome.stopped_by == "target" and time.monotonic() - start >= 0.9
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.FAIL, TrialState.COMPLETE]


@pytest.mark.slow
def test_concurrent_workers_reach_exactly_the_target(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    optuna.create_study(study_name="race", storage=open_storage(url))
    target, workers = 6, 3

    def work() -> None:
        study = optuna.load_study(study_name="race", storage=open_storage(url))
        optimize_until(study, lambda t: time.sleep(0.05) or t.suggest_float("x", 0, 1), target)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    trials = optuna.load_study(study_name="race", storage=url).get_trials()
    assert sum(t.state == TrialState.COMPLETE for t in trials) == target
    assert {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.WAITING}  # handed back, unrun


def test_surplus_trial_is_handed_back_unrun_and_reused(tmp_path: Path, monkeypatch) -> None:
    from dse.study import _runner as runner

    monkeypatch.setattr(runner, "POLL_SECONDS", 0.1)
    study, _ = open_sqlite_study(tmp_path, "surplus")
    _finish(study)
    other = study.ask()  # number 1: holds the last slot of target 2
    mine = study.ask()  # number 2: a worker that checked before #1 existed
    assert runner.has_slot(other, 2, runner._is_complete) and not runner.has_slot(mine, 2, runner._is_complete)
    runner.compat.hand_back(mine)
    assert study.trials[2].state == TrialState.WAITING
    study.tell(other, state=TrialState.FAIL)  # ... and #1 fails: the slot is free again
    optimize_until(study, lambda t: 1.0, 2)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.FAIL, TrialState.COMPLETE]


@pytest.mark.slow
def test_dead_trial_is_failed_with_its_reason_and_retried_quietly(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DSE_HEARTBEAT_INTERVAL", "1")
    monkeypatch.setenv("DSE_GRACE_PERIOD", "2")
    study, opened = open_sqlite_study(tmp_path, "dead")
    dead = study.ask()
    values = (dead.suggest_float("x", 0.0, 1.0), dead.suggest_categorical("k", ["a", "b", "c"]))
    dead.set_constraint("max_params", 0.5)  # the retry sets it again: Optuna would warn
    dead.set_user_attr(attrs.STATUS, "completed")  # an outcome of the dead run, not of the retry
    time.sleep(3.2)  # its worker was killed: no more beats
    seen = []

    def objective(trial: optuna.Trial) -> float:
        seen.append((trial.suggest_float("x", 0.0, 1.0), trial.suggest_categorical("k", ["a", "b", "c"])))
        trial.set_constraint("max_params", -0.5)
        return 1.0

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        optimize_until(study, objective, 1)
    first, retry = study.trials
    assert first.state == TrialState.FAIL
    assert first.user_attrs[attrs.FAIL_REASON] == "worker lost: no heartbeat for 2 s"
    assert retry.state == TrialState.COMPLETE and retry.system_attrs["failed_trial"] == 0
    assert attrs.FAIL_REASON not in retry.user_attrs and attrs.STATUS not in retry.user_attrs
    assert retry.constraints == {"max_params": -0.5}
    assert seen == [values]  # suggest_* returned the dead trial's values


@pytest.mark.slow
def test_worker_killed_right_after_ask_leaves_no_trial_running_forever(tmp_path: Path, monkeypatch) -> None:
    """Killed between ``study.ask`` and its first beat: the trial already has a heartbeat (recorded
    by the storage call that made it RUNNING), so it goes stale and is failed like any dead trial;
    the same for a queued (WAITING) trial taken over by ``ask``."""
    monkeypatch.setenv("DSE_HEARTBEAT_INTERVAL", "1")
    monkeypatch.setenv("DSE_GRACE_PERIOD", "2")
    study, _ = open_sqlite_study(tmp_path, "early")
    study.enqueue_trial({"x": 0.5})
    queued = study.ask()  # takes the waiting trial: number 0
    fresh = study.ask()  # a new trial: number 1
    assert (queued.number, fresh.number) == (0, 1)
    time.sleep(3.2)  # neither "worker" ever beats again
    optimize_until(study, lambda t: 1.0, 1)  # any worker's next trial clears them
    states = {t.number: t.state for t in study.trials}
    assert states[0] == states[1] == TrialState.FAIL, states
    assert TrialState.RUNNING not in states.values()


def test_trial_failed_by_another_worker_meanwhile_is_dropped_not_fatal(tmp_path: Path, caplog) -> None:
    study, opened = open_sqlite_study(tmp_path, "late")

    def objective(trial: optuna.Trial) -> float:
        if trial.number == 0:  # another worker saw no heartbeat for too long and failed this trial
            opened.set_trial_state_values(compat.trial_id(trial), TrialState.FAIL)
        return 1.0

    assert optimize_until(study, objective, 1).stopped_by == "target"
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.COMPLETE]
    assert "was marked failed by another worker" in caplog.text


def test_ctrl_c_fails_the_running_trial_with_its_reason(tmp_path: Path) -> None:
    study, _ = open_sqlite_study(tmp_path, "stop")

    def objective(trial: optuna.Trial) -> float:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        optimize_until(study, objective, 3)
    (trial,) = study.trials
    assert trial.state == TrialState.FAIL and trial.user_attrs[attrs.FAIL_REASON] == INTERRUPTED


def test_generic_objective_runs_enqueued_trials_first(tmp_path: Path) -> None:
    study, _ = open_sqlite_study(tmp_path, "queue")
    for seed in (1, 2):
        study.enqueue_trial({"x": 0.25}, user_attrs={"dse:seed": seed})
    seen = []

    def objective(trial: optuna.Trial) -> float:
        seen.append((trial.suggest_float("x", 0, 1), trial.user_attrs["dse:seed"]))
        return 0.5

    assert optimize_until(study, objective, 2).stopped_by == "target"
    assert seen == [(0.25, 1), (0.25, 2)] and len(study.trials) == 2


def test_a_session_left_pending_rollback_by_a_lost_connection_is_retried() -> None:
    """A connection lost inside a transaction surfaces as PendingRollbackError wrapped in Optuna's
    StorageInternalError; a retry (after Optuna's rollback) reconnects, so it is transient."""
    from sqlalchemy.exc import PendingRollbackError

    from dse.study._database import is_transient

    try:
        try:
            raise PendingRollbackError("Can't reconnect until invalid transaction is rolled back", None, None)
        except PendingRollbackError as exc:
            raise optuna.exceptions.StorageInternalError("An exception is raised during the commit.") from exc
    except optuna.exceptions.StorageInternalError as wrapped:
        assert is_transient(wrapped)


"""Storage retries, the slot claim and dead-trial retry, in one process (no worker processes)."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from sqlalchemy.exc import IntegrityError, OperationalError

from dse.study import attrs, storage
from dse.study.runner import claim_slot, run_trial
from dse.study.storage import (
    DatabaseUnavailable,
    RetryPolicy,
    StorageError,
    call_with_retries,
    heartbeat_settings,
    open_storage,
)

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
    caplog.set_level(logging.INFO, logger="dse.study.storage")
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


def test_claim_counts_finished_and_earlier_live_trials(tmp_path: Path) -> None:
    study = optuna.create_study(study_name="claim", storage=open_storage(f"sqlite:///{tmp_path / 'c.db'}"))
    _finish(study)
    _finish(study, "infeasible")  # does not count toward the target
    running = study.ask()  # number 2, another worker's
    mine = study.ask()  # number 3
    assert claim_slot(study, mine, target=3)
    assert not claim_slot(study, mine, target=2)  # 1 completed + 1 running before it
    assert claim_slot(study, running, target=2)  # a later trial never blocks an earlier one
    study.tell(mine, state=TrialState.FAIL)
    study.tell(running, 1.0)


def test_surplus_trial_is_handed_back_as_waiting_and_reused(tmp_path: Path) -> None:
    study = optuna.create_study(study_name="surplus", storage=open_storage(f"sqlite:///{tmp_path / 's.db'}"))
    _finish(study)
    other = study.ask()  # another worker holds the last slot of target 2
    assert run_trial(study, lambda t: 1.0, target=2) is False
    assert study.trials[2].state == TrialState.WAITING
    study.tell(other, state=TrialState.FAIL)  # ... and its trial fails: the slot is free again
    assert run_trial(study, lambda t: 1.0, target=2) is True
    assert study.trials[2].state == TrialState.COMPLETE  # the handed-back trial was used
    assert len(study.trials) == 3


@pytest.mark.slow
def test_dead_trial_is_failed_and_its_parameters_retried(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DSE_HEARTBEAT_INTERVAL", "1")
    monkeypatch.setenv("DSE_GRACE_PERIOD", "2")
    study = optuna.create_study(study_name="dead", storage=open_storage(f"sqlite:///{tmp_path / 'd.db'}"))
    dead = study.ask()
    values = (dead.suggest_float("x", 0.0, 1.0), dead.suggest_categorical("k", ["a", "b", "c"]))
    study._storage.record_heartbeat(dead._trial_id)  # its worker beats once, then is killed
    time.sleep(3.2)
    seen = []

    def objective(trial: optuna.Trial) -> float:
        seen.append((trial.suggest_float("x", 0.0, 1.0), trial.suggest_categorical("k", ["a", "b", "c"])))
        return 1.0

    assert run_trial(study, objective, target=1)
    assert study.trials[0].state == TrialState.FAIL
    retry = study.trials[1]
    assert retry.state == TrialState.COMPLETE and retry.system_attrs["failed_trial"] == 0
    assert seen == [values]  # suggest_* returned the dead trial's values


@pytest.mark.slow
def test_worker_killed_right_after_ask_leaves_no_trial_running_forever(tmp_path: Path, monkeypatch) -> None:
    """Killed between ``study.ask`` and its first beat: the trial already has a heartbeat (recorded
    by the storage call that made it RUNNING), so it goes stale and is failed like any dead trial;
    the same for a queued (WAITING) trial taken over by ``ask``."""
    monkeypatch.setenv("DSE_HEARTBEAT_INTERVAL", "1")
    monkeypatch.setenv("DSE_GRACE_PERIOD", "2")
    study = optuna.create_study(study_name="early", storage=open_storage(f"sqlite:///{tmp_path / 'e.db'}"))
    study.enqueue_trial({"x": 0.5})
    queued = study.ask()  # takes the waiting trial: number 0
    fresh = study.ask()  # a new trial: number 1
    assert (queued.number, fresh.number) == (0, 1)
    time.sleep(3.2)  # neither "worker" ever beats again
    assert run_trial(study, lambda t: 1.0, target=1)  # any worker's next trial clears them
    states = {t.number: t.state for t in study.trials}
    assert states[0] == states[1] == TrialState.FAIL, states
    assert TrialState.RUNNING not in states.values()


def test_trial_failed_by_another_worker_meanwhile_is_dropped_not_fatal(tmp_path: Path, caplog) -> None:
    study = optuna.create_study(study_name="late", storage=open_storage(f"sqlite:///{tmp_path / 'l.db'}"))

    def objective(trial: optuna.Trial) -> float:
        # another worker saw no heartbeat for too long and failed this trial
        study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        return 1.0

    assert run_trial(study, objective, target=1) is True
    assert study.trials[0].state == TrialState.FAIL
    assert "was marked failed by another worker" in caplog.text


def test_a_session_left_pending_rollback_by_a_lost_connection_is_retried() -> None:
    """A connection lost inside a transaction surfaces as PendingRollbackError wrapped in Optuna's
    StorageInternalError; a retry (after Optuna's rollback) reconnects, so it is transient."""
    import optuna
    from sqlalchemy.exc import PendingRollbackError

    from dse.study.storage import is_transient

    try:
        try:
            raise PendingRollbackError("Can't reconnect until invalid transaction is rolled back", None, None)
        except PendingRollbackError as exc:
            raise optuna.exceptions.StorageInternalError("An exception is raised during the commit.") from exc
    except optuna.exceptions.StorageInternalError as wrapped:
        assert is_transient(wrapped)

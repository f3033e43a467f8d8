"""The only home of Optuna's private names in dse: each works around one gap in Optuna's public API,
and tests/study/test_optuna_compat.py pins the behaviour it relies on, so that a change in Optuna
fails a test instead of silently breaking a guarantee.

1. ``HeartbeatFromCreation``: Optuna's ``study.optimize`` starts a trial's heartbeat thread only
   after ``study.ask`` returns, and ``ask`` may spend seconds sampling. A worker killed in between
   leaves a RUNNING trial without any heartbeat, which Optuna never counts as stale: it would hold a
   slot of the target forever. The storage records the first beat in the call that makes a trial
   RUNNING (trial creation is ``RDBStorage._create_new_trial``, called by Optuna's cached storage).
2. ``HeartbeatFromCreation._get_stale_trial_ids``: records why a stale trial is about to be failed
   ("worker lost: no heartbeat for N s") while it can still be written (a finished trial cannot).
3. ``PRIVATE_IDEMPOTENT_READS``: the private read methods that Optuna's cached storage calls on the
   RDB storage; dse retries them like the public reads.
4. ``quiet_optuna_logs``: Optuna logs every failed trial of ``optimize`` as a warning with a
   traceback, and a failed read as "Caught an error from sqlalchemy ... Falling back"; dse records
   the reason on the trial, retries the read and reports in one line, so those records are dropped.
5. ``trial_id``: the storage id of a trial (``Trial._trial_id``), for the few storage calls that
   need it; ``hand_back``: a RUNNING trial back to WAITING (the next ``ask`` of any worker takes
   it), which Optuna's public API cannot express. dse's worker loop hands back a trial that finds
   the target already covered, so that workers together end with exactly N trials.
"""

from __future__ import annotations

import logging
from typing import Any

import optuna
from optuna.trial import TrialState

FAIL_REASON_KEY = "dse:fail_reason"  # = dse.study.attrs.FAIL_REASON (attrs imports nothing here)
PRIVATE_IDEMPOTENT_READS = ("_get_trials", "_get_best_trial_id", "_get_stale_trial_ids")
OPTIMIZE_LOGGER = "optuna.study._optimize"  # where Optuna logs "Trial N failed with parameters ..."
RDB_LOGGER = "optuna.storages._rdb.storage"  # where it logs "Caught an error from sqlalchemy ..."


def trial_id(trial: optuna.Trial | optuna.trial.FrozenTrial) -> int:
    """The storage id of ``trial`` (Optuna keeps it private)."""
    return trial._trial_id  # noqa: SLF001


def hand_back(trial: optuna.Trial) -> None:
    """Return a RUNNING trial, unrun, to the queue (WAITING)."""
    trial.study._storage.set_trial_state_values(trial_id(trial), TrialState.WAITING)  # noqa: SLF001


class HeartbeatFromCreation(optuna.storages.RDBStorage):
    """An RDBStorage whose trials beat from the moment they are RUNNING, and whose stale trials
    record why they were failed."""

    def _create_new_trial(self, study_id: int, template_trial: Any = None) -> Any:
        frozen = super()._create_new_trial(study_id, template_trial)
        if self.heartbeat_interval is not None and frozen.state == TrialState.RUNNING:
            self.record_heartbeat(trial_id(frozen))
        return frozen

    def set_trial_state_values(self, trial_id: int, state: TrialState, values: Any = None) -> bool:
        if self.heartbeat_interval is not None and state == TrialState.RUNNING:
            # before the state change: a WAITING trial may carry an old beat from an earlier run
            self.record_heartbeat(trial_id)
        return super().set_trial_state_values(trial_id, state, values)

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        stale = super()._get_stale_trial_ids(study_id)
        grace = self.grace_period or 2 * (self.heartbeat_interval or 0)
        for tid in stale:
            try:
                self.set_trial_user_attr(tid, FAIL_REASON_KEY, f"worker lost: no heartbeat for {grace} s")
            except (optuna.exceptions.UpdateFinishedTrialError, RuntimeError):
                pass  # another worker failed it meanwhile
        return stale


class _DropRecords(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        failed_trial = message.startswith("Trial ") and " failed with " in message
        return not (failed_trial or message.startswith("Caught an error from sqlalchemy"))


_FILTER = _DropRecords()


def quiet_optuna_logs() -> None:
    """Drop Optuna's failed-trial warnings (with traceback) and its fallback-read warnings."""
    for name in (OPTIMIZE_LOGGER, RDB_LOGGER):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)

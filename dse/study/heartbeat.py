"""Crash recovery: heartbeats of running trials, and failing trials whose worker died.

A running trial records a heartbeat in the database every ``HEARTBEAT_INTERVAL`` seconds
(``dse.study.storage``); a trial without one for the grace period counts as dead. Any worker that
calls ``fail_dead_trials`` (before each trial and while waiting for the last ones) marks such
trials failed, and the storage's RetryHeartbeatStaleTrialCallback queues their parameters again as
a WAITING trial, which the next ``study.ask`` of any worker picks up.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

import optuna


class Heartbeat:
    """Records a running trial's heartbeat now and then every interval on a daemon thread; a
    failed beat (database briefly away) is skipped, not fatal."""

    def __init__(self, storage: Any, trial_id: int) -> None:
        self.storage, self.trial_id = storage, trial_id
        get_interval = getattr(storage, "get_heartbeat_interval", None)
        self.interval = get_interval() if get_interval is not None else None
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        if self.interval is not None:
            self.storage.record_heartbeat(self.trial_id)
            self.thread = threading.Thread(target=self._beat, name="dse-heartbeat", daemon=True)
            self.thread.start()
        return self

    def _beat(self) -> None:
        while not self.stop.wait(self.interval):
            try:
                self.storage.record_heartbeat(self.trial_id)
            except Exception:  # noqa: BLE001 - the next beat tries again; staleness is the verdict
                pass

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=5.0)


def fail_dead_trials(study: optuna.Study) -> None:
    """Fail running trials whose worker stopped beating; the storage's callback re-queues them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)

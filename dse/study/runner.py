"""Creating, continuing and running studies until a target number of completed trials.

``--trials N`` is the study's target total of completed (trained) trials, not N more: running the
same command after an interruption finishes the job. Several workers may run the loop against one
storage; each checks the shared count before starting a trial, and again after the trial exists
(``claim_slot``): trial numbers are handed out in creation order under a database lock, so when
workers race for the last slots only the lowest-numbered trials run and the others are handed
back as WAITING trials (the next worker or run picks them up first). The total therefore does not
overshoot the target, except by trials still running when a counted trial failed meanwhile.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import TrialState

import dse
from dse.errors import DseError
from dse.study import attrs
from dse.study.config import StudyConfig, config_from_data
from dse.study.heartbeat import Heartbeat, fail_dead_trials
from dse.study.objective import Objective, TrialFailed
from dse.study.storage import DatabaseUnavailable, open_storage, safe_url

log = logging.getLogger(__name__)
COUNTED = ("completed", "duplicate")  # trials that count toward the target
MAX_FRUITLESS = 200  # consecutive trials that count for nothing before a run gives up
POLL_SECONDS = 2.0


class StudyExistsError(DseError):
    """The study exists in the storage with a different config."""


def trial_status(trial: optuna.trial.FrozenTrial) -> str:
    """dse's status of a trial (running, completed, duplicate, pruned, infeasible, failed, ...)."""
    if trial.state == optuna.trial.TrialState.RUNNING:
        return "running"
    if trial.state == optuna.trial.TrialState.WAITING:
        return "waiting"
    status = trial.user_attrs.get(attrs.STATUS)
    if trial.state == optuna.trial.TrialState.FAIL:
        return status if status and status not in COUNTED else "failed"
    if trial.state == optuna.trial.TrialState.PRUNED:
        return "pruned"
    return status or "completed"


def status_counts(study: optuna.Study) -> Counter:
    return Counter(trial_status(t) for t in study.get_trials(deepcopy=False))


def completed_count(counts: Counter) -> int:
    return sum(counts[s] for s in COUNTED)


def create_or_continue(config: StudyConfig, space_data: dict, dataset_info: dict) -> optuna.Study:
    """Create the study, or load it when it exists with the same config; refuse a changed config."""
    storage = open_storage(config.storage or "")
    try:
        study = optuna.load_study(study_name=config.name, storage=storage)
    except KeyError:
        study = optuna.create_study(study_name=config.name, storage=storage, directions=config.directions())
        for key, value in {
            attrs.STUDY_CONFIG: config.model_dump(mode="json"),
            attrs.STUDY_CONFIG_HASH: config.config_hash(),
            attrs.STUDY_SPACE: space_data,
            attrs.STUDY_OBJECTIVES: [{"name": n, "direction": d} for n, d in zip(config.objectives, config.directions())],
            attrs.STUDY_DATASET: dataset_info,
            attrs.STUDY_VERSION: dse.__version__,
        }.items():
            study.set_user_attr(key, value)
        with warnings.catch_warnings():  # experimental in Optuna; names the objectives for optuna-dashboard
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names(list(config.objectives))
        return study
    stored_hash = study.user_attrs.get(attrs.STUDY_CONFIG_HASH)
    if stored_hash is None:
        raise StudyExistsError(f"study {config.name!r} in {safe_url(config.storage or '')} was not created by dse; pick another name")
    if stored_hash != config.config_hash():
        old = config_from_data(study.user_attrs[attrs.STUDY_CONFIG], "stored config").identity()
        new = config.identity()
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        raise StudyExistsError(
            f"study {config.name!r} already exists in {safe_url(config.storage or '')} with a different config "
            f"(changed: {', '.join(changed)}); give the study a new name, or continue it unchanged with "
            f"`dse resume {config.name}`"
        )
    return study


def load_stored_config(study: optuna.Study) -> StudyConfig:
    data = study.user_attrs.get(attrs.STUDY_CONFIG)
    if data is None:
        raise DseError(f"study {study.study_name!r} has no dse config stored; it was not created by dse")
    return config_from_data(data, f"stored config of {study.study_name}")


def worker_id() -> str:
    """This process as ``host:pid`` (stored on each trial it runs)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_slot(study: optuna.Study, trial: optuna.Trial, target: int) -> bool:
    """True when ``trial`` fits under ``target``: counted trials plus the running or waiting
    trials numbered before it leave room for it."""
    ahead = 0
    for other in study.get_trials(deepcopy=False):
        if other.number == trial.number:
            continue
        status = trial_status(other)
        if status in COUNTED or (status in ("running", "waiting") and other.number < trial.number):
            ahead += 1
    return ahead < target


def _fail_after(trial: optuna.Trial, study: optuna.Study, reason: str) -> None:
    """Mark ``trial`` failed with ``reason`` on the way out of an interrupt or crash."""
    try:
        trial.set_user_attr(attrs.FAIL_REASON, reason)
        study.tell(trial, state=TrialState.FAIL)
    except Exception:  # noqa: BLE001 - the heartbeat lapses and another worker fails it
        pass


def run_trial(study: optuna.Study, objective: Callable[[optuna.Trial], Any], target: int) -> bool:
    """Ask for a trial, claim a slot under ``target``, run ``objective`` with heartbeats and tell
    the result; False when the slot was taken by others (the trial is handed back as WAITING).

    Like ``study.optimize(n_trials=1, catch=(TrialFailed,))`` plus the claim. Ctrl-C marks the
    trial failed and re-raises; a lost database leaves it running (its heartbeat stops, so
    another worker fails and retries it) and raises ``DatabaseUnavailable``.
    """
    fail_dead_trials(study)
    with _as_in_optimize(study):
        return _run_trial(study, objective, target)


@contextmanager
def _as_in_optimize(study: optuna.Study) -> Iterator[None]:
    """Let Optuna treat ask/tell as inside ``optimize``: GridSampler calls ``study.stop()`` when the
    grid is used up, and ``ask`` warns about heartbeats, both only outside ``optimize``."""
    local = getattr(study, "_thread_local", None)
    saved = getattr(local, "in_optimize_loop", None)
    if saved is not None:
        local.in_optimize_loop = True
    try:
        yield
    finally:
        if saved is not None:
            local.in_optimize_loop = saved


def _run_trial(study: optuna.Study, objective: Callable[[optuna.Trial], Any], target: int) -> bool:
    trial = study.ask()
    storage = study._storage  # noqa: SLF001 - Optuna keeps heartbeats and trial states there
    state: TrialState | None = None
    values: Any = None
    try:
        with Heartbeat(storage, trial._trial_id):  # noqa: SLF001 - beats from the start
            if not claim_slot(study, trial, target):
                storage.set_trial_state_values(trial._trial_id, state=TrialState.WAITING)  # noqa: SLF001
                return False
            trial.set_user_attr(attrs.WORKER, worker_id())
            values = objective(trial)
    except optuna.TrialPruned:
        state = TrialState.PRUNED
    except TrialFailed:
        state = TrialState.FAIL
    except optuna.exceptions.UpdateFinishedTrialError:
        _taken_away(trial)
        return True
    except DatabaseUnavailable:
        raise
    except KeyboardInterrupt:
        _fail_after(trial, study, "interrupted (Ctrl-C or SIGTERM)")
        raise
    except Exception as exc:
        _fail_after(trial, study, f"{type(exc).__name__}: {exc}"[:2000])
        raise
    try:
        if storage.get_trial(trial._trial_id).state.is_finished():  # noqa: SLF001
            _taken_away(trial)
        elif state is None:
            study.tell(trial, values, skip_if_finished=True)
        else:
            study.tell(trial, state=state, skip_if_finished=True)
    except optuna.exceptions.UpdateFinishedTrialError:
        _taken_away(trial)
    return True


def stored_target(study: optuna.Study) -> int | None:
    """The study's target of completed trials as stored now (read from the storage), or None."""
    stored = study.user_attrs.get(attrs.STUDY_TARGET_TRIALS)
    return stored if isinstance(stored, int) and stored >= 1 else None


def _taken_away(trial: optuna.Trial) -> None:
    log.warning("trial %d was marked failed by another worker while this one ran it (its heartbeats "
                "did not reach the database in time); its result is dropped and its parameters retried",
                trial.number)


@dataclass
class RunOutcome:
    counts: Counter
    target: int
    seconds: float
    stopped_by: str  # "target", "timeout", "grid", "fruitless"


def run_until(
    study: optuna.Study,
    objective: Objective,
    config: StudyConfig,
    target: int,
    timeout: float | None = None,
    on_trial: Callable[[optuna.Study, Counter], None] | None = None,
    grid_size: int | None = None,
    follow_stored_target: bool = False,
) -> RunOutcome:
    """Run trials until ``target`` completed trials exist in the study (all workers together).

    ``follow_stored_target`` (workers): re-read the study's stored target before every trial, so
    a later ``dse resume NAME --trials N`` raises or lowers it for running workers too; otherwise
    ``target`` becomes the stored target.
    """
    if not follow_stored_target:
        study.set_user_attr(attrs.STUDY_TARGET_TRIALS, target)
    start = time.monotonic()
    fruitless = 0
    before: int | None = None  # completed count before this process's last trial
    while True:
        if follow_stored_target:
            target = stored_target(study) or target
        counts = status_counts(study)
        if on_trial is not None:
            on_trial(study, counts)
        done = completed_count(counts)
        if before is not None:
            fruitless = 0 if done > before else fruitless + 1
            before = None
        elapsed = time.monotonic() - start
        if done >= target:
            return RunOutcome(counts, target, elapsed, "target")
        if timeout is not None and elapsed >= timeout:
            return RunOutcome(counts, target, elapsed, "timeout")
        if grid_size is not None and sum(counts.values()) - counts["running"] - counts["waiting"] >= grid_size:
            return RunOutcome(counts, target, elapsed, "grid")
        if fruitless >= MAX_FRUITLESS:
            return RunOutcome(counts, target, elapsed, "fruitless")
        if done + counts["running"] >= target:
            # others are finishing the last trials; wait in case one of them fails
            fail_dead_trials(study)
            time.sleep(POLL_SECONDS)
            continue
        if run_trial(study, objective, target):
            before = done
        else:
            time.sleep(random.uniform(0.2, 1.0))  # others hold the last slots; look again shortly

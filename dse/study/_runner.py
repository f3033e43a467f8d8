"""Creating, continuing and running studies until a target number of completed trials.

``--trials N`` is the study's target total of completed (trained) trials, not N more: running the
same command after an interruption finishes the job. The loop is Optuna's ``study.optimize`` with a
callback that stops it once the completed trials plus the trials still running (in any worker)
reach the target; a worker then waits, and starts ``optimize`` again only if one of those running
trials fails (``optimize_until``). Optuna records the heartbeats; a trial whose worker died is
failed by the next worker that looks and its parameters are re-queued (``dse.study._database``).

Exactly N across workers: before it runs, a trial claims a slot. Trial numbers are handed out in
creation order under a database lock, so when workers race for the last slots, the trial that
finds the target covered by counted trials plus running or waiting trials numbered before it is
handed back unrun as WAITING (``_optuna_compat.hand_back``; the next worker or run takes it first).
``docs/workers.md`` says more.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

import dse
from dse.errors import DseError
from dse.study import _optuna_compat as compat
from dse.study import attrs
from dse.study._config import StudyConfig, config_from_data
from dse.study._objective import TrialFailed
from dse.study._records import COUNTED, trial_status
from dse.study._database import DatabaseUnavailable, compact_cause, is_transient, open_storage, safe_url

__all__ = ["COUNTED", "RunOutcome", "StudyExistsError", "completed_count", "create_or_continue",
           "load_stored_config", "optimize_until", "run_until", "status_counts",
           "stored_target", "trial_status", "worker_id"]

log = logging.getLogger(__name__)
MAX_FRUITLESS = 200  # consecutive trials that count for nothing before a run gives up
MAX_LOST_WRITES = 3  # consecutive writes that lost their connection before a run gives up
POLL_SECONDS = 2.0
INTERRUPTED = "interrupted (Ctrl-C or SIGTERM)"


class StudyExistsError(DseError):
    """The study exists in the storage with a different config."""


def status_counts(study: optuna.Study) -> Counter:
    return Counter(trial_status(t) for t in study.get_trials(deepcopy=False))


def completed_count(counts: Counter) -> int:
    return sum(counts[s] for s in COUNTED)


def create_or_continue(config: StudyConfig, space_data: dict, dataset_info: dict) -> tuple[optuna.Study, StudyConfig]:
    """Create the study, or load it when it exists with the same config; refuse a changed config.

    Returns the study and the config it runs with: a config that names no sampler continues an
    existing study with the sampler stored in it (dse's default sampler may have changed since)."""
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
        return study, config
    stored_hash = study.user_attrs.get(attrs.STUDY_CONFIG_HASH)
    if stored_hash is None:
        raise StudyExistsError(f"study {config.name!r} in {safe_url(config.storage or '')} was not created by dse; pick another name")
    if stored_hash != config.config_hash() and config.sampler_defaulted and attrs.STUDY_CONFIG in study.user_attrs:
        stored_sampler = study.user_attrs[attrs.STUDY_CONFIG].get("sampler")
        if stored_sampler:
            config = config.model_copy(update={"sampler": config.sampler.model_validate(stored_sampler)})
    if stored_hash != config.config_hash():
        old = config_from_data(study.user_attrs[attrs.STUDY_CONFIG], "stored config").identity()
        new = config.identity()
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        raise StudyExistsError(
            f"study {config.name!r} already exists in {safe_url(config.storage or '')} with a different config "
            f"(changed: {', '.join(changed)}); give the study a new name, or continue it unchanged with "
            f"`dse resume {config.name}`"
        )
    return study, config


def load_stored_config(study: optuna.Study) -> StudyConfig:
    data = study.user_attrs.get(attrs.STUDY_CONFIG)
    if data is None:
        raise DseError(f"study {study.study_name!r} has no dse config stored; it was not created by dse")
    return config_from_data(data, f"stored config of {study.study_name}")


def worker_id() -> str:
    """This process as ``host:pid`` (stored on each trial it runs)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def stored_target(study: optuna.Study) -> int | None:
    """The study's target of completed trials as stored now (read from the storage), or None."""
    stored = study.user_attrs.get(attrs.STUDY_TARGET_TRIALS)
    return stored if isinstance(stored, int) and stored >= 1 else None


@dataclass
class RunOutcome:
    counts: Counter
    target: int
    seconds: float
    stopped_by: str  # "target", "timeout", "grid", "fruitless"


class _Leave(BaseException):
    """Ends ``study.optimize`` without telling the trial (Optuna tells only on ``Exception``):
    it was handed back, its database is gone, or another worker already failed it (then its
    heartbeat stops, so it goes stale and is retried elsewhere)."""

    def __init__(self, cause: BaseException | None, number: int, handed_back: bool = False) -> None:
        super().__init__(str(cause))
        self.cause, self.number, self.handed_back = cause, number, handed_back


def has_slot(trial: optuna.Trial, target: int, counted: Callable[[FrozenTrial], bool]) -> bool:
    """True when ``trial`` fits under ``target``: counted trials plus the running or waiting
    trials numbered before it leave room for it."""
    ahead = 0
    for other in trial.study.get_trials(deepcopy=False):
        if other.number != trial.number and (counted(other) or (
                other.state in (TrialState.RUNNING, TrialState.WAITING) and other.number < trial.number)):
            ahead += 1
    return ahead < target


def _guarded(objective: Callable[[optuna.Trial], Any], target: Callable[[], int],
             counted: Callable[[FrozenTrial], bool]) -> Callable[[optuna.Trial], Any]:
    """``objective`` with dse's bookkeeping: the slot claim, the worker that ran the trial, and
    the reason of a failure (Ctrl-C, a crash) recorded before Optuna marks the trial failed."""

    def run(trial: optuna.Trial) -> Any:
        try:
            if not has_slot(trial, target(), counted):
                compat.hand_back(trial)
                raise _Leave(None, trial.number, handed_back=True)
            trial.set_user_attr(attrs.WORKER, worker_id())
            values = objective(trial)
            if trial.number not in {t.number for t in trial.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))}:
                raise optuna.exceptions.UpdateFinishedTrialError("failed by another worker")
            return values
        except DatabaseUnavailable as exc:
            raise _Leave(exc, trial.number) from None
        except optuna.exceptions.UpdateFinishedTrialError:
            raise _Leave(None, trial.number) from None
        except (optuna.TrialPruned, TrialFailed):
            raise
        except Exception as exc:
            if is_transient(exc):  # a write not safe to repeat lost its connection: leave the
                raise _Leave(exc, trial.number) from None  # trial to its heartbeat, not failed
            _record_failure(trial, exc)
            raise
        except KeyboardInterrupt as exc:
            _record_failure(trial, exc)
            raise

    return run


def _record_failure(trial: optuna.Trial, exc: BaseException) -> None:
    reason = INTERRUPTED if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}"
    try:
        trial.set_user_attr(attrs.FAIL_REASON, reason[:2000])
    except Exception:  # noqa: BLE001 - the trial is failed anyway
        pass


def _after_lost_write(study: optuna.Study, exc: BaseException, lost: list[int]) -> None:
    """A write that is not safe to repeat (creating or finishing a trial) lost its connection.
    Wait for the database as reads do (``DatabaseUnavailable`` when it stays away); when it is
    back, carry on: a trial the write left RUNNING is retried once its heartbeat lapses."""
    study.get_trials(deepcopy=False)  # a retried read
    lost[0] += 1
    if lost[0] > MAX_LOST_WRITES:
        raise DatabaseUnavailable(f"the database dropped {lost[0]} writes in a row; last: {compact_cause(exc)}")
    log.warning("a database write lost its connection (%s); the database answers again, so the run "
                "goes on", compact_cause(exc))


class _Watch:
    """``optimize`` callback: refresh the counts after each trial and stop the loop when no slot
    is left for another trial (completed + running >= target), or the run is fruitless."""

    def __init__(self, target: Callable[[], int], counted: Callable[[FrozenTrial], bool],
                 on_trial: Callable[[optuna.Study, Counter], None] | None) -> None:
        self.target, self.counted, self.on_trial = target, counted, on_trial
        self.fruitless = 0

    def counts(self, study: optuna.Study) -> tuple[Counter, int, int]:
        trials = study.get_trials(deepcopy=False)
        counts = Counter(trial_status(t) for t in trials)
        done = sum(self.counted(t) for t in trials)
        return counts, done, sum(t.state == TrialState.RUNNING for t in trials)

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self.fruitless = 0 if self.counted(trial) else self.fruitless + 1
        counts, done, running = self.counts(study)
        if self.on_trial is not None:
            self.on_trial(study, counts)
        if done + running >= self.target() or self.fruitless >= MAX_FRUITLESS:
            study.stop()


def _is_dse_counted(trial: FrozenTrial) -> bool:
    return trial_status(trial) in COUNTED


def _is_complete(trial: FrozenTrial) -> bool:
    return trial.state == TrialState.COMPLETE


def optimize_until(
    study: optuna.Study,
    objective: Callable[[optuna.Trial], Any],
    target: int,
    *,
    counted: Callable[[FrozenTrial], bool] = _is_complete,
    timeout: float | None = None,
    on_trial: Callable[[optuna.Study, Counter], None] | None = None,
    follow_stored_target: bool = False,
    grid_size: int | None = None,
    catch: tuple[type[Exception], ...] = (TrialFailed,),
) -> RunOutcome:
    """Run ANY ``objective(trial)`` on ``study`` until ``target`` trials that are ``counted``
    (default: COMPLETE) exist, all workers together; WAITING (enqueued) trials are run first.

    ``follow_stored_target``: re-read the study's stored target before every trial, so that
    ``dse resume NAME --trials N`` reaches running workers. Ctrl-C marks the running trial failed
    ("interrupted") and re-raises; a lost database leaves it running (another worker retries it
    once its heartbeat lapses) and raises ``DatabaseUnavailable``. Workers together reach exactly
    ``target`` (see the module docstring).
    """
    current = [target]

    def target_now() -> int:
        if follow_stored_target:
            current[0] = stored_target(study) or current[0]
        return current[0]

    watch = _Watch(target_now, counted, on_trial)
    callbacks: list[Any] = [watch]
    if counted is _is_complete and not follow_stored_target:
        callbacks.append(optuna.study.MaxTrialsCallback(target, states=(TrialState.COMPLETE,)))
    start = time.monotonic()
    lost = [0]  # consecutive writes that lost their connection
    while True:
        goal = target_now()
        counts, done, running = watch.counts(study)
        if on_trial is not None:
            on_trial(study, counts)
        elapsed = time.monotonic() - start
        finished = sum(counts.values()) - counts["running"] - counts["waiting"]
        for stopped_by, reached in (("target", done >= goal), ("timeout", timeout is not None and elapsed >= timeout),
                                    ("grid", grid_size is not None and finished >= grid_size),
                                    ("fruitless", watch.fruitless >= MAX_FRUITLESS)):
            if reached:
                return RunOutcome(counts, goal, elapsed, stopped_by)
        if done + running >= goal:  # others are finishing the last trials; wait in case one fails
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                optuna.storages.fail_stale_trials(study)
            time.sleep(POLL_SECONDS)
            continue
        try:
            study.optimize(_guarded(objective, target_now, counted), timeout=None if timeout is None else timeout - elapsed,
                           catch=catch, callbacks=callbacks)
            lost[0] = 0
        except _Leave as left:
            if isinstance(left.cause, DatabaseUnavailable):
                raise left.cause from None
            if left.cause is not None:
                _after_lost_write(study, left.cause, lost)
                continue
            if left.handed_back:  # others hold the last slots; look again shortly
                time.sleep(random.uniform(0.2, 1.0))
                continue
            log.warning("trial %d was marked failed by another worker while this one ran it (its heartbeats "
                        "did not reach the database in time); its result is dropped and its parameters "
                        "retried", left.number)
        except Exception as exc:  # ask or tell (not retried: not safe to repeat) lost its connection
            if not is_transient(exc):
                raise
            _after_lost_write(study, exc, lost)


def run_until(
    study: optuna.Study,
    objective: Callable[[optuna.Trial], Any],
    config: StudyConfig | None,
    target: int,
    timeout: float | None = None,
    on_trial: Callable[[optuna.Study, Counter], None] | None = None,
    grid_size: int | None = None,
    follow_stored_target: bool = False,
) -> RunOutcome:
    """Run dse trials until ``target`` completed trials (completed or duplicate) exist.

    ``follow_stored_target`` (workers): follow the study's stored target; otherwise ``target``
    becomes the stored target."""
    if not follow_stored_target:
        study.set_user_attr(attrs.STUDY_TARGET_TRIALS, target)
    return optimize_until(study, objective, target, counted=_is_dse_counted, timeout=timeout, on_trial=on_trial,
                          follow_stored_target=follow_stored_target, grid_size=grid_size)

"""Opening a study's Optuna storage: SQLite for one machine, PostgreSQL/MySQL for many workers.

URLs: ``sqlite:///PATH``, ``postgresql://USER@HOST/DB`` and ``mysql://USER@HOST/DB`` (a bare scheme
gets the installed driver: psycopg 3 or psycopg2, PyMySQL or mysqlclient); an explicit driver
(``postgresql+psycopg2://``, ``mysql+pymysql://``) is used as written.

SQLite files are switched to WAL journaling and opened with a long busy timeout, so that a handful
of local worker processes share one file. Workers record heartbeats (Optuna's); a trial whose
worker stopped beating for ``grace_period`` seconds is failed and its parameters re-queued
(``RetryHeartbeatStaleTrialCallback``). Read-only callers use ``open_readonly``: SQLite files are
then opened with ``mode=ro``, and a file that is not an Optuna storage is refused.

Idempotent storage calls (reads, heartbeats, attribute writes) are retried with tenacity while the
database is transiently unavailable; after the last attempt they raise ``DatabaseUnavailable`` with
one line. Trial creation and state changes are not retried: a lost one fails the trial, which the
stale-trial retry re-queues. Environment: ``DSE_HEARTBEAT_INTERVAL`` and ``DSE_GRACE_PERIOD``
(whole seconds), ``DSE_DB_RETRIES`` (attempts), ``DSE_DB_RETRY_DELAY`` (first backoff, seconds).
"""

from __future__ import annotations

import functools
import logging
import os
import random
import sqlite3
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import optuna
import tenacity
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, PendingRollbackError

from dse.study import _optuna_compat as compat
from dse.study._locations import (  # noqa: F401 - part of this module's interface
    DRIVERS,
    DatabaseUnavailable,
    StorageError,
    check_sqlite_storage,
    parse_url,
    readonly_url,
    safe_url,
    sqlite_path,
)
from dse.study import attrs

HEARTBEAT_INTERVAL = 10  # seconds between a running trial's heartbeats (DSE_HEARTBEAT_INTERVAL)
GRACE_PERIOD = 40  # seconds without a heartbeat before a running trial counts as dead (DSE_GRACE_PERIOD)
SQLITE_BUSY_TIMEOUT = 120  # seconds a SQLite writer waits for the lock
DB_RETRIES = 6  # attempts of one storage call before giving up (DSE_DB_RETRIES)
DB_RETRY_DELAY = 1.0  # first backoff in seconds, doubled per attempt (DSE_DB_RETRY_DELAY)
DB_RETRY_MAX_DELAY = 30.0
MAX_RETRY_OF_DEAD_TRIAL = 3  # a trial whose worker died is re-queued at most this often
T = TypeVar("T")
log = logging.getLogger(__name__)  # one INFO record per retry (the benchmark counts them)


def _env_number(name: str, default: float, *, integer: bool, low: float) -> Any:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        value = low - 1
    if value < low:
        kind = "a whole number" if integer else "a number"
        raise StorageError(f"environment variable {name}={raw!r}: must be {kind} >= {low:g}")
    return value


def heartbeat_settings() -> tuple[int, int]:
    """(heartbeat interval, grace period) in seconds, from DSE_HEARTBEAT_INTERVAL/DSE_GRACE_PERIOD."""
    interval = _env_number("DSE_HEARTBEAT_INTERVAL", HEARTBEAT_INTERVAL, integer=True, low=1)
    grace = _env_number("DSE_GRACE_PERIOD", max(GRACE_PERIOD, 2 * interval), integer=True, low=1)
    if grace <= interval:
        raise StorageError(f"DSE_GRACE_PERIOD={grace} must exceed the heartbeat interval ({interval} s)")
    return interval, grace


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a storage call is retried."""

    attempts: int = DB_RETRIES
    first_delay: float = DB_RETRY_DELAY
    max_delay: float = DB_RETRY_MAX_DELAY

    @classmethod
    def from_env(cls) -> RetryPolicy:
        return cls(
            attempts=_env_number("DSE_DB_RETRIES", DB_RETRIES, integer=True, low=1),
            first_delay=_env_number("DSE_DB_RETRY_DELAY", DB_RETRY_DELAY, integer=False, low=0),
        )

    def delay(self, attempt: int) -> float:
        """Backoff before retry number ``attempt`` (1-based), with +-25% jitter."""
        base = min(self.max_delay, self.first_delay * 2 ** (attempt - 1))
        return base * random.uniform(0.75, 1.25)


def is_transient(exc: BaseException) -> bool:
    """True for errors that a retry may cure: lost/refused connections, locks, deadlocks."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        # PendingRollbackError: the connection died inside a transaction; once Optuna has rolled
        # the session back (it does before re-raising), a retry reconnects
        if isinstance(current, (OperationalError, InterfaceError, PendingRollbackError)):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__
    return False


def compact_cause(exc: BaseException) -> str:
    """The root cause of ``exc`` on one line (the DBAPI error's message where there is one)."""
    current: BaseException = exc
    while current.__cause__ is not None:
        current = current.__cause__
    orig = getattr(current, "orig", None)
    text = str(orig if orig is not None else current).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(current).__name__


def call_with_retries(fn: Callable[[], T], policy: RetryPolicy, what: str) -> T:
    """``fn()``, retried with backoff on transient database errors; ``DatabaseUnavailable`` at last."""

    def give_up(state: tenacity.RetryCallState) -> T:
        exc = state.outcome.exception() if state.outcome else None
        cause = compact_cause(exc) if exc else "unknown error"
        status = "is locked by another process" if "locked" in cause.lower() else "is unreachable"
        raise DatabaseUnavailable(f"{what} {status}: {cause} (gave up after {policy.attempts} attempts "
                                  f"in {state.seconds_since_start:.0f} s)")

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.info("%s: %s; retry %d of %d in %.1f s", what, compact_cause(exc) if exc else "?", state.attempt_number,
                 policy.attempts - 1, state.upcoming_sleep)

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(is_transient), stop=tenacity.stop_after_attempt(policy.attempts),
        wait=lambda state: policy.delay(state.attempt_number), before_sleep=before_sleep,
        retry_error_callback=give_up,
    )
    return retrying(fn)


_local = threading.local()  # a storage method calling another one is retried only once, outermost
IDEMPOTENT = (  # reads, heartbeats and attribute writes: safe to repeat after a lost connection
    "get_study_id_from_name", "get_study_name_from_id", "get_study_directions", "get_study_user_attrs",
    "get_study_system_attrs", "get_all_studies", "get_trial_id_from_study_id_trial_number", "get_trial",
    "get_all_trials", "get_n_trials", "get_best_trial", "get_trial_user_attrs", "get_trial_system_attrs",
    "set_study_user_attr", "set_study_system_attr", "set_trial_user_attr", "set_trial_system_attr",
    "set_trial_intermediate_value", "record_heartbeat", *compat.PRIVATE_IDEMPOTENT_READS,
)


def _retrying(name: str) -> Callable[..., Any]:
    method = getattr(compat.HeartbeatFromCreation, name)

    @functools.wraps(method)
    def wrapper(self: DseStorage, *args: Any, **kwargs: Any) -> Any:
        if getattr(_local, "active", False):
            return method(self, *args, **kwargs)
        _local.active = True
        try:
            return call_with_retries(lambda: method(self, *args, **kwargs), self.retry_policy, self.retry_label)
        finally:
            _local.active = False

    return wrapper


class DseStorage(compat.HeartbeatFromCreation):
    """Optuna's RDBStorage with retried idempotent calls and heartbeats from a trial's creation."""

    retry_policy: RetryPolicy = RetryPolicy()
    retry_label: str = "the database"

    def record_heartbeat(self, trial_id: int) -> None:
        """A beat that cannot reach the database is skipped, not fatal: staleness is the verdict."""
        try:
            _retrying("record_heartbeat")(self, trial_id)
        except DatabaseUnavailable:
            log.info("heartbeat of trial id %d skipped: %s", trial_id, self.retry_label)


for _name in IDEMPOTENT:
    if _name != "record_heartbeat":
        setattr(DseStorage, _name, _retrying(_name))


class RetryDeadTrial(optuna.storages.RetryHeartbeatStaleTrialCallback):
    """Optuna's re-queue of a heartbeat-stale trial, without the outcome of the dead run: its
    constraint values (set again by the retry, Optuna would warn) and dse's per-run attributes."""

    RUN_ATTRS = (attrs.STATUS, attrs.FAIL_REASON, attrs.PRUNE_REASON, attrs.INFEASIBLE_REASON, attrs.WORKER,
                 attrs.VAL_CURVE, attrs.VAL_ACC, attrs.TRAIN_SECONDS, attrs.DUPLICATE_OF)

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        trial.user_attrs = {k: v for k, v in trial.user_attrs.items() if k not in self.RUN_ATTRS}
        trial.system_attrs = {k: v for k, v in trial.system_attrs.items()
                              if not k.startswith(attrs.CONSTRAINTS_KEY)}
        super().__call__(study, trial)


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # WAL + synchronous=NORMAL: commits skip the fsync (the WAL is synced at checkpoints). A crash
    # of a process loses nothing; a power cut may lose the last commits but never corrupts the file.
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def _prepare_sqlite(path: Path, url: str, create: bool) -> None:
    if not path.exists():
        if not create:
            raise StorageError(f"storage {url}: no such SQLite file {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        check_sqlite_storage(path, url, allow_new=create)
    con = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT)
    try:
        con.execute("PRAGMA journal_mode=WAL")  # persistent: readers never block the writer
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"storage {url}: {path} cannot be used: {exc}") from None
    finally:
        con.close()


def _driver_error(exc: BaseException) -> bool:
    return isinstance(exc, (ModuleNotFoundError, ImportError)) or "NoSuchModuleError" in type(exc).__name__


# ------------------------------------------------------------------------------ opening
def open_storage(
    url: str, *, heartbeat: bool = True, create: bool = True, wait: bool = False
) -> optuna.storages.RDBStorage:
    """A storage for ``url`` with dse's settings (WAL SQLite, heartbeats, retry of dead trials,
    retries of idempotent calls while the database is unavailable).

    ``create=False`` refuses to create a new SQLite file (for ``resume`` and workers). ``wait=True``
    (workers) also retries the first connection with backoff instead of failing at once.
    """
    parsed = parse_url(url)
    policy = RetryPolicy.from_env()
    engine_kwargs: dict = {}
    path = sqlite_path(url)
    if path is not None:
        _prepare_sqlite(path, url, create)
        engine_kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT}
    elif parsed.get_backend_name() != "sqlite":
        engine_kwargs["pool_pre_ping"] = True
    kwargs: dict = {}
    if heartbeat:
        interval, grace = heartbeat_settings()
        kwargs = {"heartbeat_interval": interval, "grace_period": grace}

    def connect() -> DseStorage:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            if heartbeat:
                kwargs["heartbeat_stale_trial_callback"] = RetryDeadTrial(max_retry=MAX_RETRY_OF_DEAD_TRIAL)
            return DseStorage(parsed.render_as_string(hide_password=False), engine_kwargs=engine_kwargs, **kwargs)

    try:
        storage = call_with_retries(connect, policy, f"storage {safe_url(url)}") if wait else connect()
    except DatabaseUnavailable:
        raise
    except Exception as exc:  # connection refused, auth failure, unreadable file ...
        if _driver_error(exc):
            extra = DRIVERS.get(parsed.get_backend_name(), ((), ""))[1]
            raise StorageError(f"storage {safe_url(url)}: database driver missing ({exc}); install it "
                               f"with: pip install 'dse[{extra}]'") from None
        raise StorageError(f"storage {safe_url(url)} cannot be opened: {compact_cause(exc)}") from None
    if path is not None:
        event.listen(storage.engine, "connect", _sqlite_on_connect)
        storage.engine.dispose()  # connections made while opening are replaced by tuned ones
    storage.retry_policy = policy
    storage.retry_label = f"storage {safe_url(url)}"
    return storage


def open_readonly(url: str) -> optuna.storages.RDBStorage:
    """A storage that only reads: SQLite through ``mode=ro`` (a missing file, or one that is not an
    Optuna storage, is refused in one line and left untouched); no table creation elsewhere."""
    path = sqlite_path(url)
    if path is not None:
        if not path.is_file():
            raise StorageError(f"storage {url}: no such SQLite file {path}")
        check_sqlite_storage(path, url, allow_new=False)
    try:
        return DseStorage(readonly_url(url), skip_table_creation=True)
    except StorageError:
        raise
    except Exception as exc:
        if _driver_error(exc):
            raise StorageError(f"storage {safe_url(url)}: database driver missing ({exc})") from None
        raise StorageError(f"storage {safe_url(url)} cannot be read as an Optuna storage: {compact_cause(exc)}") from None


compat.quiet_optuna_logs()

"""Opening a study's Optuna storage: SQLite for one machine, PostgreSQL/MySQL for many workers.

SQLite files are switched to WAL journaling and opened with a long busy timeout, so that a handful
of local worker processes share one file without "database is locked" failures. Workers record
heartbeats; a trial whose worker stopped beating for ``grace_period`` seconds is marked failed and
its parameters are re-queued (Optuna's RetryHeartbeatStaleTrialCallback).

Every storage call is retried with exponential backoff when the database is transiently
unavailable (connection refused or dropped, SQLite "database is locked", deadlocks); after the last
attempt it raises ``DatabaseUnavailable`` with one line naming the database and the cause.
Environment variables (for tests and unusual setups): ``DSE_HEARTBEAT_INTERVAL`` and
``DSE_GRACE_PERIOD`` (whole seconds), ``DSE_DB_RETRIES`` (attempts) and ``DSE_DB_RETRY_DELAY``
(first backoff in seconds, doubled per attempt up to 30 s).
"""

from __future__ import annotations

import functools
import logging
import os
import random
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import optuna
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
    PendingRollbackError,
)

from dse.errors import DseError

HEARTBEAT_INTERVAL = 10  # seconds between a running trial's heartbeats (DSE_HEARTBEAT_INTERVAL)
GRACE_PERIOD = 40  # seconds without a heartbeat before a running trial counts as dead (DSE_GRACE_PERIOD)
SQLITE_BUSY_TIMEOUT = 120  # seconds a SQLite writer waits for the lock
DB_RETRIES = 6  # attempts of one storage call before giving up (DSE_DB_RETRIES)
DB_RETRY_DELAY = 1.0  # first backoff in seconds, doubled per attempt (DSE_DB_RETRY_DELAY)
DB_RETRY_MAX_DELAY = 30.0
MAX_RETRY_OF_DEAD_TRIAL = 3  # a trial whose worker died is re-queued at most this often

T = TypeVar("T")
log = logging.getLogger(__name__)  # one INFO record per retry (the benchmark counts them)


class StorageError(DseError):
    """The storage URL cannot be opened."""


class DatabaseUnavailable(StorageError):
    """The database stayed unreachable (or locked) through every retry."""


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


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


class _DropRetriedQueryWarning(logging.Filter):
    """Optuna logs "Caught an error from sqlalchemy ... Falling back" when a read fails; the retry
    here handles that error and reports it in one line, so the multi-line warning is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Caught an error from sqlalchemy")


logging.getLogger("optuna.storages._rdb.storage").addFilter(_DropRetriedQueryWarning())


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


def _cause(exc: BaseException) -> str:
    current: BaseException = exc
    while current.__cause__ is not None:
        current = current.__cause__
    orig = getattr(current, "orig", None)
    text = str(orig if orig is not None else current).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(current).__name__


def call_with_retries(fn: Callable[[], T], policy: RetryPolicy, what: str) -> T:
    """``fn()``, retried with backoff on transient database errors; ``DatabaseUnavailable`` at last."""
    start = time.monotonic()
    for attempt in range(1, policy.attempts + 1):
        try:
            return fn()
        except Exception as exc:
            if not is_transient(exc):
                raise
            if attempt == policy.attempts:
                cause = _cause(exc)
                state = "is locked by another process" if "locked" in cause.lower() else "is unreachable"
                raise DatabaseUnavailable(
                    f"{what} {state}: {cause} (gave up after {policy.attempts} attempts "
                    f"in {time.monotonic() - start:.0f} s)"
                ) from None
            delay = policy.delay(attempt)
            log.info("%s: %s; retry %d of %d in %.1f s", what, _cause(exc), attempt, policy.attempts - 1, delay)
            time.sleep(delay)
    raise DatabaseUnavailable(f"{what} is unreachable")  # not reached: attempts >= 1


_local = threading.local()  # a storage method calling another one is retried only once, outermost
_RETRIED = (  # the RDBStorage methods Optuna's cached storage and dse call
    "create_new_study", "delete_study", "set_study_user_attr", "set_study_system_attr",
    "get_study_id_from_name", "get_study_name_from_id", "get_study_directions", "get_study_user_attrs",
    "get_study_system_attrs", "get_all_studies", "_create_new_trial", "_set_trial_param",
    "get_trial_id_from_study_id_trial_number", "_get_best_trial_id", "set_trial_state_values",
    "set_trial_intermediate_value", "set_trial_user_attr", "set_trial_system_attr", "get_trial",
    "_get_trials", "get_all_trials", "get_n_trials", "record_heartbeat", "_get_stale_trial_ids",
)


class RetryingRDBStorage(optuna.storages.RDBStorage):
    """Optuna's RDBStorage whose calls survive short database outages and SQLite lock contention."""

    retry_policy: RetryPolicy = RetryPolicy()
    retry_label: str = "the database"


def _retrying(name: str) -> Callable[..., Any]:
    method = getattr(optuna.storages.RDBStorage, name)

    @functools.wraps(method)
    def wrapper(self: RetryingRDBStorage, *args: Any, **kwargs: Any) -> Any:
        if getattr(_local, "active", False):
            return method(self, *args, **kwargs)
        _local.active = True
        try:
            return call_with_retries(lambda: method(self, *args, **kwargs), self.retry_policy, self.retry_label)
        finally:
            _local.active = False

    return wrapper


for _name in _RETRIED:
    setattr(RetryingRDBStorage, _name, _retrying(_name))


class DseStorage(RetryingRDBStorage):
    """A trial that becomes RUNNING gets its heartbeat at once, in the storage call itself.

    Otherwise a worker killed between ``study.ask`` (which may spend seconds sampling) and its
    first heartbeat would leave a RUNNING trial without one, which Optuna never counts as stale:
    it would hold a slot of the target forever.
    """

    def _create_new_trial(self, study_id: int, template_trial: Any = None) -> Any:
        frozen = super()._create_new_trial(study_id, template_trial)
        if self.heartbeat_interval is not None and frozen.state == optuna.trial.TrialState.RUNNING:
            self.record_heartbeat(frozen._trial_id)  # noqa: SLF001
        return frozen

    def set_trial_state_values(self, trial_id: int, state: Any, values: Any = None) -> bool:
        if self.heartbeat_interval is not None and state == optuna.trial.TrialState.RUNNING:
            # before the state change: a WAITING trial may carry an old beat from an earlier run
            self.record_heartbeat(trial_id)
        return super().set_trial_state_values(trial_id, state, values)


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _prepare_sqlite(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT)
    try:
        con.execute("PRAGMA journal_mode=WAL")  # persistent: readers never block the writer
    finally:
        con.close()


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # WAL + synchronous=NORMAL: commits skip the fsync (the WAL is synced at checkpoints). A crash
    # of a process loses nothing; a power cut may lose the last commits but never corrupts the file.
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def open_storage(
    url: str, *, heartbeat: bool = True, create: bool = True, wait: bool = False
) -> optuna.storages.RDBStorage:
    """An RDBStorage for ``url`` with dse's settings (WAL SQLite, heartbeats, retry of dead trials,
    retries of calls while the database is unavailable).

    ``create=False`` refuses to create a new SQLite file (for readers and ``resume``). ``wait=True``
    (workers) also retries the first connection with backoff instead of failing at once.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(
            f"storage {url!r} is not a database URL; use e.g. sqlite:///studies/NAME.db or "
            "postgresql://user@host/db"
        ) from None
    policy = RetryPolicy.from_env()
    engine_kwargs: dict = {}
    path = sqlite_path(url)
    if path is not None:
        if not path.exists() and not create:
            raise StorageError(f"storage {url}: no such SQLite file {path}")
        _prepare_sqlite(path)
        engine_kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT}
    else:
        engine_kwargs["pool_pre_ping"] = True
    kwargs: dict = {}
    if heartbeat:
        interval, grace = heartbeat_settings()
        kwargs = {"heartbeat_interval": interval, "grace_period": grace}

    def connect() -> DseStorage:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            if heartbeat:
                kwargs["heartbeat_stale_trial_callback"] = optuna.storages.RetryHeartbeatStaleTrialCallback(
                    max_retry=MAX_RETRY_OF_DEAD_TRIAL
                )
            return DseStorage(url, engine_kwargs=engine_kwargs, **kwargs)

    try:
        storage = call_with_retries(connect, policy, f"storage {safe_url(url)}") if wait else connect()
    except DatabaseUnavailable:
        raise
    except (NoSuchModuleError, ModuleNotFoundError, ImportError) as exc:
        extra = {"postgresql": "postgres", "mysql": "mysql"}.get(parsed.get_backend_name(), "")
        hint = f"; install the driver with: pip install 'dse[{extra}]'" if extra else ""
        raise StorageError(f"storage {safe_url(url)}: database driver missing ({exc}){hint}") from None
    except Exception as exc:  # connection refused, auth failure, unreadable file ...
        raise StorageError(f"storage {safe_url(url)} cannot be opened: {_cause(exc)}") from None
    if path is not None:
        event.listen(storage.engine, "connect", _sqlite_on_connect)
        storage.engine.dispose()  # connections made while opening are replaced by tuned ones
    storage.retry_policy = policy
    storage.retry_label = f"storage {safe_url(url)}"
    return storage

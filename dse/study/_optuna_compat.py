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

import functools
import gc
import json
import logging
import weakref
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import optuna
import sqlalchemy as sa
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


# ------------------------------------------------------------------------------ fast trial reads
# 6. ``read_trial_rows``: Optuna's public reader builds every FrozenTrial through its ORM: on a
#    10,000-trial study the first ``get_all_trials`` takes tens of seconds, far above the
#    dashboard's 1 s. These set-based SELECTs on Optuna's tables read the same data about 50x
#    faster. They run only on a schema revision they were written for (checked at run time);
#    on any other, and on any SQL error, callers use the public path.
FAST_READ_SCHEMAS = ("v3.2.0.a",)  # Optuna's alembic revisions whose tables these queries know


@dataclass
class TrialRows:
    rows: list[tuple[Any, ...]]  # (trial_id, number, state name, datetime_start, datetime_complete) as naive UTC
    values: dict[int, dict[int, float]]
    params: dict[int, dict[str, Any]]
    user: dict[int, dict[str, Any]]
    system: dict[int, dict[str, Any]]


_schema_ok: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # storage -> its schema is known


def fast_reads_supported(storage: optuna.storages.RDBStorage) -> bool:
    """Whether ``storage``'s schema revision is one ``read_trial_rows`` was written for."""
    if storage not in _schema_ok:
        try:
            _schema_ok[storage] = storage.get_current_version() in FAST_READ_SCHEMAS
        except Exception:  # noqa: BLE001 - unknown: use the public path
            _schema_ok[storage] = False
    return _schema_ok[storage]


def _json_many(blobs: list[str]) -> list[Any]:
    """Decode many JSON texts at once (one C-level parse of a joined array is ~5x faster)."""
    try:
        out = json.loads("[" + ",".join(blobs) + "]")
        if len(out) == len(blobs):
            return out
    except ValueError:
        pass
    return [json.loads(b) for b in blobs]


def _raw_rows(conn: sa.Connection, stmt: sa.Select) -> list[tuple[Any, ...]]:
    """Rows straight from the DBAPI cursor (SQLAlchemy Rows cost ~3 us each); only integers and
    our own constant strings are inlined by SQLAlchemy's literal rendering."""
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def read_trial_rows(storage: optuna.storages.RDBStorage, study_id: int, keys: tuple[str, ...],
                    constraint_prefix: str, numbers: tuple[int, ...] | None = None) -> TrialRows:
    """Trial rows, objective values, params, the named user attrs and the constraint system attrs
    of one study, read with a handful of set-based SELECTs on Optuna's tables."""
    from optuna.storages._rdb import models

    trials = models.TrialModel.__table__
    chosen = trials.c.study_id == study_id
    if numbers is not None:
        chosen = sa.and_(chosen, trials.c.number.in_(numbers))
    ids = sa.select(trials.c.trial_id).where(chosen).scalar_subquery()
    enabled = gc.isenabled()
    gc.disable()  # many small acyclic objects: the cyclic GC would cost a quarter of the time
    try:
        return _select_rows(storage, chosen, ids, keys, constraint_prefix)
    finally:
        if enabled:
            gc.enable()


def _select_rows(storage: optuna.storages.RDBStorage, chosen: Any, ids: Any, keys: tuple[str, ...],
                 constraint_prefix: str) -> TrialRows:
    from optuna.distributions import json_to_distribution
    from optuna.storages._rdb import models

    trials, values, params = models.TrialModel.__table__, models.TrialValueModel.__table__, models.TrialParamModel.__table__
    users, systems = models.TrialUserAttributeModel.__table__, models.TrialSystemAttributeModel.__table__
    vals: dict[int, dict[int, float]] = defaultdict(dict)
    prm: dict[int, dict[str, Any]] = defaultdict(dict)
    usr: dict[int, dict[str, Any]] = defaultdict(dict)
    sysa: dict[int, dict[str, Any]] = defaultdict(dict)
    inf = {"INF_POS": float("inf"), "INF_NEG": float("-inf")}
    dists = functools.lru_cache(maxsize=None)(json_to_distribution)
    with storage.engine.connect() as conn:
        rows = [(tid, number, state.name if hasattr(state, "name") else str(state), start, done)
                for tid, number, state, start, done in conn.execute(sa.select(
                    trials.c.trial_id, trials.c.number, trials.c.state, trials.c.datetime_start,
                    trials.c.datetime_complete).where(chosen))]
        for tid, objective, value, kind in _raw_rows(conn, sa.select(
                values.c.trial_id, values.c.objective, values.c.value, values.c.value_type)
                .where(values.c.trial_id.in_(ids))):
            vals[tid][objective] = inf.get(kind, value)  # enum columns hold the member name
        for tid, name, value, dist in _raw_rows(conn, sa.select(
                params.c.trial_id, params.c.param_name, params.c.param_value, params.c.distribution_json)
                .where(params.c.trial_id.in_(ids))):
            prm[tid][name] = dists(dist).to_external_repr(value)
        for target, table, where in ((usr, users, users.c.key.in_(keys)),
                                     (sysa, systems, systems.c.key.like(constraint_prefix + "%"))):
            got = _raw_rows(conn, sa.select(table.c.trial_id, table.c.key, table.c.value_json)
                            .where(table.c.trial_id.in_(ids), where))
            for (tid, key, _), value in zip(got, _json_many([r[2] for r in got])):
                target[tid][key] = value
    return TrialRows(rows, vals, prm, usr, sysa)


def study_trial_stats(storage: optuna.storages.RDBStorage) -> dict[str, tuple[dict[str, int], Any]]:
    """Per study name: trial counts by state name and the latest trial start/completion (naive
    datetime as stored), in one GROUP BY."""
    from optuna.storages._rdb import models

    t, s = models.TrialModel.__table__, models.StudyModel.__table__
    query = (sa.select(s.c.study_name, t.c.state, sa.func.count(), sa.func.max(t.c.datetime_start),
                       sa.func.max(t.c.datetime_complete))
             .select_from(t.join(s, t.c.study_id == s.c.study_id)).group_by(s.c.study_name, t.c.state))
    out: dict[str, tuple[dict[str, int], Any]] = {}
    with storage.engine.connect() as conn:
        for name, state, n, start, done in conn.execute(query):
            counts, last = out.get(name, ({}, None))
            counts[state.name if hasattr(state, "name") else str(state)] = n
            for when in (w for w in (start, done) if w is not None):
                last = when if last is None else max(last, when)
            out[name] = (counts, last)
    return out


def trial_fingerprint(storage: optuna.storages.RDBStorage, study_id: int) -> tuple[Any, ...]:
    """Counts by state, the newest trial id and the latest completion of one study."""
    from optuna.storages._rdb import models

    t = models.TrialModel.__table__
    query = (sa.select(t.c.state, sa.func.count(), sa.func.max(t.c.trial_id), sa.func.max(t.c.datetime_complete))
             .where(t.c.study_id == study_id).group_by(t.c.state))
    with storage.engine.connect() as conn:
        return tuple(sorted((getattr(r[0], "name", str(r[0])), r[1], r[2], str(r[3])) for r in conn.execute(query)))

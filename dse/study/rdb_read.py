"""Fast read-only SELECTs on Optuna's RDB tables (about 50x faster than ``get_all_trials`` on
10,000 trials): set-based queries, raw DBAPI rows and one JSON parse for many attribute values."""

from __future__ import annotations

import contextlib
import functools
import gc
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from optuna.distributions import json_to_distribution
from optuna.storages import RDBStorage
from optuna.storages._rdb import models


@dataclass
class TrialRows:
    rows: list[tuple[Any, ...]]  # (trial_id, number, state, datetime_start, datetime_complete)
    values: dict[int, dict[int, float]]
    params: dict[int, dict[str, Any]]
    user: dict[int, dict[str, Any]]
    system: dict[int, dict[str, Any]]


def json_many(blobs: list[str]) -> list[Any]:
    """Decode many JSON texts at once (one C-level parse of a joined array is ~5x faster)."""
    try:
        out = json.loads("[" + ",".join(blobs) + "]")
        if len(out) == len(blobs):
            return out
    except ValueError:
        pass
    return [json.loads(b) for b in blobs]


def raw_rows(conn: sa.Connection, stmt: sa.Select) -> list[tuple[Any, ...]]:
    """Rows of ``stmt`` straight from the DBAPI cursor (SQLAlchemy Rows cost ~3 us each).

    Only for columns without type conversion (ints, floats, text); the statement holds only
    integers and our own constant strings, inlined by SQLAlchemy's literal rendering."""
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def fetch_trials(storage: RDBStorage, study_id: int, numbers: tuple[int, ...] | None, keys: tuple[str, ...],
                 constraint_prefix: str) -> TrialRows:
    """Trial rows, objective values, params, the named user attrs and the constraint system attrs of
    one study, read with a handful of set-based SELECTs on Optuna's RDB tables."""
    trials, values, params = models.TrialModel.__table__, models.TrialValueModel.__table__, models.TrialParamModel.__table__
    users, systems = models.TrialUserAttributeModel.__table__, models.TrialSystemAttributeModel.__table__
    chosen = trials.c.study_id == study_id
    if numbers is not None:
        chosen = sa.and_(chosen, trials.c.number.in_(numbers))
    ids = sa.select(trials.c.trial_id).where(chosen).scalar_subquery()
    vals: dict[int, dict[int, float]] = defaultdict(dict)
    prm: dict[int, dict[str, Any]] = defaultdict(dict)
    usr: dict[int, dict[str, Any]] = defaultdict(dict)
    sysa: dict[int, dict[str, Any]] = defaultdict(dict)
    inf = {"INF_POS": float("inf"), "INF_NEG": float("-inf")}
    dists = functools.lru_cache(maxsize=None)(json_to_distribution)
    with storage.engine.connect() as conn, gc_paused():
        rows = conn.execute(sa.select(trials.c.trial_id, trials.c.number, trials.c.state, trials.c.datetime_start,
                                      trials.c.datetime_complete).where(chosen)).all()
        for tid, objective, value, kind in raw_rows(conn, sa.select(
                values.c.trial_id, values.c.objective, values.c.value, values.c.value_type)
                .where(values.c.trial_id.in_(ids))):
            vals[tid][objective] = inf.get(kind, value)  # enum columns hold the member name
        for tid, name, value, dist in raw_rows(conn, sa.select(
                params.c.trial_id, params.c.param_name, params.c.param_value, params.c.distribution_json)
                .where(params.c.trial_id.in_(ids))):
            prm[tid][name] = dists(dist).to_external_repr(value)
        for target, table, where in ((usr, users, users.c.key.in_(keys)),
                                     (sysa, systems, systems.c.key.like(constraint_prefix + "%"))):
            got = raw_rows(conn, sa.select(table.c.trial_id, table.c.key, table.c.value_json)
                       .where(table.c.trial_id.in_(ids), where))
            for (tid, key, _), value in zip(got, json_many([r[2] for r in got])):
                target[tid][key] = value
    return TrialRows(rows, vals, prm, usr, sysa)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building many small acyclic objects (a quarter of the load time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

"""Read-only readers of dse studies: summaries, study info and one record per trial.

Everything here only reads. SQLite databases are opened through a read-only URI
(``file:...?mode=ro``), so a reader can neither create a missing file nor write to one; other
databases are opened with Optuna's ``RDBStorage`` without table creation, and only SELECTs run.

Trials are read with a handful of set-based SELECTs on Optuna's RDB tables (about 50 times faster
than ``RDBStorage.get_all_trials`` on a 10,000-trial study); where that schema is not what this
module expects, the readers fall back to ``get_trials(deepcopy=False)``. Studies not created by
dse (no ``dse:*`` attrs) are read too: objectives are then named ``objective 0``, ``objective 1``...
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import urllib.parse
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
import sqlalchemy as sa
from optuna.storages import RDBStorage
from optuna.storages._rdb import models
from optuna.trial import FrozenTrial, TrialState

from dse.errors import DseError
from dse.study import attrs
from dse.study.rdb_read import fetch_trials, gc_paused

STATES: tuple[str, ...] = tuple(s.name for s in TrialState)
_CONSTRAINT_PREFIX = attrs.CONSTRAINTS_KEY


class StorageReadError(DseError):
    """A storage or study that cannot be read (missing file, unknown study name)."""


@dataclass(frozen=True)
class Objective:
    name: str
    direction: str  # "maximize" | "minimize"


@dataclass(frozen=True)
class StudySummary:
    name: str
    counts: Mapping[str, int]  # trial state name -> count (all of STATES present)
    dataset: str | None
    objectives: tuple[Objective, ...]
    n_trials: int
    last_update: _dt.datetime | None


@dataclass(frozen=True)
class StudyInfo:
    name: str
    objectives: tuple[Objective, ...]
    dataset: Mapping[str, Any]
    config: Mapping[str, Any]
    space: Mapping[str, Any]
    target: int | None
    version: str | None
    is_dse: bool  # whether the study carries dse's objective attrs

    @property
    def objective_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.objectives)


@dataclass(frozen=True)
class TrialRecord:
    """One trial as the dashboards need it.

    ``val_acc`` of a pruned trial is its last reported value; datetimes are timezone-aware UTC;
    ``size_bytes`` falls back to 4 x params (fp32) when the trial did not store it."""

    number: int
    state: str
    values: tuple[float, ...] | None
    params: Mapping[str, Any]
    status: str
    label: str
    arch: Mapping[str, Any] | None
    arch_hash: str | None
    params_count: int | None
    macs: int | None
    size_bytes: int | None
    val_acc: float | None
    val_curve: tuple[float, ...]
    train_seconds: float | None
    feasible: bool
    reason: str | None
    datetime_start: _dt.datetime | None
    datetime_complete: _dt.datetime | None
    duplicate_of: int | None
    constraints: tuple[float, ...] = ()
    objective_values: Mapping[str, float] = field(default_factory=dict)

    def metric(self, name: str) -> float | None:
        """``val_acc``, ``params``, ``macs``, ``size_bytes`` or an objective's value by name."""
        field_name = _METRIC_FIELDS.get(name)
        value = getattr(self, field_name) if field_name else None
        value = self.objective_values.get(name) if value is None else value
        return None if value is None else float(value)


_METRIC_FIELDS = {"val_acc": "val_acc", "params": "params_count", "size_bytes": "size_bytes", "macs": "macs"}


# ------------------------------------------------------------------------------ opening storage
def readonly_url(storage_url: str) -> str:
    """``storage_url`` made read-only where the driver allows it (SQLite files: ``mode=ro``)."""
    url = sa.engine.make_url(storage_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or url.database.startswith("file:"):
        return storage_url
    path = Path(url.database).expanduser().resolve()
    if not path.is_file():
        raise StorageReadError(f"storage {storage_url}: no such SQLite file {path}")
    query = urllib.parse.urlencode([(k, v) for k, vs in url.query.items() for v in ((vs,) if isinstance(vs, str) else vs)
                                    if k not in ("mode", "uri")] + [("mode", "ro"), ("uri", "true")])
    return f"sqlite:///file:{urllib.parse.quote(str(path))}?{query}"


@functools.lru_cache(maxsize=16)
def _storage(storage_url: str) -> RDBStorage:
    try:
        return RDBStorage(readonly_url(storage_url), skip_table_creation=True)
    except StorageReadError:
        raise
    except Exception as exc:
        raise StorageReadError(f"cannot read storage {storage_url}: {exc}") from exc


def _study_id(storage: RDBStorage, name: str) -> int:
    try:
        return storage.get_study_id_from_name(name)
    except KeyError:
        names = ", ".join(s.study_name for s in storage.get_all_studies()) or "none"
        raise StorageReadError(f"no study named {name!r} in this storage (studies: {names})") from None


def _objectives(user_attrs: Mapping[str, Any], directions: Iterable[Any]) -> tuple[Objective, ...]:
    dirs = [d.name.lower() if hasattr(d, "name") else str(d) for d in directions]
    stored = user_attrs.get(attrs.STUDY_OBJECTIVES)
    if isinstance(stored, list) and len(stored) == len(dirs) and all(isinstance(o, dict) for o in stored):
        return tuple(Objective(str(o.get("name", f"objective {i}")), dirs[i]) for i, o in enumerate(stored))
    return tuple(Objective(f"objective {i}", d) for i, d in enumerate(dirs))


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


# ------------------------------------------------------------------------------ public readers
def list_study_summaries(storage_url: str) -> list[StudySummary]:
    """Every study in the storage with its trial counts by state, in creation order."""
    storage = _storage(storage_url)
    t = models.TrialModel.__table__
    query = sa.select(t.c.study_id, t.c.state, sa.func.count(), sa.func.max(t.c.datetime_start),
                      sa.func.max(t.c.datetime_complete)).group_by(t.c.study_id, t.c.state)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATES, 0))
    last: dict[int, _dt.datetime] = {}
    studies = models.StudyModel.__table__
    with storage.engine.connect() as conn:
        for study_id, state, n, start, done in conn.execute(query):
            counts[study_id][_state_name(state)] = n
            for when in (w for w in (start, done) if w is not None):
                last[study_id] = max(last.get(study_id, when), when)
        ids = {name: sid for sid, name in conn.execute(sa.select(studies.c.study_id, studies.c.study_name))}
    out = []
    for s in storage.get_all_studies():
        sid = ids.get(s.study_name, -1)
        dataset = s.user_attrs.get(attrs.STUDY_DATASET)
        out.append(StudySummary(
            name=s.study_name, counts=counts[sid],
            dataset=str(dataset["name"]) if isinstance(dataset, dict) and "name" in dataset else None,
            objectives=_objectives(s.user_attrs, s.directions),
            n_trials=sum(counts[sid].values()), last_update=_utc(last.get(sid)),
        ))
    return out


def load_study_info(storage_url: str, name: str) -> StudyInfo:
    storage = _storage(storage_url)
    study_id = _study_id(storage, name)
    user = storage.get_study_user_attrs(study_id)
    target = user.get(attrs.STUDY_TARGET_TRIALS)
    version = user.get(attrs.STUDY_VERSION)
    return StudyInfo(
        name=name, objectives=_objectives(user, storage.get_study_directions(study_id)),
        dataset=_mapping(user.get(attrs.STUDY_DATASET)), config=_mapping(user.get(attrs.STUDY_CONFIG)),
        space=_mapping(user.get(attrs.STUDY_SPACE)),
        target=target if isinstance(target, int) and not isinstance(target, bool) else None,
        version=str(version) if version is not None else None,
        is_dse=attrs.STUDY_OBJECTIVES in user,
    )


def study_fingerprint(storage_url: str, name: str) -> tuple[Any, ...]:
    """A cheap value that changes whenever a trial is added or changes state (for caches)."""
    storage = _storage(storage_url)
    study_id = _study_id(storage, name)
    t = models.TrialModel.__table__
    query = (sa.select(t.c.state, sa.func.count(), sa.func.max(t.c.trial_id), sa.func.max(t.c.datetime_complete))
             .where(t.c.study_id == study_id).group_by(t.c.state))
    with storage.engine.connect() as conn:
        return tuple(sorted((_state_name(r[0]), r[1], r[2], str(r[3])) for r in conn.execute(query)))


def load_trials(storage_url: str, study_name: str, *, with_arch: bool = True) -> list[TrialRecord]:
    """One TrialRecord per trial of ``study_name``, ordered by trial number.

    ``with_arch=False`` leaves ``arch`` None (a third of the load time on big studies); fetch
    one trial's full record with ``load_trial``."""
    return _load(storage_url, study_name, None, with_arch)


def load_trial(storage_url: str, study_name: str, number: int) -> TrialRecord:
    """The full record (with ``arch``) of trial ``number``."""
    found = _load(storage_url, study_name, (int(number),), True)
    if not found:
        raise StorageReadError(f"study {study_name!r} has no trial number {number}")
    return found[0]


def _load(storage_url: str, study_name: str, numbers: tuple[int, ...] | None, with_arch: bool) -> list[TrialRecord]:
    storage = _storage(storage_url)
    study_id = _study_id(storage, study_name)
    names = load_study_info(storage_url, study_name).objective_names
    dbapi_error = getattr(storage.engine.dialect.loaded_dbapi, "Error", sa.exc.SQLAlchemyError)
    try:
        return _load_fast(storage, study_id, names, numbers, with_arch)
    except (sa.exc.SQLAlchemyError, dbapi_error):  # an unexpected schema: use Optuna's own reader
        trials = optuna.load_study(study_name=study_name, storage=storage).get_trials(deepcopy=False)
        chosen = [t for t in trials if numbers is None or t.number in numbers]
        return [_from_frozen(t, names, with_arch) for t in chosen]


# ------------------------------------------------------------------------------ building records
def _state_name(state: Any) -> str:
    return state.name if isinstance(state, TrialState) else str(state)


def _utc(when: _dt.datetime | None) -> _dt.datetime | None:
    """Optuna's RDB stores naive UTC: make it timezone-aware UTC."""
    return None if when is None else when.replace(tzinfo=_dt.timezone.utc)


def _num(value: Any) -> float | None:
    kind = type(value)  # exact types: bool is not a number here
    return float(value) if kind is float or kind is int else None


def _int(value: Any) -> int | None:
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    return int(value) if kind is float and math.isfinite(value) else None


def _make_record(number: int, state: str, values: tuple[float, ...] | None, params: Mapping[str, Any],
                 user: Mapping[str, Any], constraints: tuple[float, ...], start: _dt.datetime | None,
                 done: _dt.datetime | None, objectives: tuple[str, ...]) -> TrialRecord:
    by_name = dict(zip(objectives, values)) if values is not None and len(values) == len(objectives) else {}
    status = user.get(attrs.STATUS)
    violated = any(c > 0 for c in constraints)
    if not isinstance(status, str):
        status = {"COMPLETE": "infeasible" if violated else "completed", "PRUNED": "pruned",
                  "FAIL": "failed"}.get(state, state.lower())
    curve_raw = user.get(attrs.VAL_CURVE)
    curve = tuple(float(v) for v in curve_raw if type(v) in (int, float)) if isinstance(curve_raw, list) else ()
    acc = _num(user.get(attrs.VAL_ACC))
    if acc is None:
        acc = _num(by_name.get("val_acc")) if state == "COMPLETE" else curve[-1] if state == "PRUNED" and curve else None
    size = _int(user.get(attrs.SIZE_BYTES))
    n_params = _int(user.get(attrs.PARAMS)) or _int(by_name.get("params"))
    if size is None:
        size = _int(by_name.get("size_bytes")) or (4 * n_params if n_params is not None else None)
    reason = next((str(user[k]) for k in (attrs.FAIL_REASON, attrs.INFEASIBLE_REASON, attrs.PRUNE_REASON)
                   if user.get(k) not in (None, "")), None)
    label, arch = user.get(attrs.ARCH_LABEL), user.get(attrs.ARCH_SPEC)
    return TrialRecord(
        number=number, state=state, values=values, params=params if type(params) is dict else dict(params), status=status,
        label=str(label) if label is not None else f"trial {number}",
        arch=arch if isinstance(arch, dict) else None,
        arch_hash=str(user[attrs.ARCH_HASH]) if attrs.ARCH_HASH in user else None,
        params_count=n_params, macs=_int(user.get(attrs.MACS)) or _int(by_name.get("macs")), size_bytes=size,
        val_acc=acc, val_curve=curve, train_seconds=_num(user.get(attrs.TRAIN_SECONDS)),
        feasible=not violated and status != "infeasible", reason=reason,
        datetime_start=start, datetime_complete=done, duplicate_of=_int(user.get(attrs.DUPLICATE_OF)),
        constraints=constraints, objective_values=by_name,
    )


def _constraints(system: Mapping[str, Any]) -> tuple[float, ...]:
    out: list[float] = []
    listed = system.get(_CONSTRAINT_PREFIX)
    if isinstance(listed, list):
        out.extend(float(c) for c in listed if _num(c) is not None)
    out.extend(float(v) for k, v in system.items() if k.startswith(_CONSTRAINT_PREFIX + ":") and _num(v) is not None)
    return tuple(out)


def _from_frozen(t: FrozenTrial, objectives: tuple[str, ...], with_arch: bool = True) -> TrialRecord:
    """The same record from Optuna's API (FrozenTrial datetimes are naive local time)."""
    user = t.user_attrs if with_arch else {k: v for k, v in t.user_attrs.items() if k != attrs.ARCH_SPEC}
    start, done = (None if w is None else w.astimezone(_dt.timezone.utc) for w in (t.datetime_start, t.datetime_complete))
    return _make_record(t.number, t.state.name, tuple(t.values) if t.values is not None else None, t.params,
                        user, tuple(t.constraints.values()), start, done, objectives)


_USER_KEYS = (attrs.ARCH_HASH, attrs.ARCH_LABEL, attrs.PARAMS, attrs.MACS, attrs.SIZE_BYTES, attrs.VAL_CURVE,
              attrs.VAL_ACC, attrs.TRAIN_SECONDS, attrs.STATUS, attrs.FAIL_REASON, attrs.PRUNE_REASON,
              attrs.INFEASIBLE_REASON, attrs.DUPLICATE_OF)


def _load_fast(storage: RDBStorage, study_id: int, objectives: tuple[str, ...], numbers: tuple[int, ...] | None,
               with_arch: bool) -> list[TrialRecord]:
    keys = _USER_KEYS + ((attrs.ARCH_SPEC,) if with_arch else ())
    got = fetch_trials(storage, study_id, numbers, keys, _CONSTRAINT_PREFIX)
    rows, vals, prm, usr, sysa = got.rows, got.values, got.params, got.user, got.system
    with gc_paused():
        out = []
        for tid, number, state, start, done in rows:
            v = vals.get(tid)
            values_t = tuple(v[i] for i in sorted(v)) if v else None
            out.append(_make_record(number, _state_name(state), values_t, prm.get(tid, {}), usr.get(tid, {}),
                                    _constraints(sysa.get(tid, {})), _utc(start), _utc(done), objectives))
    out.sort(key=lambda r: r.number)
    return out



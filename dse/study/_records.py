"""Read-only readers of dse studies: summaries, study info and one record per trial.

Everything here only reads. SQLite files are opened with ``mode=ro`` (``dse.study._database``), so a
reader can neither create nor change a file, and a file that is not an Optuna storage is refused.
Trials are read through Optuna's public API (``optuna.load_study`` and
``study.get_trials(deepcopy=False)``, which goes through Optuna's cached storage as optuna-dashboard
reads: later reads fetch only unfinished and new trials), except where the storage's schema is one
``_optuna_compat.read_trial_rows`` knows: a few set-based SELECTs then read 10,000 trials in a
fraction of a second instead of the tens of seconds Optuna's ORM needs for the first read. Studies
not created by dse (no ``dse:*`` attrs) are read too: objectives are then named ``objective 0``,
``objective 1``... Records are built, and ``trial_status`` maps a trial to dse's status, in
``dse.study._trial_records``.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import optuna
import sqlalchemy as sa
from optuna.trial import TrialState

from dse.study import _optuna_compat as compat
from dse.study import attrs
from dse.study._database import StorageError, open_readonly, readonly_url
from dse.study._trial_records import (_CONSTRAINT_PREFIX, _USER_KEYS, COUNTED, FAILED, TrialRecord, _aware,
                                      _from_frozen, _from_rows, trial_status)

__all__ = ["STATES", "StorageReadError", "StudyInfo", "StudySummary", "TrialRecord", "list_study_summaries",
           "load_study_info", "load_trial", "load_trials", "readonly_url", "records_of", "study_fingerprint",
           "trial_status", "COUNTED", "FAILED"]

STATES: tuple[str, ...] = tuple(s.name for s in TrialState)


class StorageReadError(StorageError):
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


# ------------------------------------------------------------------------------ opening storage
_lock = threading.Lock()
_storages: dict[str, optuna.storages.RDBStorage] = {}
_studies: dict[tuple[str, str], tuple[int, optuna.Study]] = {}


def _storage(storage_url: str) -> optuna.storages.RDBStorage:
    with _lock:
        storage = _storages.get(storage_url)
    if storage is None:
        try:
            storage = open_readonly(storage_url)
        except StorageError as exc:
            raise StorageReadError(str(exc)) from None
        with _lock:
            storage = _storages.setdefault(storage_url, storage)
    return storage


def _study_id(storage: optuna.storages.RDBStorage, name: str) -> int:
    try:
        return storage.get_study_id_from_name(name)
    except KeyError:
        names = ", ".join(s.study_name for s in storage.get_all_studies()) or "none"
        raise StorageReadError(f"no study named {name!r} in this storage (studies: {names})") from None


def _study(storage_url: str, name: str) -> optuna.Study:
    """The study, kept open so that Optuna's cached storage re-reads only changed trials."""
    storage = _storage(storage_url)
    study_id = _study_id(storage, name)
    with _lock:
        known = _studies.get((storage_url, name))
    if known is not None and known[0] == study_id:
        return known[1]
    study = optuna.load_study(study_name=name, storage=storage)
    with _lock:
        _studies[(storage_url, name)] = (study_id, study)
    return study


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
    stats = _fast(storage, compat.study_trial_stats, storage)
    out = []
    for s in storage.get_all_studies():
        counts = dict.fromkeys(STATES, 0)
        if stats is not None:
            found, last = stats.get(s.study_name, ({}, None))
        else:
            trials = _study(storage_url, s.study_name).get_trials(deepcopy=False)
            found = Counter(t.state.name for t in trials)
            last = max((w for t in trials for w in (t.datetime_start, t.datetime_complete) if w is not None), default=None)
        counts.update(found)
        dataset = s.user_attrs.get(attrs.STUDY_DATASET)
        out.append(StudySummary(
            name=s.study_name, counts=counts,
            dataset=str(dataset["name"]) if isinstance(dataset, dict) and "name" in dataset else None,
            objectives=_objectives(s.user_attrs, s.directions),
            n_trials=sum(counts.values()), last_update=_aware(last),
        ))
    return out


def _fast(storage: optuna.storages.RDBStorage, read: Any, *args: Any) -> Any:
    """``read(*args)`` on Optuna's tables where the schema is one it knows; None otherwise or on
    any SQL error (callers then read through Optuna's public API)."""
    if not compat.fast_reads_supported(storage):
        return None
    dbapi_error = getattr(storage.engine.dialect.loaded_dbapi, "Error", sa.exc.SQLAlchemyError)
    try:
        return read(*args)
    except (sa.exc.SQLAlchemyError, dbapi_error):
        return None


def _info(name: str, user: Mapping[str, Any], directions: Iterable[Any]) -> StudyInfo:
    target = user.get(attrs.STUDY_TARGET_TRIALS)
    version = user.get(attrs.STUDY_VERSION)
    return StudyInfo(
        name=name, objectives=_objectives(user, directions),
        dataset=_mapping(user.get(attrs.STUDY_DATASET)), config=_mapping(user.get(attrs.STUDY_CONFIG)),
        space=_mapping(user.get(attrs.STUDY_SPACE)),
        target=target if isinstance(target, int) and not isinstance(target, bool) else None,
        version=str(version) if version is not None else None,
        is_dse=attrs.STUDY_OBJECTIVES in user,
    )


def load_study_info(storage_url: str, name: str) -> StudyInfo:
    storage = _storage(storage_url)
    study_id = _study_id(storage, name)
    return _info(name, storage.get_study_user_attrs(study_id), storage.get_study_directions(study_id))


def study_fingerprint(storage_url: str, name: str) -> tuple[Any, ...]:
    """A cheap value that changes whenever a trial is added or changes state (for caches)."""
    storage = _storage(storage_url)
    found = _fast(storage, compat.trial_fingerprint, storage, _study_id(storage, name))
    if found is not None:
        return found
    trials = _study(storage_url, name).get_trials(deepcopy=False)
    done = [t.datetime_complete for t in trials if t.datetime_complete is not None]
    return (len(trials), tuple(sorted(Counter(t.state.name for t in trials).items())), str(max(done, default=None)))


def load_trials(storage_url: str, study_name: str, *, with_arch: bool = True) -> list[TrialRecord]:
    """One TrialRecord per trial of ``study_name``, ordered by trial number.

    ``with_arch=False`` leaves ``arch`` None; fetch one trial's full record with ``load_trial``.
    Read with a few SELECTs where Optuna's schema is one dse knows (``_optuna_compat``), else
    through Optuna's cached storage."""
    return _load(storage_url, study_name, with_arch, None)


def _load(storage_url: str, study_name: str, with_arch: bool, numbers: tuple[int, ...] | None) -> list[TrialRecord]:
    storage = _storage(storage_url)
    study_id = _study_id(storage, study_name)
    names = load_study_info(storage_url, study_name).objective_names
    keys = _USER_KEYS + ((attrs.ARCH_SPEC,) if with_arch else ())
    got = _fast(storage, compat.read_trial_rows, storage, study_id, keys, _CONSTRAINT_PREFIX, numbers)
    if got is not None:
        return _from_rows(got, names)
    trials = _study(storage_url, study_name).get_trials(deepcopy=False)
    return [_from_frozen(t, names, with_arch) for t in trials if numbers is None or t.number in numbers]


def load_trial(storage_url: str, study_name: str, number: int) -> TrialRecord:
    """The full record (with ``arch``) of trial ``number``."""
    found = _load(storage_url, study_name, True, (int(number),))
    if not found:
        raise StorageReadError(f"study {study_name!r} has no trial number {number}")
    return found[0]


def records_of(study: optuna.Study) -> list[TrialRecord]:
    """The records of an open study (e.g. the one a run just wrote to)."""
    names = _info(study.study_name, study.user_attrs, study.directions).objective_names
    return [_from_frozen(t, names) for t in study.get_trials(deepcopy=False)]

"""dse's record of one trial: ``TrialRecord``, built from an Optuna ``FrozenTrial`` or from the
rows ``_optuna_compat.read_trial_rows`` reads, and ``trial_status``, dse's one mapping from a trial
to its status. The readers that fetch trials are in ``dse.study._records``."""

from __future__ import annotations

import datetime as _dt
import gc
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from optuna.trial import FrozenTrial

from dse.study import _optuna_compat as compat
from dse.study import attrs

COUNTED = ("completed", "duplicate")  # trial statuses that count toward a study's target
FAILED = ("failed", "diverged", "oom", "invalid")  # statuses of a FAIL trial
_CONSTRAINT_PREFIX = attrs.CONSTRAINTS_KEY


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
    latency_ms: float | None = None  # measured before training, where the study measures latency

    def metric(self, name: str) -> float | None:
        """``val_acc``, ``params``, ``macs``, ``size_bytes`` or an objective's value by name."""
        field_name = _METRIC_FIELDS.get(name)
        value = getattr(self, field_name) if field_name else None
        value = self.objective_values.get(name) if value is None else value
        return None if value is None else float(value)


_METRIC_FIELDS = {"val_acc": "val_acc", "params": "params_count", "size_bytes": "size_bytes", "macs": "macs",
                  "latency_ms": "latency_ms"}


def _aware(when: _dt.datetime | None) -> _dt.datetime | None:
    """Optuna stores naive local time: as timezone-aware UTC."""
    return None if when is None else when.astimezone(_dt.timezone.utc)


def trial_status(trial: FrozenTrial) -> str:
    """dse's status of a trial: running, waiting, completed, duplicate, infeasible, pruned, failed,
    diverged, oom or invalid."""
    return _status(trial.state.name, trial.user_attrs.get(attrs.STATUS), any(c > 0 for c in _constraints(trial.system_attrs)))


def _status(state: str, stored: Any, violated: bool) -> str:
    if state in ("RUNNING", "WAITING"):
        return state.lower()
    if state == "FAIL":
        return stored if stored in FAILED else "failed"
    if state == "PRUNED":
        return "pruned"
    if stored in (*COUNTED, "infeasible"):
        return str(stored)
    return "infeasible" if violated else "completed"


# ------------------------------------------------------------------------------ building records
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
    violated = any(c > 0 for c in constraints)
    status = _status(state, user.get(attrs.STATUS), violated)
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
        latency_ms=_num(user.get(attrs.LATENCY_MS)) or _num(by_name.get("latency_ms")),
    )


def _constraints(system: Mapping[str, Any]) -> tuple[float, ...]:
    out: list[float] = []
    listed = system.get(_CONSTRAINT_PREFIX)
    if isinstance(listed, list):
        out.extend(float(c) for c in listed if _num(c) is not None)
    out.extend(float(v) for k, v in system.items() if k.startswith(_CONSTRAINT_PREFIX + ":") and _num(v) is not None)
    return tuple(out)


def _from_frozen(t: FrozenTrial, objectives: tuple[str, ...], with_arch: bool = True) -> TrialRecord:
    """The record of one FrozenTrial (its datetimes are naive local time)."""
    user = t.user_attrs if with_arch else {k: v for k, v in t.user_attrs.items() if k != attrs.ARCH_SPEC}
    start, done = (None if w is None else w.astimezone(_dt.timezone.utc) for w in (t.datetime_start, t.datetime_complete))
    return _make_record(t.number, t.state.name, tuple(t.values) if t.values is not None else None, t.params,
                        user, _constraints(t.system_attrs), start, done, objectives)


_USER_KEYS = (attrs.ARCH_HASH, attrs.ARCH_LABEL, attrs.PARAMS, attrs.MACS, attrs.SIZE_BYTES, attrs.VAL_CURVE,
              attrs.VAL_ACC, attrs.TRAIN_SECONDS, attrs.STATUS, attrs.FAIL_REASON, attrs.PRUNE_REASON,
              attrs.INFEASIBLE_REASON, attrs.DUPLICATE_OF, attrs.LATENCY_MS)


def _from_rows(got: compat.TrialRows, objectives: tuple[str, ...]) -> list[TrialRecord]:
    """Records from the fast path's rows (the same records as ``_from_frozen``)."""
    enabled = gc.isenabled()
    gc.disable()  # many small acyclic objects: the cyclic GC would cost a quarter of the time
    try:
        out = []
        for tid, number, state, start, done in got.rows:
            v = got.values.get(tid)
            values = tuple(v[i] for i in sorted(v)) if v else None
            out.append(_make_record(number, state, values, got.params.get(tid, {}), got.user.get(tid, {}),
                                    _constraints(got.system.get(tid, {})), _aware(start), _aware(done), objectives))
    finally:
        if enabled:
            gc.enable()
    out.sort(key=lambda r: r.number)
    return out

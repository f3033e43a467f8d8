"""Plain data behind every dashboard figure, computed from ``dse.study._records`` (no plotting).

The figure builders in ``dse.dashboard.figures`` draw what these functions return, so tests check
this data rather than pixels. Trial kinds on a Pareto plot:

- ``front``: complete, feasible, not dominated on the plotted (accuracy, cost) pair;
- ``dominated``: complete and feasible, but dominated;
- ``infeasible``: complete but violating a cost constraint (never trained; never on a front);
- ``pruned``: stopped early, shown at its last reported accuracy (never on a front).

Failed and running trials have no accuracy and are only counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from dse.study import _pareto as pareto
from dse.study import attrs
from dse.study._records import StudyInfo, TrialRecord

ACCURACY = "val_acc"
# Cost axes known to dse (attrs.METRICS, minimised: params, macs, size_bytes, latency_ms, ...): offered
# wherever a study's trials carry them; any other objective of the study is offered too.
COST_METRICS: tuple[str, ...] = tuple(m for m, (_, d, _t) in attrs.METRICS.items() if d == "minimize")
KINDS: tuple[str, ...] = ("front", "dominated", "infeasible", "pruned")
MAX_DOMINATED = 3000  # above this many dominated trials, a Pareto plot draws an even sample of them
STATUS_COLUMNS: tuple[str, ...] = ("completed", "infeasible", "pruned", "failed", "running")


# ------------------------------------------------------------------------------ metric helpers
def title(metric: str) -> str:
    return attrs.METRICS[metric][2] if metric in attrs.METRICS else metric


def direction(info: StudyInfo, metric: str) -> str:
    for objective in info.objectives:
        if objective.name == metric:
            return objective.direction
    return attrs.METRICS[metric][1] if metric in attrs.METRICS else "minimize"


def accuracy_metric(info: StudyInfo, records: Sequence[TrialRecord]) -> str:
    """``val_acc`` for dse studies; otherwise the study's first objective."""
    if ACCURACY in info.objective_names or any(r.val_acc is not None for r in records):
        return ACCURACY
    return info.objective_names[0] if info.objectives else ACCURACY


def cost_metrics(info: StudyInfo, records: Sequence[TrialRecord]) -> list[str]:
    """Cost axes with data: the study's cost objectives first, then every other known cost metric
    (``attrs.METRICS``) that some trial measured (``latency_ms`` only where measured)."""
    acc = accuracy_metric(info, records)
    names = [n for n in info.objective_names if n != acc]
    known = [m for m in COST_METRICS if m not in names and any(r.metric(m) is not None for r in records)]
    if not names:
        return known
    return names + known


def status_counts(records: Sequence[TrialRecord]) -> dict[str, int]:
    """Trials by dse outcome: completed (trained, feasible), infeasible (violated a constraint, never
    trained; Optuna calls them COMPLETE), pruned, failed, running (waiting included)."""
    out = dict.fromkeys(STATUS_COLUMNS, 0)
    for r in records:
        if r.state == "COMPLETE":
            out["completed" if r.feasible else "infeasible"] += 1
        elif r.state == "PRUNED":
            out["pruned"] += 1
        elif r.state == "FAIL":
            out["failed"] += 1
        elif r.state in ("RUNNING", "WAITING"):
            out["running"] += 1
    return out


_FIELDS = {"val_acc": "val_acc", "params": "params_count", "size_bytes": "size_bytes", "macs": "macs"}


def column(records: Sequence[TrialRecord], metric: str) -> np.ndarray:
    """``record.metric(metric)`` of every record as a float array (missing values are NaN)."""
    name = _FIELDS.get(metric)
    if name is None:
        return np.array([r.objective_values.get(metric) for r in records], dtype=float)
    out = np.array([getattr(r, name) for r in records], dtype=float)
    for i in np.flatnonzero(np.isnan(out)).tolist():  # rare: fall back to the objective value of that name
        value = records[i].metric(metric)
        out[i] = np.nan if value is None else value
    return out


def eligible(records: Sequence[TrialRecord]) -> np.ndarray:
    """Mask of the trials that may be on a front: complete and feasible."""
    return np.array([r.state == "COMPLETE" and r.feasible for r in records], dtype=bool)


def candidate_values(records: Sequence[TrialRecord], metrics: Sequence[str]) -> tuple[list[TrialRecord], np.ndarray]:
    """Complete, feasible trials with finite values of all ``metrics``, and those values (n, k)."""
    values = np.column_stack([column(records, m) for m in metrics]) if records else np.zeros((0, len(metrics)))
    keep = np.flatnonzero(eligible(records) & np.all(np.isfinite(values), axis=1)) if records else np.zeros(0, int)
    return [records[i] for i in keep.tolist()], values[keep].reshape(-1, len(metrics))


def candidates(records: Sequence[TrialRecord], metrics: Sequence[str]) -> list[TrialRecord]:
    """Trials eligible for a front: complete, feasible, with finite values of ``metrics``."""
    return candidate_values(records, metrics)[0]


# ------------------------------------------------------------------------------ Pareto scatter
@dataclass(frozen=True)
class PointSet:
    kind: str
    numbers: list[int]
    x: list[float]
    y: list[float]
    labels: list[str]
    statuses: list[str]
    extra: dict[str, list[float | None]] = field(default_factory=dict)  # other cost metrics, for hover


@dataclass(frozen=True)
class ParetoData:
    x_metric: str
    y_metric: str
    x_title: str
    y_title: str
    sets: dict[str, PointSet]  # by kind, in KINDS order
    step_x: list[float]  # the front as a staircase (sorted by cost)
    step_y: list[float]
    hypervolume: float
    reference: tuple[float, float]  # (accuracy, cost) in objective units
    n_failed: int
    n_running: int
    normalized_hypervolume: float = 0.0  # hypervolume / the box from the reference to the ideal point, in [0, 1]
    n_hidden: int = 0  # dominated points thinned out of ``sets["dominated"]`` (very big studies)

    def front_numbers(self) -> list[int]:
        return list(self.sets["front"].numbers)


def _point_set(kind: str, records: Sequence[TrialRecord], idx: np.ndarray, x: np.ndarray, y: np.ndarray,
               extra: dict[str, np.ndarray]) -> PointSet:
    rows = [records[i] for i in idx.tolist()]
    others = {m: [None if np.isnan(v) else float(v) for v in col[idx]] for m, col in extra.items()}
    return PointSet(kind, [r.number for r in rows], x[idx].tolist(), np.nan_to_num(y[idx]).tolist(),
                    [r.label for r in rows], [r.status for r in rows], others)


def pareto_data(records: Sequence[TrialRecord], info: StudyInfo, cost: str) -> ParetoData:
    """Accuracy versus ``cost``: front, dominated, infeasible and pruned trials, hypervolume."""
    acc = accuracy_metric(info, records)
    dirs = (direction(info, cost), direction(info, acc))
    x, y = column(records, cost), column(records, acc)
    states = np.array([r.state for r in records], dtype=object)
    ok = eligible(records)
    has_x = np.isfinite(x)
    pool = np.flatnonzero(ok & has_x & np.isfinite(y))
    values = np.column_stack([x[pool], y[pool]])
    loss = pareto.to_loss(values, dirs)
    mask = pareto.pareto_mask(loss)
    ref = pareto.reference_point(values, dirs)
    volume, ideal = pareto.hypervolume(loss, ref), pareto.ideal_volume(loss, ref)
    front = pool[mask][np.argsort(x[pool[mask]], kind="stable")]
    extra = {m: column(records, m) for m in cost_metrics(info, records) if m != cost}
    extra = {m: col for m, col in extra.items() if not np.all(np.isnan(col))}
    dominated = pool[~mask]
    hidden = 0
    if len(dominated) > MAX_DOMINATED:  # thin: every k-th by cost keeps the cloud's shape, 1/k of the bytes
        keep = dominated[np.argsort(x[dominated], kind="stable")][:: int(np.ceil(len(dominated) / MAX_DOMINATED))]
        hidden, dominated = len(dominated) - len(keep), np.sort(keep)
    chosen = {"front": front, "dominated": dominated,
              "infeasible": np.flatnonzero((states == "COMPLETE") & ~ok & has_x),
              "pruned": np.flatnonzero((states == "PRUNED") & has_x & np.isfinite(y))}
    sets = {kind: _point_set(kind, records, idx, x, y, extra) for kind, idx in chosen.items()}
    return ParetoData(
        x_metric=cost, y_metric=acc, x_title=title(cost), y_title=title(acc), sets=sets,
        step_x=list(sets["front"].x), step_y=list(sets["front"].y),
        hypervolume=volume,
        reference=(float(ref[1] * (-1 if dirs[1] == "maximize" else 1)), float(ref[0] * (-1 if dirs[0] == "maximize" else 1))),
        n_failed=int(np.sum(states == "FAIL")), n_running=int(np.sum(states == "RUNNING")),
        normalized_hypervolume=volume / ideal if ideal > 0 else 0.0, n_hidden=hidden,
    )


# ------------------------------------------------------------------------------ hypervolume history
@dataclass(frozen=True)
class HypervolumeHistory:
    objectives: tuple[str, ...]
    reference: tuple[float, ...]  # in objective units
    numbers: list[int]  # trial numbers, ascending
    by_number: list[float]  # hypervolume after each of those trials
    times: list[datetime]  # completion times, ascending
    by_time: list[float]
    ideal_volume: float  # divide by it for a [0, 1] scale

    def normalized(self, volumes: Sequence[float]) -> list[float]:
        return [v / self.ideal_volume if self.ideal_volume > 0 else 0.0 for v in volumes]


def hypervolume_history(records: Sequence[TrialRecord], info: StudyInfo,
                        objectives: Sequence[str] | None = None) -> HypervolumeHistory:
    """Hypervolume of the study's objectives after each feasible complete trial, by number and time."""
    names = tuple(objectives or info.objective_names or (ACCURACY, COST_METRICS[0]))
    dirs = [direction(info, n) for n in names]
    pool, values = candidate_values(records, names)
    ref = pareto.reference_point(values, dirs)
    loss = pareto.to_loss(values, dirs)
    by_number = pareto.hypervolume_history(loss, ref)  # pool is in trial-number order
    timed = [i for i, r in enumerate(pool) if r.datetime_complete is not None]
    timed.sort(key=lambda i: pool[i].datetime_complete)  # type: ignore[arg-type, return-value]
    by_time = pareto.hypervolume_history(loss[timed], ref)
    signs = np.array([-1.0 if d == "maximize" else 1.0 for d in dirs])
    return HypervolumeHistory(
        objectives=names, reference=tuple(float(v) for v in ref * signs),
        numbers=[r.number for r in pool], by_number=by_number.tolist(),
        times=[pool[i].datetime_complete for i in timed], by_time=by_time.tolist(),  # type: ignore[misc]
        ideal_volume=pareto.ideal_volume(loss, ref),
    )


# ------------------------------------------------------------------------------ 3 objectives
@dataclass(frozen=True)
class ThreeObjectiveData:
    metrics: tuple[str, str, str]
    titles: tuple[str, str, str]
    numbers: list[int]
    points: list[tuple[float, float, float]]
    on_front: list[bool]
    labels: list[str]


def three_objective_data(records: Sequence[TrialRecord], info: StudyInfo) -> ThreeObjectiveData | None:
    """The first three objectives with their k-objective front, or None for fewer objectives."""
    if len(info.objectives) < 3:
        return None
    names = tuple(info.objective_names[:3])
    pool, values = candidate_values(records, names)
    mask = pareto.pareto_mask(pareto.to_loss(values, [direction(info, n) for n in names]))
    return ThreeObjectiveData(
        metrics=names, titles=tuple(title(n) for n in names),  # type: ignore[arg-type]
        numbers=[r.number for r in pool], points=[tuple(v) for v in values.tolist()],  # type: ignore[misc]
        on_front=mask.tolist(), labels=[r.label for r in pool],
    )


# ------------------------------------------------------------------------------ comparison
@dataclass(frozen=True)
class StudyFront:
    study: str
    numbers: list[int]
    x: list[float]
    y: list[float]
    labels: list[str]
    hypervolume: float
    normalized_hypervolume: float = 0.0  # against the box shared by all compared studies


@dataclass(frozen=True)
class CompareData:
    x_metric: str
    x_title: str
    y_title: str
    reference: tuple[float, float]  # (accuracy, cost), shared by all studies
    fronts: list[StudyFront] = field(default_factory=list)


def compare_data(studies: Mapping[str, tuple[StudyInfo, Sequence[TrialRecord]]], cost: str) -> CompareData:
    """Each study's accuracy-versus-``cost`` front, with hypervolumes against one shared reference."""
    rows: dict[str, tuple[list[TrialRecord], np.ndarray]] = {}
    everything = []
    for name, (info, records) in studies.items():
        acc = accuracy_metric(info, records)
        pool, values = candidate_values(records, (cost, acc))
        rows[name] = (pool, values)
        everything.append(values)
    dirs = ("minimize", "maximize")
    pooled = np.vstack(everything) if everything else np.zeros((0, 2))
    ref = pareto.reference_point(pooled, dirs)
    ideal = pareto.ideal_volume(pareto.to_loss(pooled, dirs), ref)
    fronts = []
    for name, (pool, values) in rows.items():
        loss = pareto.to_loss(values, dirs)
        mask = pareto.pareto_mask(loss)
        chosen = sorted((i for i in range(len(pool)) if mask[i]), key=lambda i: values[i, 0])
        volume = pareto.hypervolume(loss, ref)
        fronts.append(StudyFront(name, [pool[i].number for i in chosen], [float(values[i, 0]) for i in chosen],
                                 [float(values[i, 1]) for i in chosen], [pool[i].label for i in chosen],
                                 volume, volume / ideal if ideal > 0 else 0.0))
    return CompareData(cost, title(cost), title(ACCURACY), (float(-ref[1]), float(ref[0])), fronts)


def pareto_set(records: Sequence[TrialRecord], info: StudyInfo) -> list[TrialRecord]:
    """Trials on the front of all the study's objectives, by ascending value of the last objective."""
    names = info.objective_names or (ACCURACY, COST_METRICS[0])
    pool, values = candidate_values(records, names)
    mask = pareto.pareto_mask(pareto.to_loss(values, [direction(info, n) for n in names]))
    return sorted((r for r, m in zip(pool, mask) if m), key=lambda r: (r.metric(names[-1]) or 0.0, r.number))

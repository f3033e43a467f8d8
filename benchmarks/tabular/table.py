"""The tabular benchmark's table: every grid point with its cost, curve and training time.

On disk (benchmarks/data/): ``NAME.csv``, one row per measurement (parameter columns as Optuna
encodes them, ``repeat``, ``status``, ``params``, ``macs``, ``size_bytes``, ``val_acc``,
``val_curve`` as ``;``-joined per-epoch accuracies, ``train_seconds``, ``wall_seconds``, ``seed``,
``study``, ``trial``), and ``NAME.json``: the grid, its named sub-grids, the budget, the limit the
table was filled under, and per grid the exact Pareto front and its hypervolume.

``status`` is ``completed`` (trained to the end), ``infeasible`` (above the fill limit: costed,
never trained), ``failed`` (diverged or crashed; it counts as a failed trial when replayed) or
``unmeasured`` (the fill has not reached it yet). A point measured more than once (several
training seeds) is replayed at the mean of its completed measurements (``repeats="mean"``) or at
its first one (``repeats="first"``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dse.errors import DseError
from dse.study._pareto import hypervolume, pareto_mask, to_loss

DATA = Path(__file__).resolve().parent.parent / "data"
NAME = "tabular_fmnist"
DIRECTIONS = ("maximize", "minimize")
FIELDS = ("repeat", "status", "params", "macs", "size_bytes", "val_acc", "val_curve", "train_seconds",
          "wall_seconds", "seed", "study", "trial")
STATUSES = ("completed", "infeasible", "failed", "unmeasured")


class TableError(DseError):
    """A table that cannot be used, or a proposal the table does not hold."""


def canon(value: Any) -> Any:
    """A grid value as a dictionary key (floats rounded like dse.study._sweep does)."""
    return round(float(value), 12) if isinstance(value, float) else value


@dataclass(frozen=True)
class Point:
    """One measured (or costed) grid point."""

    values: dict[str, Any]
    status: str
    params: int
    macs: int
    curve: tuple[float, ...] = ()
    train_seconds: float = 0.0
    wall_seconds: float = 0.0
    repeat: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def val_acc(self) -> float:
        return self.curve[-1] if self.curve else float("nan")


REPEATS = ("mean", "first")  # how a table combines the measurements of one point


def combine(measurements: list[Point], repeats: str = "mean") -> Point:
    """One point from its measurements: the first (lowest ``repeat``) one, or (``mean``) the mean
    per epoch of the completed ones' curves and the mean of their seconds. A point whose every
    measurement diverged stays failed."""
    measured = sorted((p for p in measurements if p.status != "unmeasured"), key=lambda p: p.repeat)
    if not measured:
        return measurements[0]
    completed = [p for p in measured if p.status == "completed"]
    if repeats == "first" or not completed:
        return measured[0]
    if len(completed) == 1:
        return completed[0]
    epochs = min(len(p.curve) for p in completed)
    curve = tuple(float(np.mean([p.curve[e] for p in completed])) for e in range(epochs))
    first = completed[0]
    return Point(first.values, "completed", first.params, first.macs, curve,
                 float(np.mean([p.train_seconds for p in completed])), float(np.mean([p.wall_seconds for p in completed])),
                 first.repeat, {**first.extra, "measurements": len(completed)})


class Table:
    """A grid (parameter -> values, Optuna-encoded), its points, the epochs of the budget and the
    parameter limit; replay asks it for the point of a proposal and for the true front. A point
    measured more than once (several seeds) is replayed as ``combine`` makes it (``repeats``)."""

    def __init__(self, grid: Mapping[str, list[Any]], points: Iterable[Point], epochs: int, limit: float,
                 meta: Mapping[str, Any] | None = None, repeats: str = "mean") -> None:
        if repeats not in REPEATS:
            raise TableError(f"repeats must be one of {', '.join(REPEATS)}, got {repeats!r}")
        self.grid = {k: list(v) for k, v in grid.items()}
        self.names = list(self.grid)
        self.epochs, self.limit = int(epochs), float(limit)
        self.meta = dict(meta or {})
        self.repeats = repeats
        self._allowed = {n: {canon(v) for v in vals} for n, vals in self.grid.items()}
        self.measurements: dict[tuple, list[Point]] = {}
        for p in points:
            if self.in_grid(p.values):
                self.measurements.setdefault(self.key(p.values), []).append(p)
        self.points: dict[tuple, Point] = {k: combine(ms, repeats) for k, ms in self.measurements.items()}

    # ------------------------------------------------------------------ lookup
    def in_grid(self, values: Mapping[str, Any]) -> bool:
        return all(n in values and canon(values[n]) in self._allowed[n] for n in self.names)

    def key(self, values: Mapping[str, Any]) -> tuple:
        return tuple(canon(values[n]) for n in self.names)

    def lookup(self, values: Mapping[str, Any]) -> Point:
        """The point of a proposal; a proposal outside the grid, or one not measured, is an error."""
        if not self.in_grid(values):
            bad = {n: values.get(n, "<missing>") for n in self.names if n not in values or canon(values[n]) not in self._allowed[n]}
            raise TableError(f"proposal outside the table: {bad}; the sampler must draw from the table's grid "
                             f"({', '.join(f'{n}: {v}' for n, v in self.grid.items())})")
        point = self.points.get(self.key(values))
        if point is None or point.status == "unmeasured":
            raise TableError(f"grid point {dict(values)} is not measured yet; fill the table (docs/tabular-benchmark.md) "
                             "or replay a complete sub-grid (--grid core)")
        return point

    def feasible(self, point: Point) -> bool:
        return point.params <= self.limit

    def size(self) -> int:
        return int(np.prod([len(v) for v in self.grid.values()]))

    def unmeasured(self) -> int:
        """Grid points a replay could need but the table lacks (within the limit, not yet trained)."""
        return self.size() - sum(1 for p in self.points.values() if p.status != "unmeasured")

    def check_complete(self) -> None:
        missing = self.unmeasured()
        if missing:
            raise TableError(f"the table misses {missing} of {self.size()} grid points within the limit {self.limit:,.0f}; "
                             "resume the fill (docs/tabular-benchmark.md) or replay a complete sub-grid (--grid core)")

    # ------------------------------------------------------------------ the truth
    def reference(self) -> np.ndarray:
        """Hypervolume reference point, as losses: accuracy 0 and the parameter limit."""
        return np.array([0.0, self.limit])

    def front(self) -> list[Point]:
        """The exact Pareto front of accuracy vs parameters over completed points within the limit."""
        pts = [p for p in self.points.values() if p.status == "completed" and self.feasible(p)]
        if not pts:
            return []
        mask = pareto_mask(to_loss(np.array([(p.val_acc, p.params) for p in pts], dtype=float), DIRECTIONS))
        return sorted((p for p, m in zip(pts, mask) if m), key=lambda p: p.params)

    def true_hypervolume(self) -> float:
        return front_hypervolume([(p.val_acc, p.params) for p in self.front()], self.limit)

    def enumeration_seconds(self) -> float:
        """Recorded training seconds of every trained point within the limit: the time an
        exhaustive enumeration takes, and the replays' default budget."""
        return sum(p.train_seconds for p in self.points.values() if p.status == "completed" and self.feasible(p))

    def restrict(self, grid: Mapping[str, list[Any]], limit: float | None = None) -> Table:
        """The table of a sub-grid (each parameter's values a subset of this grid's), or a lower limit."""
        for n, vals in grid.items():
            if n not in self._allowed or any(canon(v) not in self._allowed[n] for v in vals):
                raise TableError(f"sub-grid {n}: {vals} is not within the table's {n}: {self.grid.get(n)}")
        if set(grid) != set(self.names):
            raise TableError(f"a sub-grid must list every parameter {self.names}; got {list(grid)}")
        if limit is not None and limit > self.limit:
            raise TableError(f"limit {limit:,.0f} is above the limit the table was filled under ({self.limit:,.0f}): "
                             "points above that were never trained")
        ordered = {n: list(grid[n]) for n in self.names}
        measurements = [p for ms in self.measurements.values() for p in ms]
        return Table(ordered, measurements, self.epochs, self.limit if limit is None else limit, self.meta, self.repeats)


def front_hypervolume(points: Iterable[tuple[float, float]], limit: float) -> float:
    """Hypervolume of (accuracy, parameters) points: reference accuracy 0 at ``limit`` parameters."""
    pts = np.array([p for p in points], dtype=float).reshape(-1, 2)
    if not len(pts):
        return 0.0
    return hypervolume(to_loss(pts, DIRECTIONS), np.array([0.0, float(limit)]))


# ---------------------------------------------------------------------- files
def write_table(points: list[Point], meta: dict[str, Any], folder: Path = DATA, name: str = NAME) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    names = list(meta["grid"])
    csv_path, json_path = folder / f"{name}.csv", folder / f"{name}.json"
    with csv_path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names + list(FIELDS))
        for p in points:
            curve = ";".join(f"{a:.4f}" for a in p.curve)
            acc = f"{p.val_acc:.4f}" if p.curve else ""
            row = {"repeat": p.repeat, "status": p.status, "params": p.params, "macs": p.macs, "val_acc": acc,
                   "val_curve": curve, "train_seconds": f"{p.train_seconds:.3f}" if p.curve else "",
                   "wall_seconds": f"{p.wall_seconds:.3f}" if p.curve else "", **p.extra}
            w.writerow([p.values[n] for n in names] + [row.get(k, "") for k in FIELDS])
    json_path.write_text(json.dumps(meta, indent=1) + "\n")
    return csv_path, json_path


def read_points(csv_path: Path, grid: Mapping[str, list[Any]]) -> list[Point]:
    decode = {n: {str(v): v for v in vals} for n, vals in grid.items()}
    points = []
    with csv_path.open(newline="") as f:
        for row in csv.DictReader(f):
            try:
                values = {n: decode[n][row[n]] for n in grid}
            except KeyError as exc:
                raise TableError(f"{csv_path}: a row's {exc.args[0]} value is not in the grid of its JSON file") from None
            if row["status"] not in STATUSES:
                raise TableError(f"{csv_path}: status {row['status']!r}; expected one of {', '.join(STATUSES)}")
            curve = tuple(float(a) for a in row["val_curve"].split(";")) if row["val_curve"] else ()
            points.append(Point(values, row["status"], int(row["params"]), int(row["macs"]), curve,
                                float(row["train_seconds"] or 0.0), float(row["wall_seconds"] or 0.0), int(row["repeat"] or 0),
                                {k: row[k] for k in ("size_bytes", "seed", "study", "trial")}))
    return points


def load_table(grid: str | None = None, folder: Path = DATA, name: str = NAME, limit: float | None = None,
               repeats: str = "mean") -> Table:
    """The shipped table; ``grid`` picks a named sub-grid (``core``) or ``full``; ``None`` picks the
    full grid when it is complete, else the largest complete sub-grid. ``repeats``: a point measured
    with several seeds is replayed at their mean, or (``first``) at its first measurement."""
    json_path, csv_path = folder / f"{name}.json", folder / f"{name}.csv"
    if not json_path.is_file() or not csv_path.is_file():
        raise TableError(f"{json_path} or {csv_path} is missing; export the table with python benchmarks/tabular/export.py")
    meta = json.loads(json_path.read_text())
    full = Table(meta["grid"], read_points(csv_path, meta["grid"]), meta["budget"]["epochs"], meta["limit"], meta, repeats)
    grids = {"full": meta["grid"], **meta.get("subgrids", {})}
    if grid is None:
        for candidate in sorted(grids, key=lambda g: -int(np.prod([len(v) for v in grids[g].values()]))):
            if full.restrict(grids[candidate]).unmeasured() == 0:
                grid = candidate
                break
        else:
            raise TableError(f"no grid of {json_path} is completely measured yet; resume the fill (docs/tabular-benchmark.md)")
    if grid not in grids:
        raise TableError(f"grid {grid!r}: choose one of {', '.join(grids)}")
    table = full.restrict(grids[grid], limit)
    table.meta = {**meta, "grid_name": grid}
    return table

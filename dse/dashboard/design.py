"""Design-space data: how each searched parameter shapes accuracy and size, and where one
network's parameters and MACs go (plain data; ``dse.dashboard.figures`` draws it).

Shape data follows SqueezeNet's Figure 3 (squeeze ratio and 3x3 share versus model size and
accuracy): for every searched parameter, each complete feasible trial's value against its
accuracy and its model size, plus per-value groups (categorical values, or numeric values with
at most ``MAX_GROUPS`` distinct values; otherwise ``MAX_GROUPS`` equal-width bins).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any

import numpy as np

from dse.dashboard.data import accuracy_metric, candidate_values, cost_metrics
from dse.arch import ArchSpec, cost
from dse.study._records import StudyInfo, TrialRecord

MAX_GROUPS = 12
PARTS: tuple[str, ...] = ("conv", "squeeze", "expand1x1", "expand3x3", "bypass", "pool")


@dataclass(frozen=True)
class ShapeGroup:
    value: Any  # the category, the distinct number, or the bin centre
    n: int
    best_acc: float
    median_acc: float
    median_size: float
    q1_acc: float = 0.0  # accuracy quartiles and whiskers (Tukey: furthest value within 1.5 IQR), for box plots
    q3_acc: float = 0.0
    low_acc: float = 0.0
    high_acc: float = 0.0


@dataclass(frozen=True)
class ShapeSeries:
    parameter: str
    numeric: bool
    size_metric: str
    x: list[Any]  # one entry per trial (numbers, or category strings)
    acc: list[float]
    size: list[float]
    numbers: list[int]
    groups: list[ShapeGroup]  # in axis order: declared choices, else first seen (categories); ascending (numbers)
    keys: list[Any] = field(default_factory=list)  # each trial's group (its category, value or bin centre)
    integer: bool = False  # every value is a whole number (ticks only at whole numbers)
    bin_width: float | None = None  # set when numeric values were binned

    @property
    def categories(self) -> list[Any]:
        """The x-axis order of the groups (the order every line and box is drawn in)."""
        return [g.value for g in self.groups]


def searched_parameters(info: StudyInfo, records: Sequence[TrialRecord]) -> list[str]:
    """The search space's parameter names; for non-dse studies, every sampled parameter."""
    declared = info.space.get("parameters")
    if isinstance(declared, Mapping) and declared:
        return [str(name) for name in declared]
    return sorted({name for r in records for name in r.params})


def is_number(value: Any) -> bool:
    """A finite int or float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _group(keys: Sequence[Any], acc: Sequence[float], size: Sequence[float], order: Sequence[Any] | None) -> list[ShapeGroup]:
    """Per-key groups, in ``order`` (keys not in it follow in first-seen order); None: ascending keys."""
    buckets: dict[Any, list[int]] = {}
    for i, key in enumerate(keys):
        buckets.setdefault(key, []).append(i)
    if order is None:
        ordered = sorted(buckets)
    else:
        ordered = [k for k in order if k in buckets] + [k for k in buckets if k not in set(order)]
    out = []
    for key in ordered:
        idx = buckets[key]
        a = np.asarray([acc[i] for i in idx], dtype=float)
        q1, q3 = (float(q) for q in np.percentile(a, [25, 75]))
        inside = a[(a >= q1 - 1.5 * (q3 - q1)) & (a <= q3 + 1.5 * (q3 - q1))]
        out.append(ShapeGroup(key, len(idx), float(a.max()), float(np.median(a)), float(median(size[i] for i in idx)),
                              q1, q3, float(inside.min()), float(inside.max())))
    return out


def declared_choices(info: StudyInfo, parameter: str) -> list[str] | None:
    """The search space's ``choices`` of ``parameter`` as category strings, in declared order."""
    spec = (info.space.get("parameters") or {}).get(parameter) if isinstance(info.space.get("parameters"), Mapping) else None
    choices = spec.get("choices") if isinstance(spec, Mapping) else None
    return [category_text(c) for c in choices] if isinstance(choices, list) else None


def category_text(value: Any) -> str:
    """A parameter value as a category: lists (subset parameters) joined with commas."""
    return ",".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)


def shape_series(parameter: str, rows: Sequence[TrialRecord], acc_values: Sequence[float],
                 size_values: Sequence[float], size_metric: str, choices: Sequence[str] | None = None) -> ShapeSeries:
    """``parameter`` of each of ``rows`` against its accuracy and size (given in the same order).

    Categories keep one order everywhere: ``choices`` (the declared order) when given, otherwise the
    order first seen; the figure's category axis uses the same list."""
    keep = [i for i, r in enumerate(rows) if parameter in r.params]
    rows = [rows[i] for i in keep]
    raw = [r.params[parameter] for r in rows]
    numeric = bool(raw) and all(is_number(v) for v in raw)
    x: list[Any] = [float(v) for v in raw] if numeric else [category_text(v) for v in raw]
    acc = [float(acc_values[i]) for i in keep]
    size = [float(size_values[i]) for i in keep]
    keys: list[Any] = x
    width = None
    if numeric and len(set(x)) > MAX_GROUPS:
        lo, hi = min(x), max(x)
        width = (hi - lo) / MAX_GROUPS
        keys = [lo + width * (min(int((v - lo) / width), MAX_GROUPS - 1) + 0.5) for v in x]
    order = None if numeric else list(dict.fromkeys([*(choices or []), *x]))
    integer = numeric and all(float(v).is_integer() for v in x)
    return ShapeSeries(parameter, numeric, size_metric, x, acc, size, [r.number for r in rows],
                       _group(keys, acc, size, order), keys, integer, width)


def shape_data(records: Sequence[TrialRecord], info: StudyInfo) -> list[ShapeSeries]:
    """One ShapeSeries per searched parameter, over complete feasible trials."""
    acc = accuracy_metric(info, records)
    costs = cost_metrics(info, records)
    size = "size_bytes" if "size_bytes" in costs else (costs[0] if costs else acc)
    rows, values = candidate_values(records, (acc, size))
    acc_values, size_values = values[:, 0].tolist(), values[:, 1].tolist()
    return [shape_series(p, rows, acc_values, size_values, size, declared_choices(info, p))
            for p in searched_parameters(info, records)]


# ------------------------------------------------------------------------------ per-trial breakdown
@dataclass(frozen=True)
class Breakdown:
    groups: list[str]  # stem, fire2..fire9, classifier (network order)
    parts: list[str]  # the parts with any parameters or MACs, in PARTS order
    params: dict[str, list[int]]  # part -> per-group values
    macs: dict[str, list[int]]
    total_params: int
    total_macs: int


def _part(name: str) -> str:
    if "." not in name:
        return "conv"  # stem, classifier
    part = name.split(".", 1)[1]
    return part if part in PARTS else "conv"


def breakdown_data(arch: Mapping[str, Any]) -> Breakdown:
    """Parameters and MACs of each module part of the network ``arch`` (an ArchSpec dict)."""
    result = cost(ArchSpec.from_dict(dict(arch)))
    groups: list[str] = []
    for layer in result.layers:
        if layer.group not in groups:
            groups.append(layer.group)
    params = {p: [0] * len(groups) for p in PARTS}
    macs = {p: [0] * len(groups) for p in PARTS}
    for layer in result.layers:
        g, p = groups.index(layer.group), _part(layer.name)
        params[p][g] += layer.params
        macs[p][g] += layer.macs
    used = [p for p in PARTS if any(params[p]) or any(macs[p])]
    return Breakdown(groups, used, {p: params[p] for p in used}, {p: macs[p] for p in used},
                     result.params, result.macs)

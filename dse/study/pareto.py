"""Pareto fronts and hypervolumes on plain arrays (no plotting, no storage).

Conventions: every function here works on *losses*, an ``(n, k)`` array where each column is
minimised; ``to_loss`` turns objective values with directions into losses (a maximised value
``v`` becomes ``-v``). A point dominates another when it is no worse in every objective and
better in at least one; equal points do not dominate each other, so ties are all on the front.

Reference point (``reference_point``): for a maximised objective (accuracy) the worse of 0 and
the lowest observed value; for a minimised objective (a cost) the highest observed value x 1.1
(plus 0.1 when that is not positive). So with accuracy and a cost, the reference is
(accuracy 0, 1.1 x the largest cost seen), and every observed point counts.

Complexities: 2-objective front O(n log n) (sort, then sweep); k-objective front O(n f) for
f front points; 2-objective hypervolume O(n log n); k >= 3 uses Optuna's exact WFG
implementation (``optuna._hypervolume.compute_hypervolume``, the function Optuna's own
hypervolume history plot uses). Hypervolume histories are incremental: a dominated newcomer
costs one binary search (2 objectives) or one vectorised dominance check (k objectives).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np
from optuna._hypervolume import compute_hypervolume as _optuna_hypervolume


def to_loss(values: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """``values`` (n, k) with "maximize"/"minimize" per column, as losses to minimise."""
    values = np.asarray(values, dtype=float).reshape(-1, len(directions))
    signs = np.array([-1.0 if d == "maximize" else 1.0 for d in directions])
    return values * signs


def reference_point(values: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """The reference point as a *loss* vector (see the module docstring)."""
    values = np.asarray(values, dtype=float).reshape(-1, len(directions))
    ref = []
    for j, d in enumerate(directions):
        col = values[:, j] if len(values) else np.zeros(1)
        if d == "maximize":
            ref.append(-min(0.0, float(col.min())))
        else:
            top = float(col.max())
            ref.append(top * 1.1 if top > 0 else top + 0.1)
    return np.array(ref, dtype=float)


def pareto_mask(loss: np.ndarray) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``loss`` (n, k); equal rows share their fate."""
    loss = np.asarray(loss, dtype=float)
    if loss.ndim != 2:
        raise ValueError(f"loss must be a 2-D array (n, k), got shape {loss.shape}")
    n, k = loss.shape
    if n == 0:
        return np.zeros(0, dtype=bool)
    unique, inverse = np.unique(loss, axis=0, return_inverse=True)  # lexsorted, distinct rows
    if k == 1:
        on = unique[:, 0] == unique[0, 0]
    elif k == 2:
        # Distinct rows sorted by (x, y): a row is on the front iff its y beats every earlier y.
        best_before = np.minimum.accumulate(np.concatenate(([np.inf], unique[:-1, 1])))
        on = unique[:, 1] < best_before
    else:
        on = _mask_sorted_nd(unique)
    return on[inverse.reshape(-1)]


_CHUNK = 256


def _dominated_by(front: np.ndarray, points: np.ndarray) -> np.ndarray:
    """For each of ``points`` (m, k): is some row of ``front`` (f, k) <= it everywhere?"""
    if len(front) == 0 or len(points) == 0:
        return np.zeros(len(points), dtype=bool)
    return np.any(np.all(front[None, :, :] <= points[:, None, :], axis=2), axis=1)


def _mask_sorted_nd(unique: np.ndarray) -> np.ndarray:
    """Front of distinct lexsorted rows: a row can only be dominated by an earlier front row.

    Rows are taken in chunks: one vectorised check against the front so far discards most of a
    chunk, and only the survivors are checked one by one."""
    on = np.zeros(len(unique), dtype=bool)
    front = np.empty((0, unique.shape[1]))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start:start + _CHUNK]
        for i in np.flatnonzero(~_dominated_by(front, chunk)):
            p = chunk[i]
            if len(front) and np.any(np.all(front <= p, axis=1)):
                continue  # distinct and <= everywhere means strictly better somewhere
            on[start + i] = True
            front = np.vstack([front, p])
    return on


def hypervolume(loss: np.ndarray, ref: np.ndarray) -> float:
    """Exact hypervolume dominated by ``loss`` (n, k) and bounded by ``ref`` (k,)."""
    loss = np.asarray(loss, dtype=float)
    ref = np.asarray(ref, dtype=float)
    if loss.size == 0:
        return 0.0
    loss = loss[np.all(loss < ref, axis=1)]
    if len(loss) == 0:
        return 0.0
    if loss.shape[1] == 1:
        return float(ref[0] - loss[:, 0].min())
    if loss.shape[1] == 2:
        return _hypervolume_2d(loss, ref)
    return float(_optuna_hypervolume(loss, ref))


def _hypervolume_2d(loss: np.ndarray, ref: np.ndarray) -> float:
    front = np.unique(loss[pareto_mask(loss)], axis=0)  # x ascending, y strictly descending
    xs = np.append(front[1:, 0], ref[0])
    return float(np.sum((xs - front[:, 0]) * (ref[1] - front[:, 1])))


class _Front2D:
    """A 2-objective front kept sorted by x (y strictly decreasing) with its hypervolume."""

    def __init__(self, ref: np.ndarray) -> None:
        self.rx, self.ry = float(ref[0]), float(ref[1])
        self.xs: list[float] = []
        self.ys: list[float] = []
        self.volume = 0.0

    def add(self, x: float, y: float) -> None:
        if not (x < self.rx and y < self.ry):
            return
        i = bisect.bisect_right(self.xs, x)
        if i > 0 and self.ys[i - 1] <= y:
            return  # dominated by (or equal to) the front point with the largest x' <= x
        lo = bisect.bisect_left(self.xs, x)
        hi = lo
        while hi < len(self.xs) and self.ys[hi] >= y:
            hi += 1  # these points are dominated by (x, y)
        end = self.xs[hi] if hi < len(self.xs) else self.rx
        level = self.ys[lo - 1] if lo > 0 else self.ry
        before, left = 0.0, x
        for j in range(lo, hi):
            before += (self.xs[j] - left) * (self.ry - level)
            left, level = self.xs[j], self.ys[j]
        before += (end - left) * (self.ry - level)
        self.volume += (end - x) * (self.ry - y) - before
        self.xs[lo:hi] = [x]
        self.ys[lo:hi] = [y]


def hypervolume_history(loss: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Hypervolume after each row of ``loss`` (in the given order) is added; non-decreasing."""
    loss = np.asarray(loss, dtype=float)
    out = np.zeros(len(loss))
    if len(loss) == 0:
        return out
    k = loss.shape[1]
    if k == 1:
        return np.maximum(ref[0] - np.minimum.accumulate(np.minimum(loss[:, 0], ref[0])), 0.0)
    if k == 2:
        front = _Front2D(ref)
        for i, (x, y) in enumerate(loss.tolist()):
            front.add(x, y)
            out[i] = front.volume
        return out
    current = np.empty((0, k))
    volume = 0.0
    inside = np.all(loss < ref, axis=1)
    for start in range(0, len(loss), _CHUNK):
        chunk = loss[start:start + _CHUNK]
        # rows dominated by the front at the chunk's start cannot change the volume: skip them
        maybe = inside[start:start + _CHUNK] & ~_dominated_by(current, chunk)
        for i in range(len(chunk)):
            p = chunk[i]
            if maybe[i] and not (len(current) and np.any(np.all(current <= p, axis=1))):
                current = np.vstack([current[~np.all(p <= current, axis=1)], p])
                volume = float(_optuna_hypervolume(current, ref, assume_pareto=True))  # distinct, inside
            out[start + i] = volume
    return out


def ideal_volume(loss: np.ndarray, ref: np.ndarray) -> float:
    """Volume of the box between the best observed value of each objective and ``ref``.

    Dividing a hypervolume by it gives a number in [0, 1] that is comparable over time."""
    loss = np.asarray(loss, dtype=float)
    if len(loss) == 0:
        return 0.0
    return float(np.prod(np.maximum(np.asarray(ref) - loss.min(axis=0), 0.0)))

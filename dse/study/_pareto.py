"""Pareto fronts and hypervolumes on plain arrays (no plotting, no storage).

Conventions: every function here works on *losses*, an ``(n, k)`` array where each column is
minimised; ``to_loss`` turns objective values with directions into losses (a maximised value
``v`` becomes ``-v``). A point dominates another when it is no worse in every objective and
better in at least one; equal points do not dominate each other, so ties are all on the front.

Reference point (``reference_point``): for a maximised objective (accuracy) the worse of 0 and
the lowest observed value; for a minimised objective (a cost) the highest observed value x 1.1
(plus 0.1 when that is not positive). So with accuracy and a cost, the reference is
(accuracy 0, 1.1 x the largest cost seen), and every observed point counts.

Masks, hypervolumes and exclusive contributions come from moocore (``is_nondominated``,
``hypervolume``, ``hv_contributions``; exact, in C). Hypervolume histories are incremental: a
newcomer dominated by the front so far costs one vectorised check, and only a point that changes
the front recomputes the volume (so the worst case, every point joining the front, is quadratic:
10,000 such points take a few seconds; real fronts are a few dozen points).
"""

from __future__ import annotations

from collections.abc import Sequence

import moocore
import numpy as np


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
    if len(loss) == 0:
        return np.zeros(0, dtype=bool)
    return moocore.is_nondominated(loss, keep_weakly=True)


def hypervolume(loss: np.ndarray, ref: np.ndarray) -> float:
    """Exact hypervolume dominated by ``loss`` (n, k) and bounded by ``ref`` (k,)."""
    loss = np.asarray(loss, dtype=float)
    return float(moocore.hypervolume(loss, ref=np.asarray(ref, dtype=float))) if loss.size else 0.0


def exclusive_contributions(loss: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """The hypervolume each row of ``loss`` alone adds, ``hypervolume(all) - hypervolume(all but
    it)``: 0 for dominated rows and repeats."""
    loss = np.asarray(loss, dtype=float)
    if len(loss) == 0:
        return np.zeros(0)
    return moocore.hv_contributions(loss, ref=np.asarray(ref, dtype=float), ignore_dominated=False)


_CHUNK = 256


def _dominated_by(front: np.ndarray, points: np.ndarray) -> np.ndarray:
    """For each of ``points`` (m, k): is some row of ``front`` (f, k) <= it everywhere?"""
    if len(front) == 0 or len(points) == 0:
        return np.zeros(len(points), dtype=bool)
    return np.any(np.all(front[None, :, :] <= points[:, None, :], axis=2), axis=1)


def hypervolume_history(loss: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Hypervolume after each row of ``loss`` (in the given order) is added; non-decreasing."""
    loss = np.asarray(loss, dtype=float)
    ref = np.asarray(ref, dtype=float)
    out = np.zeros(len(loss))
    if len(loss) == 0:
        return out
    front = np.empty((0, loss.shape[1]))
    inside = np.all(loss < ref, axis=1)
    for start in range(0, len(loss), _CHUNK):
        chunk = loss[start:start + _CHUNK]
        # rows dominated by the front at the chunk's start cannot change the volume: skip them
        for i in np.flatnonzero(inside[start:start + _CHUNK] & ~_dominated_by(front, chunk)):
            p = chunk[i]
            if not _dominated_by(front, p[None])[0]:
                front = np.vstack([front[~np.all(p <= front, axis=1)], p])
                out[start + i] = moocore.hypervolume(front, ref=ref)
    return np.maximum.accumulate(out)


def ideal_volume(loss: np.ndarray, ref: np.ndarray) -> float:
    """Volume of the box between the best observed value of each objective and ``ref``.

    Dividing a hypervolume by it gives a number in [0, 1] that is comparable over time."""
    loss = np.asarray(loss, dtype=float)
    if len(loss) == 0:
        return 0.0
    return float(np.prod(np.maximum(np.asarray(ref) - loss.min(axis=0), 0.0)))

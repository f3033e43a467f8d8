from __future__ import annotations

import random

import pytest

from dse.study._config import PrunerConfig
import numpy as np

from dse.study._pareto import pareto_mask, to_loss
from dse.study._pruning import prune_reason


def pareto_indices(points, directions):
    return [int(i) for i in np.flatnonzero(pareto_mask(to_loss(np.array(points, dtype=float), directions)))]


def _brute(points, directions):
    sign = [-1 if d == "maximize" else 1 for d in directions]
    pts = [[s * v for s, v in zip(sign, p)] for p in points]
    return [
        i for i, p in enumerate(pts)
        if not any(all(a <= b for a, b in zip(q, p)) and any(a < b for a, b in zip(q, p)) for q in pts)
    ]


def test_two_objective_front_on_constructed_points() -> None:
    # (accuracy, params): the 0.9 @ 100 point dominates 0.85 @ 150; ties are both kept
    pts = [(0.9, 100), (0.85, 150), (0.95, 300), (0.95, 300), (0.5, 50), (0.4, 60)]
    assert pareto_indices(pts, ["maximize", "minimize"]) == [0, 2, 3, 4]


@pytest.mark.parametrize("k", [2, 3])
def test_front_matches_brute_force(k: int) -> None:
    rng = random.Random(k)
    directions = ["maximize"] + ["minimize"] * (k - 1)
    for _ in range(30):
        pts = [tuple(rng.choice([0.1, 0.2, 0.3, 0.5]) if j else rng.random() for j in range(k)) for _ in range(40)]
        assert pareto_indices(pts, directions) == _brute(pts, directions)


def test_pareto_pruner_stops_dominated_and_keeps_front() -> None:
    cfg = PrunerConfig(mode="pareto", margin=0.02, min_trials=3)
    peers = [(1000.0, 0.80), (2000.0, 0.85), (4000.0, 0.90)]
    # costs more than a peer that is clearly more accurate: pruned
    assert prune_reason(cfg, 1, 2500.0, 0.70, peers) is not None
    # cheapest candidate: nothing is cheaper, so it is on the front at this rung
    assert prune_reason(cfg, 1, 500.0, 0.30, peers) is None
    # within the margin of a cheaper peer: kept
    assert prune_reason(cfg, 1, 2100.0, 0.84, peers) is None
    # too few peers at the rung: never pruned
    assert prune_reason(cfg, 1, 2500.0, 0.10, peers[:2]) is None
    assert prune_reason(PrunerConfig(mode="off"), 1, 2500.0, 0.1, peers) is None


def test_halving_pruner_compares_within_cost_bucket() -> None:
    cfg = PrunerConfig(mode="halving", min_trials=3, cost_ratio=1.5, keep_fraction=0.5)
    bucket = [(1000.0, 0.8), (1100.0, 0.82), (900.0, 0.78), (50_000.0, 0.99)]
    assert prune_reason(cfg, 2, 1000.0, 0.5, bucket) is not None  # worst of its bucket
    assert prune_reason(cfg, 2, 1000.0, 0.9, bucket) is None  # best of its bucket
    # the very large model is not in a 1000-param candidate's bucket, so it does not count
    assert prune_reason(cfg, 2, 1000.0, 0.81, bucket) is None

"""Pareto fronts and hypervolumes on hand-made points, and against brute-force definitions."""

from __future__ import annotations

import numpy as np
import pytest

from dse.study import _pareto as pareto


def brute_front(loss: np.ndarray) -> list[bool]:
    """Not dominated: no other row is <= everywhere and < somewhere."""
    le = np.all(loss[:, None, :] <= loss[None, :, :], axis=2)  # le[q, p]: q <= p everywhere
    lt = np.any(loss[:, None, :] < loss[None, :, :], axis=2)
    return (~np.any(le & lt, axis=0)).tolist()


def brute_hypervolume(loss: np.ndarray, ref: np.ndarray) -> float:
    """Sum of the grid cells (cut at every coordinate) whose lower corner some row dominates."""
    loss = loss[np.all(loss < ref, axis=1)]
    if len(loss) == 0:
        return 0.0
    axes = [np.unique(np.append(loss[:, j], ref[j])) for j in range(loss.shape[1])]
    corners = np.stack(np.meshgrid(*(a[:-1] for a in axes), indexing="ij"), axis=-1).reshape(-1, len(axes))
    sizes = np.prod(np.stack(np.meshgrid(*(np.diff(a) for a in axes), indexing="ij"), axis=-1), axis=-1).reshape(-1)
    covered = np.zeros(len(corners), dtype=bool)
    for p in loss:
        covered |= np.all(p <= corners, axis=1)
    return float(sizes[covered].sum())


def test_front_2d_with_ties_and_dominated_points() -> None:
    # (cost, loss) pairs, both minimised
    loss = np.array([
        [1.0, 5.0],  # front
        [2.0, 3.0],  # front
        [2.0, 3.0],  # tie with the previous: both on the front
        [2.0, 4.0],  # same cost, worse loss: dominated
        [3.0, 3.0],  # same loss, higher cost: dominated
        [4.0, 1.0],  # front
        [5.0, 2.0],  # dominated by (4, 1)
        [0.5, 9.0],  # front (cheapest)
    ])
    assert pareto.pareto_mask(loss).tolist() == [True, True, True, False, False, True, False, True]


def test_front_3d_and_1d() -> None:
    loss = np.array([[1, 1, 1], [0, 2, 2], [2, 0, 2], [1, 1, 2], [1, 1, 1], [3, 3, 0]], dtype=float)
    assert pareto.pareto_mask(loss).tolist() == [True, True, True, False, True, True]
    assert pareto.pareto_mask(np.array([[2.0], [1.0], [1.0]])).tolist() == [False, True, True]
    assert pareto.pareto_mask(np.zeros((0, 2))).tolist() == []


def test_to_loss_flips_maximised_objectives() -> None:
    loss = pareto.to_loss(np.array([[0.9, 100.0]]), ["maximize", "minimize"])
    assert loss.tolist() == [[-0.9, 100.0]]


def test_reference_point_is_zero_accuracy_and_largest_cost_times_1_1() -> None:
    values = np.array([[0.8, 100.0], [0.9, 300.0]])  # (accuracy, params)
    ref = pareto.reference_point(values, ["maximize", "minimize"])
    assert ref == pytest.approx([0.0, 330.0])


def test_hypervolume_2d_hand_computed() -> None:
    # accuracy/cost points (0.5, 1), (0.8, 2), (0.9, 4); reference accuracy 0, cost 5
    loss = pareto.to_loss(np.array([[0.5, 1.0], [0.8, 2.0], [0.9, 4.0], [0.7, 3.0]]), ["maximize", "minimize"])
    ref = np.array([0.0, 5.0])
    # in (accuracy, cost) space: 0.5*(2-1) + 0.8*(4-2) + 0.9*(5-4) = 0.5 + 1.6 + 0.9 = 3.0
    assert pareto.hypervolume(loss, ref) == pytest.approx(3.0)
    assert pareto.hypervolume(np.zeros((0, 2)), ref) == 0.0
    assert pareto.hypervolume(np.array([[1.0, 9.0]]), np.array([2.0, 3.0])) == 0.0  # outside the reference box
    assert pareto.hypervolume(np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([3.0, 2.0])) == pytest.approx(2.0)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_front_and_hypervolume_agree_with_brute_force(k: int) -> None:
    rng = np.random.default_rng(k)
    for _ in range(15):
        loss = rng.integers(0, 6, size=(50, k)).astype(float)  # many ties
        ref = loss.max(axis=0) * 1.1 + 0.1
        assert pareto.pareto_mask(loss).tolist() == brute_front(loss)
        assert pareto.hypervolume(loss, ref) == pytest.approx(brute_hypervolume(loss, ref), rel=1e-12)
        cont = rng.random((12 if k == 4 else 30, k))
        assert pareto.hypervolume(cont, np.ones(k) * 1.1) == pytest.approx(brute_hypervolume(cont, np.ones(k) * 1.1))
        big = rng.random((900, k)) ** 0.3  # a large front
        assert pareto.pareto_mask(big).tolist() == brute_front(big)


def test_exclusive_contributions_are_what_each_point_alone_adds() -> None:
    rng = np.random.default_rng(3)
    loss = np.vstack([rng.random((15, 3)), [[2.0, 2.0, 2.0]]])  # the last one is dominated
    loss[5] = loss[4]  # a repeat adds nothing on its own
    ref = np.full(3, 1.5)
    total = pareto.hypervolume(loss, ref)
    alone = [total - pareto.hypervolume(np.delete(loss, i, axis=0), ref) for i in range(len(loss))]
    np.testing.assert_allclose(pareto.exclusive_contributions(loss, ref), alone, atol=1e-12)
    assert pareto.exclusive_contributions(np.zeros((0, 3)), ref).shape == (0,)


@pytest.mark.parametrize("k", [2, 3])
def test_hypervolume_history_is_monotone_and_matches_prefix_recomputation(k: int) -> None:
    rng = np.random.default_rng(10 + k)
    loss = rng.random((700, k))  # more than one chunk of the k-objective path
    loss[60] = loss[10]  # an exact duplicate changes nothing
    loss[400] = [1.2] * k  # outside the reference box: changes nothing
    ref = np.ones(k) * 1.1
    assert pareto.hypervolume(loss[:40], ref) == pytest.approx(brute_hypervolume(loss[:40], ref), rel=1e-10)
    history = pareto.hypervolume_history(loss, ref)
    assert np.all(np.diff(history) >= -1e-12)
    assert history[60] == pytest.approx(history[59]) and history[400] == pytest.approx(history[399])
    for i in (1, 7, 33, 257, 513, 700):
        assert history[i - 1] == pytest.approx(pareto.hypervolume(loss[:i], ref), rel=1e-10)


def test_hypervolume_history_of_one_objective_is_the_running_best() -> None:
    history = pareto.hypervolume_history(np.array([[3.0], [5.0], [1.0], [2.0], [9.0]]), np.array([4.0]))
    assert history.tolist() == [1.0, 1.0, 3.0, 3.0, 3.0]
    assert pareto.hypervolume(np.array([[3.0], [1.0]]), np.array([4.0])) == 3.0


def test_hypervolume_history_2d_is_fast_for_10k_points() -> None:
    import time

    loss = np.random.default_rng(0).random((10_000, 2))
    start = time.process_time()  # CPU time: robust to a busy machine; ~0.01 s, O(n^2) would take seconds
    history = pareto.hypervolume_history(loss, np.array([1.1, 1.1]))
    assert time.process_time() - start < 2.0
    assert history[-1] == pytest.approx(pareto.hypervolume(loss, np.array([1.1, 1.1])))


def test_ideal_volume_normalises_to_one_for_a_single_ideal_point() -> None:
    loss = np.array([[0.0, 0.0], [0.5, 0.5]])
    ref = np.array([1.0, 2.0])
    assert pareto.hypervolume(loss, ref) / pareto.ideal_volume(loss, ref) == pytest.approx(1.0)

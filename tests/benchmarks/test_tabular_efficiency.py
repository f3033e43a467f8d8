"""The tabular benchmark's replay harness on a tiny made-up table (benchmarks/tabular)."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from tabular.export import grid_points  # noqa: E402
from tabular.replay import Method, methods, replay  # noqa: E402
from tabular.table import Point, Table, TableError, load_table, write_table  # noqa: E402

from dse.study._config import PrunerConfig  # noqa: E402

SPACE = {
    "name": "six", "description": "six grid points",
    "base": {"preset": "squeezenet_cifar", "width_multiplier": 0.125, "resolution_multiplier": 0.5},
    "parameters": {
        "sr": {"kind": "categorical", "choices": [0.25, 0.5, 1.0], "target": "meta.sr"},
        "downsample": {"kind": "categorical", "choices": [["fire3", "fire5"], ["stem", "fire4", "fire8"]], "target": "downsample"},
    },
}
# accuracy by (sr, downsample): the early-pooling networks are worse; sr 1.0 is the largest
ACC = {(0.25, "fire3,fire5"): (0.50, 0.70), (0.5, "fire3,fire5"): (0.55, 0.75), (1.0, "fire3,fire5"): (0.60, 0.80),
       (0.25, "stem,fire4,fire8"): (0.20, 0.40), (0.5, "stem,fire4,fire8"): (0.30, 0.50), (1.0, "stem,fire4,fire8"): (0.35, 0.60)}
SECONDS = {(0.25, "fire3,fire5"): 4.0, (0.5, "fire3,fire5"): 6.0, (1.0, "fire3,fire5"): 10.0,
           (0.25, "stem,fire4,fire8"): 1.0, (0.5, "stem,fire4,fire8"): 2.0, (1.0, "stem,fire4,fire8"): 3.0}


class FakeClock:
    """Every call moves a quarter second on: each trial's sampler time is 0.25 s."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.25
        return self.now


def make_table(limit: float | None = None, drop: tuple | None = None) -> Table:
    grid, costed = grid_points(SPACE)
    params = sorted(c.params for _, c in costed)
    limit = limit if limit is not None else params[-1] - 1  # the largest network is above the limit
    points = []
    for values, c in costed:
        key = (values["sr"], values["downsample"])
        if key == drop:
            points.append(Point(values, "unmeasured", c.params, c.macs))
        elif c.params > limit:
            points.append(Point(values, "infeasible", c.params, c.macs))
        else:
            points.append(Point(values, "completed", c.params, c.macs, ACC[key], SECONDS[key], SECONDS[key] + 1))
    return Table(grid, points, epochs=2, limit=limit, meta={"name": "tiny", "space": SPACE, "grid_name": "full"})


def test_true_front_hypervolume_is_the_area_of_its_staircase() -> None:
    table = make_table()
    feasible = sorted((p.params, p.val_acc) for p in table.points.values() if p.status == "completed")
    # pooling has no parameters: sr 0.25 and 0.5 give two sizes, each with two accuracies; sr 1.0 is above the limit
    assert len(feasible) == 4 and len({c for c, _ in feasible}) == 2
    (small, _), (_, _), (large, _), _ = feasible
    assert [(p.params, p.val_acc) for p in table.front()] == [(small, 0.70), (large, 0.75)]
    # staircase: 0.70 from the small network's size to the limit, plus 0.05 more from the large one's
    expected = 0.70 * (table.limit - small) + 0.05 * (table.limit - large)
    assert table.true_hypervolume() == pytest.approx(expected)


def test_simulated_time_adds_recorded_training_and_sampler_seconds() -> None:
    table = make_table()
    run = replay(table, methods()["random"], 0, budget=1e9, max_trials=40, clock=FakeClock())
    assert run.history[-1][1] == pytest.approx(table.true_hypervolume())  # it ran until it held the true front
    elapsed = 0.0
    for trial, (t, _, n) in zip(run.trials, run.history):
        assert trial["sampler_seconds"] == pytest.approx(0.25)
        key = tuple(trial["point"])
        if trial["status"] == "completed":
            assert trial["train_seconds"] == SECONDS[key]
        else:
            assert trial["status"] == "infeasible" and trial["train_seconds"] == 0.0
        elapsed += trial["train_seconds"] + trial["sampler_seconds"]
        assert t == pytest.approx(elapsed)
    # retrained repeats are charged again: random sampling without reuse pays for every proposal
    assert run.history[-1][0] == pytest.approx(0.25 * len(run.trials) + sum(SECONDS[tuple(t["point"])]
                                                                            for t in run.trials if t["status"] == "completed"))


def test_a_pruned_trial_is_charged_the_epochs_it_ran() -> None:
    table = make_table()
    prune_all = Method("p", methods()["random"].sampler, PrunerConfig(mode="pareto", rungs=(1,), min_trials=1, margin=0.0), True)
    # an early-pooling network is dominated at epoch 1 by its same-size peer when that peer ran first
    runs = [replay(table, prune_all, seed, budget=1e9, max_trials=30, clock=FakeClock()) for seed in range(6)]
    pruned = [t for run in runs for t in run.trials if t["status"] == "pruned"]
    assert pruned
    for t in pruned:
        assert t["train_seconds"] == pytest.approx(SECONDS[tuple(t["point"])] / 2)


def test_a_proposal_outside_the_table_is_an_error() -> None:
    table = make_table(drop=(0.5, "fire3,fire5"))
    with pytest.raises(TableError, match="outside the table"):
        table.lookup({"sr": 0.75, "downsample": "fire3,fire5"})
    with pytest.raises(TableError, match="not measured"):
        replay(table, methods()["random"], 0, budget=1e9, max_trials=100, clock=FakeClock())
    with pytest.raises(TableError, match="misses 1 of 6"):
        table.check_complete()


@pytest.mark.parametrize("name", ["dse", "tpe", "nsga2", "random"])
def test_replays_are_deterministic_per_seed(name: str) -> None:
    table = make_table()
    runs = [replay(table, methods()[name], seed, budget=1e9, max_trials=12, clock=FakeClock()) for seed in (1, 1, 2)]
    assert runs[0].trials == runs[1].trials and runs[0].history == runs[1].history
    assert all(t["status"] != "infeasible" for t in runs[0].trials) or name != "dse"  # dse never proposes one
    seqs = [[tuple(t["point"]) for t in r.trials] for r in runs]
    assert seqs[0] != seqs[2] or name == "dse"  # another seed, another search (dse may find the same short path)


def test_table_files_round_trip(tmp_path: Path) -> None:
    table = make_table()
    meta = {"name": "tiny", "space": SPACE, "grid": table.grid, "budget": {"epochs": 2}, "limit": table.limit,
            "subgrids": {"small": {"sr": [0.25, 0.5], "downsample": table.grid["downsample"]}}}
    write_table(list(table.points.values()), meta, tmp_path, "tiny")
    back = load_table("full", folder=tmp_path, name="tiny")
    assert back.true_hypervolume() == pytest.approx(table.true_hypervolume())
    assert [p.curve for p in back.front()] == [p.curve for p in table.front()]
    small = load_table("small", folder=tmp_path, name="tiny")
    assert small.size() == 4 and set(itertools.chain(small.grid["sr"])) == {0.25, 0.5}


def test_a_run_stopped_at_95_percent_reports_90_and_95_only() -> None:
    """--stop-fraction 0.95: the runs end there, the summary and the ratio line use 90% and 95%."""
    from tabular.replay import Run
    from tabular_efficiency import ratio_line, summarize

    def run(method: str, seed: int, times: tuple[float, float]) -> Run:
        return Run(method, seed, 100.0, history=[(times[0], 91.0, 1), (times[1], 96.0, 2)])

    runs = [run("dse", s, (10.0, 20.0)) for s in range(3)] + [run("gp", s, (5.0, 40.0)) for s in range(3)]
    summary = summarize(runs, (0.90, 0.95))
    assert set(summary["dse"]) == {"seeds", "trials_median", "0.90", "0.95"}
    assert summary["gp"]["0.95"]["median"] == 40.0 and summary["dse"]["0.90"]["reached"] == 3
    line, ratio = ratio_line(summary)
    assert ratio == 0.5 and line.endswith("0.50 (median over 3 seeds; best peer: gp)")


def test_variants_script_builds_dse_with_the_given_options_and_peers_by_name() -> None:
    import tabular_variants as variants

    table = make_table()
    method = variants._method('{"n_startup": 2, "trend": "costs"}', "off")
    assert (method.name, method.pruner.mode, method.reuse_duplicates) == ("dse", "off", True)
    from tabular.replay import table_space

    sampler = method.sampler(table, table_space(table), 0)
    assert (sampler.n_startup, sampler.trend) == (2, "costs")
    assert variants._method("{}", "default").pruner == PrunerConfig()
    assert variants._method("gp", "default").name == "gp"
    to90, to95, trials, _ = variants._one((table, "random", "default", 0, 100.0))
    assert to90 <= to95 and trials >= 1


def test_a_point_measured_with_two_seeds_is_replayed_at_their_mean(tmp_path: Path) -> None:
    table = make_table()
    values = next(p.values for p in table.points.values() if p.status == "completed")
    first = table.lookup(values)
    second = Point(values, "completed", first.params, first.macs, (first.curve[0] + 0.1, first.curve[1] - 0.2),
                   first.train_seconds + 2.0, first.wall_seconds + 2.0, repeat=1)
    diverged = Point(values, "failed", first.params, first.macs, repeat=2)
    measurements = [*table.points.values(), second, diverged]
    mean = Table(table.grid, measurements, 2, table.limit, table.meta)
    point = mean.lookup(values)
    assert point.curve == pytest.approx((first.curve[0] + 0.05, first.curve[1] - 0.1))  # the diverged seed is left out
    assert point.train_seconds == pytest.approx(first.train_seconds + 1.0)
    assert Table(table.grid, measurements, 2, table.limit, table.meta, repeats="first").lookup(values) == first
    assert mean.restrict(mean.grid).lookup(values).curve == point.curve  # a sub-grid keeps every measurement
    run = replay(Table(table.grid, [p for p in measurements if p.values != values or p.repeat == 1], 2, table.limit, table.meta),
                 methods()["random"], 0, budget=1e9, max_trials=1, clock=FakeClock())
    assert run.trials[0]["train_seconds"] > 0  # a table of second measurements alone replays too
    meta = {"name": "tiny", "space": SPACE, "grid": table.grid, "budget": {"epochs": 2}, "limit": table.limit}
    write_table(measurements, meta, tmp_path, "tiny")
    assert load_table("full", folder=tmp_path, name="tiny").lookup(values).curve == pytest.approx(point.curve, abs=1e-4)
    assert load_table("full", folder=tmp_path, name="tiny", repeats="first").lookup(values).curve == first.curve
    with pytest.raises(TableError, match="repeats must be one of mean, first"):
        Table(table.grid, measurements, 2, table.limit, repeats="median")


def test_the_ratio_interval_is_a_bootstrap_of_the_medians_over_seeds() -> None:
    """Identical seeds give a zero-width interval at the ratio; spread seeds an interval around
    it that narrows with more seeds; the same seed resamples the same way; a seed that never
    reached the level counts as infinitely slow."""
    from tabular.replay import Run
    from tabular_efficiency import best_peer, ratio_interval, summarize

    def run(method: str, seed: int, t95: float) -> Run:
        return Run(method, seed, 100.0, history=[(t95 / 2, 91.0, 1), (t95, 96.0, 2)])

    runs = [run("dse", s, 10.0) for s in range(5)] + [run("gp", s, 25.0) for s in range(5)] + [run("tpe", s, 30.0) for s in range(5)]
    assert best_peer(summarize(runs, (0.90, 0.95))) == "gp"
    tight = ratio_interval(runs, "gp", resamples=200)
    assert tight["low"] == tight["high"] == pytest.approx(0.4) and tight["above_target"] == 0.0

    rng = np.random.default_rng(1)

    def spread(n: int) -> list[Run]:
        return [run("dse", s, float(t)) for s, t in enumerate(rng.uniform(5, 35, n))] + \
               [run("gp", s, float(t)) for s, t in enumerate(rng.uniform(20, 60, n))]

    few, many = spread(20), spread(800)
    a, b = ratio_interval(few, "gp", resamples=500), ratio_interval(many, "gp", resamples=500)
    assert a == ratio_interval(few, "gp", resamples=500)  # deterministic
    assert a["low"] < 0.5 < a["high"] and 0.0 < a["above_target"] < 1.0
    assert b["high"] - b["low"] < (a["high"] - a["low"]) / 3 and b["low"] < 0.5 < b["high"]

    stuck = [run("dse", s, 10.0) for s in range(3)] + [Run("dse", 3 + s, 100.0, history=[(5.0, 50.0, 1)]) for s in range(4)] \
        + [run("gp", s, 20.0) for s in range(7)]
    assert ratio_interval(stuck, "gp", resamples=300)["high"] == np.inf  # most resamples: dse's median never reached 95%
    never = [Run(m, s, 100.0, history=[(5.0, 50.0, 1)]) for m in ("dse", "gp") for s in range(3)]
    assert np.isnan(ratio_interval(never, "gp", resamples=50)["low"])  # neither reached 95%: no ratio, no crash
    with pytest.raises(ValueError, match="needs runs of dse and tpe"):
        ratio_interval(runs[:5], "tpe")

"""The cost-aware sampler: its expected-gain formula against exact hypervolumes, its surrogate,
and its behaviour inside a real (SQLite) study with a stand-in trainer."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dse.arch import cost
from dse.space import space_from_data
from dse.study import attrs
from dse.study._config import ConfigError, config_from_data
from dse.study._cost_aware import TREND_RIDGE, CostAwareSampler, exclusive_contributions, expected_improvement_known_cost
from dse.study._pareto import hypervolume
from dse.study._runner import trial_status
from dse.study._session import start
from dse.study._surrogate import Encoder, GaussianProcess, neg_log_posterior
from dse.train import TrainResult

from .conftest import tiny_config

FRONT = [(1_000.0, 0.5), (4_000.0, 0.7), (9_000.0, 0.8)]
REF = 10_000.0


def exact_gain(front, cost_, acc) -> float:
    """Hypervolume (accuracy up, cost down; reference accuracy 0, cost REF) with and without the point."""
    def hv(points):
        loss = np.array([[-a, c] for c, a in points], dtype=float)
        return hypervolume(loss, np.array([0.0, REF]))
    return hv(front + [(cost_, acc)]) - hv(front)


@pytest.mark.parametrize("cost_,acc", [(500.0, 0.6), (2_000.0, 0.75), (4_000.0, 0.9), (9_500.0, 0.95), (3_000.0, 0.4)])
def test_gain_with_a_certain_accuracy_is_the_exact_hypervolume_improvement(cost_, acc) -> None:
    gain = expected_improvement_known_cost(FRONT, REF, np.array([cost_]), np.array([acc]), np.array([1e-12]))
    assert gain[0] == pytest.approx(exact_gain(FRONT, cost_, acc), abs=1e-6)


def test_exclusive_contributions_are_what_each_front_point_alone_adds() -> None:
    front = [FRONT[2], FRONT[0], FRONT[1]]  # any order
    contributions = exclusive_contributions(front, REF)
    for point, contribution in zip(front, contributions):
        assert contribution == pytest.approx(exact_gain([p for p in front if p != point], *point))
    np.testing.assert_allclose(contributions, [0.1 * 1_000, 0.5 * 3_000, 0.2 * 5_000])


def test_gain_is_the_expectation_over_the_accuracy() -> None:
    rng = np.random.default_rng(0)
    samples = rng.normal(0.72, 0.05, 20_000)
    monte_carlo = np.mean([exact_gain(FRONT, 2_500.0, a) for a in samples[:4_000]])
    gain = expected_improvement_known_cost(FRONT, REF, np.array([2_500.0]), np.array([0.72]), np.array([0.05]))[0]
    assert gain == pytest.approx(monte_carlo, rel=0.05)


def test_a_cheaper_candidate_with_the_same_accuracy_gains_more_and_a_dominated_one_nothing() -> None:
    costs = np.array([2_000.0, 6_000.0, 9_500.0])
    gain = expected_improvement_known_cost(FRONT, REF, costs, np.array([0.75, 0.75, 0.5]), np.full(3, 1e-6))
    assert gain[0] > gain[1] > 0
    assert gain[2] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gp_log_posterior_gradient_matches_finite_differences(seed) -> None:
    rng = np.random.default_rng(seed)
    x = rng.random((25, 6))
    z = np.sin(3 * x[:, 0]) + x[:, 1] ** 2 + 0.1 * rng.normal(size=25)
    z = (z - z.mean()) / z.std()
    sq = (x[:, None, :] - x[None, :, :]) ** 2
    theta = np.r_[rng.normal(np.log(0.5), 0.7, 6), rng.normal(0, 0.5), np.log(0.05)]
    value, grad = neg_log_posterior(theta, sq, z)
    numeric = np.array([(neg_log_posterior(theta + h, sq, z)[0] - neg_log_posterior(theta - h, sq, z)[0]) / 2e-6
                        for h in np.eye(len(theta)) * 1e-6])
    assert np.isfinite(value)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-5)


def test_gp_with_a_trend_extrapolates_along_it() -> None:
    rng = np.random.default_rng(2)
    x = rng.uniform(0.2, 0.8, (15, 2))
    y = 0.5 + 0.8 * (x[:, 1] - 0.5)  # rises with the second (trend) feature
    far = np.array([[0.5, 4.0]])
    trend_mean = GaussianProcess.fit(x, y, trend_columns=[1]).predict(far)[0][0]
    plain_mean = GaussianProcess.fit(x, y).predict(far)[0][0]
    assert trend_mean > 2.5  # the trend carries on far outside the data (true value 3.3; the ridge shrinks it a little)
    assert plain_mean < 1.5  # a plain GP bends back towards the data's mean


ORDERED = {
    "name": "ordered", "description": "a width multiplier among numbers, a bypass among names",
    "base": {"preset": "squeezenet_cifar"},
    "parameters": {
        "width": {"kind": "categorical", "choices": [0.25, 0.5, 1.0], "target": "width_multiplier"},
        "bypass": {"kind": "categorical", "choices": ["none", "simple", "complex"], "target": "bypass"},
    },
}


def test_a_categorical_over_numbers_is_encoded_as_one_ordered_feature() -> None:
    """Choices that are numbers keep their order (log scale: 0.25, 0.5, 1.0 are evenly spaced),
    named choices stay one-hot; the two log costs come last."""
    encoder = Encoder(space_from_data(ORDERED, source="test"), {"params": (1e3, 1e5), "macs": (1e6, 1e8)})
    costs = {"params": 1e4, "macs": 1e7}
    rows = [encoder.encode({"width": w, "bypass": "simple"}, costs) for w in (0.25, 0.5, 1.0)]
    np.testing.assert_allclose(np.stack(rows), [[0.0, 0, 1, 0, 0.5, 0.5], [0.5, 0, 1, 0, 0.5, 0.5], [1.0, 0, 1, 0, 0.5, 0.5]])


def test_a_trend_over_an_ordered_choice_extrapolates_to_an_untried_value() -> None:
    """Accuracy rose from width 0.25 to 0.5 whatever the bypass: the model expects 1.0 to be better
    still, though no trial tried it (one-hot, an untried choice was predicted at the average)."""
    encoder = Encoder(space_from_data(ORDERED, source="test"), {"params": (1e3, 1e5), "macs": (1e6, 1e8)})
    costs = {"params": 1e4, "macs": 1e7}
    seen = [(w, b) for w in (0.25, 0.5) for b in ("none", "simple", "complex")]
    x = np.stack([encoder.encode({"width": w, "bypass": b}, costs) for w, b in seen])
    bonus = {"none": 0.0, "simple": 0.05, "complex": 0.1}
    y = [0.5 + 0.3 * (w == 0.5) + bonus[b] for w, b in seen]
    gp = GaussianProcess.fit(x, y, trend_columns=range(x.shape[1]), ridge=TREND_RIDGE, trend_variance=True)
    mean, _ = gp.predict(np.stack([encoder.encode({"width": 1.0, "bypass": "simple"}, costs)]))
    assert mean[0] > 0.8  # 0.83; one-hot: 0.70, the average of all six (width 0.5 with a simple bypass: 0.85)


def test_trend_uncertainty_grows_along_an_extrapolated_trend() -> None:
    """With few observations the trend's slopes are uncertain: a candidate the trend carries far
    from the data gets a wider prediction than one inside it, and wider than the plug-in trend gives."""
    rng = np.random.default_rng(4)
    x = rng.uniform(0.3, 0.7, (5, 3))
    y = 0.5 + 0.3 * (x[:, 0] - 0.5) + 0.02 * rng.normal(size=5)
    inside, far = np.array([[0.5, 0.5, 0.5]]), np.array([[0.5, 0.5, 3.0]])
    bayes = GaussianProcess.fit(x, y, trend_columns=range(3), trend_variance=True)
    plug_in = GaussianProcess.fit(x, y, trend_columns=range(3))
    assert bayes.predict(far)[1][0] > 3 * bayes.predict(inside)[1][0]
    assert bayes.predict(far)[1][0] > 2 * plug_in.predict(far)[1][0]
    np.testing.assert_allclose(bayes.predict(far)[0], plug_in.predict(far)[0])  # the mean is the same


def test_gp_interpolates_and_is_unsure_far_from_data() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (20, 3))
    y = 0.3 + 0.5 * x[:, 0]  # depends on the first feature only
    gp = GaussianProcess.fit(x, y)
    mean, std = gp.predict(x)
    assert np.abs(mean - y).max() < 0.03
    (near_mean, far_mean), (near_std, far_std) = gp.predict(np.array([[0.5, 0.5, 0.5], [5.0, 5.0, 5.0]]))
    assert near_mean == pytest.approx(0.55, abs=0.05)
    assert far_std > 3 * near_std
    with pytest.raises(ValueError, match="at least 2"):
        GaussianProcess.fit(x[:1], y[:1])


SPACE = {
    "name": "bypass_sr", "description": "bypass and squeeze ratio",
    "base": {"preset": "squeezenet_cifar", "width_multiplier": 0.125},
    "parameters": {
        "bypass": {"kind": "categorical", "choices": ["none", "simple"], "target": "bypass"},
        "sr": {"kind": "float", "low": 0.125, "high": 1.0, "step": 0.125, "target": "meta.sr"},
        "pct3x3": {"kind": "float", "low": 0.1, "high": 0.9, "target": "meta.pct3x3"},
    },
}


def fake_trainer(model, data, config, budget, *, device="auto", on_epoch=None, quiet=True, **kw):
    """Accuracy 0.85 with simple bypasses, 0.35 without (a little less for wider squeezes)."""
    net = model()
    acc = (0.85 if net.spec.bypass == "simple" else 0.35) - 0.05 * net.spec.meta.sr
    return TrainResult(status="completed", reason=None, val_acc=acc, val_curve=[acc], train_seconds=0.01)


def test_sampler_in_a_study_proposes_only_new_feasible_candidates_and_learns(tmp_path, monkeypatch) -> None:
    import dse.study._objective as objective

    monkeypatch.setattr(objective, "train_candidate", fake_trainer)
    fixed = {"in_channels": 1, "input_size": 28, "num_classes": 10}
    space = space_from_data(SPACE, source="test")
    params = sorted(cost(space.candidate({"bypass": "none", "sr": sr, "pct3x3": 0.5}, fixed).spec).params
                    for sr in (0.125, 1.0))
    limit = (params[0] + params[1]) // 2  # wide squeezes are over the limit
    config = config_from_data(tiny_config(
        tmp_path, space=SPACE, trials=14, constraints={"max_params": limit}, pruner={"mode": "off"},
        sampler={"name": "cost_aware", "options": {"candidates": 64, "n_startup": 3}},
    ))
    session = start(config)
    session.run()
    trials = session.study.trials
    assert len(trials) == 14
    assert all(trial_status(t) == "completed" for t in trials)  # nothing infeasible was proposed
    assert all(t.user_attrs[attrs.PARAMS] <= limit for t in trials)
    assert len({json.dumps(t.params, sort_keys=True) for t in trials}) == len(trials)  # no repeats
    later = trials[6:]
    assert sum(t.params["bypass"] == "simple" for t in later) >= 0.75 * len(later)
    assert session.study.sampler.last_choice["reason"] == "expected hypervolume gain per second"


def test_predicted_seconds_follow_trial_durations_against_macs() -> None:
    predict = CostAwareSampler._predicted_seconds
    macs = np.array([1e5, 1e6, 1e7])
    # durations (start to finish, overhead included) on a line: 2 s plus 1 s per million MACs
    line = [(m, 2.0 + m / 1e6) for m in (2e5, 5e5, 3e6, 8e6)]
    np.testing.assert_allclose(predict(line, macs), [2.1, 3.0, 12.0])
    # bigger networks not slower (noise): every candidate is priced at the mean duration
    np.testing.assert_allclose(predict([(1e5, 4.0), (1e6, 3.0), (1e7, 2.0)], macs), [3.0, 3.0, 3.0])
    # too little evidence: no weighting at all
    np.testing.assert_allclose(predict([(1e5, 4.0)], macs), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(predict([(1e5, 4.0), (1e5, 5.0)], macs), [1.0, 1.0, 1.0])
    # a steep line never prices a small network below a fifth of the quickest trial seen
    assert predict([(1e6, 1.0), (2e6, 10.0)], np.array([1e3]))[0] == pytest.approx(0.2)


def test_cost_aware_config_errors(tmp_path) -> None:
    with pytest.raises(ConfigError, match="two objectives"):
        start(config_from_data(tiny_config(tmp_path, objectives=["val_acc", "params", "macs"], sampler={"name": "cost_aware"})))
    with pytest.raises(ConfigError, match="sampler.options"):
        start(config_from_data(tiny_config(tmp_path, sampler={"name": "cost_aware", "options": {"candidates": 0}})))
    with pytest.raises(ConfigError, match="sampler.options"):
        start(config_from_data(tiny_config(tmp_path, sampler={"name": "cost_aware", "options": {"bogus": 1}})))
    with pytest.raises(ConfigError, match="trend must be one of all, costs"):
        start(config_from_data(tiny_config(tmp_path, sampler={"name": "cost_aware", "options": {"trend": "none"}})))


def test_a_running_trial_of_another_worker_is_not_proposed_again(tmp_path) -> None:
    """Two workers with the same seed would draw the same candidates; the second one sees the
    first one's running trial in the shared storage and proposes something else."""
    import optuna

    from dse.study._cost_aware import CostAwareSampler
    from dse.study._objective import OptunaSuggest

    fixed = {"in_channels": 1, "input_size": 28, "num_classes": 10}
    space = space_from_data(SPACE, source="test")
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    optuna.create_study(study_name="s", storage=storage, directions=["maximize", "minimize"])

    def worker() -> optuna.Study:
        sampler = CostAwareSampler(space, fixed, "params", {}, seed=7, candidates=32, n_startup=2)
        return optuna.load_study(study_name="s", storage=storage, sampler=sampler)

    first = worker().ask()
    space.sample(OptunaSuggest(first), fixed=fixed)
    alone = worker().ask()  # same seed, first trial still running
    space.sample(OptunaSuggest(alone), fixed=fixed)
    assert alone.params != first.params


def test_each_distinct_candidate_is_built_and_priced_once(monkeypatch) -> None:
    """Building and costing a network is most of a plan's CPU time; a small space (or the front's
    mutations) draws the same candidates again and again, so the sampler prices each one once."""
    import dse.study._cost_aware as cost_aware

    calls = []
    monkeypatch.setattr(cost_aware, "cost", lambda spec: calls.append(spec.arch_hash()) or cost(spec))
    small = {**SPACE, "parameters": {k: v for k, v in SPACE["parameters"].items() if k != "pct3x3"}}  # 16 candidates
    space = space_from_data(small, source="test")
    fixed = {"in_channels": 1, "input_size": 28, "num_classes": 10}
    sampler = CostAwareSampler(space, fixed, "params", {}, seed=3, candidates=200, n_startup=2)
    for _ in range(3):
        pool = sampler._screen([], set())
        assert len(pool) == 16  # every distinct candidate screened, each once per plan
    assert len(calls) == 16 == len(set(calls))
    # the cached costs are the real ones
    for screened in pool:
        spec = space.candidate(space.decode(screened.raw), fixed).spec
        assert screened.costs["params"] == cost(spec).params


@pytest.mark.parametrize("metric", ["params", "macs"])
def test_startup_draws_from_the_cheaper_half_by_the_cost_objective(metric) -> None:
    """Start-up trials come from the cheaper half of the screened candidates by the study's cost
    objective, not by MACs: the small networks make the front's left end, which carries most of
    the hypervolume (the tabular benchmark's median time to 95% fell from 23.8 to 19.8 s over 200
    seeds). Here parameters and MACs rank the candidates in opposite orders."""
    import optuna

    from dse.study._cost_aware import _Screened

    space = space_from_data(SPACE, source="test")
    study = optuna.create_study(directions=["maximize", "minimize"])
    pool = [_Screened({"k": k}, {"params": 1_000.0 * (k + 1), "macs": 1e6 * (10 - k)}) for k in range(10)]
    cheaper = {k for k in range(10) if pool[k].costs[metric] <= sorted(s.costs[metric] for s in pool)[4]}
    for seed in range(20):
        sampler = CostAwareSampler(space, {}, metric, {}, seed=seed)
        sampler._screen = lambda *args: pool  # type: ignore[method-assign]
        assert sampler._plan(study, 0)["k"] in cheaper
        assert sampler.last_choice["reason"] == f"startup (cheaper half by {metric}, most untried values)"


def test_startup_trials_try_every_value_they_can() -> None:
    """Each start-up trial is the cheaper candidate with the most values no trial tried: three
    start-up trials try all three bypasses and all three widths, whatever the seed (drawn at
    random, all of both in 3 trials happens 4 times in 81). The tabular benchmark's median time to
    95% fell from 20.3 to 19.5 s over 200 seeds (mean 26.1 -> 20.9 s)."""
    import optuna
    from optuna.distributions import CategoricalDistribution

    from dse.study._cost_aware import _Screened

    space = space_from_data(ORDERED, source="test")
    combos = [{"width": w, "bypass": b} for w in (0.25, 0.5, 1.0) for b in ("none", "simple", "complex")]
    pool = [_Screened(raw, {"params": 1e3, "macs": 1e6}) for raw in combos]
    pool += [_Screened(raw, {"params": 1e5, "macs": 1e8}) for raw in combos]  # the dearer half
    dists = {"width": CategoricalDistribution([0.25, 0.5, 1.0]), "bypass": CategoricalDistribution(["none", "simple", "complex"])}
    for seed in range(10):
        sampler = CostAwareSampler(space, {}, "params", {}, seed=seed)
        sampler._screen = lambda *args: pool  # type: ignore[method-assign]
        study = optuna.create_study(directions=["maximize", "minimize"])
        for number in range(3):
            raw = sampler._plan(study, number)
            study.add_trial(optuna.trial.create_trial(params=raw, distributions=dists, values=[0.5, 1e3]))
        tried = [t.params for t in study.trials]
        assert {p["bypass"] for p in tried} == {"none", "simple", "complex"}
        assert {p["width"] for p in tried} == {0.25, 0.5, 1.0}

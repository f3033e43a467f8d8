"""The cost-aware sampler: screens many candidates by their exact cost before one is trained.

A candidate's size objective (params, MACs, bytes) is known exactly from its spec, before any
training; only its accuracy is unknown. For each new trial this sampler

1. draws ``candidates`` specs: random ones, and (once a model exists) mutations of the current
   Pareto-front trials, each chosen in proportion to the hypervolume it alone adds; prices each
   with ``dse.arch.cost`` (about 1 ms); drops those that break a cost constraint or repeat a trial
   already run or running (the same parameter values, or the same canonical network with the same
   training values), so no infeasible or duplicate candidate is ever proposed;
2. fits a Gaussian process of accuracy on the trials so far, on top of a linear trend (Bayesian
   ridge regression, its uncertainty added to the GP's) in every feature: each parameter value
   (a choice among numbers as one ordered number) and the log size and log MACs (``trend:
   all``; ``trend: costs`` keeps only the costs). The trend is an additive model, so a few
   trials teach it "complex bypasses help" for every candidate, and an unexplored corner is
   predicted from its parameters and size instead of the average. Training data: completed
   trials; pruned ones at the accuracy where they stopped plus the median gain completed trials
   made from that epoch on; diverged ones at chance accuracy (see :mod:`dse.study._surrogate`);
3. scores each candidate by its expected hypervolume improvement, computed exactly for a point
   whose cost is known and whose accuracy is Gaussian, divided by its predicted seconds (a line
   through completed trials' wall-clock durations, start to finish, against MACs: so the time a
   trial spends outside training, in sampling, building and storing, is priced too), and proposes
   the best one.

The first ``n_startup`` trials come from the cheaper half by the cost objective (the small
networks that make the front's left end, where most of the hypervolume is): each is the candidate
with the most parameter values no trial has tried yet (ties at random), so three start-up trials
try every bypass of three, both placements of two, and the model's first fit sees every value once.
The sampler plugs into Optuna as a ``BaseSampler``: the objective asks ``trial.suggest_*`` as
usual and gets the planned values. No Optuna sampler uses a known objective this way, hence
this one (see docs/studies.md, "The cost-aware sampler").
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution
from scipy.stats import norm

from dse.arch import ArchSpecError, cost
from dse.space import RandomSuggest, SearchSpace, SpaceError
from dse.space.targets import is_train_target
from dse.errors import ConfigError
from dse.study import attrs, _pareto as pareto
from dse.study._samplers import register_sampler
from dse.study._candidates import Mutating, Recording, fits, key_of
from dse.study._surrogate import Encoder, GaussianProcess


def expected_improvement_known_cost(
    front: Sequence[tuple[float, float]], ref_cost: float, costs: np.ndarray, mean: np.ndarray, std: np.ndarray
) -> np.ndarray:
    """Expected hypervolume improvement of points with exact ``costs`` and accuracy ~ N(mean, std).

    ``front`` holds (cost, accuracy) of the current front; the hypervolume is the area under the
    staircase "best accuracy at cost <= p" for p up to ``ref_cost`` (accuracy reference 0). A new
    point at cost c with accuracy a adds the integral over p in [c, ref_cost] of max(0, a - f(p)),
    whose expectation is a sum of closed-form expected improvements, one per staircase step.
    """
    costs, mean, std = (np.asarray(a, dtype=float) for a in (costs, mean, std))
    steps: list[tuple[float, float]] = []  # (start cost, best accuracy from there on)
    best = 0.0
    for c, a in sorted(front):
        if a > best:
            steps.append((c, a))
            best = a
    edges = [0.0] + [c for c, _ in steps] + [ref_cost]
    levels = [0.0] + [a for _, a in steps]
    std = np.maximum(std, 1e-9)
    total = np.zeros_like(costs)
    for lo, hi, level in zip(edges[:-1], edges[1:], levels):
        width = np.clip(hi - np.maximum(lo, costs), 0.0, None)
        if not width.any():
            continue
        z = (mean - level) / std
        total += width * ((mean - level) * norm.cdf(z) + std * norm.pdf(z))
    return total


def exclusive_contributions(front: Sequence[tuple[float, float]], ref_cost: float) -> np.ndarray:
    """Hypervolume each (cost, accuracy) point of a Pareto front adds on its own (accuracy
    reference 0, cost reference ``ref_cost``), in the order given."""
    loss = np.array([(c, -a) for c, a in front], dtype=float).reshape(-1, 2)
    return pareto.exclusive_contributions(loss, np.array([ref_cost, 0.0]))


TRENDS = ("all", "costs")  # the surrogate's linear trend: in every feature, or in the log costs only
TREND_RIDGE = 1.0  # the trend's ridge penalty (standardized accuracy; tabular benchmark, docs/tabular-benchmark.md)
PRICE_CACHE = 100_000  # distinct candidates whose costs a sampler keeps (a few hundred bytes each)


@dataclass
class _Screened:
    raw: dict[str, Any]
    costs: dict[str, float]


class CostAwareSampler(optuna.samplers.BaseSampler):
    """Optuna sampler proposing, per trial, the screened candidate with the best expected
    hypervolume improvement per predicted training second (module docstring)."""

    def __init__(self, space: SearchSpace, fixed: Mapping[str, Any], cost_metric: str,
                 limits: Mapping[str, float], seed: int | None = None, candidates: int = 256,
                 n_startup: int = 3, local_fraction: float = 0.5, mutation_rate: float = 0.2,
                 trend: str = "all") -> None:
        if candidates < 1 or n_startup < 2 or not 0.0 <= local_fraction <= 1.0 or not 0.0 < mutation_rate <= 1.0:
            raise ValueError("candidates >= 1, n_startup >= 2, local_fraction in [0, 1] and mutation_rate in (0, 1] are required")
        if trend not in TRENDS:
            raise ValueError(f"trend must be one of {', '.join(TRENDS)}, got {trend!r}")
        self.space, self.fixed, self.cost_metric, self.limits = space, dict(fixed), cost_metric, dict(limits)
        self.candidates, self.n_startup = candidates, n_startup
        self.local_fraction, self.mutation_rate = local_fraction, mutation_rate
        self.trend = trend
        self._rng = random.Random(seed)
        self._fallback = optuna.samplers.RandomSampler(seed=seed)
        self._plans: dict[int, dict[str, Any]] = {}
        self._priced: dict[str, tuple[dict[str, float], str] | None] = {}  # candidate key -> _price()
        self.last_choice: dict[str, Any] = {}  # what the last plan predicted, for tests and logs

    def reseed_rng(self) -> None:
        self._rng.seed()
        self._fallback.reseed_rng()

    def infer_relative_search_space(self, study, trial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(self, study, trial, search_space) -> dict[str, Any]:
        return {}

    def sample_independent(self, study: optuna.Study, trial: optuna.trial.FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        if trial.number not in self._plans:
            self._plans[trial.number] = self._plan(study, trial.number)
        value = self._plans[trial.number].get(param_name)
        if value is not None and fits(param_distribution, value):
            return value
        return self._fallback.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study, trial, state, values) -> None:
        self._plans.pop(trial.number, None)

    # ---------------------------------------------------------------- planning
    def _plan(self, study: optuna.Study, number: int) -> dict[str, Any]:
        observed, front, seen, seconds, tried = self._history(study, number)
        parents, weights = [], None
        if len(observed) >= self.n_startup and front:
            # parents in proportion to the hypervolume they alone add: the front's many tiny,
            # barely-useful networks do not crowd out the few that carry it
            ref = self.limits.get(self.cost_metric) or 1.1 * max(c[self.cost_metric] for _, c, _ in observed)
            weights = exclusive_contributions([(c[self.cost_metric], a) for _, c, a in front], ref)
            parents = [raw for raw, _, _ in front]
            weights = list(weights) if weights.sum() > 0 else None
        pool = self._screen(parents, seen, weights)
        if not pool:
            self.last_choice = {"reason": "no feasible new candidate among those drawn"}
            return {}
        if len(observed) < self.n_startup:
            # the small networks make the front's left end, which carries most of the hypervolume
            cheap = sorted(pool, key=lambda s: s.costs[self.cost_metric])[: max(1, len(pool) // 2)]
            # the model's first fit learns most from start-up trials that differ in every parameter
            untried = [sum((name, repr(v)) not in tried for name, v in s.raw.items()) for s in cheap]
            most = max(untried)
            self.last_choice = {"reason": f"startup (cheaper half by {self.cost_metric}, most untried values)"}
            return self._rng.choice([s for s, n in zip(cheap, untried) if n == most]).raw
        encoder = Encoder(self.space, self._cost_ranges(pool, observed))
        x = np.stack([encoder.encode(r, c) for r, c, _ in observed])
        trend = range(x.shape[1]) if self.trend == "all" else range(x.shape[1] - encoder.n_costs, x.shape[1])
        gp = GaussianProcess.fit(x, [a for _, _, a in observed], seed=self._rng.randrange(2**31),
                                 trend_columns=trend, ridge=TREND_RIDGE, trend_variance=True)
        mean, std = gp.predict(np.stack([encoder.encode(s.raw, s.costs) for s in pool]))
        cand_cost = np.array([s.costs[self.cost_metric] for s in pool], dtype=float)
        ref = self.limits.get(self.cost_metric) or 1.1 * max(float(cand_cost.max()), max(c[self.cost_metric] for _, c, _ in observed))
        gain = expected_improvement_known_cost([(c[self.cost_metric], a) for _, c, a in front], ref, cand_cost, mean, std)
        predicted = self._predicted_seconds(seconds, np.array([s.costs["macs"] for s in pool], dtype=float))
        score = gain / predicted
        best = int(np.argmax(score))
        self.last_choice = {"reason": "expected hypervolume gain per second", "mean": float(mean[best]),
                            "std": float(std[best]), "gain": float(gain[best]), "seconds": float(predicted[best]),
                            "cost": float(cand_cost[best]), "pool": len(pool)}
        return pool[best].raw

    def _history(self, study: optuna.Study, number: int):
        """(raw, costs, accuracy) observed; the completed front; keys of every trial run or
        running; (macs, wall-clock seconds from start to finish) of completed trials; the
        (parameter, value) pairs any trial has tried."""
        observed, completed, seen, seconds, pruned, curves = [], [], set(), [], [], []
        tried: set[tuple[str, str]] = set()
        for t in study.get_trials(deepcopy=False):
            if t.number == number:
                continue
            seen.add(key_of(t.params))
            tried.update((name, repr(v)) for name, v in t.params.items())
            if attrs.ARCH_HASH in t.user_attrs:
                seen.add(self._arch_key(t.user_attrs[attrs.ARCH_HASH], t.params))
            ua = t.user_attrs
            if attrs.MACS not in ua:
                continue
            costs = {m: float(ua[a]) for m, (a, _, _) in attrs.METRICS.items() if m != "val_acc" and a in ua}
            status = ua.get(attrs.STATUS)
            if t.state == optuna.trial.TrialState.COMPLETE and status == "completed":
                observed.append((t.params, costs, float(t.values[0])))
                completed.append(observed[-1])
                if ua.get(attrs.VAL_CURVE):
                    curves.append((t.params, costs, list(ua[attrs.VAL_CURVE]), float(t.values[0])))
                if t.datetime_start and t.datetime_complete:
                    seconds.append((costs["macs"], (t.datetime_complete - t.datetime_start).total_seconds()))
            elif t.state == optuna.trial.TrialState.PRUNED and ua.get(attrs.VAL_CURVE):
                pruned.append((t.params, costs, list(ua[attrs.VAL_CURVE])))
            elif status == "diverged":  # a learning rate that blows up: as good as guessing
                observed.append((t.params, costs, 1.0 / max(int(self.fixed.get("num_classes", 10)), 2)))
        # a pruned trial counts at the accuracy it would likely have reached: where it stopped, plus
        # the median gain completed trials made from that epoch to the end
        for raw, costs, curve in pruned:
            gains = [final - full[len(curve) - 1] for _, _, full, final in curves if len(full) >= len(curve)]
            observed.append((raw, costs, curve[-1] + (float(np.median(gains)) if gains else 0.0)))
        front = []
        if completed:
            loss = pareto.to_loss(np.array([(a, c[self.cost_metric]) for _, c, a in completed]), ["maximize", "minimize"])
            front = [p for p, on_front in zip(completed, pareto.pareto_mask(loss)) if on_front]
        return observed, front, seen, seconds, tried

    def _screen(self, parents: list[dict[str, Any]], seen: set[str], weights: list[float] | None = None) -> list[_Screened]:
        pool, keys = [], set(seen)
        n_local = int(self.candidates * self.local_fraction) if parents else 0
        for i in range(self.candidates):
            seed = self._rng.randrange(2**31)
            inner = (Mutating(self._rng.choices(parents, weights)[0], seed, self.mutation_rate) if i < n_local
                     else RandomSuggest(seed))
            suggest = Recording(inner)
            try:
                values = self.space.suggest_values(suggest)
            except SpaceError:
                continue
            key = key_of(suggest.raw)
            if key in keys:
                continue
            priced = self._price(key, values, suggest.raw)
            if priced is None:
                continue
            costs, arch_key = priced
            if arch_key in keys or any(costs[m] > limit for m, limit in self.limits.items()):
                continue
            keys.update((key, arch_key))
            pool.append(_Screened(suggest.raw, costs))
        return pool

    def _price(self, key: str, values: dict[str, Any], raw: dict[str, Any]) -> tuple[dict[str, float], str] | None:
        """(costs, network key) of a candidate, or None when it cannot be built: computed once per
        distinct candidate (building and costing a network is most of a plan's CPU time; mutations
        of the front and a small grid draw the same candidates again and again)."""
        if key in self._priced:
            return self._priced[key]
        from dse.study._objective import cost_values  # imports the trainer: only when sampling

        try:
            spec = self.space.candidate(values, self.fixed).spec
            priced = ({k: float(v) for k, v in cost_values(cost(spec)).items()}, self._arch_key(spec.arch_hash(), raw))
        except (ArchSpecError, SpaceError):
            priced = None
        if len(self._priced) >= PRICE_CACHE:
            self._priced.clear()
        self._priced[key] = priced
        return priced

    def _cost_ranges(self, pool: list[_Screened], observed) -> dict[str, tuple[float, float]]:
        ranges = {}
        for metric in ("params", "macs"):
            values = [s.costs[metric] for s in pool] + [c[metric] for _, c, _ in observed]
            ranges[metric] = (min(values), max(values))
        return ranges

    @staticmethod
    def _predicted_seconds(seconds: list[tuple[float, float]], macs: np.ndarray) -> np.ndarray:
        """Seconds a trial takes, from its MACs: a least-squares line through completed trials'
        durations (at least two with distinct MACs; never below a fifth of the quickest one);
        1 for every candidate before that (no weighting)."""
        if len(seconds) < 2 or len({m for m, _ in seconds}) < 2:
            return np.ones_like(macs)
        x, y = np.array(seconds).T
        slope, intercept = np.polyfit(x, y, 1)
        if slope <= 0.0:  # no sign that bigger networks take longer: price them alike
            return np.full_like(macs, float(y.mean()))
        return np.maximum(intercept + slope * macs, max(0.2 * float(y.min()), 1e-3))

    def _arch_key(self, arch_hash: str, raw: Mapping[str, Any]) -> str:
        """The same network with the same sampled training values: a duplicate (objective.py)."""
        train = {n: raw.get(n) for n, p in self.space.parameters.items() if is_train_target(p.target or "")}
        return arch_hash + key_of(train)


@register_sampler("cost_aware")
def _cost_aware(config: Any, space: SearchSpace, fixed: Mapping[str, Any], seed: int, **options: Any) -> CostAwareSampler:
    if len(config.objectives) != 2:
        raise ConfigError(f"sampler: cost_aware needs two objectives (val_acc and one cost), got {list(config.objectives)}")
    if "latency_ms" in config.objectives or "latency_ms" in config.constraints.limits():
        raise ConfigError("sampler: cost_aware prices candidates without measuring them, so it cannot use latency_ms; use nsga2 or tpe")
    return CostAwareSampler(space, fixed, config.objectives[1], config.constraints.limits(), seed=seed, **options)

"""A small Gaussian-process surrogate of accuracy over a search space, for the cost-aware sampler.

Candidates are encoded from their Optuna parameter values (numbers scaled to [0, 1], on a log
scale for ``logfloat``; a categorical over numbers, such as a width multiplier's 0.25/0.5/1.0, as
one ordered number on the same scale, on a log scale when every choice is positive; other
categoricals one-hot; an inactive conditional parameter is 0) plus the log of their exact costs.
An ordered choice costs the model one slope instead of one per choice, so a few trials teach it
which way the parameter pulls (tabular benchmark: docs/tabular-benchmark.md). The GP has a
Matern-5/2 kernel with one length scale per feature, fitted by maximum a-posteriori (scipy's
L-BFGS-B with the analytic gradient), on standardized targets, optionally after a linear trend in
chosen features (ridge regression; with ``trend_variance`` the slopes' posterior uncertainty is
added to the predicted variance, so a candidate the trend extrapolates to is not predicted with
false confidence).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.optimize import minimize

from dse.space import SearchSpace


class Encoder:
    """Maps a candidate's Optuna parameter values and costs to a feature vector in [0, 1]^d."""

    def __init__(self, space: SearchSpace, cost_ranges: Mapping[str, tuple[float, float]]) -> None:
        self.space = space
        self.n_costs = len(cost_ranges)  # the cost features come last
        self.cost_ranges = {k: (math.log(max(lo, 1.0)), math.log(max(hi, lo + 1.0, 2.0))) for k, (lo, hi) in cost_ranges.items()}
        # each parameter's encoding, decided once: encode() runs for every screened candidate
        self._columns = []
        for name, p in space.parameters.items():
            choices = p.encoded_choices() if p.kind == "categorical" else None
            self._columns.append((name, p, choices, choices is not None and _numeric(choices)))

    def encode(self, raw: Mapping[str, Any], costs: Mapping[str, float]) -> np.ndarray:
        features: list[float] = []
        for name, p, choices, numeric in self._columns:
            value = raw.get(name)
            if numeric:
                features.append(_ordinal(value, choices))
            elif choices is not None:
                features.extend(1.0 if value == c else 0.0 for c in choices)
            elif value is None:
                features.append(0.0)
            else:
                features.append(_unit(value, p.low, p.high, log=p.kind == "logfloat"))
        for name, (lo, hi) in self.cost_ranges.items():
            x = math.log(max(float(costs[name]), 1.0))
            features.append(min(1.5, max(-0.5, (x - lo) / (hi - lo))))
        return np.asarray(features, dtype=float)


def _numeric(choices: Sequence[Any]) -> bool:
    """Whether categorical choices are two or more distinct numbers (booleans are not)."""
    return len(set(choices)) > 1 and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in choices)


def _ordinal(value: Any, choices: Sequence[float]) -> float:
    """A numeric choice scaled to [0, 1] between the smallest and largest choice (log scale when
    all are positive); 0 for an inactive parameter (None)."""
    return 0.0 if value is None else _unit(value, min(choices), max(choices), log=min(choices) > 0)


def _unit(value: float, low: float, high: float, log: bool) -> float:
    """``value`` scaled to [0, 1] between ``low`` and ``high``, on a log scale when ``log``."""
    if log:
        value, low, high = math.log(value), math.log(low), math.log(high)
    return (float(value) - low) / (high - low)


def _matern52_parts(scaled_sq: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Matern-5/2 kernel from squared differences already divided by the squared length scales
    (... x d), with sqrt(5) r and exp(-sqrt(5) r), which its gradient reuses."""
    s5 = np.sqrt(5.0 * scaled_sq.sum(-1))
    decay = np.exp(-s5)
    return (1.0 + s5 + s5 * s5 / 3.0) * decay, s5, decay


def _matern52(x1: np.ndarray, x2: np.ndarray, lengthscales: np.ndarray) -> np.ndarray:
    return _matern52_parts(((x1[:, None, :] - x2[None, :, :]) / lengthscales) ** 2)[0]


_LS_LOC, _LS_SCALE = math.log(0.5), math.sqrt(2.0)  # log-normal prior of the length scales
_NOISE_LOC, _NOISE_SCALE = math.log(0.05), 2.0  # log-normal prior of the noise variance


def neg_log_posterior(theta: np.ndarray, sq: np.ndarray, z: np.ndarray) -> tuple[float, np.ndarray]:
    """Negative log marginal likelihood of standardized targets ``z`` plus the priors, and its
    analytic gradient, at ``theta`` = (log length scales, log signal variance, log noise variance);
    ``sq`` holds the squared feature differences (n x n x d). The analytic gradient makes one
    L-BFGS-B step cost one Cholesky factorization instead of d + 2 of them."""
    d = sq.shape[-1]
    ls, signal, noise = np.exp(theta[:d]), math.exp(theta[d]), math.exp(theta[d + 1])
    scaled = sq / ls**2
    km, s5, decay = _matern52_parts(scaled)
    eye = np.eye(len(z))
    try:
        c = cho_factor(signal * km + (noise + 1e-6) * eye, lower=True)
    except np.linalg.LinAlgError:
        return 1e10, np.zeros_like(theta)
    a = cho_solve(c, z)
    w = cho_solve(c, eye) - np.outer(a, a)  # d(nll)/dK = w / 2
    # the priors keep length scales and noise in a sane range with few observations
    prior = 0.5 * np.sum((theta[:d] - _LS_LOC) ** 2) / _LS_SCALE**2 + 0.5 * (theta[d + 1] - _NOISE_LOC) ** 2 / _NOISE_SCALE**2
    grad = np.empty_like(theta)
    # d km / d log(ls_j) = 5/3 (1 + sqrt(5) r) exp(-sqrt(5) r) (x_j - x'_j)^2 / ls_j^2
    grad[:d] = 0.5 * signal * np.einsum("ab,abj->j", w * (5.0 / 3.0) * (1.0 + s5) * decay, scaled)
    grad[:d] += (theta[:d] - _LS_LOC) / _LS_SCALE**2
    grad[d] = 0.5 * signal * np.sum(w * km)
    grad[d + 1] = 0.5 * noise * np.trace(w) + (theta[d + 1] - _NOISE_LOC) / _NOISE_SCALE**2
    return float(0.5 * z @ a + np.log(np.diag(c[0])).sum() + prior), grad


@dataclass
class GaussianProcess:
    """Fitted GP; ``predict`` returns mean and standard deviation in the targets' units."""

    x: np.ndarray
    y_mean: float
    y_std: float
    lengthscales: np.ndarray
    signal: float
    noise: float
    factor: tuple
    alpha: np.ndarray
    trend: tuple[list[int], np.ndarray, np.ndarray]  # the trend's columns, their means and slopes
    trend_cov: np.ndarray | None = None  # the slopes' posterior covariance (standardized units)

    @classmethod
    def fit(cls, x: np.ndarray, y: Sequence[float], seed: int = 0, trend_columns: Sequence[int] = (),
            ridge: float = 0.1, trend_variance: bool = False) -> GaussianProcess:
        """Fit to features ``x`` (n x d) and targets ``y``. ``trend_columns``: features that get a
        linear trend (ridge regression) before the GP models what is left, so a candidate far from
        every observation is predicted by the trend (say, by its log size) instead of the mean."""
        y = np.asarray(y, dtype=float)
        if len(y) < 2:
            raise ValueError(f"a GP needs at least 2 observations, got {len(y)}")
        y_mean, y_std = float(y.mean()), float(y.std()) or 1.0
        z = (y - y_mean) / y_std
        cols = list(trend_columns)
        centers = x[:, cols].mean(0)
        a = x[:, cols] - centers
        precision = a.T @ a + ridge * np.eye(len(cols))
        slopes = np.linalg.solve(precision, a.T @ z) if cols else np.zeros(0)  # a light ridge
        z = z - a @ slopes
        d = x.shape[1]
        sq = (x[:, None, :] - x[None, :, :]) ** 2  # squared differences per feature, n x n x d

        rng = np.random.default_rng(seed)
        best = None
        starts = [np.r_[np.full(d, _LS_LOC), 0.0, _NOISE_LOC]]
        starts += [np.r_[rng.normal(_LS_LOC, 0.7, d), 0.0, math.log(0.1)] for _ in range(2)]
        bounds = [(math.log(0.05), math.log(20.0))] * d + [(math.log(0.05), math.log(20.0)), (math.log(1e-4), math.log(2.0))]
        for theta0 in starts:
            res = minimize(neg_log_posterior, theta0, args=(sq, z), jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 200})
            if best is None or res.fun < best.fun:
                best = res
        theta = best.x
        ls, signal, noise = np.exp(theta[:d]), math.exp(theta[d]), math.exp(theta[d + 1])
        k = signal * _matern52(x, x, ls) + (noise + 1e-6) * np.eye(len(z))
        factor = cho_factor(k, lower=True)
        trend_cov = None
        if trend_variance and cols:  # Bayesian ridge: slopes ~ N(0, s2 / ridge), residual variance s2
            trend_cov = float(np.mean(z**2)) * np.linalg.inv(precision)
        return cls(x, y_mean, y_std, ls, signal, noise, factor, cho_solve(factor, z), (cols, centers, slopes), trend_cov)

    def predict(self, xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ks = self.signal * _matern52(xq, self.x, self.lengthscales)
        cols, centers, slopes = self.trend
        mean = ks @ self.alpha + ((xq[:, cols] - centers) @ slopes if cols else 0.0)
        v = cho_solve(self.factor, ks.T)
        var = np.maximum(self.signal - np.einsum("ij,ji->i", ks, v), 1e-9)
        if self.trend_cov is not None:
            dq = xq[:, cols] - centers
            var = var + np.einsum("ij,jk,ik->i", dq, self.trend_cov, dq)
        return self.y_mean + self.y_std * mean, self.y_std * np.sqrt(var)

"""Candidate drawing for the cost-aware sampler: recording the values a draw made, mutating a
parent's values, and the keys and checks that compare candidates with trials."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from optuna.distributions import BaseDistribution

from dse.space import RandomSuggest


class Recording:
    """Wraps a Suggest and records the raw (Optuna-encoded) value it returned for each name."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.raw = inner, {}

    def categorical(self, name, choices):
        self.raw[name] = self.inner.categorical(name, choices)
        return self.raw[name]

    def int(self, name, low, high, step=1, log=False):
        self.raw[name] = self.inner.int(name, low, high, step=step, log=log)
        return self.raw[name]

    def float(self, name, low, high, step=None, log=False):
        self.raw[name] = self.inner.float(name, low, high, step=step, log=log)
        return self.raw[name]


class Mutating(RandomSuggest):
    """Keeps a parent's values, changing each with probability ``rate``: categoricals are redrawn,
    numbers move by a Gaussian step of 15% of their (log) range, snapped to their step."""

    def __init__(self, parent: Mapping[str, Any], seed: int, rate: float) -> None:
        super().__init__(seed)
        self.parent, self.rate = parent, rate

    def _keep(self, name: str) -> bool:
        return name in self.parent and self.rng.random() >= self.rate

    def categorical(self, name, choices):
        if self._keep(name) and self.parent[name] in list(choices):
            return self.parent[name]
        return super().categorical(name, choices)

    def _move(self, name, low, high, log):
        x = self.parent[name]
        if log:
            return math.exp(min(math.log(high), max(math.log(low), math.log(x) + self.rng.gauss(0, 0.15) * math.log(high / low))))
        return min(high, max(low, x + self.rng.gauss(0, 0.15) * (high - low)))

    def int(self, name, low, high, step=1, log=False):
        if name not in self.parent or not low <= self.parent[name] <= high:
            return super().int(name, low, high, step=step, log=log)
        if self._keep(name):
            return self.parent[name]
        value = self._move(name, low, high, log)
        return min(high, low + round((value - low) / step) * step)

    def float(self, name, low, high, step=None, log=False):
        if name not in self.parent or not low <= self.parent[name] <= high:
            return super().float(name, low, high, step=step, log=log)
        if self._keep(name):
            return self.parent[name]
        value = self._move(name, low, high, log)
        return value if step is None else round(low + round((value - low) / step) * step, 12)


def fits(distribution: BaseDistribution, value: Any) -> bool:
    """Whether ``distribution`` can hold ``value`` (a categorical refuses what is not a choice)."""
    try:
        internal = distribution.to_internal_repr(value)
    except (ValueError, TypeError):
        return False
    low, high = getattr(distribution, "low", None), getattr(distribution, "high", None)
    return low is None or low <= internal <= high


def key_of(raw: Mapping[str, Any]) -> str:
    return json.dumps(dict(raw), sort_keys=True, default=str)

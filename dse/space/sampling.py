"""Sampling without Optuna: the ``Suggest`` protocol, the sampled ``Candidate`` and two suggesters.

The study engine's objective adapter implements ``Suggest`` with ``trial.suggest_*`` (the only
place that calls them); :class:`RandomSuggest` serves tests and benchmarks, :class:`ReplaySuggest`
rebuilds a candidate from stored (Optuna-encoded) parameter values.
"""

from __future__ import annotations

import builtins
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from dse.arch import ArchSpec

SuggestScalar = builtins.str | builtins.int | builtins.float | builtins.bool


@runtime_checkable
class Suggest(Protocol):
    """Asks for one value per parameter name; Optuna's ``trial.suggest_*`` in the study engine."""

    def categorical(self, name: str, choices: Sequence[SuggestScalar]) -> SuggestScalar: ...

    def int(
        self,
        name: str,
        low: builtins.int,
        high: builtins.int,
        step: builtins.int = 1,
        log: bool = False,
    ) -> builtins.int: ...

    def float(
        self,
        name: str,
        low: builtins.float,
        high: builtins.float,
        step: builtins.float | None = None,
        log: bool = False,
    ) -> builtins.float: ...


@dataclass(frozen=True)
class Candidate:
    """One sampled point: the network, its training hyperparameters, and the decoded values."""

    spec: ArchSpec
    train: dict[str, Any]
    values: dict[str, Any]


class RandomSuggest:
    """``Suggest`` with Python's ``random``, reproducible for a seed; ``asked`` lists names."""

    def __init__(self, seed: builtins.int | None = 0) -> None:
        self.rng = random.Random(seed)
        self.asked: list[str] = []

    def categorical(self, name: str, choices: Sequence[SuggestScalar]) -> SuggestScalar:
        self.asked.append(name)
        return self.rng.choice(list(choices))

    def int(
        self,
        name: str,
        low: builtins.int,
        high: builtins.int,
        step: builtins.int = 1,
        log: bool = False,
    ) -> builtins.int:
        self.asked.append(name)
        if log:
            value = round(math.exp(self.rng.uniform(math.log(low), math.log(high))))
            return min(high, max(low, low + (value - low) // step * step))
        return self.rng.randrange(low, high + 1, step)

    def float(
        self,
        name: str,
        low: builtins.float,
        high: builtins.float,
        step: builtins.float | None = None,
        log: bool = False,
    ) -> builtins.float:
        self.asked.append(name)
        if log:
            return min(high, max(low, math.exp(self.rng.uniform(math.log(low), math.log(high)))))
        if step is not None:
            count = round((high - low) / step)
            return round(low + self.rng.randint(0, count) * step, 12)
        return self.rng.uniform(low, high)


class ReplaySuggest:
    """``Suggest`` answering from stored ``trial.params``; a missing name raises KeyError."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = dict(params)
        self.asked: list[str] = []

    def _get(self, name: str) -> Any:
        self.asked.append(name)
        if name not in self.params:
            raise KeyError(name)
        return self.params[name]

    def categorical(self, name: str, choices: Sequence[SuggestScalar]) -> SuggestScalar:
        return self._get(name)

    def int(
        self,
        name: str,
        low: builtins.int,
        high: builtins.int,
        step: builtins.int = 1,
        log: bool = False,
    ) -> builtins.int:
        return self._get(name)

    def float(
        self,
        name: str,
        low: builtins.float,
        high: builtins.float,
        step: builtins.float | None = None,
        log: bool = False,
    ) -> builtins.float:
        return self._get(name)

"""The confirmed front: a study's candidates after ``dse retrain``, beside their brief results.

Plain data for the CLI (``dse retrain``, ``dse show``), the dashboard and the report: per candidate
the brief validation accuracy from the study, the retrained validation and test accuracies over
seeds (mean, std, each seed), the rank correlations of brief versus retrained accuracy (Spearman's
rho, Kendall's tau) and the members of the brief front that are not on the confirmed one.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import optuna

from dse.study import attrs
from dse.study._pareto import pareto_mask, to_loss
from dse.study._retrain import completed_runs, load_companion
from dse.study._retrain_plan import counted, load_source


@dataclass
class ConfirmedCandidate:
    trial: int  # trial number in the source study
    label: str
    params: int | None
    macs: int | None
    size_bytes: int | None
    costs: tuple[float, ...]  # the study's cost objectives, in its order
    brief_val_acc: float
    seeds: list[int] = field(default_factory=list)
    val_accs: list[float] = field(default_factory=list)
    test_accs: list[float] = field(default_factory=list)
    train_seconds: list[float] = field(default_factory=list)
    on_brief_front: bool = False
    on_confirmed_front: bool = False

    @property
    def val_acc_mean(self) -> float | None:
        return statistics.fmean(self.val_accs) if self.val_accs else None

    @property
    def val_acc_std(self) -> float | None:
        return statistics.stdev(self.val_accs) if len(self.val_accs) > 1 else None

    @property
    def test_acc_mean(self) -> float | None:
        return statistics.fmean(self.test_accs) if self.test_accs else None

    @property
    def test_acc_std(self) -> float | None:
        return statistics.stdev(self.test_accs) if len(self.test_accs) > 1 else None

    @property
    def train_seconds_mean(self) -> float | None:
        return statistics.fmean(self.train_seconds) if self.train_seconds else None

    def to_json(self) -> dict:
        return {
            "trial": self.trial, "label": self.label, "params": self.params, "macs": self.macs,
            "size_bytes": self.size_bytes, "brief_val_acc": self.brief_val_acc, "val_acc_mean": self.val_acc_mean,
            "val_acc_std": self.val_acc_std, "test_acc_mean": self.test_acc_mean, "test_acc_std": self.test_acc_std,
            "seeds": self.seeds, "val_accs": self.val_accs, "test_accs": self.test_accs,
            "train_seconds_mean": self.train_seconds_mean, "on_brief_front": self.on_brief_front,
            "on_confirmed_front": self.on_confirmed_front,
        }


@dataclass
class Confirmation:
    study: str
    cost_names: tuple[str, ...]
    candidates: list[ConfirmedCandidate]  # cheapest first
    spearman: float | None
    kendall: float | None

    @property
    def dropped(self) -> list[int]:
        """Retrained members of the brief front that are not on the confirmed front."""
        return [c.trial for c in self.candidates if c.on_brief_front and c.val_accs and not c.on_confirmed_front]

    @property
    def retrained(self) -> list[ConfirmedCandidate]:
        return [c for c in self.candidates if c.val_accs]


def rank_correlations(brief: Sequence[float], full: Sequence[float]) -> tuple[float | None, float | None]:
    """(Spearman's rho, Kendall's tau) of two accuracy lists; None where undefined (fewer than
    two points, or a constant list)."""
    from scipy.stats import kendalltau, spearmanr

    if len(brief) < 2 or len(brief) != len(full):
        return None, None
    rho = float(spearmanr(brief, full).statistic)
    tau = float(kendalltau(brief, full).statistic)
    return (None if math.isnan(rho) else rho), (None if math.isnan(tau) else tau)


def _front(values: list[tuple[float, ...]], directions: list[str]) -> np.ndarray:
    if not values:
        return np.zeros(0, dtype=bool)
    return pareto_mask(to_loss(np.array(values, dtype=float), directions))


def confirmation(storage: str, name: str, trials: Iterable[int] | None = None) -> Confirmation | None:
    """The confirmed front of study ``name`` (None when it has no companion study); ``trials``
    limits the candidates to those source trials."""
    companion = load_companion(storage, name)
    if companion is None:
        return None
    source, config = load_source(storage, name)
    return confirmation_of(source, companion, config.objectives[1:], trials)


def confirmation_of(source: optuna.Study, companion: optuna.Study, cost_names: Sequence[str],
                    trials: Iterable[int] | None = None) -> Confirmation:
    directions = [d.name.lower() for d in source.directions]
    done = [t for t in source.get_trials(deepcopy=False) if counted(t)]
    brief_mask = _front([tuple(t.values) for t in done], directions)
    on_brief = {t.number for t, keep in zip(done, brief_mask) if keep}
    by_number = {t.number: t for t in source.get_trials(deepcopy=False)}
    runs: dict[int, dict[int, optuna.trial.FrozenTrial]] = {}
    for run in sorted(completed_runs(companion), key=lambda t: t.number):
        runs.setdefault(run.user_attrs[attrs.SOURCE_TRIAL], {}).setdefault(run.user_attrs[attrs.SEED], run)
    wanted = sorted(runs) if trials is None else [n for n in dict.fromkeys(trials)]
    candidates = []
    for number in wanted:
        src = by_number.get(number)
        if src is None or src.values is None:
            continue
        ua = src.user_attrs
        cand = ConfirmedCandidate(
            trial=number, label=ua.get(attrs.ARCH_LABEL, ""), params=ua.get(attrs.PARAMS), macs=ua.get(attrs.MACS),
            size_bytes=ua.get(attrs.SIZE_BYTES), costs=tuple(float(v) for v in src.values[1:]),
            brief_val_acc=float(src.values[0]), on_brief_front=number in on_brief,
        )
        for seed, run in sorted(runs.get(number, {}).items()):
            cand.seeds.append(seed)
            cand.val_accs.append(float(run.values[0]))
            test = run.user_attrs.get(attrs.TEST_ACC)
            if test is not None:
                cand.test_accs.append(float(test))
            if run.user_attrs.get(attrs.TRAIN_SECONDS) is not None:
                cand.train_seconds.append(float(run.user_attrs[attrs.TRAIN_SECONDS]))
        candidates.append(cand)
    retrained = [c for c in candidates if c.val_accs]
    mask = _front([(c.val_acc_mean, *c.costs) for c in retrained], directions)  # type: ignore[misc]
    for c, keep in zip(retrained, mask):
        c.on_confirmed_front = bool(keep)
    rho, tau = rank_correlations([c.brief_val_acc for c in retrained], [c.val_acc_mean for c in retrained])  # type: ignore[misc]
    candidates.sort(key=lambda c: (c.costs, c.trial))
    return Confirmation(source.study_name, tuple(cost_names), candidates, rho, tau)

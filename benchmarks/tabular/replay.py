"""Replay a search against the table: proposals are looked up instead of trained.

Each trial is asked from a real Optuna study with the method's sampler, through dse's own
sampling code (``SearchSpace.sample`` over ``trial.suggest_*``), so every method draws from the
same categorical distributions. The proposal's point is read from the table: its exact cost
goes through Optuna's constraint API (``trial.set_constraint("max_params", ...)``), and, when
it is feasible, its recorded per-epoch validation curve is replayed epoch by epoch (a method
that prunes stops at a rung) and its recorded training seconds are charged. The simulated clock
of a trial is

    sampler seconds (CPU seconds of ask, sampling, pruning decisions and tell, measured here)
    + recorded training seconds x epochs run / epochs of the budget  (0 for an infeasible or reused one)

and the trials' start and completion times in the study are those simulated ones (the cost-aware
sampler fits its time model to them). A proposal that is not in the table is an error.
"""

from __future__ import annotations

import copy
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import optuna

from dse.space import space_from_data
from dse.study import attrs
from dse.study._config import PrunerConfig
from dse.study._objective import OptunaSuggest
from dse.study._pruning import prune_reason, rung_peers

from .table import Table, front_hypervolume

optuna.logging.set_verbosity(optuna.logging.WARNING)
EPOCH0 = dt.datetime(2000, 1, 1)
FIXED = {"in_channels": 1, "input_size": 28, "num_classes": 10}  # fashion-mnist-mini


class SimulatedClockStorage(optuna.storages.InMemoryStorage):
    """In-memory storage whose trials report simulated start and completion times."""

    def __init__(self) -> None:
        super().__init__()
        self.times: dict[int, tuple[float, float | None]] = {}  # trial number -> (start, complete)

    def _timed(self, trial: optuna.trial.FrozenTrial) -> optuna.trial.FrozenTrial:
        times = self.times.get(trial.number)
        if times is None:
            return trial
        trial = copy.copy(trial)
        trial.datetime_start = EPOCH0 + dt.timedelta(seconds=times[0])
        if times[1] is not None:
            trial.datetime_complete = EPOCH0 + dt.timedelta(seconds=times[1])
        return trial

    def get_trial(self, trial_id: int) -> optuna.trial.FrozenTrial:
        return self._timed(super().get_trial(trial_id))

    def get_all_trials(self, study_id, deepcopy=True, states=None):
        return [self._timed(t) for t in super().get_all_trials(study_id, deepcopy=deepcopy, states=states)]


@dataclass(frozen=True)
class Method:
    """A way of searching: its sampler (per table and seed), and whether it prunes and reuses."""

    name: str
    sampler: Callable[[Table, Any, int], optuna.samplers.BaseSampler]  # (table, dse space, seed)
    pruner: PrunerConfig = PrunerConfig(mode="off")
    reuse_duplicates: bool = False


def cost_aware(table: Table, space: Any, seed: int, **options: Any) -> optuna.samplers.BaseSampler:
    """dse's cost-aware sampler on the table, told its limit; ``options`` go to CostAwareSampler."""
    from dse.study._cost_aware import CostAwareSampler

    return CostAwareSampler(space, FIXED, "params", {"params": table.limit}, seed=seed, **options)


def methods(nsga2_population: int = 8, peer_reuse: bool = False) -> dict[str, Method]:
    """dse (cost-aware sampler, dse's default Pareto pruner, duplicate reuse) and its peers: plain
    Optuna samplers told the same constraint, training every proposal to the end (``peer_reuse``
    lets them reuse a repeated proposal's result for free too)."""
    s = optuna.samplers
    return {
        "dse": Method("dse", cost_aware, PrunerConfig(), True),
        "tpe": Method("tpe", lambda t, sp, seed: s.TPESampler(seed=seed), reuse_duplicates=peer_reuse),
        "gp": Method("gp", lambda t, sp, seed: s.GPSampler(seed=seed), reuse_duplicates=peer_reuse),
        "nsga2": Method("nsga2", lambda t, sp, seed: s.NSGAIISampler(seed=seed, population_size=nsga2_population),
                        reuse_duplicates=peer_reuse),
        "random": Method("random", lambda t, sp, seed: s.RandomSampler(seed=seed), reuse_duplicates=peer_reuse),
    }


@dataclass
class Run:
    """One method on one seed: after each trial, (simulated seconds, hypervolume, trials so far)."""

    method: str
    seed: int
    true_hypervolume: float
    history: list[tuple[float, float, int]] = field(default_factory=list)
    trials: list[dict[str, Any]] = field(default_factory=list)

    def time_to(self, fraction: float) -> float | None:
        level = fraction * self.true_hypervolume
        return next((t for t, hv, _ in self.history if hv >= level - 1e-9 * self.true_hypervolume), None)

    def seconds_to(self, fraction: float) -> float:
        """``time_to``, with inf for a level never reached (it sorts and takes medians as slowest)."""
        t = self.time_to(fraction)
        return float("inf") if t is None else t

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "seed": self.seed, "true_hypervolume": self.true_hypervolume,
                "history": self.history, "trials": self.trials}


def table_space(table: Table):
    """dse's SearchSpace of the table's grid: the fill's space with each parameter's choices cut to the grid."""
    data = copy.deepcopy(table.meta["space"])
    full = space_from_data(data, source="table space", prefix="space")
    for name, param in full.parameters.items():
        if name not in table.grid:
            continue
        keep = {str(v) for v in table.grid[name]}
        raw = param.choices if param.kind == "categorical" else param.grid_values()
        data["parameters"][name] = {**data["parameters"][name], "kind": "categorical",
                                    "choices": [c for c, e in zip(raw, param.grid_values()) if str(e) in keep]}
        for key in ("low", "high", "step"):
            data["parameters"][name].pop(key, None)
    return space_from_data(data, source="table space", prefix="space")


def replay(table: Table, method: Method, seed: int, *, budget: float, max_trials: int,
           clock: Callable[[], float] = time.process_time, stop_fraction: float = 1.0) -> Run:
    """Run ``method`` with ``seed`` against ``table`` until it holds ``stop_fraction`` of the true
    front's hypervolume, spends ``budget`` simulated seconds, or ran ``max_trials`` trials."""
    space = table_space(table)
    storage = SimulatedClockStorage()
    study = optuna.create_study(storage=storage, sampler=method.sampler(table, space, seed),
                                directions=["maximize", "minimize"])
    true_hv = table.true_hypervolume()
    run = Run(method.name, seed, true_hv)
    found: list[tuple[float, float]] = []
    completed: dict[tuple, tuple[float, ...]] = {}  # grid key -> its objective values, for reuse
    hv, now = 0.0, 0.0
    while now < budget and len(run.trials) < max_trials and hv < true_hv * (stop_fraction - 1e-12):
        tick = clock()
        trial = study.ask()
        start = now
        storage.times[trial.number] = (start, None)
        space.sample(OptunaSuggest(trial), fixed=FIXED)
        point = table.lookup(trial.params)
        key = table.key(trial.params)
        for name, value in {attrs.PARAMS: point.params, attrs.MACS: point.macs}.items():
            trial.set_user_attr(name, value)
        trial.set_constraint("max_params", (point.params - table.limit) / table.limit)
        train, status, values, state = 0.0, "infeasible", (0.0, float(point.params)), optuna.trial.TrialState.COMPLETE
        if not table.feasible(point):
            pass
        elif method.reuse_duplicates and key in completed:
            status, values = "duplicate", completed[key]
            trial.set_user_attr(attrs.VAL_CURVE, list(point.curve))  # as dse's objective copies it
        elif point.status == "failed":
            status, values, state = "failed", None, optuna.trial.TrialState.FAIL
            train = point.train_seconds
        else:
            status, epochs = "completed", table.epochs
            for epoch in range(1, table.epochs + 1):
                trial.set_user_attr(attrs.VAL_CURVE, list(point.curve[:epoch]))
                if epoch < table.epochs and epoch in method.pruner.rungs and prune_reason(
                        method.pruner, epoch, point.params, point.curve[epoch - 1],
                        rung_peers(study, epoch, "params", trial.number)) is not None:
                    status, epochs, state, values = "pruned", epoch, optuna.trial.TrialState.PRUNED, None
                    break
            train = point.train_seconds * epochs / table.epochs
            if status == "completed":
                values = (point.val_acc, float(point.params))
                completed[key] = values
        trial.set_user_attr(attrs.STATUS, status)
        study.tell(trial, values, state=state)
        sampler_seconds = clock() - tick
        now = start + sampler_seconds + train
        storage.times[trial.number] = (start, now)
        if status in ("completed", "duplicate") and table.feasible(point):
            found.append(values)
            hv = front_hypervolume(found, table.limit)
        run.history.append((now, hv, len(run.trials) + 1))
        run.trials.append({"point": list(key), "status": status, "train_seconds": train, "sampler_seconds": sampler_seconds})
    return run

"""The Optuna objective: a thin adapter from a trial to sample -> spec -> cost -> check -> train.

It is the only place that calls ``trial.suggest_*``. A candidate that violates a cost constraint
is recorded as infeasible (Optuna's constraint API) and never trained; a candidate whose
canonical architecture and training setup equal a finished trial's reuses that result.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import optuna

from dse.arch import ArchSpecError, build, cost
from dse.study import attrs
from dse.study._config import StudyConfig
from dse.train import Budget, TrainConfig, train_candidate


REPEAT_SEED_STEP = 1_000_003  # seeds of the repeats of one trial: seed, seed + step, ... (apart from other trials')


class TrialFailed(Exception):
    """A candidate failed (diverged, out of memory, invalid, crashed); the reason is recorded."""


class OptunaSuggest:
    """dse.space's Suggest protocol on top of an Optuna trial."""

    def __init__(self, trial: optuna.Trial) -> None:
        self.trial = trial

    def categorical(self, name: str, choices: Sequence[Any]) -> Any:
        return self.trial.suggest_categorical(name, list(choices))

    def int(self, name: str, low: int, high: int, step: int = 1, log: bool = False) -> int:
        return self.trial.suggest_int(name, low, high, step=step, log=log)

    def float(self, name: str, low: float, high: float, step: float | None = None, log: bool = False) -> float:
        return self.trial.suggest_float(name, low, high, step=step, log=log)


def cost_values(c: Any) -> dict[str, float]:
    """Cost metrics by objective name."""
    return {
        "params": c.params,
        "macs": c.macs,
        "size_bytes": c.size_bytes("fp32"),
        "peak_activation_bytes": c.peak_activation_bytes,
    }


def train_key(train: dict[str, Any]) -> str:
    return json.dumps(train, sort_keys=True, default=str)


@dataclass
class Objective:
    """Callable objective for ``study.optimize``; holds the loaded data across trials."""

    config: StudyConfig
    space: Any  # dse.space.SearchSpace
    data: Any  # dse.data loaded dataset
    device: str = "auto"
    quiet: bool = True
    epoch_hook_factory: Callable[[optuna.Trial, dict[str, float]], Callable[[int, float], bool]] | None = None
    timings: list[tuple[float, float]] = field(default_factory=list)  # (total, training) seconds per trial

    def fixed_arch(self) -> dict[str, Any]:
        info = self.data.info
        return {"in_channels": info.in_channels, "input_size": info.image_size, "num_classes": info.num_classes}

    def train_config(self, candidate: Any, trial_number: int) -> dict[str, Any]:
        sampled = {
            p.target.split(".", 1)[1]
            for name, p in self.space.parameters.items()
            if name in candidate.values and p.target.startswith("train.")
        }
        merged = dict(candidate.train)
        merged.update({k: v for k, v in self.config.train_overrides().items() if k not in sampled})
        merged.setdefault("seed", self.config.seed + trial_number)
        merged.setdefault("split_seed", self.config.seed)
        return merged

    def __call__(self, trial: optuna.Trial) -> tuple[float, ...]:
        start = time.perf_counter()
        try:
            candidate = self.space.sample(OptunaSuggest(trial), fixed=self.fixed_arch())
        except ArchSpecError as exc:
            self._fail(trial, "invalid", f"invalid architecture: {exc}")
        spec = candidate.spec
        c = cost(spec)
        costs = cost_values(c)
        train = self.train_config(candidate, trial.number)
        for key, value in {
            attrs.ARCH_SPEC: spec.canonical().to_dict(),
            attrs.ARCH_HASH: spec.arch_hash(),
            attrs.ARCH_LABEL: spec.label(),
            attrs.PARAMS: c.params,
            attrs.MACS: c.macs,
            attrs.SIZE_BYTES: c.size_bytes("fp32"),
            attrs.PEAK_ACT_BYTES: c.peak_activation_bytes,
            attrs.TRAIN_PARAMS: train,
            attrs.SEED: train["seed"],
        }.items():
            trial.set_user_attr(key, value)

        limits = self.config.constraints.limits()
        if "latency_ms" in self.config.objectives or "latency_ms" in limits:  # measured before training
            from dse.export.latency import trial_latency

            costs["latency_ms"] = trial_latency(trial, spec, self.device)
        violations = [(costs[m] - limit) / limit for m, limit in limits.items()]
        for (metric, _), violation in zip(limits.items(), violations):
            trial.set_constraint(f"max_{metric}", violation)  # Optuna's constraint API: > 0 infeasible
        objective_costs = tuple(float(costs[m]) for m in self.config.objectives[1:])
        if any(v > 0 for v in violations):
            broken = [f"{m} {costs[m]:,} > {limit:,}" for m, limit in limits.items() if costs[m] > limit]
            trial.set_user_attr(attrs.STATUS, "infeasible")
            trial.set_user_attr(attrs.INFEASIBLE_REASON, "; ".join(broken))
            self.timings.append((time.perf_counter() - start, 0.0))
            return (0.0, *objective_costs)

        if self.config.reuse_duplicates:
            original = self._find_duplicate(trial, spec.arch_hash(), train_key({k: v for k, v in train.items() if k != "seed"}))
            if original is not None:
                for key in (attrs.VAL_CURVE, attrs.VAL_ACC, attrs.TRAIN_SECONDS, attrs.IMAGES_PER_SECOND, attrs.DEVICE,
                            attrs.VAL_ACC_STD, attrs.VAL_ACC_PER_SEED, attrs.SEEDS):
                    if key in original.user_attrs:
                        trial.set_user_attr(key, original.user_attrs[key])
                trial.set_user_attr(attrs.DUPLICATE_OF, original.number)
                trial.set_user_attr(attrs.STATUS, "duplicate")
                self.timings.append((time.perf_counter() - start, 0.0))
                return (float(original.values[0]), *objective_costs)

        try:
            train_cfg = TrainConfig(**train)
            budget = self.config.budget
        except (TypeError, ValueError) as exc:
            self._fail(trial, "failed", f"bad training setup: {exc}")
        on_epoch = self.epoch_hook_factory(trial, costs) if self.epoch_hook_factory else None
        result = self._train_repeats(trial, spec, train_cfg, budget, on_epoch)
        for key, value in {
            attrs.VAL_CURVE: [float(v) for v in result.val_curve],
            attrs.VAL_ACC: float(result.val_acc),
            attrs.TRAIN_SECONDS: result.train_seconds,
            attrs.IMAGES_PER_SECOND: result.images_per_second,
            attrs.DEVICE: result.device,
        }.items():
            trial.set_user_attr(key, value)
        self.timings.append((time.perf_counter() - start, result.wall_seconds))
        if result.status == "pruned":
            trial.set_user_attr(attrs.STATUS, "pruned")
            if attrs.PRUNE_REASON not in trial.user_attrs:
                trial.set_user_attr(attrs.PRUNE_REASON, result.reason or "stopped at a rung")
            raise optuna.TrialPruned(result.reason or "pruned")
        if result.status != "completed":
            self._fail(trial, result.status, result.reason or result.status)
        trial.set_user_attr(attrs.STATUS, "completed")
        return (float(result.val_acc), *objective_costs)

    def _train_repeats(self, trial: optuna.Trial, spec: Any, train_cfg: TrainConfig, budget: Budget,
                       on_epoch: Callable[[int, float], bool] | None) -> Any:
        """Train ``config.repeats`` times with seeds ``seed, seed + REPEAT_SEED_STEP, ...``; the
        result's val_acc and val_curve are the means over the seeds (std and per-seed values are
        stored on the trial). Pruning watches the first seed only; a pruned or failed seed ends the trial."""
        repeats = self.config.repeats
        results = []
        for j in range(repeats):
            cfg = train_cfg.model_copy(update={"seed": train_cfg.seed + j * REPEAT_SEED_STEP})
            try:
                result = train_candidate(
                    lambda: build(spec), self.data, cfg, budget, device=self.device,
                    on_epoch=on_epoch if j == 0 else None, quiet=self.quiet,
                )
            except Exception as exc:  # a crash of one candidate is recorded and the study goes on
                self._fail(trial, "failed", f"{type(exc).__name__}: {exc}")
            results.append(result)
            if result.status != "completed":
                break
        if repeats > 1 and all(r.status == "completed" for r in results):
            accs = [float(r.val_acc) for r in results]
            trial.set_user_attr(attrs.SEEDS, [r.seed for r in results])
            trial.set_user_attr(attrs.VAL_ACC_PER_SEED, accs)
            trial.set_user_attr(attrs.VAL_ACC_STD, statistics.stdev(accs))
            length = min(len(r.val_curve) for r in results)
            curve = [statistics.fmean(r.val_curve[i] for r in results) for i in range(length)]
            seconds = sum(r.train_seconds for r in results)
            images = sum(r.train_images for r in results)
            return replace(results[0], val_acc=statistics.fmean(accs), val_curve=curve, train_seconds=seconds,
                           wall_seconds=sum(r.wall_seconds for r in results), train_images=images,
                           images_per_second=images / seconds if seconds > 0 else 0.0)
        return results[-1]

    def _fail(self, trial: optuna.Trial, status: str, reason: str) -> None:
        trial.set_user_attr(attrs.STATUS, status)
        trial.set_user_attr(attrs.FAIL_REASON, reason[:2000])
        raise TrialFailed(reason)

    def _find_duplicate(self, trial: optuna.Trial, arch_hash: str, key: str) -> optuna.trial.FrozenTrial | None:
        for other in trial.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
            ua = other.user_attrs
            if (
                ua.get(attrs.ARCH_HASH) == arch_hash
                and ua.get(attrs.STATUS) == "completed"
                and train_key({k: v for k, v in ua.get(attrs.TRAIN_PARAMS, {}).items() if k != "seed"}) == key
            ):
                return other
        return None

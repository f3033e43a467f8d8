"""Synthetic dse-like Optuna studies for the dashboard tests and benchmark.

Each trial carries the attrs the study engine writes (``dse.study.attrs``), computed from a real
ArchSpec (the ``squeezenet_cifar`` preset with sampled metaparameters) and ``cost(spec)``.
Accuracy is a made-up smooth function of model size plus noise. The study is created with
Optuna; its trials are inserted in bulk with executemany INSERTs into Optuna's RDB tables
(``Study.add_trials`` takes about 20 ms per trial, too slow for a 10,000-trial benchmark).
"""

from __future__ import annotations

import copy
import functools
import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import optuna
import sqlalchemy as sa
from optuna.distributions import CategoricalDistribution, FloatDistribution, distribution_to_json
from optuna.storages._rdb import models
from optuna.trial import FrozenTrial, TrialState

from dse.arch import cost, get_preset
from dse.study import attrs

SR_CHOICES = (0.125, 0.25, 0.5, 0.75, 1.0)
WIDTH_CHOICES = (0.25, 0.5, 0.75, 1.0)
BYPASS_CHOICES = ("none", "simple", "complex")
DOWNSAMPLE_CHOICES = ("fire3,fire5", "fire4,fire8", "stem,fire4")

SPACE = {
    "parameters": {
        "sr": {"kind": "float", "target": "meta.sr", "low": 0.125, "high": 1.0},
        "pct3x3": {"kind": "float", "target": "meta.pct3x3", "low": 0.1, "high": 0.9},
        "width_multiplier": {"kind": "categorical", "target": "width_multiplier", "choices": list(WIDTH_CHOICES)},
        "bypass": {"kind": "categorical", "target": "bypass", "choices": list(BYPASS_CHOICES)},
        "downsample": {"kind": "subset", "target": "downsample", "choices": list(DOWNSAMPLE_CHOICES)},
    }
}
DISTRIBUTIONS = {
    "sr": CategoricalDistribution(list(SR_CHOICES)),
    "pct3x3": FloatDistribution(0.1, 0.9),
    "width_multiplier": CategoricalDistribution(list(WIDTH_CHOICES)),
    "bypass": CategoricalDistribution(list(BYPASS_CHOICES)),
    "downsample": CategoricalDistribution(list(DOWNSAMPLE_CHOICES)),
}
T0 = datetime(2026, 1, 1, 12, 0, 0)


@dataclass(frozen=True)
class Mix:
    """Fractions of trials by outcome; the rest complete and feasible."""

    pruned: float = 0.15
    infeasible: float = 0.05
    failed: float = 0.03
    running: int = 1


@functools.cache
def _arch_cached(sr: float, pct3x3: float, width: float, bypass: str, downsample: str) -> tuple[dict[str, Any], Any, str, str]:
    spec = get_preset(
        "squeezenet_cifar",
        meta={"sr": sr, "pct3x3": pct3x3},
        width_multiplier=width,
        bypass=bypass,
        downsample=downsample.split(","),
    )
    return spec.canonical().to_dict(), cost(spec), spec.arch_hash(), spec.label()


def _arch(params: dict[str, Any]) -> tuple[dict[str, Any], Any, str, str]:
    arch, c, arch_hash, label = _arch_cached(params["sr"], params["pct3x3"], params["width_multiplier"],
                                             params["bypass"], params["downsample"])
    return copy.deepcopy(arch), c, arch_hash, label


def make_trial(
    number: int,
    rng: random.Random,
    objectives: Sequence[str],
    outcome: str,
    max_params: float,
) -> FrozenTrial:
    """One synthetic trial with outcome completed | pruned | infeasible | failed | running."""
    params = {
        "sr": rng.choice(SR_CHOICES),
        "pct3x3": round(rng.uniform(0.1, 0.9), 1),
        "width_multiplier": rng.choice(WIDTH_CHOICES),
        "bypass": rng.choice(BYPASS_CHOICES),
        "downsample": rng.choice(DOWNSAMPLE_CHOICES),
    }
    arch, c, arch_hash, label = _arch(params)
    acc = 0.70 + 0.07 * (math.log10(c.params) - 4.5) - 0.15 * abs(params["pct3x3"] - 0.5) + rng.gauss(0, 0.015)
    acc = min(0.99, max(0.1, acc))
    if outcome in ("completed", "pruned") and c.params > max_params:
        outcome = "infeasible"  # the engine checks constraints before training
    epochs = 4
    curve = [round(acc * (1 - 0.5 ** (e + 1)), 4) for e in range(epochs)]
    metrics = {"val_acc": acc, "params": float(c.params), "macs": float(c.macs), "size_bytes": float(c.size_bytes())}
    user: dict[str, Any] = {
        attrs.ARCH_SPEC: arch, attrs.ARCH_HASH: arch_hash, attrs.ARCH_LABEL: label,
        attrs.PARAMS: c.params, attrs.MACS: c.macs, attrs.SIZE_BYTES: c.size_bytes(),
        attrs.PEAK_ACT_BYTES: c.peak_activation_bytes, attrs.SEED: number, attrs.DEVICE: "cpu",
    }
    system: dict[str, Any] = {attrs.CONSTRAINTS_KEY: [min(c.params - max_params, 0.0)]}
    start = T0 + timedelta(seconds=20 * number)
    end: datetime | None = start + timedelta(seconds=rng.uniform(10, 60))
    values: list[float] | None = None
    intermediate: dict[int, float] = {}
    state = TrialState.COMPLETE
    if outcome == "infeasible":
        system[attrs.CONSTRAINTS_KEY] = [max(c.params - max_params, 1.0)]
        user[attrs.STATUS] = "infeasible"
        user[attrs.INFEASIBLE_REASON] = (f"params {c.params:,} > {max_params:,.0f}" if c.params > max_params
                                         else "peak activation memory over the limit")
        values = [0.0] + [metrics[o] for o in objectives[1:]]
        end = start
    elif outcome == "pruned":
        state = TrialState.PRUNED
        curve = curve[:2]
        intermediate = dict(enumerate(curve))
        user.update({attrs.STATUS: "pruned", attrs.VAL_CURVE: curve, attrs.PRUNE_REASON: "dominated at epoch 2"})
    elif outcome == "failed":
        state = TrialState.FAIL
        user.update({attrs.STATUS: "oom", attrs.FAIL_REASON: "CUDA out of memory <b>bold</b>"})
    elif outcome == "running":
        state, end = TrialState.RUNNING, None
    else:
        intermediate = dict(enumerate(curve))
        values = [metrics[o] for o in objectives]
        user.update({
            attrs.STATUS: "completed", attrs.VAL_CURVE: curve, attrs.VAL_ACC: acc,
            attrs.TRAIN_SECONDS: rng.uniform(5, 50), attrs.IMAGES_PER_SECOND: rng.uniform(1e3, 1e4),
        })
    return FrozenTrial(
        number=number, trial_id=number, state=state, value=None, values=values,
        datetime_start=start, datetime_complete=end, params=params,
        distributions=dict(DISTRIBUTIONS), user_attrs=user, system_attrs=system,
        intermediate_values=intermediate,
    )


def outcomes(n: int, mix: Mix, rng: random.Random) -> list[str]:
    out = []
    for i in range(n):
        if i >= n - mix.running:
            out.append("running")
            continue
        r = rng.random()
        if r < mix.pruned:
            out.append("pruned")
        elif r < mix.pruned + mix.infeasible:
            out.append("infeasible")
        elif r < mix.pruned + mix.infeasible + mix.failed:
            out.append("failed")
        else:
            out.append("completed")
    return out


def build_study(
    storage_url: str,
    name: str,
    n_trials: int,
    *,
    objectives: Sequence[str] = ("val_acc", "params"),
    mix: Mix = Mix(),
    seed: int = 0,
    max_params: float = 2.0e6,
    dse_attrs: bool = True,
) -> optuna.Study:
    """Create study ``name`` in ``storage_url`` with ``n_trials`` synthetic trials."""
    directions = [attrs.METRICS[o][1] for o in objectives]
    storage = optuna.storages.RDBStorage(storage_url)
    study = optuna.create_study(storage=storage, study_name=name, directions=directions)
    if dse_attrs:
        study.set_user_attr(attrs.STUDY_OBJECTIVES, [{"name": o, "direction": d} for o, d in zip(objectives, directions)])
        study.set_user_attr(attrs.STUDY_DATASET, {"name": "cifar10", "num_classes": 10})
        study.set_user_attr(attrs.STUDY_SPACE, SPACE)
        study.set_user_attr(attrs.STUDY_CONFIG, {"name": name, "trials": n_trials})
        study.set_user_attr(attrs.STUDY_VERSION, "0.1.0")
        study.set_user_attr(attrs.STUDY_TARGET_TRIALS, n_trials)
    rng = random.Random(seed)
    kinds = outcomes(n_trials, mix, rng)
    insert_trials(storage, storage.get_study_id_from_name(name), [make_trial(i, rng, objectives, kind, max_params) for i, kind in enumerate(kinds)])
    storage.engine.dispose()
    return study


def _utc(when: datetime | None) -> datetime | None:
    return None if when is None else when.astimezone(timezone.utc).replace(tzinfo=None)


def insert_trials(storage: optuna.storages.RDBStorage, study_id: int, trials: Sequence[FrozenTrial]) -> None:
    """Append ``trials`` (numbers as given) to the study with one executemany per table."""
    tables = {m.__tablename__: m.__table__ for m in (
        models.TrialModel, models.TrialValueModel, models.TrialParamModel, models.TrialUserAttributeModel,
        models.TrialSystemAttributeModel, models.TrialIntermediateValueModel)}
    with storage.engine.begin() as conn:
        first = conn.execute(sa.select(sa.func.coalesce(sa.func.max(tables["trials"].c.trial_id), 0))).scalar_one() + 1
        rows: dict[str, list[dict[str, Any]]] = {k: [] for k in tables}
        finite = models.TrialValueModel.TrialValueType.FINITE
        ifinite = models.TrialIntermediateValueModel.TrialIntermediateValueType.FINITE
        for offset, t in enumerate(trials):
            tid = first + offset
            rows["trials"].append({"trial_id": tid, "number": t.number, "study_id": study_id, "state": t.state,
                                   "datetime_start": _utc(t.datetime_start), "datetime_complete": _utc(t.datetime_complete)})
            for i, v in enumerate(t.values or []):
                rows["trial_values"].append({"trial_id": tid, "objective": i, "value": v, "value_type": finite})
            for key, value in t.params.items():
                dist = t.distributions[key]
                rows["trial_params"].append({"trial_id": tid, "param_name": key, "param_value": dist.to_internal_repr(value),
                                             "distribution_json": distribution_to_json(dist)})
            for table, items in (("trial_user_attributes", t.user_attrs), ("trial_system_attributes", t.system_attrs)):
                rows[table].extend({"trial_id": tid, "key": k, "value_json": json.dumps(v)} for k, v in items.items())
            for step, v in t.intermediate_values.items():
                rows["trial_intermediate_values"].append({"trial_id": tid, "step": step, "intermediate_value": v,
                                                          "intermediate_value_type": ifinite})
        for name, table in tables.items():
            if rows[name]:
                conn.execute(table.insert(), rows[name])

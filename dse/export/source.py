"""What an export starts from: a trial of a study (checked to be exportable) and its weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import optuna
import torch
from torch import nn

from dse.arch import ArchSpec, ArchSpecError
from dse.export.errors import ExportError
from dse.export.latency import build_canonical
from dse.study import attrs

WeightsMode = Literal["retrained", "none"]
EXPORTABLE = ("completed", "duplicate")  # trained to the end (a duplicate reuses an identical trial's result)


@dataclass(frozen=True)
class TrialSource:
    """One exportable trial: its canonical spec and what the study knows about it."""

    study: str
    storage: str
    number: int
    spec: ArchSpec  # canonical
    status: str
    brief_val_acc: float | None  # accuracy of the brief training during the search
    objectives: dict[str, float]
    dataset: dict[str, Any]  # the study's dataset attr (name, num_classes, image_size, in_channels)
    data_dir: str | None
    image_size: int | None


@dataclass(frozen=True)
class Weights:
    """The weights to export: retrained (``dse retrain``) or the initial ones (``--weights none``)."""

    kind: WeightsMode
    state_dict: dict[str, torch.Tensor] | None
    seed: int
    val_acc: float | None = None
    test_acc: float | None = None
    retrain_trial: int | None = None
    seed_named: bool = False  # the seed was asked for (--seed), rather than the best run taken

    def note(self) -> str:
        if self.kind == "none":
            return "initial (untrained) weights: for latency and deployment tests only, predictions are meaningless"
        how = "the run with the requested seed" if self.seed_named else "the run with the best validation accuracy"
        return f"final weights of `dse retrain` run {self.retrain_trial} (seed {self.seed}), {how}"


def open_study(storage_url: str, name: str) -> optuna.Study:
    """Study ``name`` in ``storage_url`` (never creates a database or a study)."""
    from dse.study._database import open_storage, safe_url

    opened = open_storage(storage_url, heartbeat=False, create=False)
    try:
        return optuna.load_study(study_name=name, storage=opened)
    except KeyError:
        names = [s.study_name for s in optuna.get_all_study_summaries(opened, include_best_trial=False)]
        raise ExportError(f"no study named {name!r} in {safe_url(storage_url)}; studies there: "
                          f"{', '.join(names) or 'none'}") from None


def _status(trial: optuna.trial.FrozenTrial) -> str:
    """dse's status of a finished trial, as ``dse.study._runner.trial_status`` gives it (read here
    without importing the runner, which pulls in Lightning: seconds of start-up for a read)."""
    status = trial.user_attrs.get(attrs.STATUS)
    if trial.state == optuna.trial.TrialState.COMPLETE:
        return status or "completed"
    if trial.state == optuna.trial.TrialState.PRUNED:
        return "pruned"
    if trial.state == optuna.trial.TrialState.FAIL:
        return status if status and status not in EXPORTABLE else "failed"
    return trial.state.name.lower()


def trial_source(study: optuna.Study, storage_url: str, number: int) -> TrialSource:
    """Trial ``number`` of ``study``; ExportError when it does not exist or was not trained to the end."""
    trials = study.get_trials(deepcopy=False)
    found = [t for t in trials if t.number == number]
    name = study.study_name
    if not found:
        span = f"its trials are numbered 0..{len(trials) - 1}" if trials else "it has no trials yet"
        raise ExportError(f"study {name!r} has no trial {number} ({span}); `dse show {name}` lists its Pareto set")
    trial = found[0]
    status = _status(trial)
    ua = trial.user_attrs
    if status not in EXPORTABLE or trial.state != optuna.trial.TrialState.COMPLETE:
        why = ua.get(attrs.INFEASIBLE_REASON) or ua.get(attrs.PRUNE_REASON) or ua.get(attrs.FAIL_REASON)
        why = ' '.join(str(why).split())[:200] if why else ""
        if trial.state == optuna.trial.TrialState.FAIL and status != "failed":
            why = f"{status}: {why}" if why else status
            status = "failed"
        why = f" ({why})" if why else ""
        raise ExportError(f"trial {number} of {name!r} is {status}{why}; only completed trials can be exported "
                          f"(`dse show {name}` lists its Pareto set)")
    if attrs.ARCH_SPEC not in ua:
        raise ExportError(f"trial {number} of {name!r} stores no architecture ({attrs.ARCH_SPEC}); it was not made by dse")
    try:
        spec = ArchSpec.from_dict(ua[attrs.ARCH_SPEC]).canonical()
    except ArchSpecError as exc:
        raise ExportError(f"trial {number} of {name!r} stores an architecture this dse cannot read: {exc}") from None
    names = [o.get("name", f"objective {i}") for i, o in enumerate(study.user_attrs.get(attrs.STUDY_OBJECTIVES) or [])]
    values = list(trial.values or [])
    config = study.user_attrs.get(attrs.STUDY_CONFIG) or {}
    dataset_cfg = config.get("dataset") if isinstance(config.get("dataset"), dict) else {}
    acc = ua.get(attrs.VAL_ACC, values[0] if values else None)
    return TrialSource(
        study=name, storage=storage_url, number=number, spec=spec, status=status,
        brief_val_acc=None if acc is None else float(acc),
        objectives={n: float(v) for n, v in zip(names, values)},
        dataset=dict(study.user_attrs.get(attrs.STUDY_DATASET) or {}),
        data_dir=dataset_cfg.get("data_dir"), image_size=dataset_cfg.get("image_size"),
    )


def front_numbers(study: optuna.Study) -> list[int]:
    """Trial numbers of the study's Pareto set (as `dse show` prints it: completed, feasible trials)."""
    import numpy as np

    from dse.study._pareto import pareto_mask, to_loss

    trials = [t for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
              if _status(t) in EXPORTABLE and t.values is not None]
    if not trials:
        raise ExportError(f"study {study.study_name!r} has no completed trials, so no Pareto front to export")
    directions = [d.name.lower() for d in study.directions]
    mask = pareto_mask(to_loss(np.array([t.values for t in trials], dtype=float), directions))
    return sorted(t.number for t, keep in zip(trials, mask) if keep)


def resolve_weights(source: TrialSource, mode: WeightsMode, seed: int | None = None,
                    artifacts_dir: str | None = None) -> Weights:
    """The retrained weights of ``source`` (best seed unless ``seed``), or initial weights for ``none``."""
    if mode == "none":
        return Weights(kind="none", state_dict=None, seed=0 if seed is None else seed)
    if mode != "retrained":
        raise ExportError(f"--weights must be retrained or none, got {mode!r}")
    try:
        from dse.study._retrain import retrained_weights
    except ImportError:
        raise ExportError("this dse has no `dse retrain` yet, so there are no retrained weights; "
                          "export the architecture alone with --weights none") from None
    found = retrained_weights(source.storage, source.study, source.number, seed=seed, artifacts_dir=artifacts_dir)
    try:
        retrained = ArchSpec.from_dict(found.spec).canonical()
    except ArchSpecError as exc:
        raise ExportError(f"the retrained weights of trial {source.number} name an unreadable architecture: {exc}") from None
    if retrained.arch_hash() != source.spec.arch_hash():
        raise ExportError(f"the retrain run {found.retrain_trial} of trial {source.number} trained another architecture "
                          f"({retrained.arch_hash()} != {source.spec.arch_hash()}); rerun `dse retrain {source.study} "
                          f"--trials {source.number}`")
    return Weights(kind="retrained", state_dict=found.state_dict, seed=found.seed, val_acc=found.val_acc,
                   test_acc=found.test_acc, retrain_trial=found.retrain_trial, seed_named=seed is not None)


def make_model(source: TrialSource, weights: Weights) -> nn.Module:
    """The canonical network of ``source`` with ``weights`` loaded (eval mode, CPU, fp32)."""
    model = build_canonical(source.spec, seed=weights.seed)
    if weights.state_dict is not None:
        try:
            model.load_state_dict(weights.state_dict, strict=True)
        except RuntimeError as exc:
            raise ExportError(f"the retrained weights of trial {source.number} do not fit its architecture: "
                              f"{' '.join(str(exc).split())[:300]}") from None
    return model.eval()

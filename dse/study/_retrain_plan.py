"""What ``dse retrain NAME`` will train: the candidates, seeds and budget, checked before anything
is written (a bad request raises ``RetrainError`` with one line and leaves the storage untouched)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from dse.errors import DseError
from dse.study import attrs
from dse.study._retrain import RetrainError, default_artifacts_dir, is_retrain_study, open_readonly
from dse.study._database import safe_url

DEFAULT_SEEDS = 3
DEFAULT_EPOCHS = 10
HARD_FAILURES = ("diverged", "oom")  # a run that ended so is not tried again by a rerun
Pair = tuple[int, int]  # (source trial number, seed)


@dataclass(frozen=True)
class RetrainRequest:
    """The arguments of ``dse retrain``; ``train_subset`` None means the whole training split."""

    name: str
    storage: str
    top: int | None = None
    trials: tuple[int, ...] | None = None
    seeds: int = DEFAULT_SEEDS
    epochs: int = DEFAULT_EPOCHS
    train_subset: int | None = None
    artifacts: str | None = None
    data_dir: str | None = None


@dataclass
class RetrainPlan:
    request: RetrainRequest
    source: optuna.Study
    config: Any  # the source study's StudyConfig
    candidates: list[FrozenTrial]  # source trials to retrain, cheapest first
    artifacts: Path
    data: Any  # the loaded dataset

    @property
    def pairs(self) -> list[Pair]:
        return [(t.number, s) for t in self.candidates for s in range(self.request.seeds)]

    @property
    def budget(self) -> dict[str, Any]:
        return {"epochs": self.request.epochs, "train_subset": self.request.train_subset}


def parse_trials(text: str | None) -> tuple[int, ...] | None:
    """``"3,7,9"`` -> (3, 7, 9); a bad list raises RetrainError."""
    if text is None:
        return None
    try:
        numbers = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise RetrainError(f"--trials {text!r}: give trial numbers separated by commas, e.g. --trials 3,7,9") from None
    if not numbers or min(numbers) < 0:
        raise RetrainError(f"--trials {text!r}: give trial numbers >= 0 separated by commas, e.g. --trials 3,7,9")
    return tuple(dict.fromkeys(numbers))


def parse_subset(text: str | None) -> int | None:
    """``"all"`` (or None) -> None; ``"5000"`` -> 5000."""
    if text is None or text.strip().lower() == "all":
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise RetrainError(f"--train-subset {text!r}: give a number of training images >= 1, or `all`")
    return value


def counted(t: FrozenTrial) -> bool:
    from dse.study._records import COUNTED, trial_status

    return t.state == TrialState.COMPLETE and trial_status(t) in COUNTED and t.values is not None


def pareto_candidates(trials: list[FrozenTrial], directions: list[str]) -> list[FrozenTrial]:
    """The Pareto set of the completed trials, one trial per architecture (the first trained)."""
    import numpy as np

    from dse.study._pareto import pareto_mask, to_loss

    if not trials:
        return []
    mask = pareto_mask(to_loss(np.array([t.values for t in trials], dtype=float), directions))
    return [t for t, keep in zip(trials, mask) if keep]


def _one_per_arch(trials: Iterable[FrozenTrial]) -> list[FrozenTrial]:
    seen: dict[str, FrozenTrial] = {}
    for t in sorted(trials, key=lambda t: t.number):
        seen.setdefault(t.user_attrs.get(attrs.ARCH_HASH, f"#{t.number}"), t)
    return list(seen.values())


def _cost(t: FrozenTrial) -> float:
    return float(t.values[1]) if t.values and len(t.values) > 1 else float(t.user_attrs.get(attrs.PARAMS) or 0)


def load_source(storage: str, name: str) -> tuple[optuna.Study, Any]:
    """The source study and its stored dse config; one-line errors for a missing study, a study made
    by plain Optuna, and a companion study named as source."""
    from dse.study._runner import load_stored_config

    opened = open_readonly(storage)  # a bad request writes nothing
    try:
        study = optuna.load_study(study_name=name, storage=opened)
    except KeyError:
        names = [s.study_name for s in optuna.get_all_study_summaries(opened, include_best_trial=False)]
        raise RetrainError(f"no study named {name!r} in {safe_url(storage)}; studies there: "
                           f"{', '.join(names) or 'none'}") from None
    if is_retrain_study(study):
        source = study.user_attrs.get(attrs.STUDY_RETRAIN_OF, "NAME")
        raise RetrainError(f"{name!r} holds retrain runs already; retrain its source study: `dse retrain {source}`")
    if attrs.STUDY_CONFIG not in study.user_attrs:
        raise RetrainError(f"study {name!r} in {safe_url(storage)} was not made by dse (no stored config, search "
                           "space or training recipe); retrain a study started with `dse launch`")
    try:
        return study, load_stored_config(study)
    except DseError as exc:
        raise RetrainError(f"study {name!r}: {exc}") from None


def choose_candidates(study: optuna.Study, request: RetrainRequest) -> list[FrozenTrial]:
    all_trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    done = [t for t in all_trials.values() if counted(t)]
    if not done:
        raise RetrainError(f"study {request.name!r} has no completed trials to retrain; run it first with "
                           f"`dse resume {request.name} --trials N`")
    if request.trials is not None:
        chosen = []
        for n in request.trials:
            t = all_trials.get(n)
            if t is None:
                raise RetrainError(f"--trials: study {request.name!r} has no trial {n} (its trials are 0.."
                                   f"{max(all_trials)}); `dse show {request.name}` lists the completed ones")
            if not counted(t) or attrs.ARCH_SPEC not in t.user_attrs:
                from dse.study._records import trial_status

                raise RetrainError(f"--trials: trial {n} of {request.name!r} did not complete (it is "
                                   f"{trial_status(t)}); name completed trials, e.g. {done[0].number}")
            chosen.append(t)
        return sorted(_one_per_arch(chosen), key=lambda t: (_cost(t), t.number))
    directions = [d.name.lower() for d in study.directions]
    front = sorted(_one_per_arch(pareto_candidates(done, directions)), key=lambda t: (_cost(t), t.number))
    return front[: request.top] if request.top else front


def plan_retrain(request: RetrainRequest) -> RetrainPlan:
    """Check the request and load what it needs (study, candidates, dataset); writes nothing."""
    if request.seeds < 1:
        raise RetrainError(f"--seeds {request.seeds}: give at least 1 seed per candidate (default {DEFAULT_SEEDS})")
    if request.epochs < 1:
        raise RetrainError(f"--epochs {request.epochs}: give at least 1 epoch (default {DEFAULT_EPOCHS})")
    if request.top is not None and request.top < 1:
        raise RetrainError(f"--top {request.top}: give at least 1 candidate")
    if request.top is not None and request.trials is not None:
        raise RetrainError("--top and --trials exclude each other: give one of them")
    study, config = load_source(request.storage, request.name)
    candidates = choose_candidates(study, request)
    artifacts = default_artifacts_dir(request.storage, request.artifacts)
    from dse.study._session import load_data_for

    try:
        data = load_data_for(config, request.data_dir)
    except DseError as exc:
        raise RetrainError(f"dataset of {request.name!r}: {exc}") from None
    return RetrainPlan(request, study, config, candidates, artifacts, data)


def pair_of(t: FrozenTrial) -> Pair | None:
    source, seed = t.user_attrs.get(attrs.SOURCE_TRIAL), t.user_attrs.get(attrs.SEED)
    if source is None or seed is None:
        source, seed = t.params.get("source_trial"), t.params.get("seed")
    return None if source is None or seed is None else (int(source), int(seed))


def pair_states(study: optuna.Study) -> dict[Pair, str]:
    """Each (source trial, seed) pair's state in a companion study: "done" when any run completed,
    else the state of its latest run: "waiting", "running", "closed" (diverged or out of memory: not
    run again), "failed" (crashed: run again by the next ``dse retrain``, not by running workers)
    or "open" (interrupted or killed: to be run again)."""
    out: dict[Pair, str] = {}
    latest: dict[Pair, FrozenTrial] = {}
    for t in study.get_trials(deepcopy=False):
        pair = pair_of(t)
        if pair is None:
            continue
        if t.state == TrialState.COMPLETE:
            out[pair] = "done"
        elif pair not in latest or t.number > latest[pair].number:
            latest[pair] = t
    for pair, t in latest.items():
        if pair in out:
            continue
        if t.state == TrialState.WAITING:
            out[pair] = "waiting"
        elif t.state == TrialState.RUNNING:
            out[pair] = "running"
        elif t.state == TrialState.FAIL and t.user_attrs.get(attrs.STATUS) in HARD_FAILURES:
            out[pair] = "closed"
        elif t.state == TrialState.FAIL and t.user_attrs.get(attrs.STATUS):
            out[pair] = "failed"
        else:
            out[pair] = "open"
    return out


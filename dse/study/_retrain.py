"""Retrained weights: the storage contract between ``dse retrain`` and its readers (``dse export``).

``dse retrain NAME`` trains candidates of study NAME again, from scratch at a larger budget and with
several seeds, in a companion Optuna study ``NAME.retrain`` in the same storage (one trial per
(candidate, seed) run; see ``dse.study._retrain_run``). Every run stores its final
``model.state_dict()`` as an Optuna artifact in a ``FileSystemArtifactStore``: by default the folder
``DIR/NAME.artifacts`` beside a SQLite database ``DIR/NAME.db``, otherwise the folder given with
``--artifacts``; the companion study records the folder's absolute path (``attrs.STUDY_ARTIFACTS``).

``retrained_weights(storage, study, trial)`` reads a run back::

    w = retrained_weights("sqlite:///studies/quickstart.db", "quickstart", 7)
    model = build(ArchSpec.from_dict(w.spec)); model.load_state_dict(w.state_dict)
"""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from dse.errors import DseError
from dse.study import attrs
from dse.study._database import safe_url, sqlite_path

RETRAIN_SUFFIX = ".retrain"


class RetrainError(DseError):
    """A retrain cannot be run, or retrained weights cannot be read."""


@dataclass(frozen=True)
class RetrainedWeights:
    """The final weights of one retrain run and what they were measured at."""

    state_dict: dict[str, Any]  # dict[str, torch.Tensor]
    spec: dict  # canonical ArchSpec dict: build(ArchSpec.from_dict(spec)) takes the state_dict
    seed: int
    val_acc: float
    test_acc: float | None
    retrain_trial: int  # trial number in the companion study


def companion_name(study_name: str) -> str:
    """The name of the companion study holding the retrain runs of ``study_name``."""
    return f"{study_name}{RETRAIN_SUFFIX}"


def default_artifacts_dir(storage_url: str, artifacts_dir: str | None = None) -> Path:
    """``artifacts_dir`` when given, else ``DIR/NAME.artifacts`` beside a SQLite file ``DIR/NAME.db``."""
    if artifacts_dir:
        return Path(artifacts_dir).expanduser().resolve()
    path = sqlite_path(storage_url)
    if path is None:
        raise RetrainError(
            f"storage {safe_url(storage_url)} is not a SQLite file, so there is no default folder for the "
            "weights; name one with --artifacts DIR (a folder every worker can reach)"
        )
    return path.expanduser().resolve().with_suffix(".artifacts")


def artifact_store(folder: str | Path) -> optuna.artifacts.FileSystemArtifactStore:
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return optuna.artifacts.FileSystemArtifactStore(str(path))


def upload_weights(trial: optuna.Trial, state_dict: dict[str, Any], folder: str | Path) -> str:
    """Store ``state_dict`` (``torch.save``) as an artifact of ``trial``; returns the artifact id."""
    import torch

    store = artifact_store(folder)
    with tempfile.TemporaryDirectory(prefix="dse-weights-") as tmp:
        path = Path(tmp) / f"trial{trial.number}.pt"
        torch.save({k: v.detach().cpu().contiguous() for k, v in state_dict.items()}, path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.artifacts.upload_artifact(artifact_store=store, file_path=str(path), study_or_trial=trial)


def download_weights(folder: str | Path, artifact_id: str) -> dict[str, Any]:
    """The state_dict stored as artifact ``artifact_id`` in ``folder``."""
    import torch

    folder = Path(folder)
    if not folder.is_dir():
        raise RetrainError(f"artifact folder {folder} does not exist; give the folder of the weights with --artifacts DIR")
    store = optuna.artifacts.FileSystemArtifactStore(str(folder))
    with tempfile.TemporaryDirectory(prefix="dse-weights-") as tmp:
        path = Path(tmp) / "weights.pt"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                optuna.artifacts.download_artifact(artifact_store=store, file_path=str(path), artifact_id=artifact_id)
        except (FileNotFoundError, OSError):
            raise RetrainError(f"weights artifact {artifact_id} is missing from {folder}") from None
        return torch.load(path, map_location="cpu", weights_only=True)


def open_readonly(storage_url: str) -> optuna.storages.RDBStorage:
    """A storage for reading only (SQLite files opened with ``mode=ro``; no tables created)."""
    from dse.study._database import open_readonly as _open_readonly

    try:
        return _open_readonly(storage_url)
    except DseError as exc:
        raise RetrainError(str(exc)) from None


def load_companion(storage_url: str, study_name: str) -> optuna.Study | None:
    """The companion study of ``study_name`` (read-only), or None when there is none yet."""
    opened = open_readonly(storage_url)
    try:
        return optuna.load_study(study_name=companion_name(study_name), storage=opened)
    except KeyError:
        return None


def is_retrain_study(study: optuna.Study) -> bool:
    return study.user_attrs.get(attrs.STUDY_KIND) == attrs.KIND_RETRAIN


def completed_runs(study: optuna.Study) -> list[FrozenTrial]:
    """The finished (COMPLETE) runs of a companion study that carry a source trial and a seed."""
    return [
        t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if isinstance(t.user_attrs.get(attrs.SOURCE_TRIAL), int) and isinstance(t.user_attrs.get(attrs.SEED), int)
    ]


def retrained_weights(storage_url: str, study_name: str, trial_number: int,
                      seed: int | None = None, artifacts_dir: str | None = None) -> RetrainedWeights:
    """The weights of source trial ``trial_number`` of ``study_name`` from its retrain runs: the run
    with the best validation accuracy unless ``seed`` is named. Raises RetrainError (one line naming
    ``dse retrain NAME --trials N``) when there are none."""
    hint = f"`dse retrain {study_name} --trials {trial_number}`"
    companion = load_companion(storage_url, study_name)
    if companion is None:
        raise RetrainError(f"study {study_name!r} has no retrain runs in {safe_url(storage_url)}; run {hint} first")
    runs = [t for t in completed_runs(companion) if t.user_attrs[attrs.SOURCE_TRIAL] == trial_number]
    if seed is not None:
        runs = [t for t in runs if t.user_attrs[attrs.SEED] == seed]
    runs = [t for t in runs if attrs.WEIGHTS_ARTIFACT in t.user_attrs]
    if not runs:
        which = f"trial {trial_number}" + (f" with seed {seed}" if seed is not None else "")
        raise RetrainError(f"{which} of study {study_name!r} has no finished retrain run with weights; run "
                           f"{hint}" + (f" --seeds {seed + 1}" if seed is not None else ""))
    best = max(runs, key=lambda t: (float(t.user_attrs.get(attrs.VAL_ACC, t.values[0])), -t.number))
    folder = artifacts_dir or companion.user_attrs.get(attrs.STUDY_ARTIFACTS)
    if not folder:
        raise RetrainError(f"{companion.study_name} does not name its artifact folder; give it with --artifacts DIR")
    ua = best.user_attrs
    test = ua.get(attrs.TEST_ACC)
    return RetrainedWeights(
        state_dict=download_weights(folder, ua[attrs.WEIGHTS_ARTIFACT]),
        spec=dict(ua[attrs.ARCH_SPEC]),
        seed=int(ua[attrs.SEED]),
        val_acc=float(ua.get(attrs.VAL_ACC, best.values[0])),
        test_acc=None if test is None else float(test),
        retrain_trial=best.number,
    )

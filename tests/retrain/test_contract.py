"""The storage contract of retrained weights (RETRAIN_CONTRACT.md): a companion study written by
hand, as plain Optuna would, is read back by ``retrained_weights`` into ``build(spec)``."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
import torch

from dse.arch import ArchSpec, build, get_preset
from dse.study import attrs
from dse.study._retrain import (
    RetrainError,
    artifact_store,
    companion_name,
    default_artifacts_dir,
    retrained_weights,
)


def tiny_spec() -> dict:
    spec = get_preset("squeezenet_cifar", in_channels=1, input_size=28, num_classes=10, width_multiplier=0.125)
    return spec.canonical().to_dict()


def write_companion(tmp_path: Path, runs: list[tuple[int, int, float]]) -> tuple[str, Path, dict]:
    """A companion study made with plain Optuna, following the contract; returns (url, folder, weights by seed)."""
    url = f"sqlite:///{tmp_path / 'toy.db'}"
    folder = tmp_path / "toy.artifacts"
    study = optuna.create_study(study_name=companion_name("toy"), storage=url, direction="maximize")
    study.set_user_attr(attrs.STUDY_KIND, attrs.KIND_RETRAIN)
    study.set_user_attr(attrs.STUDY_RETRAIN_OF, "toy")
    study.set_user_attr(attrs.STUDY_ARTIFACTS, str(folder.resolve()))
    spec = tiny_spec()
    saved = {}
    for source, seed, acc in runs:
        trial = study.ask()
        torch.manual_seed(seed)
        model = build(ArchSpec.from_dict(spec))
        path = tmp_path / f"w{seed}.pt"
        torch.save(model.state_dict(), path)
        saved[(source, seed)] = model.state_dict()
        artifact = optuna.artifacts.upload_artifact(artifact_store=artifact_store(folder), file_path=str(path),
                                                    study_or_trial=trial)
        for key, value in {attrs.SOURCE_TRIAL: source, attrs.SEED: seed, attrs.VAL_ACC: acc, attrs.TEST_ACC: acc - 0.01,
                           attrs.WEIGHTS_ARTIFACT: artifact, attrs.ARCH_SPEC: spec}.items():
            trial.set_user_attr(key, value)
        study.tell(trial, acc)
    return url, folder, saved


def test_best_run_is_read_back_and_loads_into_build(tmp_path: Path) -> None:
    url, folder, saved = write_companion(tmp_path, [(3, 0, 0.80), (3, 1, 0.85), (3, 2, 0.82), (5, 0, 0.9)])
    w = retrained_weights(url, "toy", 3)
    assert (w.seed, w.val_acc, w.retrain_trial) == (1, 0.85, 1)
    assert w.test_acc == pytest.approx(0.84)
    model = build(ArchSpec.from_dict(w.spec))
    model.load_state_dict(w.state_dict)  # strict: every tensor fits
    for key, value in saved[(3, 1)].items():
        assert torch.equal(model.state_dict()[key], value), key
    named = retrained_weights(url, "toy", 3, seed=2, artifacts_dir=str(folder))
    assert named.seed == 2
    assert all(torch.equal(named.state_dict[k], v) for k, v in saved[(3, 2)].items())


def test_missing_runs_name_the_command(tmp_path: Path) -> None:
    url, _, _ = write_companion(tmp_path, [(3, 0, 0.8)])
    with pytest.raises(RetrainError, match=r"dse retrain toy --trials 4"):
        retrained_weights(url, "toy", 4)
    with pytest.raises(RetrainError, match=r"seed 5"):
        retrained_weights(url, "toy", 3, seed=5)
    optuna.create_study(study_name="other", storage=url)
    with pytest.raises(RetrainError, match=r"no retrain runs.*dse retrain other --trials 1"):
        retrained_weights(url, "other", 1)


def test_default_artifact_folder_sits_beside_the_sqlite_file(tmp_path: Path) -> None:
    assert default_artifacts_dir(f"sqlite:///{tmp_path}/studies/q.db") == (tmp_path / "studies" / "q.artifacts").resolve()
    assert default_artifacts_dir("postgresql://u@h/db", str(tmp_path / "w")) == (tmp_path / "w").resolve()
    with pytest.raises(RetrainError, match="--artifacts DIR"):
        default_artifacts_dir("postgresql://u@h/db")

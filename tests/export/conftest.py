"""Studies for export tests, written with plain Optuna (no training): a search study with trials in
every state, and its companion ``NAME.retrain`` study following RETRAIN_CONTRACT.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
import pytest
import torch
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from dse.arch import ArchSpec, build, get_preset

# Contract names, spelled out so that the fixture follows the contract and not our own reading of it.
KIND, RETRAIN_OF, ARTIFACTS = "dse:kind", "dse:retrain_of", "dse:artifacts"
SOURCE_TRIAL, SEED, VAL_ACC, TEST_ACC = "dse:source_trial", "dse:seed", "dse:val_acc", "dse:test_acc"
WEIGHTS_ARTIFACT, ARCH = "dse:weights_artifact", "dse:arch"


def tiny_spec(**overrides: Any) -> dict:
    """A very narrow Fashion-MNIST network (28x28 grey, 10 classes), canonical dict."""
    spec = get_preset("squeezenet_cifar", in_channels=1, input_size=28, num_classes=10, width_multiplier=0.125,
                      **overrides)
    return spec.canonical().to_dict()


@dataclass
class ToyStudy:
    url: str
    name: str
    path: Path
    numbers: dict[str, int] = field(default_factory=dict)  # status -> trial number
    weights: dict[tuple[int, int], dict] = field(default_factory=dict)  # (trial, seed) -> state_dict


def _trial(status: str, values: list[float] | None, spec: dict, state: TrialState, extra: dict | None = None):
    ua = {ARCH: spec, "dse:status": status, "dse:val_acc": values[0] if values else 0.1, "dse:params": int(values[1]) if values else 0}
    ua.update(extra or {})
    return create_trial(state=state, values=values, params={"x": 0.5}, distributions={"x": FloatDistribution(0, 1)},
                        user_attrs=ua)


def make_study(tmp_path: Path, name: str = "toy") -> ToyStudy:
    """A dse-like study: completed trials 0 and 1 (both on the front), 2 pruned, 3 infeasible, 4 failed."""
    url = f"sqlite:///{tmp_path / name}.db"
    study = optuna.create_study(study_name=name, storage=url, directions=["maximize", "minimize"])
    for key, value in {
        "dse:config": {"name": name, "dataset": {"name": "fashion-mnist-mini", "data_dir": None, "image_size": None}},
        "dse:dataset": {"name": "fashion-mnist-mini", "num_classes": 10, "image_size": 28, "in_channels": 1},
        "dse:objectives": [{"name": "val_acc", "direction": "maximize"}, {"name": "params", "direction": "minimize"}],
    }.items():
        study.set_user_attr(key, value)
    small, big = tiny_spec(), tiny_spec(bypass="simple")
    study.add_trial(_trial("completed", [0.70, 1000.0], small, TrialState.COMPLETE))
    study.add_trial(_trial("completed", [0.80, 2000.0], big, TrialState.COMPLETE))
    study.add_trial(create_trial(state=TrialState.PRUNED, params={"x": 0.1}, distributions={"x": FloatDistribution(0, 1)},
                                 user_attrs={ARCH: small, "dse:status": "pruned", "dse:prune_reason": "dominated after epoch 1"}))
    study.add_trial(_trial("infeasible", [0.0, 9e9], small, TrialState.COMPLETE,
                           {"dse:infeasible_reason": "params 9,000,000,000 > 400,000"}))
    study.add_trial(create_trial(state=TrialState.FAIL, params={"x": 0.2}, distributions={"x": FloatDistribution(0, 1)},
                                 user_attrs={ARCH: small, "dse:status": "diverged", "dse:fail_reason": "loss is NaN"}))
    return ToyStudy(url, name, tmp_path, {"completed": 0, "big": 1, "pruned": 2, "infeasible": 3, "failed": 4})


def write_companion(toy: ToyStudy, runs: list[tuple[int, int, float]]) -> Path:
    """Retrain runs (source trial, seed, val acc) of ``toy`` with their weights as Optuna artifacts."""
    folder = toy.path / f"{toy.name}.artifacts"
    folder.mkdir(exist_ok=True)
    store = optuna.artifacts.FileSystemArtifactStore(str(folder))
    search = optuna.load_study(study_name=toy.name, storage=toy.url)
    companion = optuna.create_study(study_name=f"{toy.name}.retrain", storage=toy.url, direction="maximize",
                                    load_if_exists=True)
    companion.set_user_attr(KIND, "retrain")
    companion.set_user_attr(RETRAIN_OF, toy.name)
    companion.set_user_attr(ARTIFACTS, str(folder.resolve()))
    for source, seed, acc in runs:
        spec = search.trials[source].user_attrs[ARCH]
        torch.manual_seed(1000 + seed)
        model = build(ArchSpec.from_dict(spec))
        with torch.no_grad():  # non-trivial BatchNorm statistics, so eval-mode export is really tested
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.5, 0.5)
                    m.running_var.uniform_(0.5, 2.0)
        path = toy.path / f"w{source}-{seed}.pt"
        torch.save(model.state_dict(), path)
        toy.weights[(source, seed)] = {k: v.clone() for k, v in model.state_dict().items()}
        trial = companion.ask()
        artifact = optuna.artifacts.upload_artifact(artifact_store=store, file_path=str(path), study_or_trial=trial)
        for key, value in {SOURCE_TRIAL: source, SEED: seed, VAL_ACC: acc, TEST_ACC: acc - 0.01,
                           WEIGHTS_ARTIFACT: artifact, ARCH: spec}.items():
            trial.set_user_attr(key, value)
        companion.tell(trial, acc)
    return folder


@pytest.fixture(autouse=True)
def one_thread():
    """One torch (and so onnxruntime) thread: on a shared, loaded machine two spinning OpenMP threads
    make a tiny forward pass take seconds instead of milliseconds."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


@pytest.fixture
def toy(tmp_path: Path) -> ToyStudy:
    return make_study(tmp_path)

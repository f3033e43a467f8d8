"""Measured latency in a study: an objective and a constraint measured before training, one device per
study; `dse arch --latency`. No timed assertions: only that measurements exist and are used."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest
import yaml
from typer.testing import CliRunner

from dse.arch import get_preset
from dse.cli import app
from dse.export.errors import LatencyDeviceError
from dse.export.latency import RUNS, measure_spec
from dse.study import attrs
from dse.study._config import ConfigError, config_from_data
from dse.study._samplers import make_sampler
from dse.study._session import start
from dse.train import TrainResult

from ..study.conftest import tiny_config

pytest.importorskip("onnxruntime")
runner = CliRunner()
OTHER_DEVICE = {"device": "cuda", "device_name": "NVIDIA H200", "threads": None, "runtime": "torch eager"}


def _session(tmp_path: Path, monkeypatch, **overrides):
    import dse.study._objective as objective

    trained = []

    def fake_train(build, data, *args, **kwargs):  # counts trainings; a result without spending CPU on it
        trained.append(build())
        return TrainResult(status="completed", reason=None, val_acc=0.5, val_curve=[0.5])

    monkeypatch.setattr(objective, "train_candidate", fake_train)
    config = config_from_data(tiny_config(tmp_path, **overrides))
    return start(config), trained


def _one_trial(session) -> None:
    session.study.optimize(session.objective, n_trials=1)


def test_latency_constraint_skips_training(tmp_path: Path, monkeypatch) -> None:
    session, trained = _session(tmp_path, monkeypatch, constraints={"max_latency_ms": 1e-6})
    _one_trial(session)
    trial = session.study.trials[0]
    ua = trial.user_attrs
    assert trained == []  # never trained
    assert ua[attrs.STATUS] == "infeasible" and "latency_ms" in ua[attrs.INFEASIBLE_REASON]
    assert ua[attrs.LATENCY_MS] > 1e-6 and ua[attrs.LATENCY]["runs"] >= RUNS
    assert trial.constraints["max_latency_ms"] > 0  # recorded through Optuna's constraint API
    assert session.study.user_attrs[attrs.STUDY_LATENCY_DEVICE]["device"] == ua[attrs.LATENCY]["device"]


def test_latency_objective_is_measured_before_training(tmp_path: Path, monkeypatch) -> None:
    session, trained = _session(tmp_path, monkeypatch, objectives=["val_acc", "latency_ms"])
    _one_trial(session)
    trial = session.study.trials[0]
    assert len(trained) == 1 and trial.state == optuna.trial.TrialState.COMPLETE
    assert trial.values[1] == trial.user_attrs[attrs.LATENCY_MS] > 0
    measured = trial.user_attrs[attrs.LATENCY]
    assert {"median_ms", "iqr_ms", "threads", "device_name", "runtime"} <= set(measured)
    assert session.study.user_attrs[attrs.STUDY_OBJECTIVES][1] == {"name": "latency_ms", "direction": "minimize"}


def test_worker_on_another_device_kind_refuses(tmp_path: Path, monkeypatch) -> None:
    session, trained = _session(tmp_path, monkeypatch, objectives=["val_acc", "latency_ms"])
    session.study.set_user_attr(attrs.STUDY_LATENCY_DEVICE, OTHER_DEVICE)
    with pytest.raises(LatencyDeviceError, match="never mixed") as info:
        _one_trial(session)
    assert "\n" not in str(info.value) and "NVIDIA H200" in str(info.value)
    assert trained == [] and attrs.LATENCY_MS not in session.study.trials[0].user_attrs

    session.study.set_user_attr(attrs.STUDY_TARGET_TRIALS, 3)
    result = runner.invoke(app, ["worker", "tiny", "--storage", session.config.storage, "--quiet"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "latencies from different devices are never mixed" in lines[0]


def test_config_accepts_latency_and_keeps_old_hashes(tmp_path: Path) -> None:
    plain = config_from_data(tiny_config(tmp_path))
    assert "max_latency_ms" not in plain.identity()["constraints"]  # studies made before it keep their hash
    limited = config_from_data(tiny_config(tmp_path, objectives=["val_acc", "latency_ms"],
                                           constraints={"max_latency_ms": 2.5}))
    assert limited.constraints.limits() == {"latency_ms": 2.5}
    assert limited.directions() == ["maximize", "minimize"]
    assert limited.config_hash() != plain.config_hash()
    with pytest.raises(ConfigError, match="max_latency_ms"):
        config_from_data(tiny_config(tmp_path, constraints={"max_latency_ms": 0}))


def test_cost_aware_sampler_refuses_latency(tmp_path: Path) -> None:
    from dse.study._session import load_space_for

    config = config_from_data(tiny_config(tmp_path, objectives=["val_acc", "latency_ms"], sampler={"name": "cost_aware"}))
    with pytest.raises(ConfigError, match="cannot use latency_ms"):
        make_sampler(config, load_space_for(config), fixed={"in_channels": 1, "input_size": 28, "num_classes": 10})


def test_arch_latency_prints_a_measurement(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump({"preset": "squeezenet_cifar", "in_channels": 1, "input_size": 28,
                                    "width_multiplier": 0.125}))
    result = runner.invoke(app, ["arch", str(path), "--latency", "--json", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    latency = json.loads(result.output)["latency"]
    assert latency["runs"] >= RUNS and latency["batch"] == 1 and latency["device"] == "cpu"
    assert latency["q1_ms"] <= latency["median_ms"] <= latency["q3_ms"]
    table = runner.invoke(app, ["arch", str(path), "--latency", "--device", "cpu"])
    assert table.exit_code == 0 and "median of 50" in table.output
    bad = runner.invoke(app, ["arch", str(path), "--latency", "--device", "tpu"])
    assert bad.exit_code == 2 and "tpu" in bad.output


def test_fewer_than_fifty_runs_are_refused() -> None:
    with pytest.raises(ValueError, match=">= 50"):
        measure_spec(get_preset("squeezenet_cifar"), "cpu", runs=10)


def test_gpu_timing_path_runs() -> None:
    """The PyTorch-eager timer (used on GPUs) on the CPU: the code path runs without a GPU."""
    import torch

    from dse.export.latency import _time_eager, build_canonical, spec_input

    spec = get_preset("squeezenet_cifar", in_channels=1, input_size=28, width_multiplier=0.125)
    samples, runtime = _time_eager(build_canonical(spec), spec_input(spec), RUNS, 2, torch.device("cpu"))
    assert len(samples) == RUNS and all(s > 0 for s in samples) and "eager" in runtime

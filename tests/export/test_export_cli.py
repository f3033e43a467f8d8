"""`dse export` end to end on hand-written studies: files, card fields, retrained weights, and every
bad input (one line, exit 2, nothing left behind)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from dse.arch import ArchSpec, build, load_arch
from dse.cli import app

from .conftest import ToyStudy, write_companion

pytest.importorskip("onnxruntime")
runner = CliRunner()

CARD_FIELDS = {
    "study", "trial", "label", "arch_hash", "dataset", "input", "output", "class_names", "params", "macs", "flops",
    "bytes", "weights", "weights_note", "seed", "accuracy", "latency", "int8", "files", "checks", "versions",
}


def export(toy: ToyStudy, *args: str):
    return runner.invoke(app, ["export", toy.name, "--storage", toy.url, *args])


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial" in p.name or ".old" in p.name)


def test_retrained_export_writes_every_file_and_field(toy: ToyStudy) -> None:
    write_companion(toy, [(0, 0, 0.70), (0, 1, 0.75), (0, 2, 0.72)])
    out = toy.path / "shipped"
    result = export(toy, "--trial", "0", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["arch.yaml", "model.onnx", "model.pt", "model_card.json"]
    card = json.loads((out / "model_card.json").read_text())
    assert CARD_FIELDS <= set(card)
    assert (card["study"], card["trial"], card["weights"], card["seed"]) == ("toy", 0, "retrained", 1)
    assert card["dataset"]["name"] == "fashion-mnist-mini"
    assert card["input"]["shape"] == ["batch", 1, 28, 28]
    assert card["input"]["mean"] == [pytest.approx(0.2840)] and card["input"]["std"] == [pytest.approx(0.3513)]
    assert card["class_names"][0] == "T-shirt/top" and len(card["class_names"]) == 10
    assert card["bytes"] == {"fp32": 4 * card["params"], "fp16": 2 * card["params"], "int8": card["params"]}
    assert card["accuracy"]["brief_val_acc"] == pytest.approx(0.70)
    assert card["accuracy"]["confirmed"] == {"val_acc": 0.75, "test_acc": pytest.approx(0.74), "seed": 1,
                                             "retrain_study": "toy.retrain", "retrain_trial": 1}
    lat = card["latency"]
    assert lat["runs"] >= 50 and lat["batch"] == 1 and lat["q1_ms"] <= lat["median_ms"] <= lat["q3_ms"]
    assert lat["device"] == "cpu" and lat["runtime"].startswith("onnxruntime") and lat["threads"] >= 1
    assert lat["iqr_ms"] == pytest.approx(lat["q3_ms"] - lat["q1_ms"], abs=1e-3)
    assert set(card["versions"]) >= {"dse", "torch", "onnx", "onnxruntime"} and all(card["versions"].values())
    assert card["int8"] is None and card["checks"]["onnx_max_abs_diff"] <= 1e-4
    assert card["files"]["model.onnx"]["bytes"] == (out / "model.onnx").stat().st_size

    # the ONNX file holds the retrained weights of seed 1 and takes any batch size
    import onnxruntime as ort

    model = build(ArchSpec.from_dict(json.loads(json.dumps(card)) and load_arch(str(out / "arch.yaml")).to_dict()))
    model.load_state_dict(toy.weights[(0, 1)])
    x = torch.randn(4, 1, 28, 28)
    session = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x.numpy()})[0]
    assert got.shape == (4, 10)
    np.testing.assert_allclose(got, model.eval()(x).detach().numpy(), atol=1e-4, rtol=1e-4)

    # arch.yaml is read by `dse arch` and is the trial's architecture
    shown = runner.invoke(app, ["arch", str(out / "arch.yaml"), "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["arch_hash"] == card["arch_hash"]


def test_named_seed_and_force(toy: ToyStudy) -> None:
    write_companion(toy, [(0, 0, 0.70), (0, 1, 0.75)])
    out = toy.path / "shipped"
    out.mkdir()
    (out / "old.txt").write_text("keep me unless --force")
    line = one_line_error(export(toy, "--trial", "0", "--out", str(out), "--seed", "0"))
    assert "not empty" in line and "--force" in line
    assert (out / "old.txt").exists()
    result = export(toy, "--trial", "0", "--out", str(out), "--seed", "0", "--force", "--format", "onnx")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["arch.yaml", "model.onnx", "model_card.json"]
    card = json.loads((out / "model_card.json").read_text())
    assert card["seed"] == 0 and card["accuracy"]["confirmed"]["val_acc"] == 0.70
    assert "requested seed" in card["weights_note"]
    assert leftovers(toy.path) == []


def test_weights_none_and_torchscript_only(toy: ToyStudy) -> None:
    out = toy.path / "a" / "b"
    result = export(toy, "--trial", "1", "--weights", "none", "--format", "torchscript", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "initial weights" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["arch.yaml", "model.pt", "model_card.json"]
    card = json.loads((out / "model_card.json").read_text())
    assert card["weights"] == "none" and "untrained" in card["weights_note"] and card["accuracy"]["confirmed"] is None
    assert card["latency"]["median_ms"] > 0


def test_pareto_exports_one_folder_per_front_trial(toy: ToyStudy) -> None:
    out = toy.path / "front"
    result = export(toy, "--pareto", "--weights", "none", "--format", "onnx", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["front.json", "trial_0", "trial_1"]
    index = json.loads((out / "front.json").read_text())
    assert [t["trial"] for t in index["trials"]] == [0, 1]
    for sub in ("trial_0", "trial_1"):
        assert json.loads((out / sub / "model_card.json").read_text())["trial"] == int(sub[-1])


@pytest.mark.slow
def test_int8_export_records_size_and_accuracy(toy: ToyStudy) -> None:
    out = toy.path / "q"
    result = export(toy, "--trial", "0", "--weights", "none", "--format", "onnx", "--int8", "--out", str(out))
    assert result.exit_code == 0, result.output
    card = json.loads((out / "model_card.json").read_text())
    q = card["int8"]
    assert q["bytes"] == (out / "model.int8.onnx").stat().st_size and q["fp32_bytes"] == (out / "model.onnx").stat().st_size
    assert 0.0 <= q["test_acc"] <= 1.0 and 0.0 <= q["fp32_test_acc"] <= 1.0
    assert q["calibration_images"] == 256 and q["test_images"] == 2000
    assert q["cpu_latency_ms"]["int8"] > 0 and q["cpu_latency_ms"]["fp32"] > 0
    assert "model.int8.onnx" in card["files"]
    import onnxruntime as ort

    session = ort.InferenceSession(str(out / "model.int8.onnx"), providers=["CPUExecutionProvider"])
    assert session.run(None, {"input": np.zeros((3, 1, 28, 28), np.float32)})[0].shape == (3, 10)


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(("which", "words"), [
    ("unknown", "has no trial 99"),
    ("pruned", "is pruned (dominated after epoch 1)"),
    ("infeasible", "is infeasible (params"),
    ("failed", "is failed (diverged: loss is NaN)"),
])
def test_unexportable_trials_are_refused(toy: ToyStudy, which: str, words: str) -> None:
    number = "99" if which == "unknown" else str(toy.numbers[which])
    out = toy.path / "out"
    line = one_line_error(export(toy, "--trial", number, "--weights", "none", "--out", str(out)))
    assert words in line
    assert not out.exists() and leftovers(toy.path) == []


def test_missing_retrained_weights_name_dse_retrain(toy: ToyStudy) -> None:
    write_companion(toy, [(0, 0, 0.7)])
    out = toy.path / "out"
    line = one_line_error(export(toy, "--trial", "1", "--out", str(out)))
    assert "dse retrain toy --trials 1" in line
    assert not out.exists()


def test_pareto_names_every_trial_without_retrained_weights(toy: ToyStudy) -> None:
    write_companion(toy, [(0, 0, 0.7)])
    line = one_line_error(export(toy, "--pareto", "--out", str(toy.path / "front")))
    assert "`dse retrain toy --trials 1`" in line and "--weights none" in line
    assert not (toy.path / "front").exists()


def test_missing_onnxruntime_names_the_extra(toy: ToyStudy, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now raises ImportError
    out = toy.path / "out"
    line = one_line_error(export(toy, "--trial", "0", "--weights", "none", "--out", str(out)))
    assert "pip install 'dse[export]'" in line  # the brackets survive Rich markup
    assert not out.exists()


def test_failed_check_leaves_nothing_behind(toy: ToyStudy, monkeypatch) -> None:
    import dse.export.onnx_export as onnx_export

    real = onnx_export._torch_export

    def broken_export(model, example, f):  # an exporter bug: the graph no longer matches the model
        real(model, example, f)
        with torch.no_grad():
            model.final_conv.bias += 1.0

    monkeypatch.setattr(onnx_export, "_torch_export", broken_export)
    out = toy.path / "nested" / "out"
    line = one_line_error(export(toy, "--trial", "0", "--weights", "none", "--out", str(out)))
    assert "ONNX check failed" in line
    assert not (toy.path / "nested").exists()
    assert leftovers(toy.path) == []


def test_trial_or_pareto_is_required(toy: ToyStudy) -> None:
    assert "--trial N or --pareto" in one_line_error(export(toy, "--weights", "none"))
    assert "--format" in one_line_error(export(toy, "--trial", "0", "--format", "tflite"))

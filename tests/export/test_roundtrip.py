"""Export round trip over the architecture registry (timm style: the registry drives the test):
every registered preset, plus bypass and depthwise-separable variants, goes to ONNX (checked
against onnxruntime, dynamic batch) and TorchScript (reloaded and compared) and back to YAML."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from dse.arch import get_preset, list_presets, load_arch
from dse.export.latency import build_canonical, spec_input
from dse.export.onnx_export import check_onnx, export_onnx, has_dynamic_batch
from dse.export.torchscript import export_torchscript, load_torchscript

ort = pytest.importorskip("onnxruntime")

VARIANTS = [(name, {}) for name in list_presets()] + [
    ("squeezenet_cifar", {"bypass": "simple"}),
    ("squeezenet_cifar", {"bypass": "complex"}),
    ("squeezenet_cifar", {"expand3x3": "separable"}),
    ("squeezenet1_1", {"bypass": "complex", "expand3x3": "separable", "batchnorm": True}),
    ("squeezenet_cifar", {"resolution_multiplier": 0.75, "width_multiplier": 0.5}),
]


def _id(case: tuple[str, dict]) -> str:
    name, overrides = case
    return "-".join([name, *(f"{k}={v}" for k, v in overrides.items())])


@pytest.mark.slow
@pytest.mark.parametrize("case", VARIANTS, ids=[_id(c) for c in VARIANTS])
def test_round_trip(case: tuple[str, dict], tmp_path: Path) -> None:
    name, overrides = case
    spec = get_preset(name, **overrides)
    model = build_canonical(spec, seed=3)
    chw = spec_input(spec)

    data = export_onnx(model, chw, tmp_path / "model.onnx")
    assert has_dynamic_batch(data)
    assert check_onnx(tmp_path / "model.onnx", model, chw) <= 1e-4
    session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    x = torch.randn(2, *chw)
    with torch.no_grad():
        expected = model(x).numpy()
    np.testing.assert_allclose(session.run(None, {"input": x.numpy()})[0], expected, atol=1e-4, rtol=1e-4)

    assert export_torchscript(model, chw, tmp_path / "model.pt") <= 1e-5
    reloaded = load_torchscript(tmp_path / "model.pt")
    with torch.no_grad():
        np.testing.assert_allclose(reloaded(x).numpy(), expected, atol=1e-5, rtol=1e-5)

    (tmp_path / "arch.yaml").write_text(yaml.safe_dump(spec.canonical().to_dict()))
    assert load_arch(str(tmp_path / "arch.yaml")).arch_hash() == spec.arch_hash()


def test_registry_is_covered() -> None:
    assert {name for name, _ in VARIANTS} >= set(list_presets())
    kinds = {(o.get("bypass", "none"), o.get("expand3x3", "standard")) for _, o in VARIANTS}
    assert {("simple", "standard"), ("complex", "standard"), ("none", "separable")} <= kinds

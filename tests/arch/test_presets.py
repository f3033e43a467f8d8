from __future__ import annotations

import pytest
import torch
import torchvision

from dse.arch import ArchSpec, build, cost, get_preset, list_presets, load_arch


@pytest.mark.parametrize(
    ("name", "expected"), [("squeezenet1_0", 1_248_424), ("squeezenet1_1", 1_235_496)]
)
def test_paper_presets_match_torchvision_exactly(name: str, expected: int) -> None:
    reference = getattr(torchvision.models, name)(weights=None)
    spec = get_preset(name)
    ours = build(spec)
    assert cost(spec).params == expected
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in reference.parameters()) == expected
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        assert ours.eval()(x).shape == reference.eval()(x).shape == (1, 1000)
    # same per-module channel layout as torchvision's Fire modules
    tv_fires = [m for m in reference.features if type(m).__name__ == "Fire"]
    ours_fires = spec.resolved_fires()
    assert [(f.squeeze.out_channels, f.expand1x1.out_channels, f.expand3x3.out_channels) for f in tv_fires] == [
        (f.s1x1, f.e1x1, f.e3x3) for f in ours_fires
    ]


def test_paper_model_size_is_4_8_mb() -> None:
    assert round(cost(get_preset("squeezenet1_0")).size_bytes("fp32") / 1e6, 1) == 5.0  # 4.76 MiB = 4.99 MB
    assert round(cost(get_preset("squeezenet1_0")).size_bytes("fp32") / 2**20, 1) == 4.8


@pytest.mark.parametrize("name", list_presets())
def test_every_preset_builds_and_round_trips(name: str) -> None:
    spec = get_preset(name)
    assert ArchSpec.from_dict(spec.to_dict()) == spec
    size = spec.input_size
    out = build(spec).eval()(torch.randn(1, spec.in_channels, size, size))
    assert out.shape == (1, spec.num_classes)


def test_cifar_preset_is_cifar_style() -> None:
    spec = get_preset("squeezenet_cifar")
    assert (spec.input_size, spec.stem.kernel, spec.stem.stride, spec.batchnorm) == (32, 3, 1, True)
    assert "stem" not in spec.downsample
    final = cost(spec).layers[-1]
    assert final.name == "classifier"
    # two reductions: 32 -> 16 -> 8
    assert [r.out_shape[-1] for r in cost(spec).layers if r.name.endswith("pool")] == [16, 8]


def test_preset_overrides_and_width_multiplier() -> None:
    spec = get_preset("squeezenet_cifar", in_channels=1, input_size=28, width_multiplier=0.5, meta={"sr": 0.25})
    assert spec.in_channels == 1 and spec.meta is not None and spec.meta.sr == 0.25
    assert spec.meta.base_e == 128  # nested override keeps the other metaparameters
    fires = spec.resolved_fires()
    assert fires[0].e1x1 == 32 and fires[0].s1x1 == 16  # 128*0.5/2 and 0.25*128*0.5
    assert spec.stem_filters == 32


def test_explicit_fires_override_drops_meta() -> None:
    spec = get_preset("squeezenet1_0", fires=[[8, 16, 16]] * 8)
    assert spec.meta is None and spec.resolved_fires()[0].e3x3 == 16


def test_load_arch_from_yaml(tmp_path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("preset: squeezenet1_1\nnum_classes: 10\nbypass: simple\n")
    spec = load_arch(path)
    assert spec.num_classes == 10 and spec.bypass == "simple" and spec.stem.filters == 64


def test_simple_bypass_wraps_fire3_5_7_9_and_complex_all_in_v1_0() -> None:
    simple = cost(get_preset("squeezenet1_0", bypass="simple"))
    assert sorted(r.group for r in simple.layers if r.name.endswith("bypass")) == ["fire3", "fire5", "fire7", "fire9"]
    assert simple.params == 1_248_424  # identity adds no parameters
    complex_ = cost(get_preset("squeezenet1_0", bypass="complex"))
    projections = [r for r in complex_.layers if r.name.endswith("bypass") and r.params]
    assert sorted(r.group for r in projections) == ["fire2", "fire4", "fire6", "fire8"]
    assert complex_.params == 1_248_424 + sum(r.params for r in projections)

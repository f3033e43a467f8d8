"""Property tests: the analytic cost model agrees with the module that build(spec) returns."""

from __future__ import annotations

import torch
from hypothesis import HealthCheck, given, settings
from torch.utils.flop_counter import FlopCounterMode

from dse.arch import ArchSpec, build, cost

from .strategies import arch_specs

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])


@SETTINGS
@given(arch_specs())
def test_params_equal_module_numel(spec: ArchSpec) -> None:
    model = build(spec)
    assert cost(spec).params == sum(p.numel() for p in model.parameters())


@SETTINGS
@given(arch_specs())
def test_macs_are_half_of_flop_counter_flops_and_shapes_match(spec: ArchSpec) -> None:
    # FlopCounterMode counts 2 FLOPs per multiply-accumulate of each convolution; bias, BN,
    # ReLU and pooling are not counted by either side.
    model = build(spec).eval()
    c = cost(spec)
    x = torch.randn(1, spec.in_channels, spec.input_size, spec.input_size)
    shapes: dict[str, tuple[int, ...]] = {}
    hooks = [
        module.register_forward_hook(lambda m, i, o, n=name: shapes.__setitem__(n, tuple(o.shape[1:])))
        for name, module in model.features.named_children()
    ]
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(x)
    for h in hooks:
        h.remove()
    assert counter.get_total_flops() == 2 * c.macs == c.flops
    assert tuple(out.shape) == (1, *c.output_shape)
    # every layer's predicted output shape matches the module's
    for layer in c.layers:
        if layer.name == "stem.pool":
            assert shapes["stem_pool"] == layer.out_shape
        elif layer.name.endswith(".pool"):
            assert shapes[layer.name.replace(".pool", "_pool")] == layer.out_shape
        elif layer.name == "stem" or layer.name.endswith(".expand3x3"):
            group = layer.name.split(".")[0]
            got = shapes[group]
            # a fire's output concatenates expand1x1 and expand3x3 on channels
            if group != "stem":
                e1 = next(r for r in c.layers if r.name == f"{group}.expand1x1").out_shape[0]
                assert got == (e1 + layer.out_shape[0], *layer.out_shape[1:])
            else:
                assert got == layer.out_shape


@SETTINGS
@given(arch_specs())
def test_breakdown_sums_to_totals_and_sizes(spec: ArchSpec) -> None:
    c = cost(spec)
    assert sum(layer.params for layer in c.layers) == c.params
    assert sum(p for p, _ in c.by_group().values()) == c.params
    assert c.size_bytes("fp32") == 4 * c.params == 2 * c.size_bytes("fp16") == 4 * c.size_bytes("int8")
    largest_output = max(
        (torch.Size(layer.out_shape).numel() for layer in c.layers), default=0
    )
    assert c.peak_activation_elements >= largest_output
    assert c.peak_activation_bytes == 4 * c.peak_activation_elements


@SETTINGS
@given(arch_specs())
def test_canonical_spec_builds_the_same_network(spec: ArchSpec) -> None:
    canon = spec.canonical()
    assert canon.arch_hash() == spec.arch_hash()
    assert canon.canonical() == canon
    a, b = cost(spec), cost(canon)
    assert (a.params, a.macs) == (b.params, b.macs) or spec.resolution_multiplier != 1.0
    assert ArchSpec.from_dict(spec.to_dict()) == spec

"""Hypothesis strategies for random valid ArchSpecs (small, so forward passes stay fast)."""

from __future__ import annotations

from hypothesis import strategies as st

from dse.arch import LAYERS, ArchSpec, ArchSpecError, FireMeta, FireSpec, StemSpec


@st.composite
def arch_specs(draw: st.DrawFn) -> ArchSpec:
    stem = StemSpec(
        filters=draw(st.integers(1, 24)),
        kernel=draw(st.sampled_from([1, 3, 5])),
        stride=draw(st.integers(1, 2)),
        padding=draw(st.integers(0, 2)),
    )
    if draw(st.booleans()):
        meta, fires = (
            FireMeta(
                base_e=draw(st.integers(4, 24)),
                incr_e=draw(st.integers(0, 16)),
                freq=draw(st.integers(1, 4)),
                pct3x3=draw(st.sampled_from([0.25, 0.5, 0.75, 0.9])),
                sr=draw(st.sampled_from([0.25, 0.5, 0.75, 1.0])),
            ),
            None,
        )
    else:
        triple = st.tuples(st.integers(1, 12), st.integers(1, 16), st.integers(1, 16))
        meta, fires = None, tuple(FireSpec(*draw(triple)) for _ in range(8))
    downsample = tuple(layer for layer in LAYERS if draw(st.integers(0, 3)) == 0)
    kwargs = dict(
        in_channels=draw(st.integers(1, 3)),
        input_size=draw(st.integers(8, 40)),
        num_classes=draw(st.integers(2, 12)),
        resolution_multiplier=draw(st.sampled_from([1.0, 1.0, 0.75, 1.25])),
        width_multiplier=draw(st.sampled_from([1.0, 0.5, 0.75, 1.5])),
        channel_divisor=draw(st.sampled_from([1, 1, 4])),
        stem=stem,
        meta=meta,
        fires=fires,
        downsample=downsample,
        bypass=draw(st.sampled_from(["none", "simple", "complex"])),
        expand3x3=draw(st.sampled_from(["standard", "separable"])),
        batchnorm=draw(st.booleans()),
        dropout=draw(st.sampled_from([0.0, 0.5])),
        head_relu=draw(st.booleans()),
    )
    try:
        return ArchSpec(**kwargs)
    except ArchSpecError:
        from hypothesis import reject

        reject()
        raise

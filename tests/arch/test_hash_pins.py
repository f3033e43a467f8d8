"""arch_hash() must not change: study databases dedupe trials by it (hashes computed on main
before ArchSpec moved to pydantic dataclasses)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings

from dse.arch import ArchSpec, ArchSpecError, FireMeta, FireSpec, StemSpec, get_preset

from .strategies import arch_specs


@pytest.mark.parametrize(("name", "digest"), [
    ("squeezenet1_0", "ef6c692b0cb2"), ("squeezenet1_1", "41201e1f4919"), ("squeezenet_cifar", "f560c8870018"),
])
def test_preset_hashes_are_pinned(name: str, digest: str) -> None:
    assert get_preset(name).arch_hash() == digest


def test_other_spec_hashes_are_pinned() -> None:
    meta = ArchSpec(input_size=64, num_classes=10, width_multiplier=0.5, channel_divisor=8,
                    meta=FireMeta(base_e=32, incr_e=16, freq=3, pct3x3=0.25, sr=0.25), bypass="simple",
                    batchnorm=True, downsample=("fire2", "stem"))
    explicit = ArchSpec(meta=None, fires=tuple(FireSpec(8 + i, 16 + i, 16 + 2 * i) for i in range(8)),
                        stem=StemSpec(64, 3, 1, 1), input_size=32, num_classes=10, expand3x3="separable",
                        resolution_multiplier=1.5, dropout=0.0, head_relu=False)
    assert (meta.arch_hash(), explicit.arch_hash()) == ("d5ddc38c1f20", "7312bdcbc7b9")
    assert ArchSpec.from_dict(explicit.to_dict()) == explicit
    assert hash(ArchSpec.from_dict(explicit.to_dict())) == hash(explicit)


def test_frozen_replace_and_one_line_messages() -> None:
    spec = get_preset("squeezenet1_0")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.dropout = 0.1  # type: ignore[misc]
    with pytest.raises(ArchSpecError) as info:
        dataclasses.replace(spec, meta=dataclasses.replace(spec.meta, sr=1.5))
    assert str(info.value) == "meta.sr: got 1.5; allowed: less than or equal to 1"
    with pytest.raises(ArchSpecError) as info:
        ArchSpec(bypass="sideways")  # type: ignore[arg-type]
    assert str(info.value) == "bypass: got 'sideways'; allowed: 'none', 'simple' or 'complex'"


@settings(max_examples=60, deadline=None)
@given(arch_specs())
def test_to_dict_is_asdict_with_lists(spec: ArchSpec) -> None:
    """``to_dict`` is built field by field for speed; it must stay what ``dataclasses.asdict``
    gives (with lists), or stored specs and hashes would change."""
    for s in (spec, spec.canonical()):
        expected = dataclasses.asdict(s)
        expected["downsample"] = list(s.downsample)
        if s.fires is not None:
            expected["fires"] = [dataclasses.asdict(f) for f in s.fires]
        assert s.to_dict() == expected
        assert list(s.to_dict()) == list(expected)  # the same key order, for json without sort_keys

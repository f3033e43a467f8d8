"""Each invalid-spec rule raises ArchSpecError naming the field, before anything is built."""

from __future__ import annotations

import pytest

from dse.arch import ArchSpec, ArchSpecError, FireMeta, FireSpec, StemSpec, get_preset, spec_from_dict

GOOD_FIRES = tuple(FireSpec(4, 8, 8) for _ in range(8))

CASES = [
    ("in_channels", lambda: ArchSpec(in_channels=0)),
    ("input_size", lambda: ArchSpec(input_size=0)),
    ("num_classes", lambda: ArchSpec(num_classes=1)),
    ("resolution_multiplier", lambda: ArchSpec(resolution_multiplier=0.0)),
    ("resolution_multiplier", lambda: ArchSpec(input_size=1, resolution_multiplier=0.1, downsample=(), stem=StemSpec(1, 1, 1))),
    ("width_multiplier", lambda: ArchSpec(width_multiplier=-1.0)),
    ("channel_divisor", lambda: ArchSpec(channel_divisor=0)),
    ("dropout", lambda: ArchSpec(dropout=1.0)),
    ("batchnorm", lambda: ArchSpec(batchnorm="yes")),  # type: ignore[arg-type]
    ("bypass", lambda: ArchSpec(bypass="sideways")),  # type: ignore[arg-type]
    ("expand3x3", lambda: ArchSpec(expand3x3="dilated")),  # type: ignore[arg-type]
    ("stem.filters", lambda: StemSpec(filters=0)),
    ("stem.kernel", lambda: StemSpec(kernel=0)),
    ("stem.stride", lambda: StemSpec(stride=0)),
    ("stem.padding", lambda: StemSpec(padding=-1)),
    ("stem.kernel", lambda: ArchSpec(input_size=5, stem=StemSpec(kernel=7))),
    ("meta.base_e", lambda: FireMeta(base_e=0)),
    ("meta.incr_e", lambda: FireMeta(incr_e=-1)),
    ("meta.freq", lambda: FireMeta(freq=0)),
    ("meta.pct3x3", lambda: FireMeta(pct3x3=0.0)),
    ("meta.pct3x3", lambda: FireMeta(pct3x3=1.0)),
    ("meta.pct3x3", lambda: ArchSpec(meta=FireMeta(base_e=4, incr_e=0, pct3x3=0.05))),
    ("meta.sr", lambda: FireMeta(sr=0.0)),
    ("meta.sr", lambda: FireMeta(sr=1.5)),
    ("meta.sr", lambda: ArchSpec(meta=FireMeta(base_e=2, incr_e=0, sr=0.1))),
    ("fires", lambda: ArchSpec(meta=FireMeta(), fires=GOOD_FIRES)),
    ("fires", lambda: ArchSpec(meta=None, fires=None)),
    ("fires", lambda: ArchSpec(meta=None, fires=GOOD_FIRES[:7])),
    ("e3x3", lambda: FireSpec(4, 8, 0)),
    ("s1x1", lambda: FireSpec(s1x1=1.0, e1x1=8, e3x3=8)),  # type: ignore[arg-type]
    ("fires[3].e3x3", lambda: spec_from_dict({"fires": [[4, 8, 8]] * 3 + [[4, 8, 0]] + [[4, 8, 8]] * 4})),
    ("in_channels", lambda: ArchSpec(in_channels=True)),  # a bool is not an int
    ("stem.filters", lambda: StemSpec(filters=96.0)),  # type: ignore[arg-type]  # nor is a float
    ("dropout", lambda: ArchSpec(dropout=float("nan"))),
    ("downsample", lambda: ArchSpec(downsample=("fire10",))),
    ("downsample", lambda: ArchSpec(downsample=("stem", "stem"))),
    ("downsample", lambda: ArchSpec(input_size=28, downsample=("stem", "fire2", "fire3", "fire4", "fire5"))),
    ("stem.color", lambda: spec_from_dict({"stem": {"color": 3}})),
    ("depth", lambda: spec_from_dict({"depth": 3})),
    ("fires[0]", lambda: spec_from_dict({"fires": [[1, 2]] * 8})),
    ("preset", lambda: get_preset("resnet50")),
]


@pytest.mark.parametrize(("field", "make"), CASES, ids=[f"{f}-{i}" for i, (f, _) in enumerate(CASES)])
def test_invalid_spec_error_names_the_field(field: str, make) -> None:
    with pytest.raises(ArchSpecError) as info:
        make()
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}:")
    assert "\n" not in str(info.value)


def test_hash_is_stable_and_equal_for_equal_networks() -> None:
    a = get_preset("squeezenet1_0")
    explicit = get_preset("squeezenet1_0", fires=[f.__dict__ for f in a.resolved_fires()])
    assert a.arch_hash() == explicit.arch_hash() == "ef6c692b0cb2"
    assert get_preset("squeezenet1_1").arch_hash() != a.arch_hash()
    assert get_preset("squeezenet1_0", dropout=0.2).arch_hash() != a.arch_hash()
    # width multiplier 0.5 of v1.0 is the same network as explicitly halved channels
    half = get_preset("squeezenet1_0", width_multiplier=0.5)
    halved = get_preset(
        "squeezenet1_0", stem={"filters": 48}, fires=[[f.s1x1 // 2, f.e1x1 // 2, f.e3x3 // 2] for f in a.resolved_fires()]
    )
    assert half.arch_hash() == halved.arch_hash()


def test_label_is_one_readable_line() -> None:
    label = get_preset("squeezenet1_0", bypass="simple").label()
    assert label == "c96k7s2 fire s16-64 e128-512 3x3=50% pool@stem,f4,f8 simple-bypass 224px"


def test_scale_channels_documented_rounding() -> None:
    from dse.arch import scale_channels

    assert scale_channels(64, 1.0) == 64
    assert scale_channels(3, 0.5) == 2  # 1.5 rounds half up
    assert scale_channels(1, 0.1) == 1  # never below the divisor
    assert scale_channels(64, 0.3, 8) == 24  # 19.2 -> nearest multiple of 8 is 16, < 90% -> 24

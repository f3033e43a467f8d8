"""merge_overrides / merge_into: the search space builds every candidate by merging its values'
overrides into one copy of the base spec (merge_into), instead of one deep copy per value."""

from __future__ import annotations

import copy

from dse.arch import ArchSpec, merge_into, merge_overrides


def test_merging_into_one_copy_equals_merging_one_override_at_a_time() -> None:
    base = ArchSpec().to_dict()
    overrides = [{"meta": {"sr": 0.25}}, {"width_multiplier": 0.5}, {"downsample": ["fire3", "fire5"]},
                 {"fires": [[8, 16, 16]] * 8}, {"stem": {"filters": 64}}]
    chained = base
    for o in overrides:
        chained = merge_overrides(chained, o)
    merged = copy.deepcopy(base)
    for o in overrides:
        merge_into(merged, o)
    assert merged == chained
    assert merged["meta"] is None  # giving fires dropped the metaparameters, as merge_overrides does
    assert base == ArchSpec().to_dict()  # the base is never touched


def test_merge_into_copies_the_override_values() -> None:
    merged, downsample = ArchSpec().to_dict(), ["fire3", "fire5"]
    merge_into(merged, {"downsample": downsample})
    downsample.append("fire7")
    assert merged["downsample"] == ["fire3", "fire5"]

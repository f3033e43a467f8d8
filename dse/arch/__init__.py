"""The architecture core: ArchSpec, build(spec) and cost(spec). Imports nothing else from dse."""

from __future__ import annotations

from dse.arch.build import Fire, SqueezeNetFamily, build
from dse.arch.channels import FIRE_NAMES, LAYERS, scale_channels
from dse.arch.cost import BYTES_PER_PARAM, Cost, LayerCost, cost
from dse.arch.errors import ArchSpecError, DseError
from dse.arch.presets import get_preset, list_presets, load_arch, register_preset
from dse.arch.serialize import merge_into, merge_overrides, spec_from_dict
from dse.arch.spec import BYPASS_CHOICES, EXPAND3X3_CHOICES, ArchSpec, FireMeta, FireSpec, StemSpec

__all__ = [
    "ArchSpec", "ArchSpecError", "BYPASS_CHOICES", "BYTES_PER_PARAM", "Cost", "DseError",
    "EXPAND3X3_CHOICES", "FIRE_NAMES", "Fire", "FireMeta", "FireSpec", "LAYERS", "LayerCost",
    "SqueezeNetFamily", "StemSpec", "build", "cost", "get_preset", "list_presets", "load_arch",
    "merge_into", "merge_overrides", "register_preset", "scale_channels", "spec_from_dict",
]

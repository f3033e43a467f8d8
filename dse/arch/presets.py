"""Named architecture presets (a registry, timm style) and loading a spec by name or YAML file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from dse.arch.errors import ArchSpecError
from dse.arch.serialize import merge_overrides, read_yaml, spec_from_dict
from dse.arch.spec import ArchSpec, FireMeta, StemSpec

_PRESETS: dict[str, Callable[[], ArchSpec]] = {}


def register_preset(fn: Callable[[], ArchSpec]) -> Callable[[], ArchSpec]:
    """Register ``fn`` (returning an ArchSpec) under its function name."""
    _PRESETS[fn.__name__] = fn
    return fn


def list_presets() -> list[str]:
    return sorted(_PRESETS)


def get_preset(name: str, **overrides: Any) -> ArchSpec:
    """The preset ``name``, with top-level or nested (dict) field overrides applied."""
    if name not in _PRESETS:
        raise ArchSpecError("preset", f"unknown preset {name!r}; choose from {', '.join(list_presets())}")
    spec = _PRESETS[name]()
    if not overrides:
        return spec
    return spec_from_dict(merge_overrides(spec.to_dict(), overrides))


@register_preset
def squeezenet1_0() -> ArchSpec:
    """SqueezeNet v1.0 as in the paper and torchvision: 1,248,424 parameters."""
    return ArchSpec()


@register_preset
def squeezenet1_1() -> ArchSpec:
    """SqueezeNet v1.1: 64-filter 3x3 stride-2 conv1, pools after conv1, fire3, fire5: 1,235,496 parameters."""
    return ArchSpec(stem=StemSpec(filters=64, kernel=3, stride=2), downsample=("stem", "fire3", "fire5"))


@register_preset
def squeezenet_cifar() -> ArchSpec:
    """CIFAR-style (32x32): 3x3 stride-1 stem, BatchNorm, no early reduction, pools after fire3 and fire5."""
    return ArchSpec(
        input_size=32,
        num_classes=10,
        stem=StemSpec(filters=64, kernel=3, stride=1, padding=1),
        meta=FireMeta(base_e=128, incr_e=128, freq=2, pct3x3=0.5, sr=0.125),
        downsample=("fire3", "fire5"),
        batchnorm=True,
        dropout=0.1,
        head_relu=False,
    )


def load_arch(name_or_path: str | Path, **overrides: Any) -> ArchSpec:
    """A preset name, or a YAML file holding a spec mapping, optionally ``preset: NAME`` plus overrides."""
    text = str(name_or_path)
    if text in _PRESETS:
        return get_preset(text, **overrides)
    path = Path(text)
    if not path.suffix.lower() in (".yaml", ".yml", ".json") or not path.is_file():
        raise ArchSpecError(
            "arch", f"{text!r} is neither a preset ({', '.join(list_presets())}) nor an existing .yaml file"
        )
    data = read_yaml(path) or {}
    if not isinstance(data, dict):
        raise ArchSpecError(str(path), "must hold a mapping of ArchSpec fields")
    data = dict(data)
    preset = data.pop("preset", None)
    try:
        if preset is not None:
            return get_preset(str(preset), **merge_overrides(data, overrides))
        return spec_from_dict(merge_overrides(data, overrides))
    except ArchSpecError as exc:
        raise ArchSpecError(f"{path}: {exc.field}", str(exc).split(": ", 1)[1]) from exc

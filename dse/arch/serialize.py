"""Turning plain data (YAML/JSON dicts) into an ArchSpec, and overriding one spec with another dict."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from dse.arch.errors import ArchSpecError
from dse.arch.spec import ArchSpec, FireMeta, FireSpec, StemSpec

_FIRE_KEYS = ("s1x1", "e1x1", "e3x3")


def _known(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def _check_keys(where: str, data: Any, cls: type) -> None:
    if not isinstance(data, dict):
        raise ArchSpecError(where or "spec", f"must be a mapping of {', '.join(_known(cls))}; got {data!r}")
    unknown = sorted(set(data) - set(_known(cls)))
    if unknown:
        prefix = f"{where}." if where else ""
        raise ArchSpecError(
            f"{prefix}{unknown[0]}", f"unknown field; allowed: {', '.join(_known(cls))}"
        )


def _fire(where: str, item: Any) -> FireSpec:
    if isinstance(item, (list, tuple)):
        if len(item) != 3:
            raise ArchSpecError(where, f"needs [s1x1, e1x1, e3x3], got {list(item)}")
        return FireSpec(*item)
    _check_keys(where, item, FireSpec)
    missing = [k for k in _FIRE_KEYS if k not in item]
    if missing:
        raise ArchSpecError(f"{where}.{missing[0]}", "is required")
    return FireSpec(**item)


def spec_from_dict(data: dict[str, Any]) -> ArchSpec:
    """Build an ArchSpec from ``to_dict()`` output or a hand-written mapping.

    ``fires`` entries may be mappings ``{s1x1, e1x1, e3x3}`` or ``[s1x1, e1x1, e3x3]`` lists.
    Giving ``fires`` without ``meta`` means explicit channels (``meta`` becomes null).
    """
    _check_keys("", data, ArchSpec)
    kwargs = dict(data)
    if "stem" in kwargs:
        _check_keys("stem", kwargs["stem"], StemSpec)
        kwargs["stem"] = StemSpec(**kwargs["stem"])
    fires = kwargs.get("fires")
    if fires is not None:
        if not isinstance(fires, (list, tuple)):
            raise ArchSpecError("fires", f"must be a list of 8 [s1x1, e1x1, e3x3] entries; got {fires!r}")
        kwargs["fires"] = tuple(_fire(f"fires[{i}]", item) for i, item in enumerate(fires))
        kwargs.setdefault("meta", None)
    if kwargs.get("meta") is not None:
        _check_keys("meta", kwargs["meta"], FireMeta)
        kwargs["meta"] = FireMeta(**kwargs["meta"])
    if "downsample" in kwargs:
        ds = kwargs["downsample"]
        if isinstance(ds, str) or not isinstance(ds, (list, tuple)):
            raise ArchSpecError("downsample", f"must be a list of layer names, got {ds!r}")
        kwargs["downsample"] = tuple(ds)
    return ArchSpec(**kwargs)


def merge_overrides(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``overrides`` into a copy of ``base`` (a ``to_dict()``).

    Setting ``fires`` drops the base's ``meta`` and setting ``meta`` drops the base's ``fires``,
    so a preset can be switched between the two ways of giving channels.
    """
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_overrides(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    if "fires" in overrides and overrides["fires"] is not None and "meta" not in overrides:
        merged["meta"] = None
    if "meta" in overrides and overrides["meta"] is not None and "fires" not in overrides:
        merged["fires"] = None
    return merged

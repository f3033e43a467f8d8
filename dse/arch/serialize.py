"""Reading YAML files, turning plain data (YAML/JSON dicts) into an ArchSpec, and overriding one
spec with another dict."""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from dse.arch.errors import ArchSpecError
from dse.arch.spec import ArchSpec, FireMeta, FireSpec, StemSpec

_FIRE_KEYS = ("s1x1", "e1x1", "e3x3")


class _DuplicateKey(yaml.MarkedYAMLError):
    pass


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, plus: numbers as YAML 1.2 reads them (``1e-3``, ``1e6`` are floats,
    not strings), and a key repeated in one mapping is an error (PyYAML keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise _DuplicateKey(problem=f"key {key!r} appears twice in one mapping",
                                    problem_mark=key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _arch_error(source: str, where: str, problem: str, allowed: str | None) -> ArchSpecError:
    return ArchSpecError(f"{source}: {where}", problem + (f"; allowed: {allowed}" if allowed else ""))


def read_yaml(path: str | Path, error: Callable[[str, str, str, str | None], Exception] = _arch_error) -> Any:
    """The data of the YAML file ``path`` (study, search space or architecture files alike).

    A file that cannot be read, bad syntax or a repeated key raises ``error(source, where,
    problem, allowed)``, e.g. a ``ConfigError``, naming the line."""
    path = Path(path)
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (a safe loader)
    except yaml.MarkedYAMLError as exc:
        where = f"line {exc.problem_mark.line + 1}" if exc.problem_mark is not None else "(yaml)"
        if isinstance(exc, _DuplicateKey):
            raise error(str(path), where, str(exc.problem), "each key once per mapping") from None
        raise error(str(path), where, f"is not valid YAML: {exc.problem}", "YAML mapping syntax") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(str(path), "(file)", f"cannot be read: {getattr(exc, 'strerror', None) or exc}", None) from None


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
        item = dict(zip(_FIRE_KEYS, item))
    _check_keys(where, item, FireSpec)
    missing = [k for k in _FIRE_KEYS if k not in item]
    if missing:
        raise ArchSpecError(f"{where}.{missing[0]}", "is required")
    try:
        return FireSpec(**item)
    except ArchSpecError as exc:
        raise ArchSpecError(f"{where}.{exc.field}", str(exc)[len(exc.field) + 2:]) from None


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
    merge_into(merged, overrides)
    return merged


def merge_into(merged: dict[str, Any], overrides: dict[str, Any]) -> None:
    """``merge_overrides`` in place: ``merged`` (already a copy) takes copies of ``overrides``.
    Merging several overrides into one copy spares a deep copy of the whole spec per override
    (the cost-aware sampler builds a few hundred candidates per trial)."""
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merge_into(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    if "fires" in overrides and overrides["fires"] is not None and "meta" not in overrides:
        merged["meta"] = None
    if "meta" in overrides and overrides["meta"] is not None and "fires" not in overrides:
        merged["fires"] = None

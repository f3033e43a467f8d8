"""Where a parameter's value goes: a dotted ArchSpec path (``meta.sr``) or ``train.<field>``.

The allowed ArchSpec paths and the type each expects are read from the ArchSpec dataclasses, so
a new ArchSpec field becomes a valid target without touching this module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from dse.arch import BYPASS_CHOICES, EXPAND3X3_CHOICES, LAYERS, ArchSpec, FireMeta, StemSpec
from dse.errors import config_error, invalid, short_repr
from dse.space.parameters import Parameter
from dse.space.values import is_number
from dse.train.config import TrainConfig

TRAIN_PREFIX = "train."
_NESTED: dict[str, type] = {"stem": StemSpec, "meta": FireMeta}
_NOT_TARGETS = ("fires",)  # explicit channel lists are given in the base, not sampled
_ENUMS: dict[str, tuple[str, ...]] = {"bypass": BYPASS_CHOICES, "expand3x3": EXPAND3X3_CHOICES}


def arch_targets() -> dict[str, type]:
    """Every dotted ArchSpec path a parameter may target, with the type of value it takes."""
    out: dict[str, type] = {}
    spec = ArchSpec()
    for f in dataclasses.fields(ArchSpec):
        if f.name in _NOT_TARGETS:
            continue
        if f.name in _NESTED:
            nested = _NESTED[f.name]()
            for g in dataclasses.fields(nested):
                out[f"{f.name}.{g.name}"] = type(getattr(nested, g.name))
        else:
            out[f.name] = type(getattr(spec, f.name))
    return out


def allowed_targets() -> str:
    return ", ".join(arch_targets()) + ", or train.<TrainConfig field>"


def check_train(values: Mapping[str, Any], where: str | None = None) -> None:
    """Raise a validation error unless ``values`` are TrainConfig fields and values; at the
    offending field, or at ``where`` when given."""
    try:
        TrainConfig.model_validate(dict(values))
    except ValidationError as exc:
        err = config_error(exc, "")
        raise invalid(err.field if where is None else where, err.problem, err.allowed) from None


def _check_train_target(where: str, target: str, param: Parameter) -> None:
    """Every value ``param`` can give must suit the TrainConfig field it targets."""
    name = target[len(TRAIN_PREFIX):]
    if name not in TrainConfig.model_fields:
        raise invalid(f"{where}.target", f"{target!r} is not a training field",
                      ", ".join(TRAIN_PREFIX + f for f in TrainConfig.model_fields))
    if param.kind == "categorical":
        for i, choice in enumerate(param.choices or []):
            check_train({name: choice}, f"{where}.choices.{i}")
        return
    if param.kind != "int" and TrainConfig.model_fields[name].annotation in (int, int | None):
        raise invalid(f"{where}.kind", f"{param.kind} gives non-integer values but {target} takes integers",
                      "int, or categorical with integer choices")
    convert = int if param.kind == "int" else float
    for bound in ("low", "high"):
        check_train({name: convert(getattr(param, bound))}, f"{where}.{bound}")


def is_train_target(target: str) -> bool:
    return target.startswith(TRAIN_PREFIX)


def nested_override(target: str, value: Any) -> dict[str, Any]:
    """``"meta.sr", 0.25`` -> ``{"meta": {"sr": 0.25}}``, for ``merge_overrides``."""
    out: Any = value
    for part in reversed(target.split(".")):
        out = {part: out}
    return out


def _expects(target: str, kind: type) -> str:
    if kind is bool:
        return "true or false"
    if kind is int:
        return "integers"
    if kind is float:
        return "numbers"
    if kind is tuple:
        return f"lists of distinct layers from {', '.join(LAYERS)}"
    if target in _ENUMS:
        return ", ".join(_ENUMS[target])
    return "strings"


def _fits(target: str, kind: type, value: Any) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return is_number(value)
    if kind is tuple:
        return (
            isinstance(value, list)
            and len(set(value)) == len(value)
            and all(v in LAYERS for v in value)
        )
    return isinstance(value, str) and (target not in _ENUMS or value in _ENUMS[target])


def check_target(name: str, param: Parameter, base: ArchSpec) -> str:
    """Raise a validation error when ``param`` cannot feed its target; returns the target."""
    target = param.target or name
    where = f"parameters.{name}"
    field = f"{where}.target"
    implicit = " (a parameter without target targets its name)" if target == name else ""
    if is_train_target(target):
        _check_train_target(where, target, param)
        return target
    targets = arch_targets()
    if target not in targets:
        raise invalid(field, f"{target!r} is not a field of ArchSpec{implicit}", allowed_targets())
    if target.startswith("meta.") and base.meta is None:
        raise invalid(
            field,
            f"{target!r} needs metaparameters but the base gives explicit fires",
            "a base with meta",
        )
    kind = targets[target]
    if param.kind == "categorical":
        for i, choice in enumerate(param.choices or []):
            if not _fits(target, kind, choice):
                raise invalid(
                    f"{where}.choices.{i}",
                    f"{short_repr(choice)} is not a valid {target}",
                    _expects(target, kind),
                )
    elif kind is int and param.kind != "int":
        raise invalid(
            f"{where}.kind",
            f"{param.kind} gives non-integer values but {target} takes integers",
            "int, or categorical with integer choices",
        )
    elif kind not in (int, float):
        raise invalid(
            f"{where}.kind",
            f"{param.kind} gives numbers but {target} takes {_expects(target, kind)}",
            "categorical",
        )
    return target

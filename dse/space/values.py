"""Value types of a search-space file and the choice encoding.

Optuna's categorical distributions take scalars only, so a list choice (e.g. the downsampling
placement ``[stem, fire4, fire8]``) is passed to Optuna as the stable string ``"stem,fire4,fire8"``
and decoded back through the parameter's own table of choices.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BeforeValidator

from dse.errors import invalid, short_repr

Scalar = str | int | float | bool
ScalarTypes = (str, int, float, bool)


def is_number(value: Any) -> bool:
    """An int or a finite float, not a bool."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value)


def _number(value: Any) -> int | float:
    if not is_number(value):
        raise invalid("", f"got {short_repr(value)}", "a finite number")
    return value


def _scalar(value: Any) -> Scalar:
    if isinstance(value, float) and not math.isfinite(value):
        raise invalid("", f"got {short_repr(value)}", "a finite number, a string or true/false")
    if not isinstance(value, ScalarTypes):
        raise invalid("", f"got {short_repr(value)}", "a string, a number or true/false")
    return value


def _choice(value: Any) -> Scalar | list[Scalar]:
    if isinstance(value, (list, tuple)):
        for item in value:
            if not isinstance(item, ScalarTypes) or (
                isinstance(item, float) and not math.isfinite(item)
            ):
                raise invalid(
                    "",
                    f"list item {short_repr(item)} is not a scalar",
                    "a list of strings or numbers",
                )
        return list(value)
    return _scalar(value)


def _condition_values(value: Any) -> list[Scalar | list[Scalar]]:
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise invalid("", "lists no values", "a value or a non-empty list of values")
    return [_choice(item) for item in values]


Number = Annotated[Any, BeforeValidator(_number)]
Choice = Annotated[Any, BeforeValidator(_choice)]
ConditionValues = Annotated[Any, BeforeValidator(_condition_values)]


def encode(choice: Scalar | list[Scalar]) -> Scalar:
    """What Optuna sees for a choice: scalars as they are, lists as ``"a,b,c"``."""
    if isinstance(choice, list):
        return ",".join(_text(item) for item in choice)
    return choice


def _text(item: Scalar) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    return str(item)

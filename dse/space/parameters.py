"""One searched value: ``kind``, its range or choices, an optional ``condition``, its ``target``."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Literal

from pydantic import model_validator

from dse.errors import Strict, invalid, short_repr
from dse.space.values import Choice, ConditionValues, Number, Scalar, encode, is_number

if TYPE_CHECKING:
    from dse.space.sampling import Suggest

Kind = Literal["categorical", "int", "float", "logfloat"]
RANGE_KINDS: tuple[str, ...] = ("int", "float", "logfloat")
_RANGE_FIELDS = ("low", "high", "step")
_TOLERANCE = 1e-9


class ValueNotAllowed(ValueError):
    """A value that is not one of a parameter's choices, or is out of its range."""


class Parameter(Strict):
    """A parameter of a search space.

    ``categorical`` takes ``choices`` (scalars, or lists of scalars); ``int``, ``float`` and
    ``logfloat`` (a float on a log scale) take ``low`` < ``high`` and an optional ``step``
    (not with ``logfloat``). ``condition`` maps other parameter names to the values for which this
    one is sampled (all must hold). ``target`` is a dotted ArchSpec path or ``train.<field>``;
    a SearchSpace fills in the parameter's name where it is left out.
    """

    kind: Kind
    low: Number | None = None
    high: Number | None = None
    step: Number | None = None
    choices: list[Choice] | None = None
    condition: dict[str, ConditionValues] | None = None
    target: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Parameter:
        if self.kind == "categorical":
            self._check_categorical()
        else:
            self._check_range()
        if self.target is not None and not self.target.strip():
            raise invalid(
                "target", "is empty", "a dotted ArchSpec path such as meta.sr, or train.<field>"
            )
        return self

    def _check_categorical(self) -> None:
        for name in _RANGE_FIELDS:
            if getattr(self, name) is not None:
                raise invalid(
                    name,
                    "is not used by kind categorical",
                    "remove it, or use kind int, float or logfloat",
                )
        if self.choices is None:
            raise invalid(
                "choices", "is required for kind categorical", "a non-empty list of values"
            )
        if not self.choices:
            raise invalid("choices", "is empty", "a non-empty list of values")
        encoded = self.encoded_choices()
        for j, value in enumerate(encoded):
            for i in range(j):
                if encoded[i] == value:
                    raise invalid(
                        f"choices.{j}",
                        f"{short_repr(self.choices[j])} repeats choice {i}"
                        f" ({short_repr(self.choices[i])})"
                        " as Optuna sees it",
                        "distinct values",
                    )

    def _check_range(self) -> None:
        kind, low, high, step = self.kind, self.low, self.high, self.step
        if self.choices is not None:
            raise invalid(
                "choices", "is only for kind categorical", f"low, high (and step) for kind {kind}"
            )
        for name, value in (("low", low), ("high", high)):
            if value is None:
                raise invalid(name, f"is required for kind {kind}", "a number")
        if kind == "int":
            for name in _RANGE_FIELDS:
                value = getattr(self, name)
                if value is not None and not isinstance(value, int):
                    raise invalid(
                        name,
                        f"{value!r} is not an integer",
                        "integers for kind int (or use kind float)",
                    )
        if low >= high:
            raise invalid("high", f"empty range: low {low} >= high {high}", "high > low")
        if kind == "logfloat":
            if low <= 0:
                raise invalid(
                    "low", f"a log range needs low > 0, got {low}", "low > 0, or kind float"
                )
            if step is not None:
                raise invalid(
                    "step",
                    "cannot be combined with a log scale",
                    "no step for kind logfloat, or kind float",
                )
            return
        if step is None:
            return
        if step <= 0:
            raise invalid("step", f"must be > 0, got {step}", "a positive step")
        count = (high - low) / step
        if abs(count - round(count)) > _TOLERANCE * max(1.0, count):
            raise invalid(
                "step",
                f"{step} does not divide high - low = {high - low}",
                "a step that divides high - low",
            )

    # ------------------------------------------------------------------ values
    def encoded_choices(self) -> list[Scalar]:
        """The choices as Optuna sees them (lists joined into ``"a,b,c"`` strings)."""
        return [encode(choice) for choice in self.choices or []]

    def describe(self) -> str:
        """The values this parameter can take, for messages."""
        if self.kind == "categorical":
            return ", ".join(_show(choice) for choice in self.choices or [])
        step = f" step {self.step}" if self.step is not None else ""
        if self.kind == "int":
            return f"integers {self.low}..{self.high}{step}"
        scale = " (log scale)" if self.kind == "logfloat" else ""
        return f"numbers in [{self.low}, {self.high}]{step}{scale}"

    def allows(self, value: Any) -> bool:
        """Whether ``value`` (decoded, or encoded for categorical) is one this can take."""
        if self.kind == "categorical":
            return encode(value) in self.encoded_choices() if not isinstance(value, dict) else False
        if self.kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            return False
        if not is_number(value) or not self.low <= value <= self.high:
            return False
        if self.step is None:
            return True
        count = (value - self.low) / self.step
        return abs(count - round(count)) <= _TOLERANCE * max(1.0, count)

    def decode(self, raw: Any) -> Any:
        """The value for Optuna's ``raw``; raises ``ValueNotAllowed`` when it is not allowed."""
        if self.kind == "categorical":
            encoded = self.encoded_choices()
            if isinstance(raw, (list, dict)) or raw not in encoded:
                raise ValueNotAllowed(f"{short_repr(raw)} is not one of its choices")
            return copy.deepcopy(self.choices[encoded.index(raw)])  # type: ignore[index]
        if not self.allows(raw):
            raise ValueNotAllowed(f"{short_repr(raw)} is out of its range")
        return raw

    def encode_value(self, value: Any) -> Any:
        """Optuna's value for a decoded ``value``; raises ``ValueNotAllowed`` when not allowed."""
        if not self.allows(value):
            raise ValueNotAllowed(f"{short_repr(value)} is not a value it can take")
        return encode(value) if self.kind == "categorical" else value

    def suggest(self, name: str, suggest: Suggest) -> Any:
        """Ask ``suggest`` for this parameter under ``name``; returns the decoded value."""
        if self.kind == "categorical":
            return self.decode(suggest.categorical(name, self.encoded_choices()))
        if self.kind == "int":
            return self.decode(suggest.int(name, self.low, self.high, step=self.step or 1))
        step = None if self.step is None else float(self.step)
        return self.decode(
            suggest.float(
                name, float(self.low), float(self.high), step=step, log=self.kind == "logfloat"
            )
        )

    def grid_values(self) -> list[Any] | None:
        """Every value, for a grid sampler; ``None`` for a float range without ``step``."""
        if self.kind == "categorical":
            return self.encoded_choices()
        if self.kind == "int":
            return list(range(self.low, self.high + 1, self.step or 1))
        if self.step is None:
            return None
        count = round((self.high - self.low) / self.step)
        return [round(self.low + i * self.step, 12) for i in range(count + 1)]

    def to_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def _show(choice: Any) -> str:
    if isinstance(choice, list):
        return "[" + ", ".join(str(item) for item in choice) + "]"
    return str(choice)

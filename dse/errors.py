"""Project errors, the strict base of every config model, and the one validation-error formatter.

Every error a user can cause is a ``DseError``; the CLI prints it in one line. A config error
reads ``<file>: <field path>: <what is wrong>; allowed: <what is allowed>``: validators raise
:func:`invalid` (the field path below the model that raised it, the problem, the allowed values)
and :func:`config_error` turns the first error of a pydantic ``ValidationError`` into that line,
whether the model is a file of its own or nested inside another (``prefix``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from dse.arch.errors import ArchSpecError, DseError, error_parts, invalid, short_repr

__all__ = ["ArchSpecError", "ConfigError", "DseError", "Strict", "config_error", "invalid", "short_repr"]


class ConfigError(DseError):
    """A config that cannot be used: ``source`` (file), ``field`` (dotted), ``problem``, ``allowed``.

    ``ConfigError("whole message")`` works too (``source`` then holds the message)."""

    def __init__(self, source: str, field: str = "", problem: str = "", allowed: str | None = None) -> None:
        self.source, self.field, self.problem, self.allowed = source, field, problem, allowed
        tail = f"; allowed: {allowed}" if allowed else ""
        super().__init__(": ".join(p for p in (source, field, problem) if p) + tail)


def config_error(exc: ValidationError, source: str, prefix: str = "",
                 cls: type[ConfigError] = ConfigError) -> ConfigError:
    """The first error of ``exc`` as one line naming ``source``, the field, the value and what is
    allowed; ``prefix`` goes before the field path (e.g. ``"space"`` for a space inside a study)."""
    return cls(source, *error_parts(exc, prefix))


class Strict(BaseModel):
    """Frozen, finite numbers, no unknown keys; an unknown key's message lists the allowed ones."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if key not in cls.model_fields:
                    raise invalid(str(key), "unknown field", ", ".join(cls.model_fields))
        return data

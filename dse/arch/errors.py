"""Project error base, the architecture error, and the one validation-error formatter.

These live here, in the dependency-free core, because DESIGN.md forbids ``dse.arch`` from
importing the rest of ``dse``; ``dse.errors`` re-exports them. Validators raise :func:`invalid`
(the field path below the model that raised it, the problem, the allowed values) and
:func:`error_parts` turns the first error of a pydantic ``ValidationError`` into (field path,
problem, allowed): ``dse.errors.config_error`` and ArchSpec's models both word errors with it.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

_DSE = "dse_invalid"
_SHOULD_BE = "Input should be "


class DseError(Exception):
    """An error a user can act on; the CLI prints its message in one line."""


class ArchSpecError(DseError, ValueError):
    """An invalid architecture description; ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


def invalid(path: str, problem: str, allowed: str | None = None) -> PydanticCustomError:
    """A validation error for ``path`` (dotted, relative to the model being validated)."""
    detail = f"{path}: {problem}" if path else problem
    detail += f"; allowed: {allowed}" if allowed else ""
    return PydanticCustomError(_DSE, "{detail}", {"detail": detail, "path": path, "problem": problem,
                                                  "allowed": allowed or ""})


def short_repr(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def error_parts(exc: ValidationError, prefix: str = "") -> tuple[str, str, str | None]:
    """The first error of ``exc`` as (dotted field path, problem naming the value, what is allowed);
    ``prefix`` goes before the field path (e.g. ``"space"`` for a space inside a study)."""
    err = exc.errors()[0]
    loc = ([prefix] if prefix else []) + [str(part) for part in err["loc"]]
    ctx = err.get("ctx") or {}
    msg = err["msg"]
    allowed: str | None = None
    if err["type"] == _DSE:
        loc += str(ctx["path"]).split(".") if ctx.get("path") else []
        problem, allowed = str(ctx["problem"]), str(ctx["allowed"]) or None
    elif err["type"] == "missing":
        problem = "is required"
    elif msg.startswith(_SHOULD_BE):
        problem, allowed = f"got {short_repr(err.get('input'))}", msg[len(_SHOULD_BE):].split(", unable", 1)[0]
    else:
        msg = msg.removeprefix("Value error, ")
        problem = msg[:1].lower() + msg[1:]
    return ".".join(loc) or "(top level)", problem, allowed


def arch_error(exc: ValidationError, prefix: str = "") -> ArchSpecError:
    """``exc`` (from an ArchSpec part) as one ArchSpecError line: ``field: problem; allowed: ...``."""
    field, problem, allowed = error_parts(exc, prefix)
    return ArchSpecError(field, problem + (f"; allowed: {allowed}" if allowed else ""))

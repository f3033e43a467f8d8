"""The search-space error, and turning a pydantic ``ValidationError`` into its one-line message.

Every message reads ``<file>: <field path>: <what is wrong>; allowed: <what is allowed>``.
Validators raise :func:`invalid` (a ``PydanticCustomError`` carrying the field path below the
model that raised it, the problem and the allowed values); :func:`space_error` joins the error's
location with that path, so the same rule reads right whether the space is a file of its own or
nested inside a study config.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from dse.errors import DseError

ERROR_TYPE = "dse_space"
_SHOULD_BE = "Input should be "


class SpaceError(DseError):
    """An invalid search space: ``source`` (file), ``field`` (dotted), ``problem``, ``allowed``."""

    def __init__(self, source: str, field: str, problem: str, allowed: str | None = None) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        self.allowed = allowed
        tail = f"; allowed: {allowed}" if allowed else ""
        super().__init__(f"{source}: {field}: {problem}{tail}")


def invalid(path: str, problem: str, allowed: str | None = None) -> PydanticCustomError:
    """A validation error for ``path`` (dotted, relative to the model being validated)."""
    detail = f"{path}: {problem}" if path else problem
    if allowed:
        detail += f"; allowed: {allowed}"
    return PydanticCustomError(
        ERROR_TYPE,
        "{detail}",
        {"detail": detail, "path": path, "problem": problem, "allowed": allowed or ""},
    )


def short_repr(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def join_loc(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def space_error(exc: ValidationError, source: str, prefix: str = "") -> SpaceError:
    """The first error of ``exc`` as a one-line :class:`SpaceError` for ``source``.

    ``prefix`` is prepended to the field path (e.g. ``"space"`` for a space inside a study file).
    Works for any pydantic model, not only search spaces.
    """
    err = exc.errors()[0]
    loc = [prefix] if prefix else []
    loc += [str(part) for part in err["loc"]]
    ctx = err.get("ctx") or {}
    if err["type"] == ERROR_TYPE:
        if ctx.get("path"):
            loc += str(ctx["path"]).split(".")
        return SpaceError(source, join_loc(loc), str(ctx["problem"]), str(ctx["allowed"]) or None)
    msg = err["msg"]
    if err["type"] == "missing":
        return SpaceError(source, join_loc(loc), "is required")
    if msg.startswith(_SHOULD_BE):
        allowed = msg[len(_SHOULD_BE) :].split(", unable", 1)[0]
        return SpaceError(source, join_loc(loc), f"got {short_repr(err.get('input'))}", allowed)
    return SpaceError(source, join_loc(loc), msg[:1].lower() + msg[1:])

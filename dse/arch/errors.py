"""Project error base and the architecture error.

The base class lives here, in the dependency-free core, because DESIGN.md forbids
``dse.arch`` from importing the rest of ``dse``; ``dse.errors`` re-exports it.
"""

from __future__ import annotations


class DseError(Exception):
    """An error a user can act on; the CLI prints its message in one line."""


class ArchSpecError(DseError, ValueError):
    """An invalid architecture description; ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")

"""Project errors. Every error a user can cause is a ``DseError``; the CLI prints it in one line."""

from __future__ import annotations

from dse.arch.errors import ArchSpecError, DseError

__all__ = ["ArchSpecError", "DseError"]

"""The search-space error: a ``ConfigError`` (``source``, ``field``, ``problem``, ``allowed``)."""

from __future__ import annotations

from dse.errors import ConfigError


class SpaceError(ConfigError):
    """An invalid search space; the message reads ``<file>: <field>: <problem>; allowed: <...>``."""

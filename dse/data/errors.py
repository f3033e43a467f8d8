"""Errors raised by :mod:`dse.data`; each message is one line a user can act on."""

from __future__ import annotations

from dse.errors import DseError

__all__ = ["DataError", "DataFormatError", "DataNotFoundError"]


class DataError(DseError, ValueError):
    """Base class of every error raised by :mod:`dse.data`."""


class DataNotFoundError(DataError):
    """A dataset could not be found anywhere it was looked for (nor downloaded)."""


class DataFormatError(DataError):
    """Files were found but do not hold a dataset in the expected format."""

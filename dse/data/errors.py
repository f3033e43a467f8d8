"""Errors raised by :mod:`dse.data`; each message is one line a user can act on."""

from __future__ import annotations

from dse.errors import DseError

__all__ = ["DataError", "DataFormatError", "DataNotFoundError", "one_line"]


class DataError(DseError, ValueError):
    """Base class of every error raised by :mod:`dse.data`."""


class DataNotFoundError(DataError):
    """A dataset could not be found anywhere it was looked for (nor downloaded)."""


class DataFormatError(DataError):
    """Files were found but do not hold a dataset in the expected format."""


def one_line(err: BaseException) -> str:
    """``Type: message`` of an error from another library, squeezed onto one short line."""
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:300]}" if text else type(err).__name__

"""Loading search spaces: shipped names, YAML files, and inline data (e.g. from a study file)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dse.arch.serialize import read_yaml
from dse.errors import config_error
from dse.resources import shipped_files
from dse.space.errors import SpaceError
from dse.space.schema import SearchSpace

_KIND = "search_spaces"
_SUFFIXES = (".yaml", ".yml")


def list_spaces() -> list[str]:
    """Names of the shipped search spaces."""
    return list(shipped_files(_KIND))


def space_from_data(data: Any, source: str = "<inline>", prefix: str = "") -> SearchSpace:
    """Validate parsed data (a YAML mapping, or :meth:`SearchSpace.to_data`) into a SearchSpace.

    Errors are one-line :class:`SpaceError` naming ``source`` and the field (after ``prefix``).
    """
    if isinstance(data, SearchSpace):
        return data
    if not isinstance(data, Mapping):
        raise SpaceError(
            source,
            prefix or "(top level)",
            f"must be a mapping, got {type(data).__name__}",
            ", ".join(SearchSpace.model_fields),
        )
    try:
        return SearchSpace.model_validate(dict(data))
    except ValidationError as exc:
        raise config_error(exc, source, prefix, cls=SpaceError) from None


def resolve_space_path(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """The file of a shipped space name, or of a YAML path (tried under ``relative_to`` first)."""
    text = str(name_or_path)
    files = shipped_files(_KIND)
    if text in files:
        return files[text]
    path = Path(text).expanduser()
    candidates = [path]
    if relative_to is not None and not path.is_absolute():
        candidates.insert(0, Path(relative_to) / path)
    for candidate in candidates:
        if candidate.suffix.lower() in _SUFFIXES and candidate.is_file():
            return candidate
    raise SpaceError(
        text,
        "space",
        "is neither a shipped search space nor an existing .yaml file",
        ", ".join(files) + ", or a path to a .yaml file",
    )


def load_space(name_or_path: str | Path, relative_to: Path | None = None) -> SearchSpace:
    """A shipped search space by name (see :func:`list_spaces`) or a YAML file by path."""
    path = resolve_space_path(name_or_path, relative_to)
    return space_from_data(read_yaml(path, SpaceError), source=str(path))

"""Loading search spaces: shipped names, YAML files, and inline data (e.g. from a study file)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dse.resources import shipped_files
from dse.space.errors import SpaceError, space_error
from dse.space.schema import SearchSpace

_KIND = "search_spaces"
_SUFFIXES = (".yaml", ".yml")


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A key repeated in one YAML mapping (PyYAML would silently keep the last one)."""


class SpaceLoader(yaml.SafeLoader):
    """PyYAML's safe loader, plus: ``1e-3`` is a float (YAML 1.2); a repeated key is an error."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise DuplicateKeyError(
                    None, None, f"key {key!r} appears twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


SpaceLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def read_yaml(path: Path) -> Any:
    """Parse ``path`` with :class:`SpaceLoader`; a syntax error is a one-line SpaceError."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SpaceLoader)  # noqa: S506 (safe loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}" if mark is not None else "(yaml)"
        if isinstance(exc, DuplicateKeyError):
            raise SpaceError(
                str(path), where, str(exc.problem), "each key once per mapping"
            ) from None
        raise SpaceError(
            str(path), where, f"is not valid YAML: {exc.problem}", "YAML mapping syntax"
        ) from None
    except OSError as exc:
        raise SpaceError(str(path), "(file)", f"cannot be read: {exc.strerror}") from None


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
        raise space_error(exc, source, prefix) from None


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
    return space_from_data(read_yaml(path), source=str(path))

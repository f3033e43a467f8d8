"""Where the shipped YAML files live: in a checkout, the top-level folders; in a wheel, dse/_shipped/."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped_dir(kind: str) -> Path:
    """The folder of shipped ``search_spaces`` or ``studies`` files, from a wheel or a checkout."""
    if kind not in ("search_spaces", "studies"):
        raise ValueError(f"unknown shipped folder {kind!r}")
    installed = _PACKAGE / "_shipped" / kind
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / kind


def shipped_files(kind: str) -> dict[str, Path]:
    """Shipped YAML files of one kind by stem name, sorted."""
    folder = shipped_dir(kind)
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}

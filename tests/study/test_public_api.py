"""dse.study's curated public face: every name in __all__ resolves, and nothing public is a module."""

from __future__ import annotations

import pathlib
import types

import pytest

import dse.study


@pytest.mark.parametrize("name", dse.study.__all__)
def test_every_public_name_resolves(name: str) -> None:
    value = getattr(dse.study, name)
    assert value is not None
    if name != "attrs":
        assert not isinstance(value, types.ModuleType)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        dse.study.nope  # noqa: B018


def test_implementation_modules_are_private() -> None:
    folder = pathlib.Path(dse.study.__file__).parent
    public = sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))
    assert public == ["attrs"]

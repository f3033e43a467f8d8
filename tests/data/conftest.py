"""Keep every dse.data test away from the user's caches and environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import dse.data


@pytest.fixture(autouse=True)
def isolated_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A private cache dir, no $DSE_DATA_DIR, and empty in-process caches."""
    cache = tmp_path / "dse-cache"
    monkeypatch.setenv("DSE_CACHE_DIR", str(cache))
    monkeypatch.delenv("DSE_DATA_DIR", raising=False)
    dse.data.clear_memory_cache()
    yield cache
    dse.data.clear_memory_cache()

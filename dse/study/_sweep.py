"""Grid sweeps: which grid points of a study have no completed trial yet.

A grid study (``sampler: grid``) exists to measure every point of its grid; ``dse show`` and the
report list the points still unmeasured (pruned, failed or never run).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any


def missing_grid_points(config: Mapping[str, Any], space: Mapping[str, Any] | None,
                        measured: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Grid points (parameter -> value) of a grid study that no completed trial measured.

    ``config`` and ``space`` are the study's stored config and search space (parsed data);
    ``measured`` the params of its completed trials. Empty for studies that are not grid sweeps.
    """
    sampler = config.get("sampler") or {}
    if not space or sampler.get("name") != "grid":
        return []
    from dse.space import space_from_data

    grid = space_from_data(dict(space), source="stored space", prefix="space").grid()
    names = list(grid)
    done = {tuple(_key(p.get(n)) for n in names) for p in measured}
    return [dict(zip(names, point)) for point in itertools.product(*grid.values())
            if tuple(_key(v) for v in point) not in done]


def describe_points(points: list[dict[str, Any]]) -> str:
    """``sr=0.625; sr=0.75`` for a list of grid points."""
    return "; ".join(", ".join(f"{k}={v}" for k, v in p.items()) for p in points)


def _key(value: Any) -> Any:
    return round(value, 12) if isinstance(value, float) else value

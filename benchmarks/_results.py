"""Shared output of the benchmark scripts: JSON under benchmarks/results/ and an aligned printout."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def save_and_print(name: str, result: dict) -> Path:
    """Write ``result`` to benchmarks/results/NAME.json and print its scalar entries, one per line."""
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(result, indent=2))
    width = max(len(k) for k in result) + 2
    for key, value in result.items():
        print(f"{key:{width}s} {value:.4f}" if isinstance(value, float) else f"{key:{width}s} {value}")
    print(f"wrote {out}")
    return out


def environment(load_before: tuple[float, float, float]) -> dict:
    """Where a run was measured: load averages before and after, CPU count, Python and torch versions."""
    import torch

    return {"load_average_before": load_before, "load_average_after": os.getloadavg(), "cpu_count": os.cpu_count(),
            "python": platform.python_version(), "torch": torch.__version__}


def write_json(path: Path, report: dict) -> None:
    """Write a benchmark's report to ``path`` (its folder made if needed) and say where."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {path}")

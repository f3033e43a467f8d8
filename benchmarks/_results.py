"""Shared output of the benchmark scripts: JSON under benchmarks/results/ and an aligned printout."""

from __future__ import annotations

import json
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

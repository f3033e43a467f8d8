from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

TINY_SPACE: dict[str, Any] = {
    "name": "tiny",
    "description": "two squeeze ratios on a very narrow network",
    "base": {"preset": "squeezenet_cifar", "width_multiplier": 0.125},
    "train": {"batch_size": 64, "lr": 0.05},
    "parameters": {
        "sr": {"kind": "categorical", "choices": [0.25, 0.5, 0.75, 1.0], "target": "meta.sr"},
        "pct3x3": {"kind": "float", "low": 0.1, "high": 0.9, "target": "meta.pct3x3"},
    },
}


def tiny_config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "tiny",
        "space": TINY_SPACE,
        "dataset": "fashion-mnist-mini",
        "budget": {"epochs": 1, "train_subset": 256},
        "objectives": ["val_acc", "params"],
        "sampler": {"name": "random"},
        "trials": 3,
        "seed": 0,
        "storage": f"sqlite:///{tmp_path / 'tiny.db'}",
    }
    data.update(overrides)
    return data


@pytest.fixture
def study_yaml(tmp_path: Path):
    def write(**overrides: Any) -> Path:
        path = tmp_path / "tiny.yaml"
        path.write_text(yaml.safe_dump(tiny_config(tmp_path, **overrides)))
        return path

    return write

"""dse.train: brief, budgeted training of candidate networks with Lightning.

from dse.train import Budget, TrainConfig, train_candidate
result = train_candidate(model, data, TrainConfig(lr=0.05), Budget(epochs=3))
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported on first use, so that reading a config (dse.train.config) does not load Lightning.
_HOMES = {
    "Status": "candidate", "TrainResult": "candidate", "train_candidate": "candidate",
    "Budget": "config", "TrainConfig": "config", "TrainConfigError": "config", "resolve_precision": "config",
    "is_out_of_memory": "devices", "resolve_device": "devices", "Classifier": "module",
    "DivergenceError": "module", "EpochHook": "monitor", "TrialMonitor": "monitor",
    "lr_factor": "schedule", "make_optimizer": "schedule", "make_scheduler": "schedule",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'dse.train' has no attribute {name!r}")
    return getattr(importlib.import_module(f"dse.train.{_HOMES[name]}"), name)


__all__ = [
    "Budget",
    "Classifier",
    "DivergenceError",
    "EpochHook",
    "Status",
    "TrainConfig",
    "TrainConfigError",
    "TrainResult",
    "TrialMonitor",
    "is_out_of_memory",
    "lr_factor",
    "make_optimizer",
    "make_scheduler",
    "resolve_device",
    "resolve_precision",
    "train_candidate",
]

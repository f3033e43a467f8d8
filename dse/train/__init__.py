"""dse.train: brief, budgeted training of candidate networks with Lightning.

from dse.train import Budget, TrainConfig, train_candidate
result = train_candidate(model, data, TrainConfig(lr=0.05), Budget(epochs=3))
"""

from __future__ import annotations

from dse.train.candidate import Status, TrainResult, train_candidate
from dse.train.config import Budget, TrainConfig, TrainConfigError, resolve_precision
from dse.train.devices import is_out_of_memory, resolve_device
from dse.train.module import Classifier, DivergenceError
from dse.train.monitor import EpochHook, TrialMonitor
from dse.train.schedule import lr_factor, make_optimizer, make_scheduler

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

"""dse.study: studies of the design space on Optuna storage (configs, running, reading, retraining).

The public face of the package; everything else lives in private modules (``dse.study._*``).
Names are imported on first use (PEP 562), so ``import dse.study`` stays cheap and the CLI starts
fast. ``dse.study.attrs`` holds the names of every attribute dse stores in a study.

Typical use::

    from dse.study import load_config, start, load_trials
    session = start(load_config("studies/quickstart.yaml"))
    session.run()
    records = load_trials(session.config.storage, session.config.name)
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    # configs
    "StudyConfig": "_config", "load_config": "_config", "config_from_data": "_config",
    "ConfigError": "_config", "COST_METRICS": "_config",
    # creating, continuing and running studies
    "Session": "_session", "start": "_session", "reopen": "_session",
    "RunOutcome": "_runner", "StudyExistsError": "_runner", "optimize_until": "_runner",
    "load_stored_config": "_runner", "stored_target": "_runner",
    # samplers
    "make_sampler": "_samplers", "register_sampler": "_samplers", "sampler_names": "_samplers",
    # storage
    "open_storage": "_database", "open_readonly": "_database", "StorageError": "_database",
    "DatabaseUnavailable": "_database", "safe_url": "_database",
    # reading studies back
    "TrialRecord": "_records", "StudyInfo": "_records", "StudySummary": "_records",
    "load_trials": "_records", "load_trial": "_records", "load_study_info": "_records",
    "list_study_summaries": "_records", "records_of": "_records", "trial_status": "_records",
    "COUNTED": "_records",
    # fronts and hypervolumes
    "pareto_mask": "_pareto", "hypervolume": "_pareto", "to_loss": "_pareto",
    "reference_point": "_pareto",
    # grid sweeps
    "missing_grid_points": "_sweep",
    # confirming the front (dse retrain)
    "retrained_weights": "_retrain", "RetrainedWeights": "_retrain", "RetrainError": "_retrain",
    "companion_name": "_retrain",
}

__all__ = sorted([*_EXPORTS, "attrs"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dse.study' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"dse.study.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__

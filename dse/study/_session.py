"""Launching and resuming studies: wires config, search space, data, storage and the run loop."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import optuna

from dse.study import attrs
from dse.study._config import StudyConfig
from dse.study._objective import Objective
from dse.study._preflight import preflight
from dse.study._runner import (
    RunOutcome,
    create_or_continue,
    load_stored_config,
    run_until,
)
from dse.study._samplers import make_sampler
from dse.study._database import StorageError, open_storage, safe_url

optuna.logging.set_verbosity(optuna.logging.WARNING)


@dataclass
class Session:
    """One process's handle on a study: the Optuna study, the objective and the config."""

    study: optuna.Study
    objective: Objective
    config: StudyConfig
    grid_size: int | None

    def run(self, target: int | None = None, timeout: float | None = None,
            on_trial: Callable[[optuna.Study, Any], None] | None = None,
            follow_stored_target: bool = False) -> RunOutcome:
        target = target or self.config.trials
        if self.grid_size is not None:
            target = min(target, self.grid_size)
        return run_until(self.study, self.objective, self.config, target, timeout, on_trial, self.grid_size,
                         follow_stored_target=follow_stored_target)


def load_space_for(config: StudyConfig, stored: dict | None = None):
    from dse.space import load_space, space_from_data

    if stored is not None:
        return space_from_data(stored, source=f"stored space of {config.name}", prefix="space")
    if isinstance(config.space, dict):
        return space_from_data(config.space, source=config.name, prefix="space")
    return load_space(config.space)


def load_data_for(config: StudyConfig, data_dir: str | None = None):
    from dse.data import load_dataset

    return load_dataset(
        config.dataset.name, data_dir or config.dataset.data_dir, image_size=config.dataset.image_size
    )


def _grid_size(config: StudyConfig, space) -> int | None:
    if config.sampler.name != "grid":
        return None
    return math.prod(len(v) for v in space.grid().values())


def _session(study: optuna.Study, config: StudyConfig, space, data, *, device: str, quiet: bool) -> Session:
    objective = Objective(config=config, space=space, data=data, device=device, quiet=quiet)
    study.sampler = make_sampler(config, space, seed_offset=len(study.get_trials(deepcopy=False)),
                                 fixed=objective.fixed_arch())
    if config.pruner.mode != "off":
        from dse.study._pruning import make_epoch_hook_factory

        objective.epoch_hook_factory = make_epoch_hook_factory(config)
    return Session(study, objective, config, _grid_size(config, space))


def start(config: StudyConfig, *, data_dir: str | None = None, device: str = "auto", quiet: bool = True) -> Session:
    """Create the study (or continue it when the stored config is the same)."""
    space = load_space_for(config)
    data = load_data_for(config, data_dir)
    info = data.info
    dataset = {"name": info.name, "num_classes": info.num_classes, "image_size": info.image_size,
               "in_channels": info.in_channels}
    fixed = {"in_channels": info.in_channels, "input_size": info.image_size, "num_classes": info.num_classes}
    make_sampler(config, space, fixed=fixed)  # a bad sampler setting fails before the study is created
    preflight(config, space, data)  # so does anything that would fail every trial (dse.study._preflight)
    study, config = create_or_continue(config, space.to_data(), dataset)
    return _session(study, config, space, data, device=device, quiet=quiet)


def reopen(name: str, storage: str, *, data_dir: str | None = None, device: str = "auto", quiet: bool = True) -> Session:
    """Continue a study from its storage alone (no YAML files needed)."""
    opened = open_storage(storage, create=False)
    try:
        study = optuna.load_study(study_name=name, storage=opened)
    except KeyError:
        names = [s.study_name for s in optuna.get_all_study_summaries(opened, include_best_trial=False)]
        raise StorageError(
            f"no study named {name!r} in {safe_url(storage)}; studies there: {', '.join(names) or 'none'}"
        ) from None
    config = load_stored_config(study).model_copy(update={"storage": storage})
    space = load_space_for(config, study.user_attrs.get(attrs.STUDY_SPACE))
    data = load_data_for(config, data_dir)
    return _session(study, config, space, data, device=device, quiet=quiet)

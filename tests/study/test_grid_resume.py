"""A grid study resumed (or joined by a second worker) keeps its grid order: every point once."""

from __future__ import annotations

import optuna

from dse.space import space_from_data
from dse.study._config import config_from_data
from dse.study._samplers import make_sampler

SPACE = {
    "name": "six", "description": "six grid points",
    "base": {"preset": "squeezenet_cifar", "width_multiplier": 0.125},
    "parameters": {
        "sr": {"kind": "categorical", "choices": [0.25, 0.5, 1.0], "target": "meta.sr"},
        "bypass": {"kind": "categorical", "choices": ["none", "simple"], "target": "bypass"},
    },
}


def test_grid_points_are_each_run_once_across_resumes_with_other_seed_offsets() -> None:
    config = config_from_data({"name": "g", "space": SPACE, "dataset": "fashion-mnist-mini", "sampler": {"name": "grid"}})
    space = space_from_data(SPACE, source="test", prefix="space")
    study = optuna.create_study(directions=["maximize", "minimize"])
    seen = []
    for offset in (0, 0, 2, 3, 4, 5):  # a run of two trials, then a resume before every later trial
        study.sampler = make_sampler(config, space, seed_offset=offset)

        def objective(trial: optuna.Trial) -> tuple[float, float]:
            seen.append((trial.suggest_categorical("sr", [0.25, 0.5, 1.0]), trial.suggest_categorical("bypass", ["none", "simple"])))
            return 0.5, 1.0

        study.optimize(objective, n_trials=1)
    assert len(set(seen)) == 6, seen

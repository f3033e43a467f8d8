from __future__ import annotations

import pytest

from dse.resources import shipped_files
from dse.study.config import ConfigError, config_from_data, load_config

BASE = {"name": "demo", "space": "squeezenet_micro", "dataset": "fashion-mnist-mini"}


def test_defaults_and_storage_named_after_study() -> None:
    cfg = config_from_data(BASE)
    assert cfg.storage == "sqlite:///studies/demo.db"
    assert cfg.objectives == ("val_acc", "params") and cfg.directions() == ["maximize", "minimize"]
    assert cfg.sampler.name == "nsga2"


def test_run_controls_do_not_change_identity() -> None:
    a = config_from_data(BASE)
    b = config_from_data({**BASE, "trials": 99, "timeout": 5, "storage": "sqlite:///x.db"})
    c = config_from_data({**BASE, "budget": {"epochs": 3}})
    assert a.config_hash() == b.config_hash() != c.config_hash()


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({**BASE, "colour": 1}, "demo.yaml: colour: unknown field; allowed: name"),
        ({**BASE, "budget": {"epochz": 1}}, "budget.epochz: unknown field; allowed: epochs"),
        ({**BASE, "objectives": ["params"]}, "objectives: must start with val_acc"),
        ({**BASE, "objectives": ["val_acc", "speed"]}, "objectives: after val_acc give one or more distinct costs"),
        ({**BASE, "sampler": {"name": "cmaes"}}, "sampler.name: must be 'nsga2', 'cost_aware', 'tpe', 'gp', 'random' or 'grid'"),
        ({**BASE, "trials": 0}, "trials: Input should be greater than or equal to 1"),
        ({**BASE, "name": "a b"}, "name: must be 1-100 letters"),
        ({"space": "x", "dataset": "y"}, "name: Field required"),
    ],
)
def test_bad_config_one_line_naming_field(data, needle) -> None:
    with pytest.raises(ConfigError) as info:
        config_from_data(data, "demo.yaml")
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", sorted(shipped_files("studies")))
def test_every_shipped_study_validates(name: str) -> None:
    cfg = load_config(shipped_files("studies")[name])
    assert cfg.name == name


def test_missing_file_lists_shipped_studies() -> None:
    with pytest.raises(ConfigError, match="shipped studies: .*quickstart"):
        load_config("no-such-study.yaml")

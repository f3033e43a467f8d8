from __future__ import annotations

import json

import pytest

from dse.resources import shipped_files
from dse.study._config import ConfigError, config_from_data, load_config

from .conftest import tiny_config

BASE = {"name": "demo", "space": "squeezenet_micro", "dataset": "fashion-mnist-mini"}


def test_defaults_and_storage_named_after_study() -> None:
    cfg = config_from_data(BASE)
    assert cfg.storage == "sqlite:///studies/demo.db"
    assert cfg.objectives == ("val_acc", "params") and cfg.directions() == ["maximize", "minimize"]
    assert cfg.sampler.name == "cost_aware" and cfg.sampler_defaulted  # two objectives: the default sampler


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
        ({**BASE, "sampler": {"name": "cmaes"}}, "sampler.name: got 'cmaes'; allowed: nsga2, tpe, gp, random, grid, cost_aware"),
        ({**BASE, "trials": 0}, "trials: got 0; allowed: greater than or equal to 1"),
        ({**BASE, "name": "a b"}, "name: must be 1-100 letters"),
        ({"space": "x", "dataset": "y"}, "demo.yaml: name: is required"),
        ({**BASE, "train": {"lrr": 0.1}}, "demo.yaml: train.lrr: unknown field; allowed: optimizer, lr, momentum,"),
        ({**BASE, "train": {"lr": "fast"}}, "demo.yaml: train.lr: got 'fast'; allowed: a valid number"),
        ({**BASE, "budget": {"epochs": 1.5}}, "demo.yaml: budget.epochs: got 1.5; allowed: a valid integer"),
        ({**BASE, "pruner": {"rungs": [0]}}, "demo.yaml: pruner.rungs.0: got 0; allowed: greater than or equal to 1"),
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


def test_numbers_read_as_yaml_1_2(tmp_path) -> None:
    """Issue 15, finding 8: PyYAML read `1e6` as a string, refused as "must be a number > 0"."""
    path = tmp_path / "demo.yaml"
    path.write_text("name: demo\nspace: squeezenet_micro\ndataset: fashion-mnist-mini\n"
                    "train: {lr: 1e6, weight_decay: 5e-4, momentum: 1e-1}\nbudget: {max_seconds: 1e3}\n")
    cfg = load_config(path)
    assert (cfg.train.lr, cfg.train.weight_decay, cfg.train.momentum) == (1e6, 5e-4, 0.1)
    assert cfg.budget.max_seconds == 1000.0 and cfg.train_overrides() == {"lr": 1e6, "weight_decay": 5e-4, "momentum": 0.1}


def test_yaml_errors_name_the_file_and_line(tmp_path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text("name: demo\nname: other\n")
    with pytest.raises(ConfigError, match=rf"^{path}: line 2: key 'name' appears twice"):
        load_config(path)


def test_rungs_not_below_the_epochs_are_dropped_with_a_warning() -> None:
    cfg = config_from_data({**BASE, "budget": {"epochs": 3}, "pruner": {"rungs": [1, 3, 5]}})
    assert cfg.warnings() == ["demo: pruner.rungs [3, 5] are not below budget.epochs 3: dropped "
                              "(judging at the last epoch saves nothing)"]
    assert cfg.pruner.rungs == (1, 3, 5)  # stored as written; dse.study._pruning judges at rung 1 only
    assert config_from_data(BASE).warnings() == []  # default rungs (1, 2, 4), default 2 epochs: no noise
    assert config_from_data({**BASE, "pruner": {"mode": "off", "rungs": [9]}}).warnings() == []


# A study config as dse stored it before the config tree was typed (model_dump(mode="json") and
# config_hash() of the earlier StudyConfig, for tiny_config with the overrides in OLD_OVERRIDES).
OLD_OVERRIDES = {"train": {"weight_decay": 0, "precision": "32"}, "pruner": {"rungs": [1]},
                 "budget": {"epochs": 1, "train_subset": 256, "max_seconds": 600}}
OLD_STORED = json.loads("""{"name": "tiny", "description": "", "space": {"name": "tiny", "description":
"two squeeze ratios on a very narrow network", "base": {"preset": "squeezenet_cifar", "width_multiplier":
0.125}, "train": {"batch_size": 64, "lr": 0.05}, "parameters": {"sr": {"kind": "categorical", "choices":
[0.25, 0.5, 0.75, 1.0], "target": "meta.sr"}, "pct3x3": {"kind": "float", "low": 0.1, "high": 0.9,
"target": "meta.pct3x3"}}}, "dataset": {"name": "fashion-mnist-mini", "data_dir": null, "image_size": null},
"budget": {"epochs": 1, "max_steps": null, "train_subset": 256, "max_seconds": 600.0}, "train":
{"weight_decay": 0, "precision": "32"}, "objectives": ["val_acc", "params"], "constraints": {"max_params":
null, "max_macs": null, "max_size_bytes": null, "max_peak_activation_bytes": null}, "sampler": {"name":
"random", "options": {}}, "pruner": {"mode": "pareto", "rungs": [1], "margin": 0.02, "min_trials": 4,
"cost_ratio": 1.5, "keep_fraction": 0.5}, "reuse_duplicates": true, "trials": 3, "timeout": null, "seed": 0,
"storage": "sqlite:////TMP/tiny.db"}""")
OLD_HASH = "b3b9e3b0a62de259"


def test_a_config_stored_by_earlier_dse_reads_back_with_the_same_hash(tmp_path) -> None:
    stored = config_from_data(OLD_STORED, "stored config")
    assert stored.model_dump(mode="json") == OLD_STORED  # written values kept: 0 stays 0, "32" stays "32"
    assert stored.config_hash() == OLD_HASH
    assert (stored.train.weight_decay, stored.train.precision) == (0.0, "32-true")
    assert config_from_data(tiny_config(tmp_path, **OLD_OVERRIDES)).config_hash() == OLD_HASH


def test_a_study_created_before_resumes_and_its_yaml_relaunches(tmp_path, monkeypatch) -> None:
    import dse.study._objective as objective
    from dse.study import attrs
    from dse.study._session import reopen, start
    from dse.train import TrainResult

    def stand_in(model, data, config, budget, **kw):
        assert (config.weight_decay, config.precision, config.batch_size) == (0.0, "32-true", 64)
        return TrainResult(status="completed", reason=None, val_acc=0.5, val_curve=[0.5], train_seconds=0.01)

    monkeypatch.setattr(objective, "train_candidate", stand_in)
    config = config_from_data(tiny_config(tmp_path, **OLD_OVERRIDES, trials=1))
    session = start(config)
    session.run()
    session.study.set_user_attr(attrs.STUDY_CONFIG, {**OLD_STORED, "storage": config.storage})
    session.study.set_user_attr(attrs.STUDY_CONFIG_HASH, OLD_HASH)  # as the earlier dse left it
    start(config_from_data(tiny_config(tmp_path, **OLD_OVERRIDES, trials=2))).run()  # not refused as changed
    resumed = reopen("tiny", config.storage)
    resumed.run(target=3)
    assert len(resumed.study.trials) == 3
    assert resumed.config.config_hash() == OLD_HASH

"""The default sampler (issue 17): a study that names none gets the cost-aware sampler for two
objectives and TPE for three or more (or a measured latency); the study stores the sampler it was
created with, so a later default never changes an existing study, by `dse resume` or by relaunching
the same file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
import pytest

from dse.study import attrs
from dse.study._config import DEFAULT_SAMPLER, config_from_data
from dse.study._runner import StudyExistsError, create_or_continue
from tests.study.conftest import TINY_SPACE, tiny_config


def unnamed(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    data = tiny_config(tmp_path, **overrides)
    data.pop("sampler")
    return data


@pytest.mark.parametrize(("overrides", "expected"), [
    ({}, "cost_aware"),
    ({"objectives": ["val_acc", "macs"]}, "cost_aware"),
    ({"objectives": ["val_acc", "params", "macs"]}, "tpe"),
    ({"objectives": ["val_acc", "latency_ms"]}, "tpe"),
    ({"constraints": {"max_latency_ms": 2.0}}, "tpe"),
    ({"sampler": {"options": {"candidates": 64}}}, "cost_aware"),
])
def test_a_study_naming_no_sampler_gets_the_default_for_its_objectives(tmp_path: Path, overrides: dict,
                                                                      expected: str) -> None:
    config = config_from_data(unnamed(tmp_path, **overrides), "study.yaml")
    assert config.sampler.name == expected and config.sampler_defaulted
    assert config.model_dump(mode="json")["sampler"]["name"] == expected  # what the study stores
    assert DEFAULT_SAMPLER == "cost_aware"


def test_a_named_sampler_is_kept(tmp_path: Path) -> None:
    config = config_from_data(tiny_config(tmp_path, sampler={"name": "nsga2"}), "study.yaml")
    assert config.sampler.name == "nsga2" and not config.sampler_defaulted


def test_an_existing_study_keeps_the_sampler_it_was_created_with(tmp_path: Path) -> None:
    """A study made when the default was NSGA-II (stored explicitly) continues with NSGA-II when
    its file, naming no sampler, is launched again; naming another sampler is a changed study."""
    old = config_from_data(tiny_config(tmp_path, sampler={"name": "nsga2"}), "study.yaml")
    create_or_continue(old, TINY_SPACE, {"name": "fashion-mnist-mini"})
    again = config_from_data(unnamed(tmp_path), "study.yaml")
    assert again.sampler.name == "cost_aware"
    study, runs_with = create_or_continue(again, TINY_SPACE, {"name": "fashion-mnist-mini"})
    assert runs_with.sampler.name == "nsga2" and runs_with.config_hash() == old.config_hash()
    assert study.user_attrs[attrs.STUDY_CONFIG]["sampler"]["name"] == "nsga2"
    with pytest.raises(StudyExistsError, match="changed: sampler"):
        create_or_continue(config_from_data(tiny_config(tmp_path, sampler={"name": "tpe"}), "study.yaml"), TINY_SPACE,
                           {"name": "fashion-mnist-mini"})


def test_a_new_study_stores_the_resolved_default(tmp_path: Path) -> None:
    create_or_continue(config_from_data(unnamed(tmp_path), "study.yaml"), TINY_SPACE, {"name": "fashion-mnist-mini"})
    study = optuna.load_study(study_name="tiny", storage=f"sqlite:///{tmp_path / 'tiny.db'}")
    assert study.user_attrs[attrs.STUDY_CONFIG]["sampler"] == {"name": "cost_aware", "options": {}}


def test_gp_with_pruning_is_warned_about(tmp_path: Path) -> None:
    """Optuna's GPSampler ignores pruned trials: with dse's pruner on it re-proposes a pruned point
    (docs/tabular-benchmark.md), so the config says so; with pruning off it does not."""
    noted = config_from_data(tiny_config(tmp_path, sampler={"name": "gp"}), "study.yaml").warnings()
    assert any("sampler gp ignores pruned trials" in n for n in noted)
    quiet = config_from_data(tiny_config(tmp_path, sampler={"name": "gp"}, pruner={"mode": "off"}), "study.yaml")
    assert not any("gp" in n for n in quiet.warnings())

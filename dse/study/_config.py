"""Study configs (studies/*.yaml): what to search, on which data, for which objectives, how long.

A config is parsed into a validated ``StudyConfig`` (see docs/configs.md); a bad file raises
``ConfigError`` with one line naming the file, the field, the value and what is allowed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (Field, PrivateAttr, ValidationError, field_serializer, field_validator, model_serializer,
                      model_validator)

from dse.arch.serialize import read_yaml
from dse.errors import ConfigError, Strict, config_error, invalid
from dse.study.attrs import METRICS
from dse.train.config import Budget, TrainConfig

__all__ = ["ConfigError", "StudyConfig", "config_from_data", "load_config"]
COST_METRICS = tuple(name for name in METRICS if name != "val_acc")
# Fields that control one run rather than what the study is; changing them is not a new study.
RUN_CONTROLS = ("trials", "timeout", "storage", "workers")


class DatasetConfig(Strict):
    name: str = Field(description="dataset name, e.g. fashion-mnist-mini, fashion-mnist, cifar10, imagefolder:PATH")
    data_dir: str | None = Field(default=None, description="folder holding the data (else DSE_DATA_DIR, system copies, download)")
    image_size: int | None = Field(default=None, ge=4, description="image size for imagefolder datasets")


class ConstraintsConfig(Strict):
    max_params: int | None = Field(default=None, ge=1)
    max_macs: int | None = Field(default=None, ge=1)
    max_size_bytes: int | None = Field(default=None, ge=1)
    max_peak_activation_bytes: int | None = Field(default=None, ge=1)
    max_latency_ms: float | None = Field(default=None, gt=0, description="measured before training (dse.export.latency)")

    @model_serializer(mode="wrap")
    def _without_unset_latency(self, handler: Any) -> dict[str, Any]:
        """Stored configs and hashes of studies made before max_latency_ms existed stay the same."""
        data = handler(self)
        if data.get("max_latency_ms") is None:
            data.pop("max_latency_ms", None)
        return data

    def limits(self) -> dict[str, float]:
        """Configured limits by metric name (params, macs, size_bytes, peak_activation_bytes, latency_ms)."""
        return {k[4:]: v for k, v in self.model_dump().items() if v is not None}


# The sampler of a study that names none (docs/tabular-benchmark.md, "The default sampler"): the
# cost-aware sampler has the best median on both grids of the tabular benchmark and the best mean
# final hypervolume live (GPSampler won one live seed of three); it needs two objectives and
# costs it can compute, so three or more objectives, or a measured latency, get Optuna's
# multi-objective default, TPE. A study stores the sampler it was created with: changing this default never changes it.
DEFAULT_SAMPLER = "cost_aware"
DEFAULT_SAMPLER_OTHERWISE = "tpe"


def default_sampler(data: dict[str, Any]) -> str:
    """The sampler for a study config (as written) that names none."""
    objectives = tuple(data.get("objectives") or ("val_acc", "params"))
    constraints = data.get("constraints") or {}
    latency = "latency_ms" in objectives or (isinstance(constraints, dict) and constraints.get("max_latency_ms") is not None)
    return DEFAULT_SAMPLER if len(objectives) == 2 and not latency else DEFAULT_SAMPLER_OTHERWISE


def _named_sampler(sampler: Any) -> bool:
    if isinstance(sampler, dict):
        return sampler.get("name") is not None
    return sampler is not None


class SamplerConfig(Strict):
    name: str = Field(default="nsga2", description="a registered sampler (dse.study._samplers)")
    options: dict[str, Any] = Field(default_factory=dict, description="keyword arguments of the sampler")

    @field_validator("name")
    @classmethod
    def _registered(cls, value: str) -> str:
        from dse.study._samplers import sampler_names

        if value not in sampler_names():
            raise invalid("", f"got {value!r}", ", ".join(sampler_names()))
        return value


class PrunerConfig(Strict):
    """Multi-objective pruning at rungs (see dse.study._pruning); on ("pareto") by default.

    ``rungs`` are epochs (>= 1) after which trials are judged; those not below the study's
    ``budget.epochs`` are dropped (nothing is saved by stopping at the last epoch), with a warning
    when the study file gives them."""

    mode: Literal["off", "pareto", "halving"] = "pareto"
    rungs: tuple[Annotated[int, Field(ge=1)], ...] = (1, 2, 4)
    margin: float = Field(default=0.02, ge=0.0, le=1.0)
    min_trials: int = Field(default=4, ge=1)
    cost_ratio: float = Field(default=1.5, gt=1.0)
    keep_fraction: float = Field(default=0.5, gt=0.0, le=1.0)


class StudyConfig(Strict):
    name: str
    description: str = ""
    space: str | dict[str, Any]
    dataset: DatasetConfig
    budget: Budget = Budget(epochs=2)
    train: TrainConfig = Field(default_factory=TrainConfig, description="overrides the space's train values")
    objectives: tuple[str, ...] = ("val_acc", "params")
    constraints: ConstraintsConfig = ConstraintsConfig()
    sampler: SamplerConfig = SamplerConfig()
    pruner: PrunerConfig = PrunerConfig()
    reuse_duplicates: bool = True
    repeats: int = Field(default=1, ge=1, description="train each candidate with this many seeds; the objective is their mean")
    trials: int = Field(default=20, ge=1)
    timeout: float | None = Field(default=None, gt=0)
    seed: int = Field(default=0, ge=0)
    storage: str | None = None

    _train_data: dict[str, Any] = PrivateAttr(default_factory=dict)
    _sampler_defaulted: bool = PrivateAttr(default=False)

    @model_validator(mode="wrap")
    @classmethod
    def _default_sampler(cls, data: Any, handler: Any) -> StudyConfig:
        """A file naming no sampler gets ``default_sampler``'s choice, and remembers that it did."""
        defaulted = isinstance(data, dict) and not _named_sampler(data.get("sampler"))
        if defaulted:
            data = {**data, "sampler": {**(data.get("sampler") or {}), "name": default_sampler(data)}}
        config = handler(data)
        config._sampler_defaulted = defaulted
        return config

    @model_validator(mode="wrap")
    @classmethod
    def _keep_train_as_written(cls, data: Any, handler: Any) -> StudyConfig:
        config = handler(data)
        train = data.get("train") if isinstance(data, dict) else None
        if isinstance(train, dict):
            config._train_data = copy.deepcopy(train)
        return config

    @property
    def sampler_defaulted(self) -> bool:
        """The file named no sampler: ``default_sampler`` chose it (and the study stores that choice)."""
        return self._sampler_defaulted

    @model_serializer(mode="wrap")
    def _omit_default_repeats(self, handler: Any) -> Any:
        """``repeats: 1`` (the default) is not written, so studies made before the option keep
        their stored config and hash."""
        data = handler(self)
        if isinstance(data, dict) and data.get("repeats") == 1:
            data.pop("repeats")
        return data

    @field_serializer("train")
    def _dump_train(self, train: TrainConfig) -> dict[str, Any]:
        """The values the study sets, as written: the stored form (and config hash) of older dse."""
        if set(self._train_data) == train.model_fields_set:
            return copy.deepcopy(self._train_data)
        return train.model_dump(mode="json", exclude_unset=True)

    def train_overrides(self) -> dict[str, Any]:
        """The training values this study sets; they override the space's ``train`` values."""
        return self.train.model_dump(exclude_unset=True)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", value):
            raise ValueError("must be 1-100 letters, digits, '_', '-' or '.', starting with a letter or digit")
        return value

    @field_validator("dataset", mode="before")
    @classmethod
    def _dataset(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @field_validator("objectives")
    @classmethod
    def _objectives(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or value[0] != "val_acc":
            raise ValueError("must start with val_acc, followed by one or more of " + ", ".join(COST_METRICS))
        rest = value[1:]
        bad = [v for v in rest if v not in COST_METRICS]
        if bad or not rest or len(set(rest)) != len(rest):
            raise ValueError(f"after val_acc give one or more distinct costs from {', '.join(COST_METRICS)}; got {list(rest)}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _sweeps_train_every_point(cls, data: Any) -> Any:
        """A grid study is a sweep: it exists to measure every point, so pruning is off unless asked."""
        if isinstance(data, dict) and "pruner" not in data:
            sampler = data.get("sampler")
            name = sampler.get("name") if isinstance(sampler, dict) else getattr(sampler, "name", None)
            if name == "grid":
                data = {**data, "pruner": {"mode": "off"}}
        return data

    @model_validator(mode="after")
    def _storage_default(self) -> StudyConfig:
        if self.storage is None:
            object.__setattr__(self, "storage", f"sqlite:///studies/{self.name}.db")
        return self

    # ------------------------------------------------------------------ identity
    def identity(self) -> dict[str, Any]:
        """The config without run controls (trials, timeout, storage): what makes the study."""
        data = {k: v for k, v in self.model_dump(mode="json").items() if k not in RUN_CONTROLS}
        data["dataset"].pop("data_dir", None)  # where the data lives does not change the study
        return data

    def config_hash(self) -> str:
        blob = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def warnings(self) -> list[str]:
        """One-line notes about settings that are allowed but probably not meant."""
        notes = []
        if self.sampler.name == "grid" and self.pruner.mode != "off":
            notes.append(f"{self.name}: pruner: {self.pruner.mode} in a grid sweep may stop grid points early and "
                         "leave them unmeasured; set `pruner: {mode: off}` to train every point")
        if self.sampler.name == "gp" and self.pruner.mode != "off":
            notes.append(f"{self.name}: sampler gp ignores pruned trials, so it proposes a pruned candidate again and "
                         "again (46 of 60 trials on the tabular benchmark); set `pruner: {mode: off}` with gp")
        late = [r for r in self.pruner.rungs if r >= self.budget.epochs]
        if late and self.pruner.mode != "off" and "rungs" in self.pruner.model_fields_set:
            notes.append(f"{self.name}: pruner.rungs {late} are not below budget.epochs {self.budget.epochs}: "
                         "dropped (judging at the last epoch saves nothing)")
        return notes

    def directions(self) -> list[str]:
        return [METRICS[name][1] for name in self.objectives]


def config_from_data(data: Any, source: str = "<config>") -> StudyConfig:
    """Validate plain data into a StudyConfig (raises ConfigError naming the field)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: must be a mapping of study fields (name, space, dataset, ...)")
    try:
        return StudyConfig.model_validate(data)
    except ValidationError as exc:
        raise config_error(exc, source) from None


def load_config(path: str | Path) -> StudyConfig:
    """Load a study YAML file; a shipped study can be given by name (e.g. ``quickstart``)."""
    from dse.resources import shipped_files

    p = Path(path)
    if not p.is_file():
        shipped = shipped_files("studies")
        if str(path) in shipped:
            p = shipped[str(path)]
        else:
            raise ConfigError(f"{path}: no such study file; shipped studies: {', '.join(shipped)}")
    return config_from_data(read_yaml(p, ConfigError), str(p))

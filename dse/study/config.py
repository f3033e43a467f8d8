"""Study configs (studies/*.yaml): what to search, on which data, for which objectives, how long.

A config is parsed into a validated ``StudyConfig``; a bad file raises ``ConfigError`` with one
line naming the file, the field and what is allowed.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dse.errors import DseError
from dse.study.attrs import METRICS

SAMPLERS = ("nsga2", "cost_aware", "tpe", "gp", "random", "grid")
COST_METRICS = tuple(name for name in METRICS if name != "val_acc")
# Fields that control one run rather than what the study is; changing them is not a new study.
RUN_CONTROLS = ("trials", "timeout", "storage", "workers")


class ConfigError(DseError):
    """A study config that cannot be used."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatasetConfig(_Model):
    name: str = Field(description="dataset name, e.g. fashion-mnist-mini, fashion-mnist, cifar10, imagefolder:PATH")
    data_dir: str | None = Field(default=None, description="folder holding the data (else DSE_DATA_DIR, system copies, download)")
    image_size: int | None = Field(default=None, ge=4, description="image size for imagefolder datasets")


class BudgetConfig(_Model):
    epochs: int = Field(default=2, ge=1)
    max_steps: int | None = Field(default=None, ge=1)
    train_subset: int | None = Field(default=None, ge=1)
    max_seconds: float | None = Field(default=None, gt=0)


class ConstraintsConfig(_Model):
    max_params: int | None = Field(default=None, ge=1)
    max_macs: int | None = Field(default=None, ge=1)
    max_size_bytes: int | None = Field(default=None, ge=1)
    max_peak_activation_bytes: int | None = Field(default=None, ge=1)

    def limits(self) -> dict[str, int]:
        """Configured limits by metric name (params, macs, size_bytes, peak_activation_bytes)."""
        return {k[4:]: v for k, v in self.model_dump().items() if v is not None}


class SamplerConfig(_Model):
    name: Literal["nsga2", "cost_aware", "tpe", "gp", "random", "grid"] = "nsga2"
    options: dict[str, Any] = Field(default_factory=dict, description="keyword arguments of the Optuna sampler")


class PrunerConfig(_Model):
    """Multi-objective pruning at rungs (see dse.study.pruning); on ("pareto") by default."""

    mode: Literal["off", "pareto", "halving"] = "pareto"
    rungs: tuple[int, ...] = (1, 2, 4)
    margin: float = Field(default=0.02, ge=0.0, le=1.0)
    min_trials: int = Field(default=4, ge=1)
    cost_ratio: float = Field(default=1.5, gt=1.0)
    keep_fraction: float = Field(default=0.5, gt=0.0, le=1.0)


class StudyConfig(_Model):
    name: str
    description: str = ""
    space: str | dict[str, Any]
    dataset: DatasetConfig
    budget: BudgetConfig = BudgetConfig()
    train: dict[str, Any] = Field(default_factory=dict)
    objectives: tuple[str, ...] = ("val_acc", "params")
    constraints: ConstraintsConfig = ConstraintsConfig()
    sampler: SamplerConfig = SamplerConfig()
    pruner: PrunerConfig = PrunerConfig()
    reuse_duplicates: bool = True
    trials: int = Field(default=20, ge=1)
    timeout: float | None = Field(default=None, gt=0)
    seed: int = Field(default=0, ge=0)
    storage: str | None = None

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
        return notes

    def directions(self) -> list[str]:
        return [METRICS[name][1] for name in self.objectives]


def _one_line(source: str, exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        parent = err["loc"][:-1]
        model: Any = StudyConfig
        for part in parent:
            field = model.model_fields.get(str(part))
            model = field.annotation if field is not None and isinstance(field.annotation, type) else None
            if model is None:
                break
        allowed = ", ".join(model.model_fields) if model is not None and hasattr(model, "model_fields") else ""
        msg = "unknown field" + (f"; allowed: {allowed}" if allowed else "")
    elif err["type"] == "literal_error":
        msg = msg.replace("Input should be", "must be")
    return f"{source}: {loc}: {msg}"


def config_from_data(data: Any, source: str = "<config>") -> StudyConfig:
    """Validate plain data into a StudyConfig (raises ConfigError naming the field)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: must be a mapping of study fields (name, space, dataset, ...)")
    try:
        return StudyConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_one_line(source, exc)) from None


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
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {' '.join(str(exc).split())}") from None
    return config_from_data(data, str(p))

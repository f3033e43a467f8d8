"""Pre-flight: refuse, before a study is created, what would fail every one of its trials.

A fault that every trial runs into (a dataset the architecture cannot take, constraints no
candidate meets, a training value ``TrainConfig`` refuses, a validation split left empty) is
otherwise found once per trial: the database fills with failures and the study ends with a
misleading "loosen the constraints". :func:`preflight` finds these faults without training:
it builds the candidates the trials would build (the space's base with the dataset's fixed
fields, and a reproducible random sample of the space) and checks them the way the objective
will (``cost()``, the constraints, ``TrainConfig``, ``Budget``, the train/validation split).
Each refusal is a :class:`PreflightError` of one line naming the field and what would be right.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dse.arch import ArchSpecError, cost
from dse.study._config import ConfigError, StudyConfig

__all__ = ["PreflightError", "SAMPLES", "preflight"]

# Candidates drawn (with a fixed seed) besides the space's corners; sampling and cost() are
# analytic (about 1 ms per candidate), so this costs well under a second.
SAMPLES = 256
_SPATIAL_FIELDS = ("input_size", "resolution_multiplier", "stem.kernel", "downsample")


class PreflightError(ConfigError):
    """A study that would fail every trial (or every trial that samples a value); refused up front."""


@dataclass
class _Drawn:
    """What sampling the space gave: valid candidates and, per message, the invalid ones."""

    candidates: list[Any] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)


def preflight(config: StudyConfig, space: Any, data: Any, *, samples: int = SAMPLES) -> None:
    """Raise :class:`PreflightError` when ``config`` with ``space`` on ``data`` cannot run a trial."""
    from dse.study._objective import Objective

    objective = Objective(config=config, space=space, data=data)
    fixed = objective.fixed_arch()
    budget = _check_budget(config)
    _check_train_values(config, space)
    drawn = _draw(space, fixed, samples, config.seed)
    _check_architecture(config, space, data.info, fixed, drawn)
    _check_constraints(config, space, drawn)
    _check_training(config, objective, drawn, data, budget)


# --------------------------------------------------------------------------- checks
def _check_budget(config: StudyConfig) -> Any:
    from dse.train import Budget

    try:
        return Budget(**config.budget.model_dump())
    except (TypeError, ValueError) as exc:
        raise PreflightError(f"{config.name}: budget: {_why(exc)}") from None


def _train_fields() -> tuple[str, ...]:
    from dse.train import TrainConfig

    fields = getattr(TrainConfig, "model_fields", None) or getattr(TrainConfig, "__dataclass_fields__", {})
    return tuple(fields)


def _train_overrides(config: StudyConfig) -> dict[str, Any]:
    """The training values the study sets (a plain mapping, or a TrainConfig's set fields)."""
    overrides = getattr(config, "train_overrides", None)
    return dict(overrides()) if callable(overrides) else dict(config.train)


def _why(exc: Exception) -> str:
    """One line for a refused value: a pydantic error's first entry, else the message."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ()))
            message = str(first.get("msg", "")).removeprefix("Value error, ")
            return f"{where}: {message}" if where else message
        except (TypeError, IndexError, AttributeError):
            pass
    return " ".join(str(exc).split())


def _check_train_values(config: StudyConfig, space: Any) -> None:
    """Every value a ``train.*`` parameter can take must make a valid ``TrainConfig``."""
    from dse.train import TrainConfig

    for name in space.order:
        param, target = space.parameters[name], space.target(name)
        if not target.startswith("train."):
            continue
        key = target.split(".", 1)[1]
        where = f"{config.name}: space {space.name}: parameters.{name}"
        if key not in _train_fields():
            raise PreflightError(
                f"{where}.target: {target!r} is not a training field; allowed: "
                + ", ".join(f"train.{f}" for f in _train_fields())
            )
        base = {**space.train, **{k: v for k, v in _train_overrides(config).items() if k != key}}
        if param.kind == "categorical":
            values = [(f"choices.{i}", v) for i, v in enumerate(param.choices or [])]
        else:
            values = [("low", param.low), ("high", param.high)]
        for part, value in values:
            try:
                TrainConfig(**{**base, key: value})
            except (TypeError, ValueError) as exc:
                raise PreflightError(f"{where}.{part}: {value!r} fails every trial that samples it: {_why(exc)}") from None


def _corners(space: Any) -> list[dict[str, Any]]:
    """Decoded values with every parameter at its low end (first choice), and at its high end."""
    out = []
    for end in (0, -1):
        values: dict[str, Any] = {}
        for name in space.order:
            p = space.parameters[name]
            if not space.active(name, values):
                continue
            values[name] = (p.choices or [None])[end] if p.kind == "categorical" else (p.low, p.high)[end]
        out.append(values)
    return out


def _draw(space: Any, fixed: dict[str, Any], samples: int, seed: int) -> _Drawn:
    from dse.space import RandomSuggest

    drawn = _Drawn()

    def add(make: Any) -> None:
        try:
            drawn.candidates.append(make())
        except ArchSpecError as exc:
            drawn.errors[str(exc)] += 1

    add(lambda: space.candidate({}, fixed))  # the base itself, as the dataset shapes it
    for values in _corners(space):
        add(lambda values=values: space.candidate(values, fixed))
    suggest = RandomSuggest(seed)
    for _ in range(samples):
        add(lambda: space.sample(suggest, fixed=fixed))
    return drawn


def _check_architecture(config: StudyConfig, space: Any, info: Any, fixed: dict[str, Any], drawn: _Drawn) -> None:
    """The dataset's classes, channels and image size must give at least one valid network."""
    if drawn.candidates:
        return
    try:
        space.candidate({}, fixed)
        problem = drawn.errors.most_common(1)[0][0]
    except ArchSpecError as exc:  # the base as the dataset shapes it: the usual culprit
        problem = str(exc)
    classes = f"{info.num_classes} class{'es' if info.num_classes != 1 else ''}"
    shape = f"{classes}, {info.in_channels}x{info.image_size}x{info.image_size} images"
    where = problem.split(":", 1)[0]
    if where == "num_classes":
        hint = "; a classifier needs a dataset of at least 2 classes"
    elif where in _SPATIAL_FIELDS:
        size = " (dataset.image_size)" if str(info.name).startswith("imagefolder:") else ""
        hint = f"; use larger images{size} or a base with fewer or later reductions"
    else:
        hint = ""
    raise PreflightError(
        f"{config.name}: dataset {info.name} ({shape}) gives no valid network in space {space.name}: "
        f"{problem}{hint}"
    )


def _check_constraints(config: StudyConfig, space: Any, drawn: _Drawn) -> None:
    """At least one drawn candidate must meet every constraint (else every trial is infeasible)."""
    from dse.study._objective import cost_values

    limits = config.constraints.limits()
    limits.pop("latency_ms", None)  # measured on each candidate before training, not priced here
    if not limits:
        return
    costs = [cost_values(cost(c.spec)) for c in drawn.candidates]
    if any(all(c[m] <= limit for m, limit in limits.items()) for c in costs):
        return
    n = len(costs)
    for metric, limit in limits.items():
        smallest = min(c[metric] for c in costs)
        if smallest > limit:
            raise PreflightError(
                f"{config.name}: constraints.max_{metric}: {limit:,} is below all {n} candidates of space "
                f"{space.name} tried (smallest {smallest:,}); raise it to at least {smallest:,}, or shrink the space"
            )
    raise PreflightError(
        f"{config.name}: constraints: none of {n} candidates of space {space.name} tried meets "
        f"{' and '.join(f'max_{m} {v:,}' for m, v in limits.items())} together; raise one of them"
    )


def _check_training(config: StudyConfig, objective: Any, drawn: _Drawn, data: Any, budget: Any) -> None:
    """The merged training setup and the train/validation split every trial would use."""
    from dse.train import TrainConfig
    from dse.train.splits import prepare_trial_data

    train = objective.train_config(drawn.candidates[0], 0)
    try:
        train_cfg = TrainConfig(**train)
    except (TypeError, ValueError) as exc:
        raise PreflightError(f"{config.name}: train: {_why(exc)}") from None
    try:
        prepare_trial_data(data, train_cfg, budget, data.device)  # where the data is: nothing is copied
    except ValueError as exc:
        raise PreflightError(f"{config.name}: dataset {data.info.name}: {_why(exc)}") from None

"""``SearchSpace``: a fixed base architecture, fixed training values and searched parameters."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, PrivateAttr, StringConstraints, field_validator, model_validator

from dse.arch import ArchSpec, ArchSpecError, get_preset, merge_into, spec_from_dict
from dse.errors import Strict, invalid, short_repr
from dse.space.errors import SpaceError
from dse.space.parameters import Parameter, ValueNotAllowed
from dse.space.sampling import Candidate, ReplaySuggest, Suggest
from dse.space.targets import TRAIN_PREFIX, check_target, check_train, is_train_target, nested_override

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def build_base(base: Mapping[str, Any]) -> ArchSpec:
    """The ArchSpec of a ``base`` mapping: ``preset: NAME`` plus field overrides, or full fields."""
    data = dict(base)
    preset = data.pop("preset", None)
    if preset is not None:
        return get_preset(str(preset), **data)
    return spec_from_dict(data)


def _split_arch_message(message: str) -> tuple[str, str | None]:
    """An ArchSpecError message as (problem, allowed) where it says what is allowed."""
    for marker in ("; allowed: ", "; choose from "):
        if marker in message:
            problem, _, allowed = message.partition(marker)
            return problem, allowed
    match = re.fullmatch(r"must be (.+)[,;] got (.+)", message)
    if match:
        return f"got {match.group(2)}", match.group(1)
    return message, None


class SearchSpace(Strict):
    """A search space (see ``search_spaces/*.yaml``); every rule is checked on validation."""

    name: NonEmpty
    description: str = ""
    base: dict[str, Any] = Field(default_factory=dict)
    train: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Parameter] = Field(default_factory=dict)

    _base_spec: ArchSpec = PrivateAttr(default_factory=ArchSpec)
    _base_dict: dict[str, Any] = PrivateAttr(default_factory=dict)  # _base_spec.to_dict(), built once
    _order: tuple[str, ...] = PrivateAttr(default=())
    _targets: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("train")
    @classmethod
    def _train(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_train(value)
        return value

    @model_validator(mode="before")
    @classmethod
    def _default_targets(cls, data: Any) -> Any:
        """A parameter without ``target`` targets its own name; filled in so ``target`` is a str."""
        params = data.get("parameters") if isinstance(data, dict) else None
        if not isinstance(params, dict):
            return data
        filled = {
            name: {**p, "target": name} if isinstance(p, dict) and p.get("target") is None else p
            for name, p in params.items()
        }
        return {**data, "parameters": filled}

    @model_validator(mode="after")
    def _check(self) -> SearchSpace:
        try:
            self._base_spec = build_base(self.base)
            self._base_dict = self._base_spec.to_dict()
        except ArchSpecError as exc:
            raise invalid(
                f"base.{exc.field}", *_split_arch_message(str(exc)[len(exc.field) + 2 :])
            ) from None
        owners: dict[str, str] = {}
        for name, param in self.parameters.items():
            target = check_target(name, param, self._base_spec)
            if target in owners:
                raise invalid(
                    f"parameters.{name}.target",
                    f"{target} is already the target of {owners[target]}",
                    "one parameter per target",
                )
            owners[target] = name
        self._targets = {name: target for target, name in owners.items()}
        self._check_conditions()
        self._order = self._topological_order()
        return self

    def _check_conditions(self) -> None:
        for name, param in self.parameters.items():
            for other, values in (param.condition or {}).items():
                where = f"parameters.{name}.condition.{other}"
                if other not in self.parameters:
                    known = [n for n in self.parameters if n != name]
                    raise invalid(where, f"unknown parameter {other!r}", ", ".join(known) or "none")
                ref = self.parameters[other]
                for value in values:
                    if not ref.allows(value):
                        raise invalid(
                            where,
                            f"{short_repr(value)} is not a value {other} can take",
                            ref.describe(),
                        )

    def _topological_order(self) -> tuple[str, ...]:
        """Declaration order, except that a parameter comes after those its condition names."""
        order: list[str] = []
        state: dict[str, str] = {}

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == "done":
                return
            if state.get(name) == "active":
                cycle = " -> ".join(path[path.index(name) :] + [name])
                raise invalid(
                    f"parameters.{path[-1]}.condition",
                    f"conditions form a cycle: {cycle}",
                    "conditions that form no cycle",
                )
            state[name] = "active"
            for other in self.parameters[name].condition or {}:
                visit(other, path + [name])
            state[name] = "done"
            order.append(name)

        for name in self.parameters:
            visit(name, [])
        return tuple(order)

    # ----------------------------------------------------------------- accessors
    @property
    def base_spec(self) -> ArchSpec:
        """The fixed architecture, before dataset values and sampled values."""
        return self._base_spec

    @property
    def order(self) -> tuple[str, ...]:
        """Parameter names in the (deterministic) order they are sampled."""
        return self._order

    def target(self, name: str) -> str:
        return self._targets[name]

    def active(self, name: str, values: Mapping[str, Any]) -> bool:
        """Whether ``name``'s condition holds for the decoded ``values`` sampled so far."""
        for other, allowed in (self.parameters[name].condition or {}).items():
            if other not in values:
                return False
            ref = self.parameters[other]
            if ref.encode_value(values[other]) not in [ref.encode_value(v) for v in allowed]:
                return False
        return True

    # ----------------------------------------------------------------- sampling
    def sample(self, suggest: Suggest, fixed: Mapping[str, Any] | None = None) -> Candidate:
        """Ask ``suggest`` for each active parameter in :attr:`order` and build the candidate.

        ``fixed`` holds ArchSpec overrides from the dataset (``in_channels``, ``input_size``,
        ``num_classes``), applied on top of the base before the sampled values. An invalid
        combination raises ``ArchSpecError`` unchanged.
        """
        return self.candidate(self.suggest_values(suggest), fixed)

    def suggest_values(self, suggest: Suggest) -> dict[str, Any]:
        """Ask ``suggest`` for each active parameter in :attr:`order`; the decoded values, with no
        network built (a sampler screening many candidates prices each distinct one only once)."""
        values: dict[str, Any] = {}
        for name in self._order:
            if not self.active(name, values):
                continue
            try:
                values[name] = self.parameters[name].suggest(name, suggest)
            except ValueNotAllowed as exc:
                raise SpaceError(
                    self.name,
                    f"parameters.{name}",
                    f"the suggested value {exc}",
                    self.parameters[name].describe(),
                ) from None
        return values

    def candidate(
        self, values: Mapping[str, Any], fixed: Mapping[str, Any] | None = None
    ) -> Candidate:
        """The candidate for decoded ``values`` (by parameter name), without asking anything."""
        arch = copy.deepcopy(self._base_dict)
        merge_into(arch, dict(fixed or {}))
        train = dict(self.train)
        for name, value in values.items():
            if name not in self.parameters:
                raise SpaceError(
                    self.name, f"parameters.{name}", "unknown parameter", ", ".join(self.parameters)
                )
            target = self._targets[name]
            if is_train_target(target):
                train[target[len(TRAIN_PREFIX) :]] = copy.deepcopy(value)
            else:
                merge_into(arch, nested_override(target, value))
        return Candidate(spec=spec_from_dict(arch), train=train, values=copy.deepcopy(dict(values)))

    def replay(
        self, params: Mapping[str, Any], fixed: Mapping[str, Any] | None = None
    ) -> Candidate:
        """The candidate for Optuna-encoded ``params`` (e.g. a stored ``trial.params``)."""
        try:
            return self.sample(ReplaySuggest(params), fixed)
        except KeyError as exc:
            name = exc.args[0]
            why = " but its condition holds" if self.parameters[name].condition else ""
            raise SpaceError(
                self.name,
                f"parameters.{name}",
                f"has no stored value{why}",
                self.parameters[name].describe(),
            ) from None

    def decode(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Decoded values for Optuna-encoded ``params`` (list choices back to lists)."""
        return {name: self._convert(name, raw, decode=True) for name, raw in params.items()}

    def encode(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Optuna-encoded params for decoded ``values`` (e.g. for ``study.enqueue_trial``)."""
        return {name: self._convert(name, value, decode=False) for name, value in values.items()}

    def _convert(self, name: str, value: Any, *, decode: bool) -> Any:
        if name not in self.parameters:
            raise SpaceError(
                self.name, f"parameters.{name}", "unknown parameter", ", ".join(self.parameters)
            )
        param = self.parameters[name]
        try:
            return param.decode(value) if decode else param.encode_value(value)
        except ValueNotAllowed as exc:
            raise SpaceError(self.name, f"parameters.{name}", str(exc), param.describe()) from None

    def grid(self) -> dict[str, list[Any]]:
        """Optuna ``GridSampler``'s ``search_space``: every parameter's values, encoded.

        A conditional parameter is listed too; grid points that differ only in an inactive
        parameter then train the same candidate.
        """
        out: dict[str, list[Any]] = {}
        for name in self._order:
            values = self.parameters[name].grid_values()
            if values is None:
                raise SpaceError(
                    self.name,
                    f"parameters.{name}.step",
                    f"a {self.parameters[name].kind} range without step cannot be enumerated"
                    " for a grid",
                    "add step (kind float), or make it categorical",
                )
            out[name] = values
        return out

    def to_data(self) -> dict[str, Any]:
        """Plain JSON data that :func:`dse.space.space_from_data` turns back into this space."""
        data = {
            "name": self.name,
            "description": self.description,
            "base": self.base,
            "train": self.train,
            "parameters": {name: param.to_data() for name, param in self.parameters.items()},
        }
        return json.loads(json.dumps(data))

"""A valid search space (GOOD) and one mutation per validation rule (CASES), each with the field,
problem and allowed values its error message must name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

GOOD: dict[str, Any] = {
    "name": "tiny",
    "description": "a valid space the cases below break one rule at a time",
    "base": {"preset": "squeezenet_cifar", "width_multiplier": 0.25},
    "train": {"lr": 0.05, "optimizer": "sgd"},
    "parameters": {
        "bypass": {"kind": "categorical", "choices": ["none", "simple", "complex"]},
        "sr": {"kind": "float", "low": 0.125, "high": 1.0, "step": 0.125, "target": "meta.sr"},
        "freq": {
            "kind": "int",
            "low": 1,
            "high": 4,
            "target": "meta.freq",
            "condition": {"bypass": ["simple", "complex"]},
        },
        "lr": {"kind": "logfloat", "low": 0.001, "high": 0.1, "target": "train.lr"},
    },
}


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node[part]
        node[last] = value

    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node[part]
        del node[last]

    return mutate


# (id, mutation, field path in the message, problem text, allowed text or None)
CASES = [
    (
        "unknown top-level key",
        _set("paramters", {}),
        "paramters",
        "unknown field",
        "name, description, base, train, parameters",
    ),
    (
        "unknown parameter key",
        _set("parameters.sr.lo", 0.1),
        "parameters.sr.lo",
        "unknown field",
        "kind, low, high, step",
    ),
    (
        "wrong type: number",
        _set("parameters.sr.low", "small"),
        "parameters.sr.low",
        "got 'small'",
        "a finite number",
    ),
    (
        "wrong type: kind",
        _set("parameters.sr.kind", "integer"),
        "parameters.sr.kind",
        "got 'integer'",
        "'categorical', 'int', 'float' or 'logfloat'",
    ),
    ("wrong type: name", _set("name", [1]), "name", "got [1]", "a valid string"),
    (
        "wrong type: train value",
        _set("train.lr", [1, 2]),
        "train.lr",
        "got [1, 2]",
        "a valid number",
    ),
    (
        "unknown train field",
        _set("train.lrr", 0.1),
        "train.lrr",
        "unknown field",
        "optimizer, lr, momentum",
    ),
    ("train value out of range", _set("train.lr", -0.1), "train.lr", "got -0.1", "greater than 0"),
    (
        "wrong type: parameters",
        _set("parameters", ["sr"]),
        "parameters",
        "got ['sr']",
        "a valid dictionary",
    ),
    ("missing kind", _delete("parameters.sr.kind"), "parameters.sr.kind", "is required", None),
    (
        "empty float range",
        _set("parameters.sr.low", 2.0),
        "parameters.sr.high",
        "empty range: low 2.0 >= high 1.0",
        "high > low",
    ),
    (
        "empty int range",
        _set("parameters.freq.high", 1),
        "parameters.freq.high",
        "empty range: low 1 >= high 1",
        "high > low",
    ),
    (
        "empty choices",
        _set("parameters.bypass.choices", []),
        "parameters.bypass.choices",
        "is empty",
        "a non-empty list of values",
    ),
    (
        "repeated choice",
        _set("parameters.bypass.choices", ["none", "simple", "none"]),
        "parameters.bypass.choices.2",
        "repeats choice 0",
        "distinct values",
    ),
    (
        "log range low <= 0",
        _set("parameters.lr.low", 0.0),
        "parameters.lr.low",
        "a log range needs low > 0, got 0.0",
        "low > 0",
    ),
    (
        "log range with step",
        _set("parameters.lr.step", 0.001),
        "parameters.lr.step",
        "cannot be combined with a log scale",
        "no step",
    ),
    (
        "step does not divide",
        _set("parameters.sr.step", 0.3),
        "parameters.sr.step",
        "does not divide high - low",
        "a step that divides",
    ),
    (
        "int with float bound",
        _set("parameters.freq.low", 1.5),
        "parameters.freq.low",
        "1.5 is not an integer",
        "integers for kind int",
    ),
    (
        "choices on a range",
        _set("parameters.freq.choices", [1, 2]),
        "parameters.freq.choices",
        "is only for kind categorical",
        "low, high",
    ),
    (
        "low on categorical",
        _set("parameters.bypass.low", 0),
        "parameters.bypass.low",
        "is not used by kind categorical",
        "remove it",
    ),
    (
        "condition on unknown parameter",
        _set("parameters.freq.condition", {"bypas": ["simple"]}),
        "parameters.freq.condition.bypas",
        "unknown parameter 'bypas'",
        "bypass, sr, lr",
    ),
    (
        "condition on impossible value",
        _set("parameters.freq.condition", {"bypass": "simpel"}),
        "parameters.freq.condition.bypass",
        "'simpel' is not a value bypass can take",
        "none, simple, complex",
    ),
    (
        "condition on out-of-range number",
        _set("parameters.freq.condition", {"sr": 0.3}),
        "parameters.freq.condition.sr",
        "0.3 is not a value sr can take",
        "numbers in [0.125, 1.0] step 0.125",
    ),
    (
        "empty condition",
        _set("parameters.freq.condition", {"bypass": []}),
        "parameters.freq.condition.bypass",
        "lists no values",
        None,
    ),
    (
        "condition cycle",
        _set("parameters.bypass.condition", {"freq": [2, 3]}),
        "parameters.freq.condition",
        "conditions form a cycle: bypass -> freq -> bypass",
        "no cycle",
    ),
    (
        "self condition",
        _set("parameters.sr.condition", {"sr": 0.5}),
        "parameters.sr.condition",
        "conditions form a cycle: sr -> sr",
        "no cycle",
    ),
    (
        "target not in ArchSpec",
        _set("parameters.sr.target", "meta.squeeze"),
        "parameters.sr.target",
        "'meta.squeeze' is not a field of ArchSpec",
        "meta.sr",
    ),
    (
        "name is not a target",
        _set("parameters.dropout_rate", {"kind": "float", "low": 0.0, "high": 0.5}),
        "parameters.dropout_rate.target",
        "'dropout_rate' is not a field of ArchSpec (a parameter without target targets its name)",
        "dropout",
    ),
    (
        "meta target with explicit fires",
        _set("base.fires", [[4, 8, 8]] * 8),
        "parameters.sr.target",
        "'meta.sr' needs metaparameters but the base gives explicit fires",
        "a base with meta",
    ),
    (
        "bad train target",
        _set("parameters.lr.target", "train.lr.peak"),
        "parameters.lr.target",
        "is not a training field",
        "train.optimizer, train.lr, train.momentum",
    ),
    (
        "mistyped train target",  # issue 15: every trial failed; now refused at load time
        _set("parameters.lr.target", "train.lrr"),
        "parameters.lr.target",
        "'train.lrr' is not a training field",
        "train.lr, ",
    ),
    (
        "train choice the field refuses",
        _set("parameters.lr", {"kind": "categorical", "choices": [0.1, 0.0], "target": "train.lr"}),
        "parameters.lr.choices.1",
        "got 0.0",
        "greater than 0",
    ),
    (
        "float range for an integer train field",
        _set("parameters.lr", {"kind": "float", "low": 32, "high": 256, "target": "train.batch_size"}),
        "parameters.lr.kind",
        "float gives non-integer values but train.batch_size takes integers",
        "int, or categorical",
    ),
    (
        "train range bound the field refuses",
        _set("parameters.lr", {"kind": "float", "low": 0.5, "high": 1.5, "target": "train.momentum"}),
        "parameters.lr.high",
        "got 1.5",
        "less than 1",
    ),
    (
        "two parameters, one target",
        _set("parameters.sr2", {"kind": "float", "low": 0.1, "high": 0.5, "target": "meta.sr"}),
        "parameters.sr2.target",
        "meta.sr is already the target of sr",
        "one parameter per target",
    ),
    (
        "choice invalid for target",
        _set("parameters.bypass.choices", ["none", "sideways"]),
        "parameters.bypass.choices.1",
        "'sideways' is not a valid bypass",
        "none, simple, complex",
    ),
    (
        "float kind for int target",
        _set("parameters.freq.kind", "float"),
        "parameters.freq.kind",
        "float gives non-integer values but meta.freq takes integers",
        "int, or categorical",
    ),
    (
        "unknown layer in placement",
        _set(
            "parameters.ds",
            {"kind": "categorical", "choices": [["fire3", "fire10"]], "target": "downsample"},
        ),
        "parameters.ds.choices.0",
        "is not a valid downsample",
        "lists of distinct layers from stem, fire2",
    ),
    (
        "base: invalid value",
        _set("base.meta", {"sr": 2.0}),
        "base.meta.sr",
        "got 2.0",
        "less than or equal to 1",
    ),
    (
        "base: unknown preset",
        _set("base.preset", "squeezenet9"),
        "base.preset",
        "unknown preset 'squeezenet9'",
        "squeezenet1_0, squeezenet1_1, squeezenet_cifar",
    ),
    (
        "base: wrong choice",
        _set("base.bypass", "sideways"),
        "base.bypass",
        "got 'sideways'",
        "'none', 'simple' or 'complex'",
    ),
    (
        "base: does not fit the input",
        _set("base.downsample", ["stem", "fire2", "fire3", "fire4", "fire5", "fire6"]),
        "base.downsample",
        "the spatial size drops below 1",
        None,
    ),
    (
        "base: unknown field",
        _set("base.widht_multiplier", 0.5),
        "base.widht_multiplier",
        "unknown field",
        "in_channels, input_size",
    ),
]

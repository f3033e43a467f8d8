"""Sampling: deterministic order, conditions, reproducibility, encoding, grid, replay."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dse.arch import ArchSpecError
from dse.space import (
    Candidate,
    Parameter,
    RandomSuggest,
    ReplaySuggest,
    SpaceError,
    Suggest,
    load_space,
    space_from_data,
)

FASHION_MNIST = {"in_channels": 1, "input_size": 28, "num_classes": 10}

PLACEMENTS = [["stem", "fire4", "fire8"], ["fire3", "fire5"], []]

SWEEP: dict[str, Any] = {
    "name": "sweep",
    "base": {"preset": "squeezenet_cifar", "width_multiplier": 0.25},
    "parameters": {
        # declared before the parameter its condition names: sampled after it anyway
        "freq": {
            "kind": "int",
            "low": 1,
            "high": 2,
            "target": "meta.freq",
            "condition": {"incr_e": [32, 64]},
        },
        "incr_e": {"kind": "categorical", "choices": [0, 32, 64], "target": "meta.incr_e"},
        "sr": {"kind": "float", "low": 0.25, "high": 0.75, "step": 0.25, "target": "meta.sr"},
        "downsample": {"kind": "categorical", "choices": PLACEMENTS},
    },
}


class Recorder:
    """A Suggest that always takes the first choice / the low end, and records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, Any]] = []

    def categorical(self, name: str, choices: Sequence[Any]) -> Any:
        self.asked.append((name, list(choices)))
        return choices[-1]

    def int(self, name: str, low: int, high: int, step: int = 1, log: bool = False) -> int:
        self.asked.append((name, (low, high, step, log)))
        return high

    def float(
        self, name: str, low: float, high: float, step: float | None = None, log: bool = False
    ) -> float:
        self.asked.append((name, (low, high, step, log)))
        return low


def test_suggesters_implement_the_protocol() -> None:
    assert isinstance(RandomSuggest(0), Suggest)
    assert isinstance(ReplaySuggest({}), Suggest)
    assert isinstance(Recorder(), Suggest)


def test_order_puts_conditions_first_and_otherwise_keeps_declaration_order() -> None:
    space = space_from_data(SWEEP)
    assert space.order == ("incr_e", "freq", "sr", "downsample")


def test_suggest_receives_encoded_choices_and_ranges() -> None:
    rec = Recorder()
    candidate = space_from_data(SWEEP).sample(rec, fixed=FASHION_MNIST)
    assert rec.asked == [
        ("incr_e", [0, 32, 64]),
        ("freq", (1, 2, 1, False)),
        ("sr", (0.25, 0.75, 0.25, False)),
        ("downsample", ["stem,fire4,fire8", "fire3,fire5", ""]),
    ]
    assert candidate.values == {"incr_e": 64, "freq": 2, "sr": 0.25, "downsample": []}
    assert candidate.spec.downsample == ()


def test_sampling_is_reproducible_for_a_seed() -> None:
    space = load_space("squeezenet_full")
    first = [space.sample(RandomSuggest(seed), fixed=FASHION_MNIST) for seed in range(10)]
    again = [space.sample(RandomSuggest(seed), fixed=FASHION_MNIST) for seed in range(10)]
    assert first == again
    assert len({c.spec.arch_hash() for c in first}) > 1


def test_a_conditional_parameter_is_asked_only_when_its_condition_holds() -> None:
    space = load_space("squeezenet_micro")
    seen = {True: 0, False: 0}
    for seed in range(60):
        rng = RandomSuggest(seed)
        candidate = space.sample(rng)
        grows = candidate.values["incr_e"] != 0
        seen[grows] += 1
        assert ("freq" in rng.asked) is grows
        assert ("freq" in candidate.values) is grows
        assert rng.asked.index("incr_e") < rng.asked.index("freq") if grows else True
        if not grows:
            assert candidate.spec.meta is not None
            assert candidate.spec.meta.freq == space.base_spec.meta.freq  # type: ignore[union-attr]
    assert seen[True] and seen[False]


def test_candidate_spec_and_train_reflect_the_sampled_values() -> None:
    space = load_space("squeezenet_full")
    candidate = space.sample(RandomSuggest(3), fixed=FASHION_MNIST)
    assert isinstance(candidate, Candidate)
    v, spec = candidate.values, candidate.spec
    assert spec.meta is not None
    assert spec.meta.sr == v["sr"]
    assert spec.meta.pct3x3 == v["pct3x3"]
    assert spec.downsample == tuple(v["downsample"])
    assert spec.bypass == v["bypass"]
    assert spec.stem.filters == v["stem_filters"]
    assert spec.width_multiplier == v["width_multiplier"]
    assert spec.expand3x3 == v["expand3x3"]
    assert candidate.train == {"optimizer": "sgd", "lr": v["lr"], "weight_decay": v["weight_decay"]}
    assert 0.005 <= v["lr"] <= 0.2
    with pytest.raises(AttributeError):
        candidate.spec = spec  # type: ignore[misc]


def test_fixed_dataset_values_override_the_base_and_sampled_values_override_both() -> None:
    data = {
        **SWEEP,
        "parameters": {"size": {"kind": "categorical", "choices": [32], "target": "input_size"}},
    }
    candidate = space_from_data(data).sample(RandomSuggest(0), fixed=FASHION_MNIST)
    assert candidate.spec.in_channels == 1
    assert candidate.spec.input_size == 32


def test_an_infeasible_combination_raises_arch_spec_error_unchanged() -> None:
    space = space_from_data(SWEEP)
    params = {"incr_e": 0, "sr": 0.25, "downsample": "stem,fire4,fire8"}
    with pytest.raises(ArchSpecError, match="downsample"):
        space.replay(params, fixed={"input_size": 2})


def test_list_choices_encode_and_decode() -> None:
    param = Parameter(kind="categorical", choices=PLACEMENTS)
    assert param.encoded_choices() == ["stem,fire4,fire8", "fire3,fire5", ""]
    assert param.decode("fire3,fire5") == ["fire3", "fire5"]
    assert param.decode("") == []
    assert param.encode_value(["stem", "fire4", "fire8"]) == "stem,fire4,fire8"
    space = space_from_data(SWEEP)
    values = {"incr_e": 32, "freq": 2, "sr": 0.5, "downsample": ["fire3", "fire5"]}
    assert space.encode(values) == {**values, "downsample": "fire3,fire5"}
    assert space.decode(space.encode(values)) == values
    with pytest.raises(
        SpaceError, match=r"^sweep: parameters\.downsample: 'fire5' is not one of its choices"
    ):
        space.decode({"downsample": "fire5"})
    with pytest.raises(SpaceError, match=r"parameters\.sr: 0\.3 is out of its range"):
        space.decode({"sr": 0.3})


def test_a_list_choice_and_its_string_collide() -> None:
    with pytest.raises(ValueError, match="repeats choice 0"):
        Parameter(kind="categorical", choices=[["fire3", "fire5"], "fire3,fire5"])


def test_replay_rebuilds_the_candidate_from_encoded_params() -> None:
    space = load_space("squeezenet_macro")
    candidate = space.sample(RandomSuggest(7), fixed=FASHION_MNIST)
    assert space.replay(space.encode(candidate.values), fixed=FASHION_MNIST) == candidate
    with pytest.raises(
        SpaceError,
        match=r"parameters\.downsample: has no stored value; allowed: \[fire3, fire5\], ",
    ):
        space.replay({}, fixed=FASHION_MNIST)
    micro = load_space("squeezenet_micro")
    params = micro.encode(micro.sample(RandomSuggest(0)).values | {"incr_e": 64})
    params.pop("freq", None)
    with pytest.raises(
        SpaceError, match=r"parameters\.freq: has no stored value but its condition holds"
    ):
        micro.replay(params)


def test_a_suggested_value_outside_the_choices_is_a_space_error() -> None:
    with pytest.raises(
        SpaceError, match=r"parameters\.incr_e: the suggested value 7 is not one of its choices"
    ):
        space_from_data(SWEEP).replay({"incr_e": 7})


def test_grid_enumerates_every_parameter_encoded() -> None:
    grid = space_from_data(SWEEP).grid()
    assert grid == {
        "incr_e": [0, 32, 64],
        "freq": [1, 2],
        "sr": [0.25, 0.5, 0.75],
        "downsample": ["stem,fire4,fire8", "fire3,fire5", ""],
    }


@pytest.mark.parametrize(
    ("param", "kind"),
    [
        ({"kind": "float", "low": 0.1, "high": 0.9, "target": "meta.sr"}, "float"),
        ({"kind": "logfloat", "low": 0.001, "high": 0.1, "target": "train.lr"}, "logfloat"),
    ],
)
def test_grid_needs_a_step(param: dict[str, Any], kind: str) -> None:
    space = space_from_data({**SWEEP, "parameters": {"p": param}})
    with pytest.raises(
        SpaceError,
        match=rf"^sweep: parameters\.p\.step: a {kind} range without step .*; allowed: add step",
    ):
        space.grid()


def test_shipped_full_space_is_not_a_grid_but_says_why() -> None:
    with pytest.raises(SpaceError, match="pct3x3"):
        load_space("squeezenet_full").grid()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_every_sample_is_valid_and_replays(seed: int) -> None:
    space = load_space("squeezenet_full")
    try:
        candidate = space.sample(RandomSuggest(seed), fixed=FASHION_MNIST)
    except ArchSpecError:
        return
    assert set(candidate.values) <= set(space.parameters)
    for name, value in candidate.values.items():
        assert space.parameters[name].allows(value)
    assert space.replay(space.encode(candidate.values), fixed=FASHION_MNIST) == candidate


def test_a_chain_of_conditions_switches_off_everything_below_a_false_one() -> None:
    data = {
        "name": "chain",
        "base": {"preset": "squeezenet_cifar"},
        "parameters": {
            "c": {
                "kind": "categorical",
                "choices": [2, 3],
                "target": "meta.freq",
                "condition": {"b": [64]},
            },
            "b": {
                "kind": "categorical",
                "choices": [0, 64],
                "target": "meta.incr_e",
                "condition": {"a": "simple"},
            },
            "a": {"kind": "categorical", "choices": ["none", "simple"], "target": "bypass"},
        },
    }
    space = space_from_data(data)
    assert space.order == ("a", "b", "c")
    assert space.replay({"a": "none"}).values == {"a": "none"}
    assert space.replay({"a": "simple", "b": 0}).values == {"a": "simple", "b": 0}
    assert space.replay({"a": "simple", "b": 64, "c": 3}).spec.meta.freq == 3  # type: ignore[union-attr]

"""Every shipped search space validates, samples CPU-sized candidates, and documents every field."""

from __future__ import annotations

import json
import re

import pytest

from dse.arch import ArchSpecError, cost
from dse.resources import shipped_files
from dse.space import RandomSuggest, SearchSpace, list_spaces, load_space, space_from_data

FASHION_MNIST = {"in_channels": 1, "input_size": 28, "num_classes": 10}
_KEY = re.compile(r"^\s*[A-Za-z_][\w.]*:")


def test_the_three_documented_spaces_are_shipped() -> None:
    assert {"squeezenet_micro", "squeezenet_macro", "squeezenet_full"} <= set(list_spaces())


@pytest.mark.parametrize("name", list_spaces())
def test_shipped_space_validates_and_samples(name: str) -> None:
    space = load_space(name)
    assert isinstance(space, SearchSpace)
    assert space.name == name
    assert space.description
    assert space.parameters
    infeasible = 0
    for seed in range(40):
        try:
            candidate = space.sample(RandomSuggest(seed), fixed=FASHION_MNIST)
        except ArchSpecError:
            infeasible += 1
            continue
        assert candidate.spec.in_channels == 1
        assert candidate.spec.num_classes == 10
        assert candidate.spec.input_size == 28
        assert cost(candidate.spec).params > 0
    assert infeasible <= 4  # a shipped space samples mostly buildable networks


@pytest.mark.parametrize("name", ["squeezenet_micro", "squeezenet_macro"])
def test_micro_and_macro_are_cpu_sized(name: str) -> None:
    space = load_space(name)
    assert 0.25 <= space.base_spec.width_multiplier <= 0.5
    macs = sorted(
        cost(space.sample(RandomSuggest(s), fixed=FASHION_MNIST).spec).macs for s in range(60)
    )
    assert (
        macs[len(macs) // 2] < 20e6
    )  # median candidate: a few million multiply-accumulates per image


@pytest.mark.parametrize("name", list_spaces())
def test_shipped_space_round_trips_through_data(name: str) -> None:
    space = load_space(name)
    data = space.to_data()
    assert json.loads(json.dumps(data)) == data
    again = space_from_data(data)
    assert again == space
    assert again.to_data() == data
    assert again.order == space.order


@pytest.mark.parametrize("name", list_spaces())
def test_every_field_of_a_shipped_file_has_a_comment(name: str) -> None:
    lines = shipped_files("search_spaces")[name].read_text().splitlines()
    for i, line in enumerate(lines):
        if not _KEY.match(line):
            continue
        above = lines[i - 1].strip() if i else ""
        assert "#" in line or above.startswith("#"), (
            f"{name}.yaml line {i + 1} has no comment: {line!r}"
        )

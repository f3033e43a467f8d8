"""Each rule of a space file gives one line: "<file>: <field>: <problem>; allowed: <...>"."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from dse.errors import DseError
from dse.space import SearchSpace, SpaceError, load_space, space_from_data

from .validation_cases import CASES, GOOD


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "space.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_good_space_is_valid(tmp_path: Path) -> None:
    space = load_space(_write(tmp_path, GOOD))
    assert space.name == "tiny"
    assert list(space.parameters) == ["bypass", "sr", "freq", "lr"]


@pytest.mark.parametrize(
    ("mutate", "field", "problem", "allowed"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_rule_names_file_field_and_allowed(
    tmp_path: Path,
    mutate: Callable[[dict[str, Any]], None],
    field: str,
    problem: str,
    allowed: str | None,
) -> None:
    data = copy.deepcopy(GOOD)
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(SpaceError) as info:
        load_space(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {field}: "), message
    assert problem in info.value.problem, message
    if allowed is not None:
        assert "; allowed: " in message
        assert allowed in (info.value.allowed or ""), message
    assert isinstance(info.value, DseError)


def test_inline_space_errors_name_the_source_and_prefix() -> None:
    data = copy.deepcopy(GOOD)
    data["parameters"]["sr"]["high"] = 0.1
    with pytest.raises(
        SpaceError, match=r"^studies/q\.yaml: space\.parameters\.sr\.high: empty range"
    ):
        space_from_data(data, source="studies/q.yaml", prefix="space")


def test_model_validate_raises_pydantic_error_with_the_rule() -> None:
    from pydantic import ValidationError

    data = copy.deepcopy(GOOD)
    data["parameters"]["sr"]["target"] = "meta.squeeze"
    with pytest.raises(ValidationError, match="is not a field of ArchSpec"):
        SearchSpace.model_validate(data)


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        ("name: a\nname: b\n", "line 2", "key 'name' appears twice"),
        ("name: [a\n", "line 2", "is not valid YAML"),
        ("- name\n- base\n", "(top level)", "must be a mapping, got list"),
    ],
)
def test_bad_yaml_is_one_line(tmp_path: Path, text: str, field: str, problem: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(SpaceError) as info:
        load_space(path)
    assert str(info.value).startswith(f"{path}: {field}: {problem}")
    assert "\n" not in str(info.value)


def test_unknown_space_name_lists_shipped_spaces() -> None:
    with pytest.raises(
        SpaceError, match=r"^squeezenet_mikro: space: .*allowed: .*squeezenet_micro"
    ):
        load_space("squeezenet_mikro")


def test_exponent_without_dot_is_a_float(tmp_path: Path) -> None:
    text = yaml.safe_dump(GOOD, sort_keys=False).replace("low: 0.001", "low: 1e-3")
    path = tmp_path / "space.yaml"
    path.write_text(text)
    assert "1e-3" in text
    assert load_space(path).parameters["lr"].low == pytest.approx(1e-3)


def test_relative_path_is_found_next_to_the_study(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    assert load_space("space.yaml", relative_to=tmp_path).name == "tiny"


def test_one_yaml_reader_reads_numbers_as_yaml_1_2(tmp_path: Path) -> None:
    from dse.arch import load_arch
    from dse.arch.serialize import read_yaml

    path = tmp_path / "numbers.yaml"
    path.write_text("a: 1e6\nb: 5e-4\nc: -2E+3\nd: 0.5\ne: 7\nf: '1e6'\ng: 1e\n")
    assert read_yaml(path) == {"a": 1e6, "b": 5e-4, "c": -2e3, "d": 0.5, "e": 7, "f": "1e6", "g": "1e"}
    arch = tmp_path / "arch.yaml"
    arch.write_text("preset: squeezenet_cifar\ndropout: 1e-1\n")  # the arch reader is the same one
    assert load_arch(arch).dropout == 0.1

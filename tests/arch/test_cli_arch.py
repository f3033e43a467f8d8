from __future__ import annotations

import json

from typer.testing import CliRunner

from dse.cli import app

runner = CliRunner()


def test_arch_table_lists_layers_and_totals() -> None:
    result = runner.invoke(app, ["arch", "squeezenet1_0"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "fire9.expand3x3" in result.output and "classifier" in result.output
    assert "1,248,424" in result.output


def test_arch_json_is_machine_readable() -> None:
    result = runner.invoke(app, ["arch", "squeezenet1_1", "--json"])
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["cost"]["params"] == 1_235_496
    assert payload["cost"]["flops"] == 2 * payload["cost"]["macs"]
    assert payload["cost"]["layers"][0]["name"] == "stem"


def test_arch_bad_name_is_one_line_error(tmp_path) -> None:
    result = runner.invoke(app, ["arch", "nope"])
    assert result.exit_code == 2
    assert "neither a preset" in result.output and "Traceback" not in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("preset: squeezenet1_0\nbypass: sideways\n")
    result = runner.invoke(app, ["arch", str(bad)], terminal_width=300)
    assert result.exit_code == 2
    assert "bypass" in result.output and "bad.yaml" in result.output

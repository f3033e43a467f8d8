"""The study commands through the CLI: launch, show (+csv), studies, resume, spaces, and bad input."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from dse.cli import app

pytestmark = pytest.mark.slow
runner = CliRunner()


def test_launch_show_studies_resume(study_yaml, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # Rich reads the width from the environment
    path = study_yaml(trials=2)
    storage = f"sqlite:///{tmp_path / 'tiny.db'}"
    result = runner.invoke(app, ["launch", str(path)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Pareto set of tiny" in result.output
    out_csv = tmp_path / "all.csv"
    result = runner.invoke(app, ["show", "tiny", "--storage", storage, "--csv", str(out_csv)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "trial states: completed 2" in result.output
    rows = list(csv.DictReader(out_csv.open()))
    assert len(rows) == 2 and {r["status"] for r in rows} == {"completed"} and "param:sr" in rows[0]
    result = runner.invoke(app, ["studies", "--storage", storage], terminal_width=200)
    assert result.exit_code == 0 and "tiny" in result.output and "fashion-mnist-mini" in result.output
    result = runner.invoke(app, ["resume", "tiny", "--storage", storage, "--trials", "3"], terminal_width=200)
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["show", "tiny", "--storage", storage], terminal_width=200)
    assert "completed 3" in result.output


def test_bad_inputs_are_one_line_errors(study_yaml, tmp_path) -> None:
    bad = study_yaml(objectives=["params"])
    result = runner.invoke(app, ["launch", str(bad)])
    assert result.exit_code == 2 and "objectives: must start with val_acc" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["resume", "nope", "--storage", f"sqlite:///{tmp_path / 'missing.db'}"])
    assert result.exit_code == 2 and "no such SQLite file" in result.output
    assert not (tmp_path / "missing.db").exists()


def test_spaces_lists_shipped_spaces() -> None:
    result = runner.invoke(app, ["spaces"], terminal_width=200)
    assert result.exit_code == 0
    for name in ("squeezenet_micro", "squeezenet_macro", "squeezenet_full"):
        assert name in result.output

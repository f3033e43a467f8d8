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


def _one_line_error(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


def _digest(path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


@pytest.mark.parametrize("content", [b"", b"garbage, not SQLite " * 100])
def test_a_file_that_is_not_an_optuna_storage_gives_one_line_and_stays_untouched(tmp_path, study_yaml, content) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(content)
    before = _digest(path)
    url = f"sqlite:///{path}"
    for args in (["show", "s", "--storage", url], ["studies", "--storage", url], ["resume", "s", "--storage", url],
                 ["worker", "s", "--storage", url]):
        line = _one_line_error(runner.invoke(app, args, terminal_width=300))
        assert "not an Optuna storage" in line or "not a SQLite database" in line, (args, line)
        assert _digest(path) == before, args
        assert not (tmp_path / "junk.db-wal").exists()
    if content:  # an empty file is where a new study may be created
        line = _one_line_error(runner.invoke(app, ["launch", str(study_yaml(storage=url))], terminal_width=300))
        assert "not a SQLite database" in line
        assert _digest(path) == before


def test_mistyped_scheme_names_the_known_ones(tmp_path) -> None:
    line = _one_line_error(runner.invoke(app, ["studies", "--storage", f"sqlte:///{tmp_path / 'x.db'}"],
                                         terminal_width=300))
    assert "unknown database 'sqlte'" in line and "sqlite:///PATH" in line and "postgresql://" in line
    assert not (tmp_path / "x.db").exists()


def test_show_a_study_made_by_plain_optuna_and_a_csv_in_a_missing_folder(tmp_path) -> None:
    import optuna

    url = f"sqlite:///{tmp_path / 'plain.db'}"
    study = optuna.create_study(study_name="plain", storage=url, directions=["maximize", "minimize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=4)
    result = runner.invoke(app, ["show", "plain", "--storage", url], terminal_width=200)
    assert result.exit_code == 0 and "Pareto set of plain" in result.output, result.output
    assert "trial states: completed 4" in result.output
    line = _one_line_error(runner.invoke(app, ["show", "plain", "--storage", url, "--csv",
                                               str(tmp_path / "missing" / "a.csv")], terminal_width=300))
    assert "no folder" in line and "missing" in line

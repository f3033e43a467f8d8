"""Bad `dse retrain` requests: one line naming what is wrong and what would be right, exit 2, and
nothing written (no companion study, no artifact folder)."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from typer.testing import CliRunner

from dse.cli import app
from dse.study import attrs
from dse.study._config import config_from_data
from dse.study._confirm import rank_correlations
from dse.study._session import start
from tests.study.conftest import tiny_config

runner = CliRunner()


def nothing_written(storage: str, tmp_path: Path) -> bool:
    names = {s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False)}
    return not any(n.endswith(".retrain") for n in names) and not list(tmp_path.glob("*.artifacts"))


def refuse(args: list[str], match: str) -> None:
    result = runner.invoke(app, ["retrain", *args], terminal_width=400)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert match in lines[0], lines[0]


@pytest.fixture
def study_with_one_failure(tmp_path: Path) -> str:
    """Study "tiny": trial 0 completed (written through Optuna's API), trial 1 failed."""
    config = config_from_data(tiny_config(tmp_path))
    study = start(config).study
    done = study.ask({"sr": optuna.distributions.CategoricalDistribution([0.25, 0.5, 0.75, 1.0])})
    for key, value in {attrs.STATUS: "completed", attrs.ARCH_SPEC: {}, attrs.ARCH_HASH: "x", attrs.PARAMS: 10}.items():
        done.set_user_attr(key, value)
    study.tell(done, (0.5, 10))
    failed = study.ask()
    study.tell(failed, state=optuna.trial.TrialState.FAIL)
    return config.storage


def test_study_without_completed_trials(tmp_path: Path) -> None:
    config = config_from_data(tiny_config(tmp_path))
    start(config)
    refuse(["tiny", "--storage", config.storage], "has no completed trials")
    assert nothing_written(config.storage, tmp_path)


def test_trial_numbers_that_do_not_exist_or_did_not_complete(study_with_one_failure: str, tmp_path: Path) -> None:
    storage = study_with_one_failure
    refuse(["tiny", "--storage", storage, "--trials", "7"], "has no trial 7")
    refuse(["tiny", "--storage", storage, "--trials", "0,1"], "trial 1 of 'tiny' did not complete (it is failed)")
    refuse(["tiny", "--storage", storage, "--trials", "x"], "give trial numbers separated by commas")
    assert nothing_written(storage, tmp_path)


def test_zero_seeds_and_other_bad_numbers(study_with_one_failure: str, tmp_path: Path) -> None:
    storage = study_with_one_failure
    refuse(["tiny", "--storage", storage, "--seeds", "0"], "--seeds 0: give at least 1 seed")
    refuse(["tiny", "--storage", storage, "--epochs", "0"], "--epochs 0")
    refuse(["tiny", "--storage", storage, "--train-subset", "lots"], "or `all`")
    assert nothing_written(storage, tmp_path)


def test_dataset_that_cannot_be_found(study_with_one_failure: str, tmp_path: Path) -> None:
    storage = study_with_one_failure
    study = optuna.load_study(study_name="tiny", storage=storage)
    stored = dict(study.user_attrs[attrs.STUDY_CONFIG])
    study.set_user_attr(attrs.STUDY_CONFIG, {**stored, "dataset": {"name": "imagefolder:/no/such/folder"}})
    refuse(["tiny", "--storage", storage], "dataset of 'tiny'")
    assert nothing_written(storage, tmp_path)


def test_study_made_by_plain_optuna_and_missing_study(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'plain.db'}"
    study = optuna.create_study(study_name="plain", storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    refuse(["plain", "--storage", storage], "was not made by dse")
    refuse(["nope", "--storage", storage], "no study named 'nope'")
    assert nothing_written(storage, tmp_path)


def test_rank_correlations_on_a_made_up_case() -> None:
    rho, tau = rank_correlations([0.1, 0.2, 0.3, 0.4], [0.15, 0.25, 0.2, 0.5])
    assert rho == pytest.approx(0.8) and tau == pytest.approx(2 / 3)
    assert rank_correlations([0.1, 0.2, 0.3], [0.3, 0.2, 0.1]) == pytest.approx((-1.0, -1.0))
    assert rank_correlations([0.5], [0.6]) == (None, None)
    assert rank_correlations([0.5, 0.5], [0.6, 0.7]) == (None, None)  # constant: undefined

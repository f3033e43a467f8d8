"""The target of completed trials is shared through the storage: a worker re-reads it before each
trial, so ``dse resume NAME --trials N`` elsewhere raises or lowers it for running workers."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from dse.study import attrs
from dse.study._runner import run_until
from dse.study._database import open_storage

pytestmark = pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning")


def changes_target_after(first: int, new_target: int):
    """An objective that, after its ``first`` trials, sets the stored target as another process would."""
    calls = []

    def objective(trial: optuna.Trial) -> float:
        calls.append(trial.number)
        if len(calls) == first:
            trial.study.set_user_attr(attrs.STUDY_TARGET_TRIALS, new_target)
        return 1.0

    return objective, calls


@pytest.mark.parametrize(("start", "new", "expected"), [(2, 5, 5), (6, 3, 3)])
def test_worker_follows_the_stored_target(tmp_path: Path, start: int, new: int, expected: int) -> None:
    study = optuna.create_study(study_name="t", storage=open_storage(f"sqlite:///{tmp_path / 't.db'}"))
    study.set_user_attr(attrs.STUDY_TARGET_TRIALS, start)
    objective, calls = changes_target_after(1, new)
    outcome = run_until(study, objective, None, start, follow_stored_target=True)  # type: ignore[arg-type]
    assert outcome.stopped_by == "target" and outcome.target == expected
    assert len(calls) == expected == len(study.trials)


def test_launching_process_sets_the_target_it_was_given(tmp_path: Path) -> None:
    study = optuna.create_study(study_name="t", storage=open_storage(f"sqlite:///{tmp_path / 't.db'}"))
    study.set_user_attr(attrs.STUDY_TARGET_TRIALS, 9)
    objective, calls = changes_target_after(1, 9)  # a worker elsewhere cannot override `--trials 2`
    outcome = run_until(study, objective, None, 2)  # type: ignore[arg-type]
    assert outcome.target == 2 and len(calls) == 2


@pytest.mark.parametrize(("follow", "expected"), [(True, 12), (False, 4)])
def test_worker_progress_bar_follows_the_stored_target(tmp_path: Path, follow: bool, expected: int) -> None:
    from collections import Counter

    from dse.study._progress import StudyProgress

    study = optuna.create_study(study_name="t", storage=open_storage(f"sqlite:///{tmp_path / 't.db'}"))
    study.set_user_attr(attrs.STUDY_TARGET_TRIALS, 12)  # raised by `dse resume t --trials 12`
    bar = StudyProgress("t", 4, enabled=False, follow_target=follow)
    bar.update(study, Counter(completed=3))
    assert bar.target == expected
    assert bar.progress.tasks[0].total == expected

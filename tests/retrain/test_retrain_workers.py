"""`dse worker NAME.retrain` joins a companion study, and a run whose worker died (its heartbeat
stopped) is failed and run again by the next worker, as in search studies."""

from __future__ import annotations

import time
import warnings

import optuna
import pytest

from dse.study import attrs
from dse.study._retrain_plan import RetrainRequest, plan_retrain
from dse.study._retrain_run import is_companion, join_retrain, start_retrain
from dse.study._database import open_storage
from dse.study._workers import run_worker

pytestmark = pytest.mark.slow


def test_worker_joins_and_recovers_a_dead_run(finished_study, retrain_trainer, monkeypatch) -> None:
    monkeypatch.setenv("DSE_HEARTBEAT_INTERVAL", "1")
    monkeypatch.setenv("DSE_GRACE_PERIOD", "2")
    storage, _ = finished_study
    fake = retrain_trainer()
    start_retrain(plan_retrain(RetrainRequest("tiny", storage, seeds=2, epochs=1)))
    assert is_companion("tiny.retrain", storage) and not is_companion("tiny", storage)

    # a worker that took the first queued run and died: RUNNING, with a heartbeat that stops
    dead = optuna.load_study(study_name="tiny.retrain", storage=open_storage(storage))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "heartbeat ... used with Study.optimize"
        taken = dead.ask()
    assert taken.user_attrs[attrs.SOURCE_TRIAL] == 0 and taken.user_attrs[attrs.SEED] == 0
    time.sleep(3)

    session = join_retrain("tiny.retrain", storage)
    outcome = run_worker(session)
    assert outcome.stopped_by == "target"
    study = optuna.load_study(study_name="tiny.retrain", storage=storage)
    assert study.trials[taken.number].state == optuna.trial.TrialState.FAIL
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert sorted((t.params["source_trial"], t.params["seed"]) for t in done) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert sorted(fake.calls) == [(0.25, 0), (0.25, 1), (0.5, 0), (0.5, 1)]  # the dead run was redone once


def test_retrain_with_two_local_worker_processes(finished_study, tmp_path) -> None:
    """`dse retrain --workers 2` (real worker processes, real tiny training): every (candidate, seed)
    run completes exactly once, with its test accuracy and weights."""
    import subprocess
    import sys

    storage, _ = finished_study
    argv = [sys.executable, "-c", "from dse.cli import app; app(prog_name='dse')", "retrain", "tiny",
            "--storage", storage, "--seeds", "2", "--epochs", "1", "--train-subset", "256", "--workers", "2"]
    parent = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
                              env={**__import__("os").environ, "COLUMNS": "200"})
    output, _ = parent.communicate(timeout=600)
    assert parent.returncode == 0, output
    study = optuna.load_study(study_name="tiny.retrain", storage=storage)
    runs = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert sorted((t.params["source_trial"], t.params["seed"]) for t in runs) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert all(attrs.WEIGHTS_ARTIFACT in t.user_attrs and 0.0 <= t.user_attrs[attrs.TEST_ACC] <= 1.0 for t in runs)
    workers = {t.user_attrs[attrs.WORKER] for t in runs}
    assert workers and all(not w.endswith(f":{parent.pid}") for w in workers)  # run by worker processes

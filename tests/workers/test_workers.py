"""Many worker processes on one study, on SQLite, PostgreSQL and MariaDB: exact totals and crash
recovery of a SIGKILLed worker."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from dse.study import attrs
from dse.study._config import load_config
from dse.study._runner import COUNTED, trial_status
from dse.study._session import start
from tests.study.conftest import TINY_SPACE

from .conftest import dse_command, dse_env, load, start_worker, study_config, wait_for

pytestmark = pytest.mark.slow

RECORD_KEYS = (attrs.ARCH_SPEC, attrs.ARCH_HASH, attrs.PARAMS, attrs.VAL_CURVE, attrs.VAL_ACC,
               attrs.TRAIN_SECONDS, attrs.DEVICE, attrs.SEED, attrs.STATUS, attrs.WORKER)


def check_records(study: optuna.Study, target: int) -> list[optuna.trial.FrozenTrial]:
    """Exactly ``target`` counted trials, nothing left running, contiguous unique numbers, full
    records on every counted trial; returns the counted trials."""
    trials = study.get_trials(deepcopy=False)
    numbers = sorted(t.number for t in trials)
    assert numbers == list(range(len(trials))), numbers
    assert not [t.number for t in trials if t.state == TrialState.RUNNING]
    counted = [t for t in trials if trial_status(t) in COUNTED]
    assert len(counted) == target, [(t.number, trial_status(t)) for t in trials]
    for t in counted:
        assert t.state == TrialState.COMPLETE and len(t.values) == 2
        missing = [k for k in RECORD_KEYS if k not in t.user_attrs]
        assert not missing, (t.number, missing)
        assert t.values[1] == t.user_attrs[attrs.PARAMS]
    return counted


def test_four_workers_reach_exactly_the_target(storage_url: str, tmp_path: Path) -> None:
    target = 8
    config = study_config(tmp_path, "four", storage_url, trials=target)
    run = subprocess.run(dse_command("launch", str(config), "--workers", "4"), capture_output=True, text=True,
                         env=dse_env(), timeout=400)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "locked" not in output and "Traceback" not in output, output
    counted = check_records(load("four", storage_url), target)
    workers = {t.user_attrs[attrs.WORKER] for t in counted}
    assert len(workers) >= 2, workers  # the trials were shared between processes
    assert f"{target} done" in run.stdout  # the parent's combined progress bar


def test_killed_worker_trial_fails_and_is_retried(bare_storage_url: str, tmp_path: Path) -> None:
    storage_url = bare_storage_url
    target = 4
    # Trials long enough (10 steps) to be caught mid-way by a 50 ms poll; the survivor starts only
    # once the victim is frozen, so it cannot finish the study before the victim has a trial.
    budget = {"epochs": 1, "max_steps": 10, "train_subset": 640}
    session = start(load_config(study_config(tmp_path, "crash", storage_url, trials=target, budget=budget)))
    session.study.set_user_attr(attrs.STUDY_TARGET_TRIALS, target)
    victim = start_worker("crash", storage_url)
    survivor: subprocess.Popen | None = None
    watcher = load("crash", storage_url)

    def frozen_mid_trial() -> optuna.trial.FrozenTrial | None:
        """Stop the victim (SIGSTOP) while the database shows it running a sampled trial."""
        if victim.poll() is not None:
            output = victim.stdout.read() if victim.stdout else ""
            raise AssertionError(f"victim exited (code {victim.returncode}) before it was caught mid-trial: {output}")
        mine = [t for t in watcher.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
                if t.user_attrs.get(attrs.WORKER, "").endswith(f":{victim.pid}")
                and set(t.params) == set(TINY_SPACE["parameters"])]  # sampled, so training
        if not mine:
            return None
        os.kill(victim.pid, signal.SIGSTOP)
        if watcher.trials[mine[0].number].state == TrialState.RUNNING:
            return mine[0]
        os.kill(victim.pid, signal.SIGCONT)  # it finished just before the stop; catch the next one
        return None

    try:
        killed = wait_for(frozen_mid_trial, 240, "a trial of the victim worker to be running")
        survivor = start_worker("crash", storage_url)
        os.kill(victim.pid, signal.SIGKILL)  # dies mid-trial, without any chance to clean up
        victim.wait(timeout=30)
        out, _ = survivor.communicate(timeout=240)
    finally:
        for proc in (victim, survivor):
            if proc is not None and proc.poll() is None:
                proc.kill()
    assert survivor.returncode == 0, out
    study = load("crash", storage_url)
    check_records(study, target)
    assert study.trials[killed.number].state == TrialState.FAIL  # its worker's heartbeat stopped
    retries = [t for t in study.trials if t.system_attrs.get("failed_trial") == killed.number]
    assert len(retries) == 1 and retries[0].state == TrialState.COMPLETE, retries
    assert retries[0].params == study.trials[killed.number].params == killed.params  # the same candidate
    assert retries[0].user_attrs[attrs.WORKER].endswith(f":{survivor.pid}")


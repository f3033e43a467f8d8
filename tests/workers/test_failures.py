"""Workers facing trouble: a database that is unreachable from the start or goes away mid-run,
and Ctrl-C in `dse launch --workers`."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from optuna.trial import TrialState
from sqlalchemy.engine import make_url

from dse.study import attrs
from dse.study._config import load_config
from dse.study._session import start

from .conftest import TcpProxy, closed_port, dse_command, dse_env, load, start_worker, study_config, wait_for

pytestmark = pytest.mark.slow
FAST_RETRIES = {"DSE_DB_RETRIES": "3", "DSE_DB_RETRY_DELAY": "0.2"}


def test_unreachable_database_exits_with_one_line() -> None:
    url = f"postgresql+psycopg2://postgres@127.0.0.1:{closed_port()}/test"
    run = subprocess.run(dse_command("worker", "nowhere", "--storage", url), capture_output=True, text=True,
                         env=dse_env(**FAST_RETRIES), timeout=120)
    assert run.returncode == 2
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert "unreachable" in lines[0] and "3 attempts" in lines[0] and "Connection refused" in lines[0], lines[0]


@pytest.mark.servers
def test_database_lost_mid_run_stops_worker_and_keeps_finished_trials(postgres_url: str, tmp_path: Path) -> None:
    session = start(load_config(study_config(tmp_path, "outage", postgres_url, trials=50)))
    session.study.set_user_attr(attrs.STUDY_TARGET_TRIALS, 50)
    direct = make_url(postgres_url)
    proxy = TcpProxy(direct.host or "127.0.0.1", direct.port or 5432)
    via_proxy = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    worker = start_worker("outage", via_proxy, **FAST_RETRIES)
    try:
        wait_for(lambda: len(load("outage", postgres_url).get_trials(states=(TrialState.COMPLETE,))) >= 2,
                 240, "two completed trials")
        proxy.cut()
        out, _ = worker.communicate(timeout=180)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 2, out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and "unreachable" in lines[0] and "finished trials are kept" in lines[0], out
    trials = load("outage", postgres_url).get_trials()
    assert sum(t.state == TrialState.COMPLETE for t in trials) >= 2
    assert not [t.number for t in trials if t.state == TrialState.FAIL]  # nothing was marked failed


def test_ctrl_c_stops_local_workers_cleanly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'stop.db'}"
    # trials of several seconds, and far more than can finish before the interrupt
    config = study_config(tmp_path, "stop", url, trials=500, budget={"epochs": 1, "train_subset": 2048})
    # A shell's background job (`cmd &`) inherits SIGINT ignored, and Python keeps it ignored: give
    # the parent Ctrl-C's usual handler, as in a terminal, so the test holds however pytest runs.
    command = dse_command("launch", str(config), "--workers", "2")
    command[2] = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); " + command[2]
    parent = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dse_env())
    try:
        def two_running() -> bool:
            try:
                running = load("stop", url).get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            except KeyError:  # the study is not created yet
                return False
            return len([t for t in running if attrs.WORKER in t.user_attrs]) == 2

        wait_for(two_running, 240, "both workers running a trial", interval=0.2)
        done_before = {t.number for t in load("stop", url).get_trials(states=(TrialState.COMPLETE,))}
        parent.send_signal(signal.SIGINT)
        out, _ = parent.communicate(timeout=90)
    finally:
        if parent.poll() is None:
            parent.kill()
    assert parent.returncode == 130, out
    assert "interrupted" in out and "Traceback" not in out, out
    time.sleep(0.5)
    trials = load("stop", url).get_trials()
    assert not [t.number for t in trials if t.state == TrialState.RUNNING]
    interrupted = [t for t in trials if t.state == TrialState.FAIL]
    assert len(interrupted) == 2, [(t.number, t.state) for t in trials]
    assert all("interrupted" in t.user_attrs.get(attrs.FAIL_REASON, "") for t in interrupted)
    assert done_before <= {t.number for t in trials if t.state == TrialState.COMPLETE}


def test_launch_whose_worker_was_killed_exits_non_zero_naming_it(tmp_path: Path) -> None:
    """A worker SIGKILLed mid-trial: its trial records why it failed, the survivor retries it
    without Optuna's "constraint value is ignored" warning, and the launch names the dead worker."""
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    config = study_config(tmp_path, "kill", url, trials=2, constraints={"max_params": 10_000_000},
                          budget={"epochs": 1, "max_steps": 10, "train_subset": 640})
    parent = subprocess.Popen(dse_command("launch", str(config), "--workers", "2"), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=dse_env())
    try:
        def a_running_trial():
            try:
                running = load("kill", url).get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            except KeyError:
                return None
            return next((t for t in running if attrs.WORKER in t.user_attrs and t.params), None)

        victim = wait_for(a_running_trial, 240, "a worker running a trial", interval=0.1)
        pid = int(victim.user_attrs[attrs.WORKER].rsplit(":", 1)[1])
        os.kill(pid, signal.SIGKILL)
        out, _ = parent.communicate(timeout=300)
    finally:
        if parent.poll() is None:
            parent.kill()
    assert parent.returncode == 2, out
    assert f"(pid {pid}) was killed by SIGKILL" in out and "Traceback" not in out, out
    assert "constraint value is ignored" not in out, out
    trials = load("kill", url).get_trials()
    dead = trials[victim.number]
    assert dead.state == TrialState.FAIL and dead.user_attrs[attrs.FAIL_REASON] == "worker lost: no heartbeat for 3 s"
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == victim.number]
    assert retries and retries[0].state == TrialState.COMPLETE and retries[0].params == dead.params

"""How `dse launch --workers N` starts its worker processes (no processes started here)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import optuna
import pytest

from dse.study import attrs, _workers as workers
from dse.study._database import open_storage
from dse.study._workers import LocalWorkers, WorkerError, required_target, worker_env


def test_one_gpu_per_worker_when_there_are_several(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert [worker_env(i, ["0", "1"])["CUDA_VISIBLE_DEVICES"] for i in range(4)] == ["0", "1", "0", "1"]
    assert "CUDA_VISIBLE_DEVICES" not in worker_env(1, ["0"])  # one GPU: all workers share it
    assert "CUDA_VISIBLE_DEVICES" not in worker_env(1, [])


def test_visible_gpus_respect_an_existing_mask(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    assert workers._visible_gpus() == ["2", "3"]
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    assert workers._visible_gpus() == ["0", "1"]


def test_worker_command_splits_threads_and_passes_options() -> None:
    pool = LocalWorkers("s", "postgresql://u@h/db", 4, timeout=60.0, data_dir="/data")
    cmd = pool.command(2, threads=3)
    assert cmd[cmd.index("worker") + 1] == "s"
    for option, value in (("--storage", "postgresql://u@h/db"), ("--threads", "3"), ("--index", "2"),
                          ("--timeout", "60.0"), ("--data-dir", "/data")):
        assert cmd[cmd.index(option) + 1] == value
    assert "--quiet" in cmd


def test_worker_needs_a_target_stored_by_launch(tmp_path: Path) -> None:
    study = optuna.create_study(study_name="bare", storage=open_storage(f"sqlite:///{tmp_path / 'b.db'}"))
    with pytest.raises(WorkerError, match="no target number of trials yet; start it with `dse launch"):
        required_target(study)
    study.set_user_attr(attrs.STUDY_TARGET_TRIALS, 7)
    assert required_target(study) == 7


def test_in_memory_sqlite_cannot_be_shared() -> None:
    with pytest.raises(WorkerError, match="in-memory database cannot be shared"):
        LocalWorkers("s", "sqlite:///:memory:", 2).start()


def test_url_forms_get_the_installed_driver_and_typos_name_the_known_schemes() -> None:
    from dse.study._database import StorageError, parse_url

    assert parse_url("postgresql://u@h/db").drivername == "postgresql+psycopg"  # psycopg 3 (dse[postgres])
    assert parse_url("postgresql+psycopg2://u@h/db").drivername == "postgresql+psycopg2"  # kept as written
    assert parse_url("mysql://u@h/db").drivername == "mysql+pymysql"  # mysqlclient is not installed
    assert parse_url("sqlite:///x.db").drivername == "sqlite"
    with pytest.raises(StorageError, match=r"unknown database 'sqlte'; dse knows sqlite:///PATH, postgresql://"):
        parse_url("sqlte:///x.db")


def test_dead_workers_are_named_with_how_they_ended() -> None:
    outcome = workers.PoolOutcome(Counter(), 4, [0, -9, 2], [10, 11, 12])
    assert outcome.failed_workers() == [1, 2]
    assert outcome.failures() == "worker 1 (pid 11) was killed by SIGKILL; worker 2 (pid 12) exited with code 2"

"""Storages for the worker tests: a SQLite file, and fresh databases on the real PostgreSQL and
MariaDB/MySQL servers (created per test, dropped afterwards).

Without the servers the server tests skip with a hint; with CI=true they fail instead.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import optuna
import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from dse.study._database import parse_url, safe_url
from dse.study._workers import WORKER_ENTRY
from tests.study.conftest import TINY_SPACE

SERVERS = {
    "postgresql": ("DSE_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test", "PostgreSQL"),
    "mysql": ("DSE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test", "MariaDB/MySQL"),
}
# Fast crash detection for tests: beat every second, dead after 3 s without a beat.
FAST_ENV = {"DSE_HEARTBEAT_INTERVAL": "1", "DSE_GRACE_PERIOD": "3", "PYTHONUNBUFFERED": "1"}


def server_url(kind: str) -> str:
    """The admin URL of a test server, or skip (fail under CI=true) with how to enable it."""
    env, default, label = SERVERS[kind]
    url = os.environ.get(env) or default
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as con:
            con.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        parsed = make_url(default)
        first = (str(getattr(exc, "orig", exc)).strip().splitlines() or [type(exc).__name__])[0]
        message = (f"{label} not reachable at {safe_url(url)} ({first}); start {label} on "
                   f"{parsed.host}:{parsed.port} or set {env} to a server URL whose user may create databases")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


def fresh_database(kind: str) -> Iterator[str]:
    yield from temporary_database(server_url(kind), kind, "dse_test")


def temporary_database(admin_url: str, kind: str, prefix: str) -> Iterator[str]:
    """A new empty database on the server of ``admin_url`` (dropped afterwards); yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        drop = f"DROP DATABASE IF EXISTS {name}" + (" WITH (FORCE)" if kind == "postgresql" else "")
        with admin.connect() as con:
            con.execute(text(drop))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.servers),
                        pytest.param("mysql", marks=pytest.mark.servers)])
def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A storage URL on each backend, empty at the start of the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'workers.db'}"
    else:
        yield from fresh_database(request.param)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.servers),
                        pytest.param("mysql", marks=pytest.mark.servers)])
def bare_storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Like ``storage_url``, in the form most users write: ``postgresql://`` and ``mysql://``
    without a driver (dse picks psycopg 3 and PyMySQL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'workers.db'}"
        return
    for url in fresh_database(request.param):
        yield make_url(url).set(drivername=request.param).render_as_string(hide_password=False)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from fresh_database("postgresql")


def study_config(tmp_path: Path, name: str, storage: str, trials: int, **overrides: Any) -> Path:
    """A study whose trials are as cheap as real training gets: one step on 64 images."""
    data: dict[str, Any] = {
        "name": name,
        "space": TINY_SPACE,
        "dataset": "fashion-mnist-mini",
        "budget": {"epochs": 1, "max_steps": 1, "train_subset": 64},
        "train": {"val_fraction": 0.01},  # validate on 100 images
        "objectives": ["val_acc", "params"],
        "sampler": {"name": "random"},
        "trials": trials,
        "seed": 0,
        "storage": storage,
    }
    data.update(overrides)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def dse_command(*args: str) -> list[str]:
    return [sys.executable, "-c", WORKER_ENTRY, *args]


def dse_env(**extra: str) -> dict[str, str]:
    return {**os.environ, **FAST_ENV, **extra}


def start_worker(name: str, storage: str, **extra_env: str) -> subprocess.Popen:
    return subprocess.Popen(
        dse_command("worker", name, "--storage", storage, "--quiet", "--threads", "1"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dse_env(**extra_env),
    )


def load(name: str, storage: str) -> optuna.Study:
    """The study through plain Optuna (a bare ``mysql://`` gets the driver dse would pick)."""
    return optuna.load_study(study_name=name, storage=parse_url(storage).render_as_string(hide_password=False))


def wait_for(predicate: Any, timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a database server until ``cut()`` drops every connection and
    refuses new ones: a database that becomes unreachable, without stopping the server."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                if not self.open:
                    client.close()
                    return
                server = socket.create_connection(self.upstream)
                self.sockets += [client, server]
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        with self.lock:
            self.open = False
            try:
                self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            except OSError:
                pass
            self.listener.close()
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()


def open_sqlite_study(tmp_path: Path, name: str) -> tuple[optuna.Study, Any]:
    """A new study in its own SQLite file, through dse's storage (retries, heartbeats)."""
    from dse.study._database import open_storage

    opened = open_storage(f"sqlite:///{tmp_path / (name + '.db')}")
    return optuna.create_study(study_name=name, storage=opened), opened

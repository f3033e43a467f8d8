"""Many worker processes on one study: ``dse worker`` and ``dse launch --workers N``.

A worker joins an existing study from its storage alone (config and search space are stored in the
study), reads the study's target of completed trials and runs trials until all workers together
reach it (``runner.run_until`` counts every worker's trials) or its time limit passes. Any number
of workers on any number of machines may share one PostgreSQL or MySQL database; a handful of
local workers may share one SQLite file.

``LocalWorkers`` starts N ``dse worker`` subprocesses on this machine (one per GPU when there are
several, CPU threads split between them) and ``supervise`` shows one progress bar for them all by
polling the storage. Ctrl-C (or SIGTERM) in the parent sends one SIGINT to each worker, which marks
its running trial failed and exits; finished trials are untouched.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import optuna

from dse.errors import DseError
from dse.study import attrs
from dse.study._runner import RunOutcome, status_counts, stored_target
from dse.study._samplers import make_sampler
from dse.study._session import Session, reopen
from dse.study._database import DatabaseUnavailable, open_storage, sqlite_path

STOP_GRACE_SECONDS = 30.0  # how long stopped workers may take to mark their trials failed
POLL_SECONDS = 1.0  # how often the parent's progress bar reads the storage
WORKER_ENTRY = "from dse.cli import app; app(prog_name='dse')"


class WorkerError(DseError):
    """A worker cannot join or run its study."""


def set_threads(threads: int | None) -> None:
    """Limit torch's CPU threads in this process (local workers share the cores)."""
    if threads is None:
        return
    import torch

    torch.set_num_threads(threads)


def required_target(study: optuna.Study) -> int:
    """The study's stored target; a worker cannot start without one."""
    target = stored_target(study)
    if target is None:
        raise WorkerError(
            f"study {study.study_name!r} has no target number of trials yet; start it with "
            f"`dse launch STUDY.yaml --trials N` (or `dse resume {study.study_name} --trials N`) first"
        )
    return target


def join_study(
    name: str, storage: str, *, data_dir: str | None = None, device: str = "auto", quiet: bool = True,
    threads: int | None = None, index: int | None = None,
) -> Session:
    """Open study ``name`` in ``storage`` as a worker, waiting (with backoff) for the database."""
    set_threads(threads)
    open_storage(storage, create=False, wait=True)  # bounded retries while the database is away
    session = reopen(name, storage, data_dir=data_dir, device=device, quiet=quiet)
    # Workers starting together must not propose the same candidates: offset the sampler seed.
    offset = len(session.study.get_trials(deepcopy=False))
    offset += 100_003 * (index + 1) if index is not None else random.SystemRandom().randrange(1, 2**31)
    session.study.sampler = make_sampler(session.config, session.objective.space, seed_offset=offset,
                                        fixed=session.objective.fixed_arch())
    return session


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Inside the block SIGTERM and SIGHUP raise KeyboardInterrupt (a clean stop)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    saved = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in saved.items():
            signal.signal(sig, old)


def run_worker(
    session: Session, timeout: float | None = None, on_trial: Callable[[optuna.Study, Counter], None] | None = None
) -> RunOutcome:
    """Run trials until the study's stored target is reached by all workers, or ``timeout``; the
    target is read again before each trial, so ``dse resume NAME --trials N`` reaches running workers."""
    target = required_target(session.study)
    try:
        with sigterm_as_interrupt():
            return session.run(target, timeout, on_trial, follow_stored_target=True)
    except DatabaseUnavailable as exc:
        raise DatabaseUnavailable(
            f"{exc}; finished trials are kept, and a trial this worker was running is retried by "
            "another worker once its heartbeat lapses"
        ) from None


# ---------------------------------------------------------------- local worker processes
def _visible_gpus() -> list[str]:
    try:
        import torch

        count = torch.cuda.device_count()
    except Exception:  # noqa: BLE001 - no usable CUDA means CPU workers
        return []
    listed = [d.strip() for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
    return listed[:count] if listed else [str(i) for i in range(count)]


def worker_env(index: int, gpus: list[str]) -> dict[str, str]:
    """The environment of local worker ``index``: its own GPU when there are several."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if len(gpus) > 1:
        env["CUDA_VISIBLE_DEVICES"] = gpus[index % len(gpus)]
    return env


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@dataclass
class LocalWorkers:
    """N ``dse worker`` subprocesses for one study, their output relayed through ``echo``."""

    name: str
    storage: str
    count: int
    timeout: float | None = None
    data_dir: str | None = None
    verbose: bool = False
    echo: Callable[[int, str], None] = lambda index, line: None
    procs: list[subprocess.Popen] = field(default_factory=list)
    readers: list[threading.Thread] = field(default_factory=list)

    def command(self, index: int, threads: int) -> list[str]:
        cmd = [sys.executable, "-c", WORKER_ENTRY, "worker", self.name, "--storage", self.storage,
               "--quiet", "--threads", str(threads), "--index", str(index)]
        if self.timeout is not None:
            cmd += ["--timeout", str(self.timeout)]
        if self.data_dir:
            cmd += ["--data-dir", self.data_dir]
        if self.verbose:
            cmd.append("--verbose")
        return cmd

    def start(self) -> None:
        if self.storage.startswith("sqlite") and sqlite_path(self.storage) is None:
            raise WorkerError(f"storage {self.storage}: an in-memory database cannot be shared by worker "
                              "processes; use a SQLite file or a database server")
        gpus = _visible_gpus()
        threads = max(1, _cores() // self.count)
        for index in range(self.count):
            proc = subprocess.Popen(
                self.command(index, threads), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                env=worker_env(index, gpus), start_new_session=True,  # Ctrl-C reaches the parent only
            )
            self.procs.append(proc)
            reader = threading.Thread(target=self._relay, args=(index, proc), daemon=True)
            reader.start()
            self.readers.append(reader)

    def _relay(self, index: int, proc: subprocess.Popen) -> None:
        if proc.stdout is None:
            return
        for line in proc.stdout:
            if line.strip():
                self.echo(index, line.rstrip())

    def running(self) -> bool:
        return any(p.poll() is None for p in self.procs)

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """One SIGINT to each live worker (it fails its running trial and exits), SIGKILL after
        ``grace`` seconds."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + grace
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.join_readers()

    def join_readers(self) -> None:
        for reader in self.readers:
            reader.join(timeout=2.0)

    def returncodes(self) -> list[int | None]:
        return [p.poll() for p in self.procs]


def how_it_ended(code: int | None) -> str:
    """A worker's return code in words: "exited with code 2", "was killed by SIGKILL"."""
    if code is None:
        return "is still running"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


@dataclass
class PoolOutcome:
    counts: Counter
    target: int
    returncodes: list[int | None]
    pids: list[int] = field(default_factory=list)

    def failed_workers(self) -> list[int]:
        # 130: stopped by Ctrl-C/SIGTERM through the parent, which reports that itself
        return [i for i, code in enumerate(self.returncodes) if code not in (0, None)]

    def failures(self) -> str:
        """Which workers failed and how they ended, in one line ("" when none did)."""
        failed = self.failed_workers()
        return "; ".join(f"worker {i}{f' (pid {self.pids[i]})' if i < len(self.pids) else ''} "
                         f"{how_it_ended(self.returncodes[i])}" for i in failed)


def supervise(
    session: Session, workers: LocalWorkers, target: int,
    on_poll: Callable[[optuna.Study, Counter], None] | None = None,
) -> PoolOutcome:
    """Start ``workers`` on the session's study, poll the storage for the progress bar until they
    all exit; Ctrl-C/SIGTERM stop them cleanly (then KeyboardInterrupt is re-raised)."""
    session.study.set_user_attr(attrs.STUDY_TARGET_TRIALS, target)
    try:
        with sigterm_as_interrupt():
            workers.start()
            while workers.running():
                if on_poll is not None:
                    on_poll(session.study, status_counts(session.study))
                time.sleep(POLL_SECONDS)
    finally:
        if workers.running():
            workers.stop()
        workers.join_readers()
    counts = status_counts(session.study)
    if on_poll is not None:
        on_poll(session.study, counts)
    return PoolOutcome(counts, target, workers.returncodes(), [p.pid for p in workers.procs])

"""Storage throughput: completed trials per second with 1, 4 and 8 worker processes.

Usage::

    python benchmarks/storage_throughput.py [--trials 200] [--workers 1 4 8]
        [--backends sqlite postgresql mysql]

Each worker process runs dse's own run loop (``dse.study._runner.run_until``: shared target,
slot claim, heartbeats, dead-trial checks) against storage opened by ``dse.study._database.
open_storage`` (WAL SQLite with busy timeout, retries with backoff, heartbeats), with a zero-cost
objective: it suggests the five parameters of ``search_spaces/squeezenet_micro.yaml`` and writes
the same sixteen trial user attributes a dse trial writes (with values of similar size), but
trains nothing. So the numbers are the storage's cost per trial, the ceiling on how many trials
per second one database can serve, not a training speed.

Reported per backend and worker count: completed trials; trials per second (completed / span from
the start signal until the target was reached); wall ms per trial (span / completed); worker ms
per trial (workers x span / completed: the storage overhead one trial costs a worker, which with
one worker is the plain per-trial overhead and with more workers on few cores includes waiting
for a core); the median time from one trial's start to the next one's in a worker (dead-trial check, ask,
slot claim, heartbeat, suggests, user attrs, tell, count); trials handed back as WAITING by the slot claim;
storage retries (e.g. SQLite "database is locked" after the busy timeout). PostgreSQL and
MariaDB URLs come from DSE_TEST_POSTGRES_URL / DSE_TEST_MYSQL_URL (default: the local servers); a
fresh database is created and dropped for each run. Results are printed and written to
``benchmarks/results/storage_throughput.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import optuna
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dse.study import attrs  # noqa: E402
from dse.study import _runner as runner  # noqa: E402
from dse.study._database import open_storage  # noqa: E402
from tests.workers.conftest import temporary_database  # noqa: E402

SERVERS = {
    "postgresql": ("DSE_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"),
    "mysql": ("DSE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}
FAKE_ARCH = {  # about the size of a canonical ArchSpec dict
    "in_channels": 1, "input_size": 28, "num_classes": 10, "stem": {"kind": "conv3x3", "filters": 24, "stride": 1},
    "meta": {"base_e": 96, "incr_e": 64, "freq": 2, "pct3x3": 0.5, "sr": 0.25},
    "pool_after": [3, 5], "bypass": "none", "width_multiplier": 0.25, "dropout": 0.5, "batchnorm": True,
    "depthwise": False, "fires": [{"s1x1": 6 + i, "e1x1": 12 + i, "e3x3": 12 + i} for i in range(8)],
}


def zero_cost_objective(trial: optuna.Trial) -> tuple[float, float]:
    """Suggest like squeezenet_micro, store what a dse trial stores, train nothing."""
    sr = trial.suggest_float("sr", 0.125, 1.0, step=0.125)
    pct3x3 = trial.suggest_float("pct3x3", 0.01, 0.99)
    base_e = trial.suggest_int("base_e", 64, 128, step=32)
    incr_e = trial.suggest_int("incr_e", 32, 128, step=32)
    freq = trial.suggest_categorical("freq", [1, 2, 4])
    params = int(1000 * (base_e + incr_e) * (1 + sr) / freq)
    for key, value in {
        attrs.ARCH_SPEC: FAKE_ARCH, attrs.ARCH_HASH: f"{random.getrandbits(64):016x}",
        attrs.ARCH_LABEL: f"sr{sr} pct{pct3x3:.2f} e{base_e}+{incr_e}/{freq}", attrs.PARAMS: params,
        attrs.MACS: params * 300, attrs.SIZE_BYTES: params * 4, attrs.PEAK_ACT_BYTES: 150_000,
        attrs.TRAIN_PARAMS: {"batch_size": 128, "lr": 0.08, "optimizer": "sgd", "seed": trial.number, "split_seed": 0},
        attrs.SEED: trial.number,
        attrs.VAL_CURVE: [0.5, 0.7], attrs.VAL_ACC: 0.7, attrs.TRAIN_SECONDS: 1.0,
        attrs.IMAGES_PER_SECOND: 4000.0, attrs.DEVICE: "cpu", attrs.STATUS: "completed",
    }.items():  # 15 here + dse:worker written by the run loop = 16, as in a trained dse trial
        trial.set_user_attr(key, value)
    return (0.7, float(params))


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def worker(url: str, name: str, target: int, barrier: Any, results: Any) -> None:
    counter = _Count()
    logging.getLogger("dse.study._database").addHandler(counter)
    logging.getLogger("dse.study._database").setLevel(logging.INFO)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=name, storage=open_storage(url),
                              sampler=optuna.samplers.RandomSampler(seed=os.getpid()))
    durations: list[float] = []  # seconds from one trial's start to the next one's (the whole loop)
    last: list[float] = []

    def timed_objective(trial: optuna.Trial) -> Any:
        now = time.perf_counter()
        if last:
            durations.append(now - last[0])
        last[:] = [now]
        return zero_cost_objective(trial)

    reached: list[float] = []  # wall time when this worker first saw the target reached

    def on_trial(study: optuna.Study, counts: Any) -> None:
        if not reached and runner.completed_count(counts) >= target:
            reached.append(time.time())

    barrier.wait()
    error = None
    try:
        runner.run_until(study, timed_objective, None, target, on_trial=on_trial)  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001 - reported in the table
        error = f"{type(exc).__name__}: {exc}"[:300]
    results.put({"retries": counter.count, "error": error, "durations": durations,
                 "reached": reached[0] if reached else None})


@contextmanager
def fresh_storage(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    env, default = SERVERS[backend]
    yield from temporary_database(os.environ.get(env) or default, backend, "dse_bench")


def reachable(backend: str) -> str | None:
    """None when the backend can be benchmarked, else why not."""
    if backend == "sqlite":
        return None
    env, default = SERVERS[backend]
    try:
        engine = create_engine(os.environ.get(env) or default, connect_args={"connect_timeout": 3})
        with engine.connect() as con:
            con.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {str(getattr(exc, 'orig', exc)).strip().splitlines()[0]}"
    return None


def run_one(backend: str, workers: int, trials: int) -> dict[str, Any]:
    with fresh_storage(backend) as url:
        storage = open_storage(url)
        name = "bench"
        study = optuna.create_study(study_name=name, storage=storage, directions=["maximize", "minimize"])
        study.set_user_attr(attrs.STUDY_TARGET_TRIALS, trials)
        storage.engine.dispose()
        ctx = mp.get_context("spawn")
        barrier, results = ctx.Barrier(workers + 1), ctx.Queue()
        procs = [ctx.Process(target=worker, args=(url, name, trials, barrier, results)) for _ in range(workers)]
        for proc in procs:
            proc.start()
        barrier.wait()
        start = time.time()
        reports = [results.get(timeout=1800) for _ in procs]
        for proc in procs:
            proc.join()
        done = [t for t in study.get_trials(deepcopy=False) if t.state == optuna.trial.TrialState.COMPLETE]
        waiting = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,)))
        storage.engine.dispose()
    # from the start signal until the first worker saw the target reached (the workers' 2 s
    # polls after that are not storage cost)
    span = min(r["reached"] for r in reports if r["reached"] is not None) - start
    per_trial = [d for r in reports for d in r["durations"]]
    return {
        "backend": backend, "workers": workers, "target": trials, "completed": len(done),
        "span_s": round(span, 3),
        "trials_per_s": round(len(done) / span, 2),
        "wall_ms_per_trial": round(1000 * span / len(done), 1),
        "worker_ms_per_trial": round(1000 * workers * span / len(done), 1),
        "median_trial_ms": round(1000 * statistics.median(per_trial), 1),
        "handed_back_waiting": waiting,
        "storage_retries": sum(r["retries"] for r in reports),
        "errors": [r["error"] for r in reports if r["error"]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql", "mysql"],
                        choices=["sqlite", "postgresql", "mysql"])
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rows, skipped = [], {}
    for backend in args.backends:
        why = reachable(backend)
        if why:
            skipped[backend] = why
            print(f"skipping {backend}: {why}", flush=True)
            continue
        for n in args.workers:
            row = run_one(backend, n, args.trials)
            rows.append(row)
            print(json.dumps(row), flush=True)
    header = (f"{'backend':<11}{'workers':>8}{'done':>6}{'trials/s':>10}{'wall ms/trial':>15}{'worker ms/trial':>17}"
              f"{'one trial ms':>14}{'handed back':>13}{'retries':>9}")
    print("\n" + header)
    for r in rows:
        print(f"{r['backend']:<11}{r['workers']:>8}{r['completed']:>6}{r['trials_per_s']:>10.1f}"
              f"{r['wall_ms_per_trial']:>15.1f}{r['worker_ms_per_trial']:>17.1f}{r['median_trial_ms']:>14.1f}"
              f"{r['handed_back_waiting']:>13}{r['storage_retries']:>9}" + (f"  errors: {r['errors']}" if r["errors"] else ""))
    out = Path(__file__).resolve().parent / "results" / "storage_throughput.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "optuna": optuna.__version__,
                    "platform": platform.platform()},
        "objective": "zero-cost: 5 suggests + 16 user attrs per trial, RandomSampler, dse run_until loop",
        "rows": rows, "skipped": skipped,
    }, indent=2) + "\n")
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()

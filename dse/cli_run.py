"""``dse launch``, ``dse worker`` and ``dse resume``: running a study's trials, in this process or
in local worker processes, with a progress bar. Registered on ``dse.cli.app``."""

from __future__ import annotations

from typing import Annotated

import typer

from dse.cli import (DataDirOpt, StorageOpt, TimeoutOpt, TrialsOpt, VerboseOpt, WorkersOpt, app, fail,
                     fruitless)
from dse.errors import DseError


def _run_session(session, trials: int | None, timeout: float | None, verbose: bool) -> None:
    from rich.markup import escape

    from dse.console import console, print_pareto
    from dse.study._progress import StudyProgress

    target = trials or session.config.trials
    if session.grid_size is not None:
        target = min(target, session.grid_size)
    name = session.config.name
    try:
        with StudyProgress(name, target, timeout, console=console) as bar:
            outcome = session.run(target, timeout, on_trial=bar.update)
    except KeyboardInterrupt:
        console.print(
            f"[yellow]interrupted[/]: finished trials are saved; continue with "
            f"`dse resume {name} --storage {escape(str(session.config.storage))}`", soft_wrap=True
        )
        raise typer.Exit(code=130) from None
    except DseError as exc:  # e.g. a latency study continued on another kind of device
        fail(exc)
        return
    print_pareto(session.study)
    if outcome.stopped_by == "fruitless":
        fail(fruitless(session.study, name))
    if outcome.stopped_by == "timeout":
        console.print(f"time limit reached; continue with `dse resume {name} --storage {escape(str(session.config.storage))}`")


@app.command()
def launch(
    study_yaml: Annotated[str, typer.Argument(help="Study config YAML (or a shipped study name, e.g. quickstart).")],
    trials: TrialsOpt = None,
    timeout: TimeoutOpt = None,
    storage: StorageOpt = None,
    data_dir: DataDirOpt = None,
    verbose: VerboseOpt = False,
    workers: WorkersOpt = None,
) -> None:
    """Create a study from its YAML config and run it; rerunning continues it to the target."""
    from dse.study._config import load_config
    from dse.study._session import start

    try:
        config = load_config(study_yaml)
        if storage:
            config = config.model_copy(update={"storage": storage})
        for note in config.warnings():
            from dse.console import warn

            warn(note)
        session = start(config, data_dir=data_dir, quiet=not verbose)
    except DseError as exc:
        fail(exc)
        return
    if workers:
        _run_workers(session, workers, trials, timeout, data_dir, verbose)
        return
    _run_session(session, trials, timeout, verbose)


def _run_workers(session, workers: int, trials: int | None, timeout: float | None, data_dir: str | None,
                 verbose: bool) -> None:
    from rich.markup import escape

    from dse.console import console, print_pareto
    from dse.study._progress import StudyProgress
    from dse.study._runner import completed_count
    from dse.study._workers import LocalWorkers, supervise

    name, storage = session.config.name, session.config.storage
    target = trials or session.config.trials
    if session.grid_size is not None:
        target = min(target, session.grid_size)
    pool = LocalWorkers(name, storage, workers, timeout, data_dir, verbose,
                        echo=lambda i, line: console.print(f"[dim]worker {i}:[/] {escape(line)}", highlight=False))
    try:
        with StudyProgress(name, target, timeout, console=console, follow_target=True) as bar:
            outcome = supervise(session, pool, target, on_poll=bar.update)
    except KeyboardInterrupt:
        console.print(f"[yellow]interrupted[/]: workers stopped, finished trials are saved; continue with "
                      f"`dse resume {name} --storage {escape(storage)}` or `dse worker {name} --storage {escape(storage)}`", soft_wrap=True)
        raise typer.Exit(code=130) from None
    except DseError as exc:
        fail(exc)
        return
    print_pareto(session.study)
    failed = outcome.failed_workers()
    if failed:
        fail(DseError(f"{len(failed)} of {workers} workers failed: {outcome.failures()}; "
                      f"{completed_count(outcome.counts)}/{target} completed trials; continue with "
                      f"`dse worker {name} --storage {storage}`"))


@app.command()
def worker(
    name: Annotated[str, typer.Argument(help="Study name (created before by `dse launch`).")],
    storage: StorageOpt = None,
    timeout: TimeoutOpt = None,
    data_dir: DataDirOpt = None,
    threads: Annotated[int | None, typer.Option("--threads", min=1, help="CPU threads for training.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    index: Annotated[int | None, typer.Option("--index", min=0, hidden=True)] = None,
    verbose: VerboseOpt = False,
) -> None:
    """Join a study from its database and run trials until all workers together reach its target."""
    from dse.console import console
    from dse.study._progress import StudyProgress
    from dse.study._workers import join_study, required_target, run_worker

    from dse.study._retrain_run import is_companion, join_retrain

    url = storage or f"sqlite:///studies/{name}.db"
    try:
        join = join_retrain if is_companion(name, url) else join_study  # NAME.retrain: `dse retrain` runs
        session = join(name, url, data_dir=data_dir, quiet=not verbose, threads=threads, index=index)
        target = required_target(session.study)
        with StudyProgress(name, target, timeout, console=console, enabled=not quiet, follow_target=True) as bar:
            outcome = run_worker(session, timeout, on_trial=bar.update)
    except KeyboardInterrupt:
        console.print("[yellow]worker interrupted[/]: its running trial was marked failed; finished trials are kept")
        raise typer.Exit(code=130) from None
    except DseError as exc:
        fail(exc)
        return
    if outcome.stopped_by == "fruitless":
        fail(fruitless(session.study, name))
    if not quiet:
        from dse.study._runner import completed_count

        ran = len(session.objective.timings)
        reason = {"target": "target reached", "timeout": "time limit reached", "grid": "grid exhausted"}
        console.print(f"{name}: {reason.get(outcome.stopped_by, outcome.stopped_by)}, "
                      f"{completed_count(outcome.counts)}/{target} completed trials; this worker ran {ran}")


@app.command()
def resume(
    name: Annotated[str, typer.Argument(help="Study name.")],
    storage: StorageOpt = None,
    trials: TrialsOpt = None,
    timeout: TimeoutOpt = None,
    data_dir: DataDirOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Continue a study using only what its database stores (no YAML files needed)."""
    from dse.study._runner import stored_target
    from dse.study._session import reopen

    try:
        session = reopen(name, storage or f"sqlite:///studies/{name}.db", data_dir=data_dir, quiet=not verbose)
    except DseError as exc:
        fail(exc)
        return
    _run_session(session, trials or stored_target(session.study), timeout, verbose)

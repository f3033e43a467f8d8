"""A Rich progress bar for a running study: completed / pruned / failed / running trials, Pareto set
size, elapsed and remaining time."""

from __future__ import annotations

import time
from collections import Counter

import numpy as np
import optuna
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dse.study._records import TrialRecord
from dse.study._pareto import pareto_mask, to_loss
from dse.study._runner import COUNTED, completed_count, stored_target, trial_status


def pareto_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """Completed, feasible, trained trials on the Pareto front (infeasible/pruned never are)."""
    trials = [
        t for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if trial_status(t) in COUNTED and t.values is not None
    ]
    if not trials:
        return []
    directions = [d.name.lower() for d in study.directions]
    mask = pareto_mask(to_loss(np.array([t.values for t in trials], dtype=float), directions))
    return [t for t, keep in zip(trials, mask) if keep]


def pareto_records(records: list[TrialRecord], directions: list[str]) -> list[TrialRecord]:
    """The records of the Pareto front (completed, feasible, trained), by size then trial number."""
    done = [r for r in records if r.status in COUNTED and r.values is not None and len(r.values) == len(directions)]
    if not done:
        return []
    mask = pareto_mask(to_loss(np.array([r.values for r in done], dtype=float), directions))
    return sorted((r for r, keep in zip(done, mask) if keep), key=lambda r: (r.params_count or 0, r.number))


def _fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-:--:--"
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class StudyProgress:
    """Use as ``with StudyProgress(name, target, timeout) as p: session.run(..., on_trial=p.update)``.

    ``follow_target`` (workers): the bar's total follows the study's stored target, which
    ``dse resume NAME --trials N`` may change while the workers run.
    """

    def __init__(self, name: str, target: int, timeout: float | None = None, console: Console | None = None,
                 enabled: bool = True, follow_target: bool = False) -> None:
        self.target, self.timeout, self.follow_target = target, timeout, follow_target
        self.start = time.monotonic()
        self.first_done: int | None = None
        self.progress = Progress(
            TextColumn(f"[bold]{escape(name)}[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            TextColumn("left {task.fields[left]}"),
            console=console,
            disable=not enabled,
            transient=False,
        )
        self.task = self.progress.add_task("trials", total=target, stats="", left="-:--:--")

    def __enter__(self) -> StudyProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, study: optuna.Study, counts: Counter) -> None:
        if self.follow_target:
            stored = stored_target(study)
            if stored is not None and stored != self.target:
                self.target = stored
                self.progress.update(self.task, total=stored)
        done = completed_count(counts)
        if self.first_done is None:
            self.first_done = done
        elapsed = time.monotonic() - self.start
        new = done - self.first_done
        left: float | None = None
        if new > 0:
            left = elapsed / new * max(0, self.target - done)
        if self.timeout is not None:
            left = min(left if left is not None else self.timeout, self.timeout - elapsed)
        front = len(pareto_trials(study)) if done else 0
        stats = (
            f"[green]{done} done[/] [yellow]{counts['pruned']} pruned[/] [red]{counts['failed'] + counts['diverged'] + counts['oom'] + counts['invalid']} failed[/]"
            f" [magenta]{counts['infeasible']} infeasible[/] [cyan]{counts['running']} running[/] | front {front}"
        )
        self.progress.update(self.task, completed=min(done, self.target), stats=stats, left=_fmt_seconds(left))

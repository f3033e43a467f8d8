"""Parameter importance for accuracy and for the cost objective, from Optuna's public
``optuna.importance`` evaluators (PED-ANOVA: no scikit-learn needed, fast on thousands of trials).

The trials are copied into an in-memory Optuna study (``optuna.trial.create_trial``) with
distributions taken from the values seen, so the dashboard never writes to the user's storage.
Accuracy uses complete, feasible trials; the cost uses every trial whose cost is known (costs are
analytic, so infeasible and pruned trials count too).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import optuna
import plotly.graph_objects as go
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution

from dse.dashboard.data import accuracy_metric, direction, eligible, title
from dse.dashboard.design import category_text, is_number
from dse.dashboard.design_figures import LAYOUT, esc
from dse.study._records import StudyInfo, TrialRecord

MIN_TRIALS = 8  # fewer trials give importances that are mostly noise


@dataclass(frozen=True)
class Importance:
    parameters: list[str]  # by decreasing importance for the first target
    targets: list[str]  # metric names ("val_acc", "params", ...)
    values: dict[str, list[float]] = field(default_factory=dict)  # target -> importance per parameter (sum 1)
    counts: dict[str, int] = field(default_factory=dict)  # target -> trials used


def _distributions(rows: Sequence[TrialRecord], names: Sequence[str]) -> dict[str, BaseDistribution]:
    out: dict[str, BaseDistribution] = {}
    for name in names:
        values = [r.params[name] for r in rows if name in r.params]
        if not values:
            continue
        if all(is_number(v) for v in values):
            lo, hi = float(min(values)), float(max(values))
            if hi > lo:
                out[name] = FloatDistribution(lo, hi)
        else:
            choices = sorted({category_text(v) for v in values})
            if len(choices) > 1:
                out[name] = CategoricalDistribution(choices)
    return out


def _importance(rows: Sequence[TrialRecord], metric: str, dirn: str, names: Sequence[str]) -> dict[str, float]:
    dists = _distributions(rows, names)
    if not dists:
        return {}
    trials = []
    for r in rows:
        value = r.metric(metric)
        if value is None or not math.isfinite(value) or any(n not in r.params for n in dists):
            continue
        params: dict[str, Any] = {n: float(r.params[n]) if isinstance(d, FloatDistribution) else category_text(r.params[n])
                                  for n, d in dists.items()}
        trials.append(optuna.trial.create_trial(params=params, distributions=dists, value=value))
    if len(trials) < MIN_TRIALS:
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # experimental-feature and small-sample warnings
        study = optuna.create_study(direction=dirn)
        study.add_trials(trials)
        return optuna.importance.get_param_importances(study, evaluator=optuna.importance.PedAnovaImportanceEvaluator())


def importance_data(records: Sequence[TrialRecord], info: StudyInfo, cost: str | None,
                    parameters: Sequence[str]) -> Importance:
    """Importance of each searched parameter for accuracy and for ``cost`` (empty with too few trials)."""
    acc = accuracy_metric(info, records)
    ok = eligible(records)
    targets = {acc: [r for r, good in zip(records, ok) if good]}
    if cost:
        targets[cost] = [r for r in records if r.metric(cost) is not None and r.state in ("COMPLETE", "PRUNED")]
    values: dict[str, dict[str, float]] = {}
    counts: dict[str, int] = {}
    logging_level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        for metric, rows in targets.items():
            got = _importance(rows, metric, direction(info, metric), parameters)
            if got:
                values[metric], counts[metric] = got, len(rows)
    finally:
        optuna.logging.set_verbosity(logging_level)
    if not values:
        return Importance([], [])
    first = next(iter(values.values()))
    order = sorted(first, key=lambda p: -first[p])
    order += sorted({p for v in values.values() for p in v} - set(order))
    return Importance(order, list(values), {m: [float(v.get(p, 0.0)) for p in order] for m, v in values.items()}, counts)


def importance_figure(data: Importance) -> go.Figure:
    """Horizontal bars: each parameter's importance for accuracy and for the cost, side by side."""
    fig = go.Figure()
    colours = ["#2563eb", "#dc2626", "#059669"]
    for i, metric in enumerate(data.targets):
        fig.add_trace(go.Bar(y=[esc(p) for p in data.parameters], x=data.values[metric], orientation="h",
                             name=f"{esc(title(metric))} ({data.counts.get(metric, 0)} trials)", marker_color=colours[i % 3],
                             hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    fig.update_layout(title="parameter importance (PED-ANOVA, Optuna)", barmode="group",
                      xaxis={"title": "importance (sums to 1 per objective)", "range": [0, 1]},
                      yaxis={"autorange": "reversed"}, legend={"orientation": "h", "y": -0.25}, **LAYOUT)
    return fig

"""Figures of a confirmed front (``dse retrain``): retrained accuracy with error bars beside the brief
one, and a brief-versus-retrained scatter with Spearman's rho and Kendall's tau. Used by the study
page (``register``) and the report (``report_html``); the data comes from ``dse.study._confirm``."""

from __future__ import annotations

import html as _html
from typing import Any

import plotly.graph_objects as go

from dse.study._confirm import Confirmation, confirmation


def _cost_title(name: str) -> str:
    from dse.study.attrs import METRICS

    return METRICS.get(name, (None, None, name))[2]


def _pct(values: list[float | None]) -> list[float | None]:
    return [None if v is None else 100 * v for v in values]


def front_figure(conf: Confirmation) -> go.Figure:
    """Accuracy against the first cost: brief (search) accuracy, and retrained mean ± std (error
    bars, test accuracy in the hover); circled: on the confirmed front."""
    cands = conf.retrained
    cost = conf.cost_names[0] if conf.cost_names else "cost"
    x = [c.costs[0] if c.costs else None for c in cands]
    hover = [f"trial {c.trial}<br>{_html.escape(c.label)}<br>seeds {c.seeds}<br>test "
             f"{'-' if c.test_acc_mean is None else f'{100 * c.test_acc_mean:.2f}%'}" for c in cands]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=_pct([c.brief_val_acc for c in cands]), mode="markers", name="brief (search)",
                             marker={"symbol": "circle-open", "size": 9, "color": "#888"}, text=hover,
                             hovertemplate="%{text}<br>brief %{y:.2f}%<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=x, y=_pct([c.val_acc_mean for c in cands]), mode="markers", name="retrained (mean ± std)",
        error_y={"type": "data", "array": _pct([c.val_acc_std or 0.0 for c in cands]), "visible": True},
        marker={"size": [13 if c.on_confirmed_front else 8 for c in cands], "color": "#1f77b4",
                "line": {"width": [2 if c.on_confirmed_front else 0 for c in cands], "color": "#d62728"}},
        text=hover, hovertemplate="%{text}<br>retrained %{y:.2f}%<extra></extra>"))
    front = sorted((c for c in cands if c.on_confirmed_front), key=lambda c: c.costs)
    fig.add_trace(go.Scatter(x=[c.costs[0] for c in front], y=_pct([c.val_acc_mean for c in front]),
                             mode="lines", line={"shape": "hv", "color": "#d62728"}, name="confirmed front",
                             hoverinfo="skip"))
    fig.update_layout(title=f"Confirmed front of {conf.study}", xaxis_title=_cost_title(cost), xaxis_type="log",
                      yaxis_title="validation accuracy (%)", template="plotly_white")
    return fig


def scatter_figure(conf: Confirmation) -> go.Figure:
    """Brief against retrained validation accuracy, one point per candidate, with rho and tau."""
    cands = conf.retrained
    rho = "n/a" if conf.spearman is None else f"{conf.spearman:+.2f}"
    tau = "n/a" if conf.kendall is None else f"{conf.kendall:+.2f}"
    fig = go.Figure(go.Scatter(
        x=_pct([c.brief_val_acc for c in cands]), y=_pct([c.val_acc_mean for c in cands]), mode="markers+text",
        text=[str(c.trial) for c in cands], textposition="top center",
        error_y={"type": "data", "array": _pct([c.val_acc_std or 0.0 for c in cands]), "visible": True},
        marker={"color": ["#d62728" if c.on_brief_front and not c.on_confirmed_front else "#1f77b4" for c in cands]},
        hovertemplate="trial %{text}<br>brief %{x:.2f}%<br>retrained %{y:.2f}%<extra></extra>", showlegend=False))
    fig.update_layout(title=f"Brief vs retrained accuracy ({len(cands)} candidates): Spearman rho {rho}, "
                            f"Kendall tau {tau}; red: dropped off the front",
                      xaxis_title="brief validation accuracy (%)", yaxis_title="retrained validation accuracy (%)",
                      template="plotly_white")
    return fig


def figures_for(storage_url: str, name: str) -> list[go.Figure]:
    """The two figures when study ``name`` has retrain runs, else none."""
    try:
        conf = confirmation(storage_url, name)
    except Exception:  # noqa: BLE001 - a page without a companion study simply has no confirmed section
        return []
    if conf is None or not conf.retrained:
        return []
    return [front_figure(conf), scatter_figure(conf)]


def report_html(storage_url: str, name: str) -> str:
    """The report's "Confirmed front" section (empty when the study has no retrain runs)."""
    figs = figures_for(storage_url, name)
    if not figs:
        return ""
    parts = ['<h2 id="confirmed-front">Confirmed front (dse retrain)</h2>']
    for i, fig in enumerate(figs):
        parts.append(f'<div class="fig">{fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"confirmed-{i}", default_height=480)}</div>')
    return "\n".join(parts)


def register(app: Any, storage_url: str) -> None:
    """Fill the study page's ``extra-sections`` block on each refresh."""
    from dash import Input, Output, State, dcc, html

    @app.callback(Output("extra-sections", "children"), Input("sections-go", "data"), Input("refresh", "n_intervals"),
                  State("study-name", "data"), prevent_initial_call=True)  # after the Pareto plot, then on each refresh
    def confirmed(_go: str | None, _tick: int | None, name: str) -> Any:
        figs = figures_for(storage_url, name)
        if not figs:
            return []
        return [html.H3("Confirmed front (dse retrain)"),
                *[dcc.Graph(figure=fig, style={"height": "460px"}) for fig in figs]]

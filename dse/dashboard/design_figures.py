"""Figures of the design space and of one network: shape plots (box + jittered trials + best
accuracy), the per-module cost breakdown, the learning curve (plain data in, ``go.Figure`` out).

Shape plots put every group at a numeric position (a category's index, a value, a bin centre) and
draw, in that one order: a box of the accuracies (quartiles computed here from all trials), the
trials as jittered dots (an even sample above ``MAX_SHAPE_POINTS``; WebGL above
``WEBGL_POINTS``), the best accuracy per group as a line, and the median model size on a log
right axis with round ticks. Dot size and opacity shrink as trials grow (``point_style``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dse.dashboard.data import title
from dse.dashboard.design import Breakdown, ShapeSeries
from dse.dashboard.ticks import linear_ticks, log_ticks, si

LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 60, "t": 50, "b": 50},
          "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"}}
ACCENT, SIZE_COLOUR = "#2563eb", "#dc2626"
PART_COLOURS = {"conv": "#636efa", "squeeze": "#ef553b", "expand1x1": "#00cc96", "expand3x3": "#ab63fa",
                "bypass": "#ffa15a", "pool": "#19d3f3"}
MAX_SHAPE_POINTS = 800
WEBGL_POINTS = 1000


def esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def point_style(n: int) -> dict[str, float]:
    """Dot size, opacity and jitter (a fraction of the gap between groups) for ``n`` trials: big and
    solid for a handful of trials, small, faint and spread out for thousands (finding 8)."""
    if n <= 60:
        return {"size": 8.0, "opacity": 0.85, "jitter": 0.25}
    if n <= 600:
        return {"size": 5.0, "opacity": 0.5, "jitter": 0.3}
    return {"size": 3.0, "opacity": 0.22, "jitter": 0.38}


def _positions(series: ShapeSeries) -> tuple[list[float], float]:
    """Numeric x of each group (in ``series.categories`` order) and the gap between neighbours."""
    if not series.numeric:
        return [float(i) for i in range(len(series.groups))], 1.0
    pos = [float(v) for v in series.categories]
    if series.bin_width:
        return pos, float(series.bin_width)
    gaps = np.diff(sorted(pos))
    return pos, float(gaps.min()) if len(gaps) else max(abs(pos[0]) * 0.5, 1.0) if pos else 1.0


def shape_axis(series: ShapeSeries) -> dict[str, Any]:
    """The x-axis of a shape plot: the categories in group order, the distinct values, or round ticks."""
    pos, gap = _positions(series)
    if not series.numeric:
        return {"tickvals": pos, "ticktext": [esc(c) for c in series.categories], "range": [-0.6, len(pos) - 0.4]}
    if series.bin_width:
        ticks = linear_ticks(min(series.x), max(series.x))
        if series.integer:
            ticks = [t for t in ticks if float(t).is_integer()]
    else:
        ticks = pos
    return {"tickvals": ticks, "ticktext": [f"{t:g}" for t in ticks],
            "range": [min(pos) - 0.6 * gap, max(pos) + 0.6 * gap] if pos else None}


def shape_figure(series: ShapeSeries) -> go.Figure:
    """One parameter versus accuracy (left) and median model size (right), SqueezeNet Fig. 3 style."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    pos, gap = _positions(series)
    where = {key: p for key, p in zip(series.categories, pos)}
    style = point_style(len(series.acc))
    rng = np.random.default_rng(0)
    idx = np.arange(len(series.acc))
    if len(idx) > MAX_SHAPE_POINTS:
        idx = np.sort(rng.choice(idx, MAX_SHAPE_POINTS, replace=False))
    x = np.array([where[series.keys[i]] for i in idx]) + rng.uniform(-1, 1, len(idx)) * style["jitter"] * gap
    g = series.groups
    fig.add_trace(go.Box(x=pos, q1=[v.q1_acc for v in g], median=[v.median_acc for v in g], q3=[v.q3_acc for v in g],
                         lowerfence=[v.low_acc for v in g], upperfence=[v.high_acc for v in g], width=0.7 * gap,
                         name="accuracy spread", marker_color=ACCENT, fillcolor="rgba(37,99,235,0.08)",
                         line={"width": 1}, hoverinfo="skip", uid="box"), secondary_y=False)
    scatter = go.Scattergl if len(idx) > WEBGL_POINTS else go.Scatter
    fig.add_trace(scatter(
        x=np.round(x, 4).tolist(), y=[round(series.acc[i], 5) for i in idx], mode="markers", uid="trials",
        name=f"trials ({len(series.acc)}{', sample shown' if len(idx) < len(series.acc) else ''})",
        customdata=[series.numbers[i] for i in idx],
        marker={"size": style["size"], "opacity": style["opacity"], "color": ACCENT, "line": {"width": 0}},
        hovertemplate="trial %{customdata}<br>accuracy %{y:.4f}<extra></extra>",
    ), secondary_y=False)
    fig.add_trace(go.Scatter(x=pos, y=[v.best_acc for v in g], mode="lines+markers", name="best accuracy", uid="best",
                             line={"color": "#1e3a8a", "width": 2}, customdata=[v.n for v in g],
                             hovertemplate="best accuracy %{y:.4f}<br>%{customdata} trials<extra></extra>"), secondary_y=False)
    sizes = [v.median_size for v in g]
    fig.add_trace(go.Scatter(x=pos, y=sizes, mode="lines+markers", name=f"median {esc(title(series.size_metric))}",
                             line={"color": SIZE_COLOUR, "dash": "dash"}, uid="size",
                             hovertemplate="median %{y:,.0f}<extra></extra>"), secondary_y=True)
    fig.update_xaxes(title_text=esc(series.parameter), tickmode="array", **shape_axis(series))
    fig.update_yaxes(title_text="accuracy", secondary_y=False)
    size_axis: dict[str, Any] = {"title_text": esc(title(series.size_metric)), "showgrid": False}
    if sizes and min(sizes) > 0:
        ticks = log_ticks(min(sizes), max(sizes))
        size_axis.update(type="log", tickmode="array", tickvals=ticks, ticktext=[si(t) for t in ticks])
    fig.update_yaxes(secondary_y=True, **size_axis)
    fig.update_layout(title=f"design-space shape: {esc(series.parameter)}", legend={"orientation": "h", "y": -0.25},
                      **LAYOUT)
    return fig


def breakdown_figure(data: Breakdown, *, label: str = "") -> go.Figure:
    """Stacked bars of parameters and MACs per module (stem, fire2..fire9, classifier) and part."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(f"parameters ({data.total_params:,})", f"MACs ({data.total_macs:,})"))
    for part in data.parts:
        colour = PART_COLOURS.get(part, "#888888")
        for col, values in ((1, data.params[part]), (2, data.macs[part])):
            fig.add_trace(go.Bar(x=data.groups, y=values, name=part, legendgroup=part, showlegend=col == 1,
                                 marker_color=colour), row=1, col=col)
    fig.update_layout(barmode="stack", title=esc(label) if label else "cost breakdown", **LAYOUT)
    fig.update_layout(margin={"l": 50, "r": 10, "t": 60, "b": 40}, legend={"orientation": "h", "y": -0.15})
    return fig


def learning_curve_figure(curve: Sequence[float], *, label: str = "", reported: str = "validation accuracy") -> go.Figure:
    """Accuracy per epoch, with axes that fit the data even for a single epoch (finding 5): epochs
    from 0.5 to n + 0.5 with whole-number ticks, accuracy padded around the values inside [0, 1]."""
    epochs = list(range(1, len(curve) + 1))
    fig = go.Figure(go.Scatter(x=epochs, y=list(curve), mode="lines+markers", name=reported, line={"color": ACCENT}))
    step = max(1, len(epochs) // 10)
    xaxis = {"title": "epoch", "range": [0.5, len(epochs) + 0.5], "tickmode": "array", "tickvals": epochs[::step]}
    yaxis: dict[str, Any] = {"title": reported}
    if curve:
        lo, hi = min(curve), max(curve)
        pad = max(0.02, 0.1 * (hi - lo))
        if 0.0 <= lo and hi <= 1.0:
            yaxis["range"] = [max(0.0, lo - pad), min(1.0, hi + pad)]
        else:
            yaxis["range"] = [lo - pad * max(1.0, abs(lo)), hi + pad * max(1.0, abs(hi))]
    fig.update_layout(title=f"learning curve {esc(label)}".strip(), xaxis=xaxis, yaxis=yaxis, **LAYOUT)
    fig.update_layout(margin={"l": 50, "r": 10, "t": 50, "b": 40})
    return fig

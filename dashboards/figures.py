"""Plotly figures drawn from the plain data of ``dashboards.data`` and ``dashboards.design``.

Every builder takes data and returns a ``go.Figure``; nothing here reads storage. User-provided
strings (architecture labels, study names, categories) are HTML-escaped before they reach a
figure, because Plotly renders a subset of HTML in titles and hover text. Point traces carry
the trial number in ``customdata[0]`` so a click can open that trial. Above
``WEBGL_THRESHOLD`` points a trace is drawn with WebGL (``Scattergl``) to stay fast.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboards.data import (
    CompareData,
    HypervolumeHistory,
    ParetoData,
    PointSet,
    ThreeObjectiveData,
    title,
)
from dashboards.design import Breakdown, ShapeSeries

WEBGL_THRESHOLD = 2000
STYLE = {  # kind -> (colour, marker symbol, size, opacity, legend name)
    "front": ("#1f77b4", "circle", 9, 1.0, "Pareto front"),
    "dominated": ("#9aa5b1", "circle", 6, 0.6, "dominated"),
    "infeasible": ("#d62728", "x", 7, 0.7, "infeasible (violates a constraint)"),
    "pruned": ("#ff7f0e", "circle-open", 6, 0.6, "pruned (last reported accuracy)"),
}
PART_COLOURS = {"conv": "#636efa", "squeeze": "#ef553b", "expand1x1": "#00cc96", "expand3x3": "#ab63fa",
                "bypass": "#ffa15a", "pool": "#19d3f3"}
LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 50, "b": 50}}


def esc(text: object) -> str:
    """Text for a Plotly title, label or hover: HTML special characters escaped."""
    return html.escape(str(text), quote=False)


def _fmt(metric: str) -> str:
    return ":.4f" if metric in ("val_acc",) else ":,.0f" if metric in ("params", "macs", "size_bytes") else ":.4g"


def _hover_text(points: PointSet) -> list[str]:
    """Each point's escaped label and its other cost metrics (one line)."""
    names = {m: title(m) for m in points.extra}
    out = []
    for i, label in enumerate(points.labels):
        costs = " | ".join(f"{names[m]} {v[i]:,.0f}" for m, v in points.extra.items() if v[i] is not None)
        out.append(f"{esc(label)}<br>{costs}" if costs else esc(label))
    return out


def pareto_figure(data: ParetoData, *, log_x: bool = True, study: str = "") -> go.Figure:
    """Accuracy versus a cost: front (with its staircase), dominated, infeasible and pruned trials."""
    fig = go.Figure()
    total = sum(len(s.numbers) for s in data.sets.values())
    scatter = go.Scattergl if total > WEBGL_THRESHOLD else go.Scatter
    hover = ("%{text}<br>trial %{customdata[0]} (%{customdata[1]})<br>"
             f"{esc(data.y_title)}: %{{y{_fmt(data.y_metric)}}}<br>{esc(data.x_title)}: %{{x{_fmt(data.x_metric)}}}<extra></extra>")
    if data.step_x:
        fig.add_trace(go.Scatter(x=data.step_x, y=data.step_y, mode="lines", line={"shape": "hv", "color": STYLE["front"][0]},
                                 name="front (staircase)", hoverinfo="skip", showlegend=False, uid="front-step"))
    for kind in ("dominated", "pruned", "infeasible", "front"):
        points = data.sets[kind]
        colour, symbol, size, opacity, name = STYLE[kind]
        strip = {"yaxis": "y2"} if kind == "infeasible" else {}  # never trained: a strip below, not "accuracy 0"
        fig.add_trace(scatter(  # our own well-typed data: skip Plotly's per-element validation (2x faster)
            x=points.x, y=points.y, mode="markers", name=f"{name} ({len(points.numbers)})", uid=kind, **strip,
            marker={"color": colour, "symbol": symbol, "size": size, "opacity": opacity},
            text=_hover_text(points), customdata=[[n, s] for n, s in zip(points.numbers, points.statuses)],
            hovertemplate=hover, _validate=False,
        ))
    head = f"{esc(study)}: " if study else ""
    fig.update_layout(title=f"{head}{esc(data.y_title)} vs {esc(data.x_title)} (hypervolume {data.hypervolume:.4g})",
                      xaxis={"title": esc(data.x_title), "anchor": "y2"}, yaxis={"title": esc(data.y_title), "domain": [0.14, 1.0]},
                      yaxis2={"domain": [0.0, 0.08], "showticklabels": False, "title": {"text": "infeasible", "font": {"size": 10}},
                              "showgrid": False, "zeroline": False},
                      clickmode="event", legend={"orientation": "h", "y": -0.2}, **LAYOUT)
    if log_x and all(v > 0 for s in data.sets.values() for v in s.x):
        fig.update_xaxes(type="log")
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
    return fig


def learning_curve_figure(curve: Sequence[float], *, label: str = "", reported: str = "validation accuracy") -> go.Figure:
    fig = go.Figure(go.Scatter(x=list(range(1, len(curve) + 1)), y=list(curve), mode="lines+markers", name=reported))
    fig.update_layout(title=f"learning curve {esc(label)}".strip(), xaxis={"title": "epoch", "dtick": 1},
                      yaxis_title=reported, **LAYOUT)
    return fig


def hypervolume_figure(data: HypervolumeHistory) -> go.Figure:
    """Normalised hypervolume over trial number and over wall-clock time (staircases)."""
    ref = ", ".join(f"{esc(title(n))} {v:.4g}" for n, v in zip(data.objectives, data.reference))
    fig = make_subplots(rows=1, cols=2, subplot_titles=("by trial number", "by completion time"))
    fig.add_trace(go.Scatter(x=data.numbers, y=data.normalized(data.by_number), mode="lines", line={"shape": "hv"},
                             name="by trial number", customdata=data.by_number,
                             hovertemplate="trial %{x}<br>normalised %{y:.4f}<br>hypervolume %{customdata:.4g}<extra></extra>"),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=data.times, y=data.normalized(data.by_time), mode="lines", line={"shape": "hv"},
                             name="by time", customdata=data.by_time,
                             hovertemplate="%{x}<br>normalised %{y:.4f}<br>hypervolume %{customdata:.4g}<extra></extra>"),
                  row=1, col=2)
    fig.update_yaxes(title_text="hypervolume / ideal box", row=1, col=1)
    fig.update_layout(title=f"hypervolume (reference point: {ref})", showlegend=False, **LAYOUT)
    return fig


def shape_figure(series: ShapeSeries) -> go.Figure:
    """One parameter versus accuracy (left axis) and model size (right axis), SqueezeNet Fig. 3 style."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = series.x if series.numeric else [esc(v) for v in series.x]
    keys = [g.value if series.numeric else esc(g.value) for g in series.groups]
    fig.add_trace(go.Scatter(x=x, y=series.acc, mode="markers", name="accuracy (each trial)", customdata=series.numbers,
                             marker={"size": 5, "opacity": 0.35, "color": "#1f77b4"},
                             hovertemplate="trial %{customdata}<br>%{x}<br>accuracy %{y:.4f}<extra></extra>"),
                  secondary_y=False)
    fig.add_trace(go.Scatter(x=keys, y=[g.best_acc for g in series.groups], mode="lines+markers", name="best accuracy",
                             line={"color": "#1f77b4"}), secondary_y=False)
    fig.add_trace(go.Scatter(x=keys, y=[g.median_size for g in series.groups], mode="lines+markers",
                             name=f"median {esc(title(series.size_metric))}", line={"color": "#d62728", "dash": "dash"}),
                  secondary_y=True)
    fig.update_xaxes(title_text=esc(series.parameter), type=None if series.numeric else "category")
    fig.update_yaxes(title_text="accuracy", secondary_y=False)
    fig.update_yaxes(title_text=esc(title(series.size_metric)), secondary_y=True)
    fig.update_layout(title=f"design-space shape: {esc(series.parameter)}", legend={"orientation": "h", "y": -0.25}, **LAYOUT)
    return fig


def three_objective_figure(data: ThreeObjectiveData) -> go.Figure:
    fig = go.Figure()
    for on, name, colour, size in ((False, "dominated", "#9aa5b1", 3), (True, "Pareto front", "#1f77b4", 5)):
        idx = [i for i, f in enumerate(data.on_front) if f == on]
        fig.add_trace(go.Scatter3d(
            x=[data.points[i][1] for i in idx], y=[data.points[i][2] for i in idx], z=[data.points[i][0] for i in idx],
            mode="markers", name=f"{name} ({len(idx)})", marker={"size": size, "color": colour},
            text=[esc(data.labels[i]) for i in idx], customdata=[data.numbers[i] for i in idx],
            hovertemplate="%{text}<br>trial %{customdata}<extra></extra>"))
    fig.update_layout(title="three objectives", scene={"xaxis_title": esc(data.titles[1]), "yaxis_title": esc(data.titles[2]),
                                                      "zaxis_title": esc(data.titles[0])}, **LAYOUT)
    return fig


def compare_figure(data: CompareData, *, log_x: bool = True) -> go.Figure:
    """Several studies' fronts on one plot; the legend gives each study's hypervolume."""
    fig = go.Figure()
    for front in data.fronts:
        fig.add_trace(go.Scatter(
            x=front.x, y=front.y, mode="lines+markers", line={"shape": "hv"}, uid=f"compare-{front.study}",
            name=f"{esc(front.study)} (hypervolume {front.hypervolume:.4g})", text=[esc(s) for s in front.labels],
            customdata=front.numbers, hovertemplate="%{text}<br>trial %{customdata}<br>%{y:.4f} at %{x:,.0f}<extra></extra>"))
    fig.update_layout(title=f"Pareto fronts compared (reference: accuracy {data.reference[0]:g}, "
                            f"{esc(data.x_title)} {data.reference[1]:.4g})",
                      xaxis_title=esc(data.x_title), yaxis_title=esc(data.y_title), **LAYOUT)
    if log_x and all(v > 0 for f in data.fronts for v in f.x):
        fig.update_xaxes(type="log")
    return fig

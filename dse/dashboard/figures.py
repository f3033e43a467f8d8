"""Plotly figures drawn from the plain data of ``dse.dashboard.data`` and ``dse.dashboard.design``.

Every builder takes data and returns a ``go.Figure``; nothing here reads storage. User-provided
strings (architecture labels, study names, categories) are HTML-escaped before they reach a
figure, because Plotly renders a subset of HTML in titles and hover text. Point traces carry
the trial number in ``customdata[0]`` so a click can open that trial. Above
``WEBGL_THRESHOLD`` points a trace is drawn with WebGL (``Scattergl``) to stay fast.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dse.dashboard.data import (
    CompareData,
    HypervolumeHistory,
    ParetoData,
    PointSet,
    ThreeObjectiveData,
    title,
)
from dse.dashboard.design_figures import breakdown_figure, learning_curve_figure, shape_figure  # noqa: F401 (re-exported)
from dse.dashboard.design_figures import LAYOUT
from dse.dashboard.ticks import log_ticks, si

# SVG up to here: in headless Chromium on 2 cores a cold 2,000-point Pareto plot draws in about 0.5 s
# as SVG and 1.0 s with WebGL (its context set-up dominates); above it WebGL keeps pan and hover fluid
WEBGL_THRESHOLD = 4000
LABELLED_DOMINATED = 500
STYLE = {  # kind -> (colour, marker symbol, size, opacity, legend name)
    "front": ("#1f77b4", "circle", 9, 1.0, "Pareto front"),
    "dominated": ("#9aa5b1", "circle", 6, 0.6, "dominated"),
    "infeasible": ("#d62728", "x", 7, 0.7, "infeasible (violates a constraint)"),
    "pruned": ("#ff7f0e", "circle-open", 6, 0.6, "pruned (last reported accuracy)"),
}


def esc(text: object) -> str:
    """Text for a Plotly title, label or hover: HTML special characters escaped."""
    return html.escape(str(text), quote=False)


def _fmt(metric: str) -> str:
    return ":.4f" if metric in ("val_acc",) else ":,.0f" if metric in ("params", "macs", "size_bytes") else ":.4g"


def _hover_text(points: PointSet) -> list[str]:
    """Each point's escaped architecture label (the other costs are in the table and the drawer)."""
    return [esc(label) for label in points.labels]


def _labels(points: PointSet, kind: str, hover: str) -> dict[str, Any]:
    """Hover labels; big clouds of dominated, pruned or infeasible trials go without them (most of
    the bytes of a big study's plot); the front always has them."""
    if kind != "front" and len(points.numbers) > LABELLED_DOMINATED:
        return {"hovertemplate": hover.replace("%{text}<br>", "")}
    return {"text": _hover_text(points), "hovertemplate": hover}


def _steps(x: Sequence[Any], y: Sequence[float]) -> tuple[list[Any], list[float]]:
    """A staircase reduced to the points where it changes, plus its last point (same drawing, far
    fewer points: a hypervolume history of 10,000 trials changes a few hundred times)."""
    keep = [i for i in range(len(y)) if i == 0 or i == len(y) - 1 or y[i] != y[i - 1]]
    return [x[i] for i in keep], [round(float(y[i]), 5) for i in keep]


def pareto_figure(data: ParetoData, *, log_x: bool = True, study: str = "") -> go.Figure:
    """Accuracy versus a cost: front (with its staircase), dominated, infeasible and pruned trials."""
    fig = go.Figure()
    total = sum(len(s.numbers) for s in data.sets.values())
    scatter = go.Scattergl if total > WEBGL_THRESHOLD else go.Scatter
    strip_hover = ("%{text}<br>trial %{customdata[0]} (%{customdata[1]}): never trained<br>"
                   f"{esc(data.x_title)}: %{{x{_fmt(data.x_metric)}}}<extra></extra>")
    hover = ("%{text}<br>trial %{customdata[0]} (%{customdata[1]})<br>"
             f"{esc(data.y_title)}: %{{y{_fmt(data.y_metric)}}}<br>{esc(data.x_title)}: %{{x{_fmt(data.x_metric)}}}<extra></extra>")
    if data.step_x:
        fig.add_trace(go.Scatter(x=data.step_x, y=data.step_y, mode="lines", line={"shape": "hv", "color": STYLE["front"][0]},
                                 name="front (staircase)", hoverinfo="skip", showlegend=False, uid="front-step"))
    for kind in ("dominated", "pruned", "infeasible", "front"):
        points = data.sets[kind]
        colour, symbol, size, opacity, name = STYLE[kind]
        strip = {"yaxis": "y2"} if kind == "infeasible" else {}  # never trained: a strip below, not "accuracy 0"
        count = f"{len(points.numbers)} of {len(points.numbers) + data.n_hidden} shown" if kind == "dominated" and data.n_hidden \
            else f"{len(points.numbers)}"
        fig.add_trace(scatter(  # our own well-typed data: skip Plotly's per-element validation (2x faster)
            x=points.x, y=[0.0] * len(points.y) if strip else [round(v, 5) for v in points.y], mode="markers",
            name=f"{name} ({count})", uid=kind, **strip,
            marker={"color": colour, "symbol": symbol, "size": size, "opacity": opacity},
            customdata=[[n, s] for n, s in zip(points.numbers, points.statuses)], **_labels(points, kind, strip_hover if strip else hover),
            _validate=False,
        ))
    head = f"{esc(study)}: " if study else ""
    fig.update_layout(title=f"{head}{esc(data.y_title)} vs {esc(data.x_title)} "
                            f"(normalised hypervolume {data.normalized_hypervolume:.3f})",
                      xaxis={"title": esc(data.x_title), "anchor": "y2"}, yaxis={"title": esc(data.y_title), "domain": [0.14, 1.0]},
                      yaxis2={"domain": [0.0, 0.08], "showticklabels": False, "title": {"text": "infeasible", "font": {"size": 10}},
                              "showgrid": False, "zeroline": False},
                      clickmode="event", dragmode="select", **LAYOUT)
    # fixed margins, legend in them: Plotly's automatic margins draw the whole plot a second time
    # (a cold 2,000-point plot in 0.65 s instead of 0.35 s in headless Chromium)
    fig.update_layout(legend={"orientation": "h", "yref": "container", "y": 0.0, "yanchor": "bottom"},
                      margin={"l": 70, "r": 30, "t": 50, "b": 100, "autoexpand": False})
    xs = [v for s in data.sets.values() for v in s.x]
    if log_x and xs and min(xs) > 0:
        ticks = log_ticks(min(xs), max(xs))
        fig.update_xaxes(type="log", tickmode="array", tickvals=ticks, ticktext=[si(t) for t in ticks])
    return fig


def hypervolume_figure(data: HypervolumeHistory) -> go.Figure:
    """Normalised hypervolume (hypervolume / the box from the reference to the ideal point, in
    [0, 1]) over trial number and over wall-clock time: staircases on one shared, titled y-range."""
    ref = ", ".join(f"{esc(title(n))} {v:.4g}" for n, v in zip(data.objectives, data.reference))
    fig = make_subplots(rows=1, cols=2, subplot_titles=("by trial number", "by completion time"), shared_yaxes=False)
    hover = "<br>normalised hypervolume %{y:.4f}<extra></extra>"
    by_number = _steps(data.numbers, data.normalized(data.by_number))
    by_time = _steps(data.times, data.normalized(data.by_time))
    fig.add_trace(go.Scatter(x=by_number[0], y=by_number[1], mode="lines", line={"shape": "hv"},
                             name="by trial number", hovertemplate="trial %{x}" + hover), row=1, col=1)
    fig.add_trace(go.Scatter(x=by_time[0], y=by_time[1], mode="lines", line={"shape": "hv"},
                             name="by time", hovertemplate="%{x}" + hover), row=1, col=2)
    fig.update_yaxes(title_text="normalised hypervolume", range=[0, 1.02])
    fig.update_xaxes(title_text="trial number", row=1, col=1)
    fig.update_xaxes(title_text="completion time (UTC)", row=1, col=2)
    fig.update_layout(title={"text": "normalised hypervolume", "subtitle": {"text": f"reference point: {ref}"}},
                      showlegend=False, **LAYOUT)
    fig.update_layout(margin={"t": 110})
    return fig


def three_objective_figure(data: ThreeObjectiveData) -> go.Figure:
    """The first three objectives in 3-D; cost axes on log scales with round ticks (finding 6)."""
    fig = go.Figure()
    for on, name, colour, size in ((False, "dominated", "#9aa5b1", 3), (True, "Pareto front", "#2563eb", 5)):
        idx = [i for i, f in enumerate(data.on_front) if f == on]
        fig.add_trace(go.Scatter3d(
            x=[data.points[i][1] for i in idx], y=[data.points[i][2] for i in idx], z=[data.points[i][0] for i in idx],
            mode="markers", name=f"{name} ({len(idx)})", marker={"size": size, "color": colour},
            text=[esc(data.labels[i]) for i in idx], customdata=[data.numbers[i] for i in idx],
            hovertemplate="%{text}<br>trial %{customdata}<extra></extra>"))
    scene: dict[str, Any] = {"zaxis": {"title": {"text": esc(data.titles[0])}}, "camera": {"eye": {"x": 1.6, "y": 1.6, "z": 0.9}},
                             "aspectmode": "cube"}
    for axis, k in (("xaxis", 1), ("yaxis", 2)):
        values = [p[k] for p in data.points]
        spec: dict[str, Any] = {"title": {"text": esc(data.titles[k])}}
        if values and min(values) > 0:
            ticks = log_ticks(min(values), max(values))
            spec.update(type="log", tickmode="array", tickvals=ticks, ticktext=[si(t) for t in ticks])
        scene[axis] = spec
    fig.update_layout(title="three objectives", scene=scene, **LAYOUT)
    fig.update_layout(margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig


def compare_figure(data: CompareData, *, log_x: bool = True) -> go.Figure:
    """Several studies' fronts on one plot; the legend gives each study's hypervolume."""
    fig = go.Figure()
    for front in data.fronts:
        fig.add_trace(go.Scatter(
            x=front.x, y=front.y, mode="lines+markers", line={"shape": "hv"}, uid=f"compare-{front.study}",
            name=f"{esc(front.study)} (normalised hypervolume {front.normalized_hypervolume:.3f})", text=[esc(s) for s in front.labels],
            customdata=front.numbers, hovertemplate="%{text}<br>trial %{customdata}<br>%{y:.4f} at %{x:,.0f}<extra></extra>"))
    fig.update_layout(title=f"Pareto fronts compared (reference: accuracy {data.reference[0]:g}, "
                            f"{esc(data.x_title)} {data.reference[1]:.4g})",
                      xaxis_title=esc(data.x_title), yaxis_title=esc(data.y_title), **LAYOUT)
    xs = [v for f in data.fronts for v in f.x]
    if log_x and xs and min(xs) > 0:
        ticks = log_ticks(min(xs), max(xs))
        fig.update_xaxes(type="log", tickmode="array", tickvals=ticks, ticktext=[si(t) for t in ticks])
    return fig

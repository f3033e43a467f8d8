"""Callbacks of the study page, registered on the app by ``dse.dashboard.app``.

The study page arrives with its Pareto figure (``pareto_view``; ``update_pareto`` redraws it on a
new cost axis or a changed study); the table and the slower sections (hypervolume, importance,
3-objective view, shape plots) are asked for once the browser has drawn that plot (the clientside
``afterParetoDrawn`` copies ``page-version`` to ``sections-go``), so they never hold it up. The
drawer opens on a plot click or a table click and closes with its × button.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dse.dashboard import figures as figs
from dse.dashboard import layout
from dse.dashboard.data import pareto_set
from dse.dashboard.design import breakdown_data
from dse.dashboard.importance import importance_figure
from dse.dashboard.page import StudyPage, StudyPageCache
from dse.dashboard.table import selected_numbers, table_rows
from dse.errors import DseError
from dse.study import _records as rec

DRAWER, DRAWER_OPEN = "drawer", "drawer open"


def graph(fig: Any, graph_id: str, height: int = 420) -> dcc.Graph:
    return dcc.Graph(id=graph_id, figure=fig, style={"height": f"{height}px"}, config=layout.GRAPH_CONFIG)


def _page(cache: StudyPageCache, name: str) -> StudyPage:
    try:
        return cache.get(name)
    except DseError:
        raise PreventUpdate from None


def pareto_view(page: StudyPage, name: str, cost: str | None = None) -> tuple[Any, str, str]:
    """The Pareto figure on ``cost``, the summary line and the page version (the study's fingerprint),
    built once per page and cost axis."""
    return page.once(f"view:{cost}", lambda: _pareto_view(page, name, cost))  # type: ignore[no-any-return]


def _pareto_view(page: StudyPage, name: str, cost: str | None) -> tuple[Any, str, str]:
    data = page.pareto(cost)
    fig = figs.pareto_figure(data, study=name)
    fig.update_layout(uirevision=f"{name}:{data.x_metric}")
    dataset = page.info.dataset.get("name")
    summary = layout.summary_line(page.counts(), page.info.target, str(dataset) if dataset else None)
    return fig, summary, repr(page.fingerprint)


def register_study_callbacks(app: dash.Dash, cache: StudyPageCache, storage_url: str) -> None:
    @app.callback(
        Output("pareto-graph", "figure"), Output("study-summary", "children"), Output("page-version", "data"),
        Output("pareto-graph", "selectedData"),
        Input("refresh", "n_intervals"), Input("cost-axis", "value"),
        State("study-name", "data"), State("page-version", "data"), prevent_initial_call=True,  # the page brings its first figure
    )
    def update_pareto(_tick: int | None, cost: str | None, name: str, version: str | None) -> tuple[Any, ...]:
        page = _page(cache, name)
        stamp = repr(page.fingerprint)
        if dash.ctx.triggered_id == "refresh" and stamp == version:
            raise PreventUpdate  # nothing changed since the last draw: keep the figures (and zoom)
        fig, summary, stamp = pareto_view(page, name, cost)
        # a new cost axis on an unchanged study: leave the version alone, so the table and the slower
        # sections (which do not depend on the cost axis) are neither recomputed nor sent again
        # a selection made on another cost axis no longer matches the plot: drop it (the table shows all again)
        selection = None if dash.ctx.triggered_id == "cost-axis" else dash.no_update
        return fig, summary, dash.no_update if stamp == version else stamp, selection

    @app.callback(
        Output("hv-graph", "figure"), Output("three-graph", "children"), Output("shape-graphs", "children"),
        Input("sections-go", "data"), State("study-name", "data"), prevent_initial_call=True,
    )
    def update_sections(_version: str | None, name: str) -> tuple[Any, ...]:
        page = _page(cache, name)
        hv = figs.hypervolume_figure(page.hypervolume)
        hv.update_layout(uirevision=name)
        shapes = [graph(figs.shape_figure(s), f"shape-{i}", 380) for i, s in enumerate(page.shapes)]
        three = [graph({}, "three-objective", 600), dcc.Store(id="three-figure", data=figs.three_objective_figure(page.three))] \
            if page.three else []  # drawn once the 3-D trace is loaded (assets/plotly-loader.js)
        return hv, three, shapes

    @app.callback(Output("importance-graph", "children"), Input("sections-go", "data"), State("study-name", "data"),
                  prevent_initial_call=True)
    def update_importance(_version: str | None, name: str) -> Any:
        importance = _page(cache, name).importance()  # the slowest section: its own request, drawn last
        return [graph(importance_figure(importance), "importance", 360)] if importance.parameters else []

    @app.callback(
        Output("trial-table", "data"), Output("trial-table", "columns"), Output("table-note", "children"),
        Input("sections-go", "data"), Input("table-scope", "value"), Input("pareto-graph", "selectedData"),
        State("study-name", "data"), prevent_initial_call=True,
    )
    def update_table(_version: str | None, scope: str | None, selected: dict[str, Any] | None, name: str) -> tuple[Any, ...]:
        page = _page(cache, name)
        numbers = [r.number for r in pareto_set(page.records, page.info)] if scope != "all" else None
        chosen = selected_numbers(selected)
        if chosen is not None:
            pool = set(chosen)
            numbers = [n for n in (numbers if numbers is not None else [r.number for r in page.records]) if n in pool]
        rows = table_rows(page.records, numbers, page.costs, page.parameters, page.parameter_kinds)
        scope_text = "Pareto set" if scope != "all" else "all trials"
        note = f"{len(rows)} trials ({scope_text}" + (", within the plot selection)" if chosen is not None else ")")
        return rows, page.table_columns, note

    @app.callback(
        Output("trial-panel", "children"), Output("trial-drawer", "className"),
        Output("pareto-graph", "clickData"), Output("trial-table", "active_cell"),
        Input("pareto-graph", "clickData"), Input("trial-table", "active_cell"), Input("drawer-close", "n_clicks"),
        State("study-name", "data"), prevent_initial_call=True,
    )
    def show_trial(click: dict[str, Any] | None, cell: dict[str, Any] | None, _close: int | None, name: str) -> Any:
        trigger = dash.ctx.triggered_id
        keep = dash.no_update
        if trigger == "drawer-close":  # forget the last click, so clicking the same trial again reopens it
            return keep, DRAWER, None, None
        number = _clicked_number(click) if trigger == "pareto-graph" else (cell or {}).get("row_id")
        if number is None:
            raise PreventUpdate
        try:
            record = rec.load_trial(storage_url, name, int(number))
        except DseError as exc:
            return layout.message(str(exc)), DRAWER_OPEN, keep, keep
        graphs: list[Any] = []
        if record.arch is not None:
            try:
                graphs.append(graph(figs.breakdown_figure(breakdown_data(record.arch), label="cost per module"),
                                    "trial-breakdown", 360))
            except DseError as exc:
                graphs.append(html.P(f"cannot compute the cost breakdown: {exc}"))
        if record.val_curve:
            graphs.append(graph(figs.learning_curve_figure(record.val_curve), "trial-curve", 280))
        return layout.trial_panel(record, graphs, name, storage_url), DRAWER_OPEN, keep, keep

    @app.callback(Output("compare-trials", "children"), Input("trial-table", "selected_row_ids"),
                  State("study-name", "data"), prevent_initial_call=True)
    def compare_trials(chosen: list[int] | None, name: str) -> Any:
        if not chosen or len(chosen) != 2:
            return [] if not chosen else html.P(f"{len(chosen)} ticked: tick exactly two rows to compare them.", className="hint")
        cells = []
        for number in chosen:
            try:
                record = rec.load_trial(storage_url, name, int(number))
            except DseError as exc:
                return layout.message(str(exc))
            if record.arch is None:
                cells.append(html.P(f"trial {number} has no stored architecture"))
                continue
            fig = figs.breakdown_figure(breakdown_data(record.arch), label=f"trial {number}: {record.label}")
            cells.append(graph(fig, f"compare-breakdown-{number}", 380))
        return html.Div(cells, className="two-up", id="compare-breakdowns")



def _clicked_number(click: dict[str, Any] | None) -> int | None:
    points = (click or {}).get("points") or []
    custom = points[0].get("customdata") if points else None
    if custom is None:
        return None
    return int(custom[0] if isinstance(custom, list) else custom)

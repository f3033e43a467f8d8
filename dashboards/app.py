"""The dse dashboard: a Dash app over one storage URL, read-only.

Pages: ``/`` lists the studies; ``/study/<name>`` shows one study (Pareto plot with a cost-axis
selector, live refresh every 5 s, a trial panel on click, hypervolume, 3-objective view,
design-space shape); ``/compare?study=a&study=b`` overlays several studies' fronts.
Storage is read only through ``dse.study.records`` (SQLite files are opened read-only).
``serve`` binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import dash
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler
from werkzeug.serving import make_server as _wsgi_server

from dashboards import figures as figs
from dashboards import layout
from dashboards.data import compare_data, title
from dashboards.design import breakdown_data
from dashboards.page import StudyPageCache
from dse.errors import DseError
from dse.study import records as rec

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050


def _graph(fig: Any, graph_id: str, height: int = 420) -> dcc.Graph:
    return dcc.Graph(id=graph_id, figure=fig, style={"height": f"{height}px"}, config={"displaylogo": False})


def create_app(storage_url: str) -> dash.Dash:
    """The dashboard app for ``storage_url`` (any SQLAlchemy URL Optuna accepts)."""
    app = dash.Dash(__name__, title="dse dashboard", update_title="", suppress_callback_exceptions=True)
    app.layout = layout.shell()
    cache = StudyPageCache(storage_url)

    @app.callback(Output("page", "children"), Input("url", "pathname"), Input("url", "search"))
    def route(pathname: str | None, search: str | None) -> Any:
        path = urllib.parse.unquote(pathname or "/")
        try:
            if path.startswith("/study/"):
                page = cache.get(path[len("/study/"):])
                titles = {c: title(c) for c in page.costs}
                return layout.study_page(page.info.name, page.costs, titles, page.default_cost)
            names = [s.name for s in rec.list_study_summaries(storage_url)]
            if path.rstrip("/") == "/compare":
                chosen = urllib.parse.parse_qs((search or "").lstrip("?")).get("study", [])
                return layout.compare_page(names, [n for n in chosen if n in names] or names[:2])
            return layout.studies_page(rec.list_study_summaries(storage_url))
        except DseError as exc:
            return layout.message(str(exc))

    @app.callback(Output("compare-link", "href"), Input("compare-pick", "value"))
    def compare_link(chosen: list[str] | None) -> str:
        return layout.compare_href(chosen or [])

    @app.callback(
        Output("pareto-graph", "figure"), Output("hv-graph", "figure"), Output("shape-graphs", "children"),
        Output("three-graph", "children"), Output("study-summary", "children"), Output("page-version", "data"),
        Input("refresh", "n_intervals"), Input("cost-axis", "value"),
        State("study-name", "data"), State("page-version", "data"),
    )
    def update_study(_tick: int | None, cost: str | None, name: str, version: str | None) -> tuple[Any, ...]:
        try:
            page = cache.get(name)
        except DseError:
            raise PreventUpdate from None
        stamp = repr(page.fingerprint)
        if dash.ctx.triggered_id == "refresh" and stamp == version:
            raise PreventUpdate  # nothing changed since the last draw: keep the figures (and zoom)
        data = page.pareto(cost)
        pareto_fig = figs.pareto_figure(data, study=name)
        pareto_fig.update_layout(uirevision=f"{name}:{data.x_metric}")
        hv_fig = figs.hypervolume_figure(page.hypervolume)
        hv_fig.update_layout(uirevision=name)
        shapes = [_graph(figs.shape_figure(s), f"shape-{i}", 360) for i, s in enumerate(page.shapes)]
        three = [_graph(figs.three_objective_figure(page.three), "three-objective", 560)] if page.three else []
        dataset = page.info.dataset.get("name")
        summary = layout.summary_line(page.counts(), page.info.target, str(dataset) if dataset else None)
        return pareto_fig, hv_fig, shapes, three, summary, stamp

    @app.callback(Output("trial-panel", "children"), Input("pareto-graph", "clickData"), State("study-name", "data"),
                  prevent_initial_call=True)
    def show_trial(click: dict[str, Any] | None, name: str) -> Any:
        points = (click or {}).get("points") or []
        custom = points[0].get("customdata") if points else None
        if custom is None:
            raise PreventUpdate
        number = int(custom[0] if isinstance(custom, list) else custom)
        try:
            record = rec.load_trial(storage_url, name, number)
        except DseError as exc:
            return layout.message(str(exc))
        graphs: list[Any] = []
        if record.arch is not None:
            try:
                graphs.append(_graph(figs.breakdown_figure(breakdown_data(record.arch), label=record.label), "trial-breakdown"))
            except DseError as exc:
                graphs.append(html.P(f"cannot compute the cost breakdown: {exc}"))
        if record.val_curve:
            graphs.append(_graph(figs.learning_curve_figure(record.val_curve, label=record.label), "trial-curve", 320))
        return layout.trial_panel(record, graphs)

    @app.callback(Output("compare-graph", "figure"), Input("compare-studies", "value"), Input("compare-cost", "value"))
    def compare(chosen: list[str] | None, cost: str) -> Any:
        studies = {}
        for name in chosen or []:
            try:
                page = cache.get(name)
            except DseError:
                continue
            studies[name] = (page.info, page.records)
        return figs.compare_figure(compare_data(studies, cost or "params"))

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """No access log line per request (the live refresh would flood the terminal)."""


def make_server(storage_url: str, host: str = DEFAULT_HOST, port: int = 0) -> BaseWSGIServer:
    """A threaded WSGI server for the app, for tests and embedding (port 0: a free port; see
    ``server.server_port``; run ``server.serve_forever()`` in a thread, stop with ``shutdown()``)."""
    return _wsgi_server(host, port, create_app(storage_url).server, threaded=True, request_handler=_QuietHandler)


def serve(storage_url: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, debug: bool = False) -> None:
    """Run the dashboard until interrupted; binds ``host`` (127.0.0.1 by default: local only)."""
    rec.list_study_summaries(storage_url)  # fail early, with a readable message, on a bad URL
    create_app(storage_url).run(host=host, port=port, debug=debug)

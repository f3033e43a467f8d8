"""The dse dashboard: a Dash app over one storage URL, read-only.

Pages: ``/`` lists the studies; ``/study/<name>`` shows one study (Pareto plot with a cost-axis
selector and live refresh every 5 s; a sortable, filterable trial table that a box selection on
the plot narrows; a trial drawer on click; hypervolume, parameter importance, 3-objective view,
design-space shape, drawn after the Pareto plot); ``/compare?study=a&study=b`` overlays fronts.
Storage is read only through ``dse.study._records`` (SQLite files are opened read-only).
``serve`` binds 127.0.0.1 unless told otherwise and logs no request lines.
"""

from __future__ import annotations

import errno
import os
import socket
import threading
import urllib.parse
from pathlib import Path
from typing import Any

import dash
import flask
import plotly.graph_objects as go
from dash import ClientsideFunction, Input, Output, State
from dash.exceptions import PreventUpdate
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler
from werkzeug.serving import make_server as _wsgi_server

from dse.dashboard import confirmed
from dse.dashboard import figures as figs
from dse.dashboard import layout
from dse.dashboard.data import compare_data, pareto_data, title
from dse.dashboard.page import StudyPageCache
from dse.dashboard.study_callbacks import pareto_view, register_study_callbacks
from dse.errors import DseError
from dse.study import _records as rec
from dse.study._records import StudyInfo

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050


class DashboardError(DseError):
    """The dashboard cannot start (for example: its port is taken)."""


def create_app(storage_url: str) -> dash.Dash:
    """The dashboard app for ``storage_url`` (any SQLAlchemy URL Optuna accepts)."""
    app = dash.Dash(__name__, title="dse dashboard", update_title=None, suppress_callback_exceptions=True,
                    serve_locally=True, assets_path_ignore=["^plotly$"])  # assets/plotly/: ES modules, loaded by plotly-loader.js
    app.index_string = _index_string(app)
    cache = StudyPageCache(storage_url)
    confirmed.register(app, storage_url)  # the confirmed front (dse retrain), when the study has one

    def render(pathname: str | None, search: str | None) -> Any:
        """The page at ``pathname`` + ``search``: a study, the compare page or the list of studies."""
        path = urllib.parse.unquote(pathname or "/")
        try:
            if path.startswith("/study/"):
                page = cache.get(path[len("/study/"):])
                titles = {c: title(c) for c in page.costs}
                figure, summary, version = pareto_view(page, page.info.name)
                return layout.study_page(page.info.name, page.costs, titles, page.default_cost, figure=figure,
                                         summary=summary, version=version)
            summaries = rec.list_study_summaries(storage_url)
            names = [s.name for s in summaries]
            if path.rstrip("/") == "/compare":
                chosen = urllib.parse.parse_qs((search or "").lstrip("?")).get("study", [])
                chosen = [n for n in chosen if n in names] or names[:2]
                costs: list[str] = []
                for name in chosen:
                    costs += [c for c in cache.get(name).costs if c not in costs]
                return layout.compare_page(names, chosen, costs or ["params"])
            return layout.studies_page(summaries, {s.name: cache.status_counts(s.name) for s in summaries})
        except DseError as exc:
            return layout.message(str(exc))

    def first_layout() -> Any:
        """The app shell with the requested page already in it (the layout request comes from that page,
        named in its Referer): the page is drawn without the round trip of the ``route`` callback.
        Without a Referer the shell comes empty and ``route`` fills it."""
        referrer = flask.request.referrer if flask.has_request_context() else None
        if not referrer or flask.request.path.rstrip("/") != "/_dash-layout":
            return layout.shell()
        url = urllib.parse.urlsplit(referrer)
        search = f"?{url.query}" if url.query else ""
        return layout.shell(render(url.path, search), rendered=url.path + search)

    app.layout = first_layout

    @app.callback(Output("page", "children"), Output("rendered-url", "data"), Input("url", "pathname"),
                  Input("url", "search"), State("rendered-url", "data"))
    def route(pathname: str | None, search: str | None, rendered: str | None) -> Any:
        url = (pathname or "/") + (search or "")
        if rendered == url:
            raise PreventUpdate  # the first layout already holds this page
        return render(pathname, search), url

    @app.server.before_request
    def prefetch_study() -> None:
        """A study page's HTML request starts loading the study while the browser loads the scripts."""
        if flask.request.method == "GET" and flask.request.path.startswith("/study/"):
            cache.prefetch(urllib.parse.unquote(flask.request.path[len("/study/"):]),
                           then=lambda page: pareto_view(page, page.info.name))

    @app.callback(Output("compare-link", "href"), Input("compare-pick", "value"))
    def compare_link(chosen: list[str] | None) -> str:
        return layout.compare_href(chosen or [])

    register_study_callbacks(app, cache, storage_url)
    # the table and the slower sections are asked for once the Pareto plot is drawn (assets/plotly-loader.js)
    app.clientside_callback(ClientsideFunction("dse", "afterParetoDrawn"), Output("sections-go", "data"),
                            Input("page-version", "data"))
    # the 3-objective view's figure waits in a Store until the 3-D trace is loaded (assets/plotly-loader.js)
    app.clientside_callback(ClientsideFunction("dse", "draw3d"), Output("three-objective", "figure"),
                            Input("three-figure", "data"))
    threading.Thread(target=_warm_up, name="dashboard-warm-up", daemon=True).start()

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


PLOTLY_BUNDLE = Path(__file__).parent / "assets" / "plotly"


def _index_string(app: dash.Dash) -> str:
    """Dash's page, with the 2-D plotly.js modules preloaded from <head>: the browser fetches and
    compiles them while it runs Dash's scripts, instead of after them (assets/plotly-loader.js)."""
    modules = ["plotly-2d.js", *sorted(p.name for p in PLOTLY_BUNDLE.glob("plotly-shared-*.js"))]
    preload = "\n        ".join(f'<link rel="modulepreload" href="{app.get_asset_url("plotly/" + m)}">' for m in modules)
    return f"""<!DOCTYPE html>
<html>
    <head>
        {{%metas%}}
        <title>{{%title%}}</title>
        {{%favicon%}}
        {{%css%}}
        {preload}
    </head>
    <body>
        {{%app_entry%}}
        <footer>
            {{%config%}}
            {{%scripts%}}
            {{%renderer%}}
        </footer>
    </body>
</html>"""


def _warm_up() -> None:
    """Build each kind of figure once, so the first page view does not pay for Plotly's lazy
    imports and validators (about 1 s on a 2-core machine)."""
    fig = figs.pareto_figure(pareto_data([], StudyInfo("warm-up", (), {}, {}, {}, None, None, False), "params"))
    fig.add_trace(go.Scattergl(x=[1], y=[1]))
    fig.add_trace(go.Box(x=[0], q1=[0], median=[0], q3=[0]))
    fig.add_trace(go.Bar(x=[0], y=[0]))
    fig.add_trace(go.Scatter3d(x=[0], y=[0], z=[0]))
    fig.to_json()


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """No access log line per request (the live refresh would flood the terminal)."""


def make_server(storage_url: str, host: str = DEFAULT_HOST, port: int = 0) -> BaseWSGIServer:
    """A threaded WSGI server for the app, for tests and embedding (port 0: a free port; see
    ``server.server_port``; run ``server.serve_forever()`` in a thread, stop with ``shutdown()``).

    A port that cannot be bound raises DashboardError in one line, before anything is printed."""
    try:
        sock = _bind(host, port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise DashboardError(f"port {port} on {host} is already in use; pick a free one with --port") from None
        raise DashboardError(f"cannot serve on {host}:{port}: {exc.strerror or exc}; pick another --host or --port") from None
    try:  # werkzeug duplicates the bound socket (fd=...): its own bind would print and sys.exit on a taken port
        server = _wsgi_server(host, port, create_app(storage_url).server, threaded=True, request_handler=_QuietHandler,
                              fd=sock.fileno())
        server.server_name, server.server_port = host, server.socket.getsockname()[1]
        server.port = server.server_port
        return server
    finally:
        sock.close()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name != "nt":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def serve(storage_url: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Run the dashboard until interrupted; binds ``host`` (127.0.0.1 by default: local only).

    The port is bound before the address is announced, so a taken port fails in one line; requests
    are not logged (the 5 s live refresh would flood the terminal)."""
    rec.list_study_summaries(storage_url)  # fail early, with a readable message, on a bad URL
    server = make_server(storage_url, host, port)
    shown = f"[{host}]" if ":" in host else host
    print(f"dse dashboard: http://{shown}:{server.server_port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


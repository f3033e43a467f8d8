"""Dash component trees of the dashboard's pages (no callbacks, no storage access).

All user-provided strings (study names, labels, reasons, YAML) go into components as ``children``
text, which Dash escapes; nothing here uses raw HTML. Styling lives in ``assets/style.css``
(served by Dash from this package: the dashboard needs no network).
"""

from __future__ import annotations

import json
import shlex
import warnings
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
import yaml
from dash import dash_table, dcc, html

from dse.dashboard.data import STATUS_COLUMNS, title
from dse.study._records import StudySummary, TrialRecord

REFRESH_MS = 5000
GRAPH_CONFIG = {"displaylogo": False}
# what a section's graph shows until its figure arrives (after the Pareto plot is drawn)
PENDING = {"data": [], "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False}, "height": 120,
                                  "annotations": [{"text": "hypervolume history: loading", "showarrow": False,
                                                   "font": {"color": "#6b7280"}}]}}


def study_href(name: str) -> str:
    return "/study/" + urllib.parse.quote(name, safe="")


def compare_href(names: Sequence[str]) -> str:
    return "/compare?" + urllib.parse.urlencode([("study", n) for n in names])


def shell(page: Any = None, rendered: str | None = None) -> html.Div:
    """The app around every page; ``page`` already rendered for the URL ``rendered`` (path + query)."""
    return html.Div([
        dcc.Location(id="url"),
        dcc.Store(id="rendered-url", data=rendered),
        html.Nav([dcc.Link("dse dashboard", href="/", className="brand"),
                  dcc.Link("compare studies", href="/compare")], className="topbar"),
        html.Main(page, id="page", className="page"),
    ])


def message(text: str) -> html.Div:
    return html.Div(text, id="message", className="box message")


def studies_page(summaries: Sequence[StudySummary], counts: Mapping[str, Mapping[str, int]]) -> html.Div:
    """The studies, with trial counts by dse outcome (``counts[name]``; infeasible apart from completed)."""
    head = ["study", "dataset", "objectives", *STATUS_COLUMNS, "trials", "last update (UTC)"]
    rows = []
    for s in summaries:
        objectives = ", ".join(f"{o.name} ({'max' if o.direction == 'maximize' else 'min'})" for o in s.objectives)
        by_status = counts.get(s.name, {})
        cells: list[Any] = [dcc.Link(s.name, href=study_href(s.name)), s.dataset or "-", objectives,
                            *[str(by_status.get(c, 0)) for c in STATUS_COLUMNS], str(s.n_trials),
                            s.last_update.strftime("%Y-%m-%d %H:%M:%S") if s.last_update else "-"]
        rows.append(html.Tr([html.Td(c, className="num" if 3 <= i < 3 + len(STATUS_COLUMNS) + 1 else None)
                             for i, c in enumerate(cells)]))
    table = html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)], id="studies-table",
                       className="grid")
    return html.Div([
        html.H2("Studies"),
        table if summaries else html.P("This storage holds no study yet."),
        html.Div([html.Span("Compare fronts of: "),
                  dcc.Dropdown(id="compare-pick", options=[{"label": s.name, "value": s.name} for s in summaries],
                               multi=True, className="inline-dropdown"),
                  dcc.Link("compare", id="compare-link", href="/compare", className="button")], className="box row"),
    ])


def study_page(name: str, costs: Sequence[str], titles: dict[str, str], default: str, *, figure: Any = None,
               summary: str | None = None, version: str | None = None) -> html.Div:
    """The study page: Pareto plot, trial table, then the slower sections (filled after the plot),
    and the trial drawer on the right. ``extra-sections`` is where optional sections (the
    confirmed front of ``dse retrain``) go. ``figure``, ``summary`` and ``version`` (the study's
    fingerprint) come with the page, so the Pareto plot is drawn with no further round trip."""
    return html.Div([
        html.H2(name, id="study-title"),
        dcc.Store(id="study-name", data=name),
        dcc.Store(id="page-version", data=version),
        dcc.Store(id="sections-go"),  # page-version again, once the Pareto plot is drawn
        dcc.Interval(id="refresh", interval=REFRESH_MS),
        html.Div(summary, id="study-summary", className="summary"),
        html.Div([html.Span("cost axis: ", className="label"),
                  dcc.RadioItems(id="cost-axis", options=[{"label": titles[c], "value": c} for c in costs],
                                 value=default, inline=True, className="radio")], className="row"),
        dcc.Graph(id="pareto-graph", className="graph pareto", config=GRAPH_CONFIG, **({"figure": figure} if figure else {})),
        html.P("Click a point or a table row to open that trial; drag a box on the plot to filter the table "
               "(double-click the plot to clear).", className="hint"),
        html.Section([
            html.Div([html.H3("Trials"),
                      dcc.RadioItems(id="table-scope", options=[{"label": "Pareto set", "value": "front"},
                                                                {"label": "all trials", "value": "all"}],
                                     value="front", inline=True, className="radio"),
                      html.Span(id="table-note", className="hint")], className="row"),
            _data_table(),
            html.P("Tick two rows to compare their per-module breakdowns.", className="hint"),
            html.Div(id="compare-trials"),
        ], className="box", id="trials-section"),
        dcc.Graph(id="hv-graph", className="graph hv", config=GRAPH_CONFIG, figure=PENDING),
        html.Div(id="extra-sections"),
        html.Div(id="importance-graph"),
        html.Div(id="three-graph"),
        html.H3("Design-space shape"),
        html.Div(id="shape-graphs", className="shapes"),
        drawer(),
    ])


def _data_table() -> dash_table.DataTable:
    """The trial table: native sorting and filtering, rows ticked for comparison (columns and rows
    come from a callback)."""
    with warnings.catch_warnings():  # Dash 4 announces DataTable's future move out of dash; it still ships
        warnings.simplefilter("ignore", DeprecationWarning)
        return dash_table.DataTable(id="trial-table", columns=[], data=[], sort_action="native", filter_action="native",
                                 page_action="native", page_size=15, row_selectable="multi", selected_row_ids=[],
                                 style_table={"overflowX": "auto"}, style_as_list_view=True,
                                 style_cell={"fontFamily": "inherit", "fontSize": "13px", "padding": "4px 8px",
                                             "textAlign": "left", "maxWidth": "340px", "overflow": "hidden",
                                             "textOverflow": "ellipsis"},
                                 style_header={"fontWeight": "600", "backgroundColor": "#f3f4f6"},
                                 filter_options={"placeholder_text": "filter (e.g. > 0.8, simple)"})


def drawer() -> html.Aside:
    """The trial panel: a drawer on the right that keeps the Pareto plot in view; closed until a click."""
    return html.Aside([
        html.Button("×", id="drawer-close", title="close", n_clicks=0, className="drawer-close"),
        html.Div("Click a point to see that trial.", id="trial-panel"),
    ], id="trial-drawer", className="drawer")


def compare_page(names: Sequence[str], chosen: Sequence[str], costs: Sequence[str]) -> html.Div:
    return html.Div([
        html.H2("Compare Pareto fronts"),
        dcc.Dropdown(id="compare-studies", options=[{"label": n, "value": n} for n in names], value=list(chosen), multi=True),
        dcc.RadioItems(id="compare-cost", options=[{"label": title(c), "value": c} for c in costs],
                       value=costs[0] if costs else "params", inline=True, className="radio"),
        dcc.Graph(id="compare-graph", className="graph pareto", config=GRAPH_CONFIG),
    ])


def summary_line(counts: Mapping[str, int], target: int | None, dataset: str | None) -> html.Div:
    """Trials by outcome; the target counts completed trials only (infeasible ones are not)."""
    parts = [f"{status}: {counts.get(status, 0)}" for status in STATUS_COLUMNS]
    if target:
        parts[0] = f"completed: {counts.get('completed', 0)} of {target} targeted"
    if dataset:
        parts.append(f"dataset: {dataset}")
    return html.Div(" | ".join(parts))


def export_command(study: str, number: int, storage_url: str) -> str:
    """The ``dse export`` command line of a trial (password hidden), ready to paste into a shell."""
    try:
        url = sa.engine.make_url(storage_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy parses: show it as given
        url = storage_url
    return f"dse export {shlex.quote(study)} --trial {number} --storage {shlex.quote(url)}"


def _trained(record: TrialRecord) -> bool:
    return record.feasible and record.state in ("COMPLETE", "PRUNED")


def trial_facts(record: TrialRecord) -> list[tuple[str, str | None]]:
    """(name, text) rows of the trial panel. A trial that was never trained shows no accuracy (finding 3)."""
    if _trained(record) and record.val_acc is not None:
        accuracy: str | None = f"{record.val_acc:.4f}" + (" (last reported)" if record.state == "PRUNED" else "")
    elif not record.feasible:
        accuracy = "not trained (infeasible)"
    else:
        accuracy = None
    return [("state", record.state), ("status", record.status), ("reason", record.reason),
            ("validation accuracy", accuracy),
            ("parameters", f"{record.params_count:,}" if record.params_count is not None else None),
            ("MACs", f"{record.macs:,}" if record.macs is not None else None),
            ("size (bytes)", f"{record.size_bytes:,}" if record.size_bytes is not None else None),
            *[(title(k), f"{v:.4g}") for k, v in record.objective_values.items()
              if k not in ("val_acc", "params", "macs", "size_bytes") and v is not None],
            ("training seconds", f"{record.train_seconds:.1f}" if record.train_seconds is not None else None),
            ("feasible", str(record.feasible)), ("duplicate of", None if record.duplicate_of is None else str(record.duplicate_of)),
            ("arch hash", record.arch_hash)]


def trial_panel(record: TrialRecord, figures: Sequence[Any], study: str = "", storage_url: str = "") -> html.Div:
    """The drawer's content: facts, the export command, breakdown and curve, ArchSpec in collapsed tabs."""
    facts = html.Table([html.Tr([html.Th(k), html.Td("-" if v is None else v)]) for k, v in trial_facts(record)],
                       className="facts")
    children: list[Any] = [html.H3(f"trial {record.number}"), html.Div(record.label, id="trial-label", className="mono"), facts]
    if study and record.state == "COMPLETE" and record.feasible:
        children.append(html.Div([
            html.Div(["export this network ", dcc.Clipboard(target_id="export-command", title="copy", className="copy")],
                     className="label"),
            html.Pre(export_command(study, record.number, storage_url), id="export-command", className="code"),
        ], className="export"))
    children += list(figures)
    if record.arch is not None:
        children.append(html.Details([
            html.Summary("ArchSpec (YAML / JSON)"),
            dcc.Tabs([
                dcc.Tab(label="YAML", children=[
                    dcc.Clipboard(target_id="arch-yaml", title="copy YAML", className="copy"),
                    html.Pre(yaml.safe_dump(dict(record.arch), sort_keys=False), id="arch-yaml", className="code")]),
                dcc.Tab(label="JSON", children=[
                    dcc.Clipboard(target_id="arch-json", title="copy JSON", className="copy"),
                    html.Pre(json.dumps(record.arch, indent=2), id="arch-json", className="code")]),
            ]),
        ], id="arch-details"))
    return html.Div(children)

"""Dash component trees of the dashboard's pages (no callbacks, no storage access).

All user-provided strings (study names, labels, reasons, YAML) go into components as ``children``
text, which Dash escapes; nothing here uses raw HTML.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Sequence
from typing import Any

import yaml
from dash import dcc, html

from dashboards.data import COST_METRICS, title
from dse.study.records import StudySummary, TrialRecord

REFRESH_MS = 5000
STATE_COLUMNS = ("COMPLETE", "PRUNED", "FAIL", "RUNNING")
CELL = {"padding": "4px 10px", "borderBottom": "1px solid #ddd", "textAlign": "left"}
BOX = {"border": "1px solid #ddd", "borderRadius": "6px", "padding": "10px", "margin": "10px 0"}


def study_href(name: str) -> str:
    return "/study/" + urllib.parse.quote(name, safe="")


def compare_href(names: Sequence[str]) -> str:
    return "/compare?" + urllib.parse.urlencode([("study", n) for n in names])


def shell() -> html.Div:
    return html.Div([
        dcc.Location(id="url"),
        html.Div([dcc.Link("dse dashboard", href="/", style={"fontWeight": "bold", "marginRight": "20px"}),
                  dcc.Link("compare studies", href="/compare")], style={"padding": "8px 0", "borderBottom": "1px solid #ccc"}),
        html.Div(id="page"),
    ], style={"fontFamily": "sans-serif", "maxWidth": "1300px", "margin": "0 auto", "padding": "0 12px"})


def message(text: str) -> html.Div:
    return html.Div(text, id="message", style={**BOX, "background": "#fff4f4"})


def studies_page(summaries: Sequence[StudySummary]) -> html.Div:
    head = ["study", "dataset", "objectives", *[s.lower() for s in STATE_COLUMNS], "trials", "last update (UTC)"]
    rows = []
    for s in summaries:
        objectives = ", ".join(f"{o.name} ({'max' if o.direction == 'maximize' else 'min'})" for o in s.objectives)
        cells: list[Any] = [dcc.Link(s.name, href=study_href(s.name)), s.dataset or "-", objectives,
                            *[str(s.counts.get(c, 0)) for c in STATE_COLUMNS], str(s.n_trials),
                            s.last_update.strftime("%Y-%m-%d %H:%M:%S") if s.last_update else "-"]
        rows.append(html.Tr([html.Td(c, style=CELL) for c in cells]))
    table = html.Table([html.Thead(html.Tr([html.Th(h, style=CELL) for h in head])), html.Tbody(rows)],
                       id="studies-table", style={"borderCollapse": "collapse", "width": "100%"})
    return html.Div([
        html.H2("Studies"),
        table if summaries else html.P("This storage holds no study yet."),
        html.Div([html.Span("Compare fronts of: "),
                  dcc.Dropdown(id="compare-pick", options=[{"label": s.name, "value": s.name} for s in summaries],
                               multi=True, style={"minWidth": "400px", "display": "inline-block"}),
                  dcc.Link("compare", id="compare-link", href="/compare", style={"marginLeft": "10px"})], style=BOX),
    ])


def study_page(name: str, costs: Sequence[str], titles: dict[str, str], default: str) -> html.Div:
    return html.Div([
        html.H2(name, id="study-title"),
        dcc.Store(id="study-name", data=name),
        dcc.Store(id="page-version"),
        dcc.Interval(id="refresh", interval=REFRESH_MS),
        html.Div(id="study-summary"),
        html.Div([html.Span("cost axis: "),
                  dcc.RadioItems(id="cost-axis", options=[{"label": titles[c], "value": c} for c in costs],
                                 value=default, inline=True)]),
        dcc.Graph(id="pareto-graph", style={"height": "560px"}, config={"displaylogo": False}),
        html.Div("Click a point to see that trial.", id="trial-panel", style=BOX),
        dcc.Graph(id="hv-graph", style={"height": "380px"}),
        html.Div(id="three-graph"),
        html.H3("Design-space shape"),
        html.Div(id="shape-graphs"),
    ])


def compare_page(names: Sequence[str], chosen: Sequence[str]) -> html.Div:
    return html.Div([
        html.H2("Compare Pareto fronts"),
        dcc.Dropdown(id="compare-studies", options=[{"label": n, "value": n} for n in names], value=list(chosen), multi=True),
        dcc.RadioItems(id="compare-cost", options=[{"label": title(c), "value": c} for c in COST_METRICS],
                       value="params", inline=True),
        dcc.Graph(id="compare-graph", style={"height": "560px"}),
    ])


def summary_line(counts: dict[str, int], target: int | None, dataset: str | None) -> html.Div:
    parts = [f"{state.lower()}: {counts.get(state, 0)}" for state in STATE_COLUMNS]
    if target:
        parts.append(f"target: {target} trials")
    if dataset:
        parts.append(f"dataset: {dataset}")
    return html.Div(" | ".join(parts), style={"color": "#444"})


def _fact(key: str, value: Any) -> html.Tr:
    return html.Tr([html.Th(key, style=CELL), html.Td("-" if value is None else str(value), style=CELL)])


def trial_panel(record: TrialRecord, figures: Sequence[dcc.Graph]) -> html.Div:
    facts = [("state", record.state), ("status", record.status), ("reason", record.reason),
             ("validation accuracy", f"{record.val_acc:.4f}" if record.val_acc is not None else None),
             ("parameters", f"{record.params_count:,}" if record.params_count is not None else None),
             ("MACs", f"{record.macs:,}" if record.macs is not None else None),
             ("size (bytes)", f"{record.size_bytes:,}" if record.size_bytes is not None else None),
             ("training seconds", f"{record.train_seconds:.1f}" if record.train_seconds is not None else None),
             ("feasible", record.feasible), ("duplicate of", record.duplicate_of), ("arch hash", record.arch_hash)]
    children: list[Any] = [html.H3(f"trial {record.number}"), html.Div(record.label, id="trial-label", style={"fontFamily": "monospace"}),
                           html.Table([_fact(k, v) for k, v in facts], style={"borderCollapse": "collapse"}), *figures]
    if record.arch is not None:
        children += [
            html.H4(["ArchSpec (YAML) ", dcc.Clipboard(target_id="arch-yaml", title="copy YAML", style={"display": "inline-block"})]),
            html.Pre(yaml.safe_dump(dict(record.arch), sort_keys=False), id="arch-yaml", style={"background": "#f6f8fa", "padding": "8px"}),
            html.H4(["ArchSpec (JSON) ", dcc.Clipboard(target_id="arch-json", title="copy JSON", style={"display": "inline-block"})]),
            html.Pre(json.dumps(record.arch, indent=2), id="arch-json", style={"background": "#f6f8fa", "padding": "8px"}),
        ]
    return html.Div(children)

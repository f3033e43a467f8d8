"""A static, self-contained HTML report of one study (``dse report``).

One file: plotly.js is inlined once (``include_plotlyjs=True`` on the first figure, False after),
so the report opens offline. It holds the Pareto plot for each cost axis, the hypervolume
history, the 3-objective view when the study has three objectives, the design-space shape
plots and a table of the Pareto set. Every user string is HTML-escaped.
"""

from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path

import plotly.graph_objects as go

from dashboards import figures as figs
from dashboards.data import pareto_set, title
from dashboards.page import StudyPage, compute_study_page
from dse.study.records import TrialRecord
from dse.study.sweep import describe_points, missing_grid_points

CSS = """body{font-family:sans-serif;max-width:1200px;margin:0 auto;padding:0 12px}
table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}.fig{margin:16px 0}"""


def _figure_html(fig: go.Figure, div_id: str, first: bool, height: int = 520) -> str:
    return '<div class="fig">' + fig.to_html(full_html=False, include_plotlyjs=first, div_id=div_id,
                                             default_height=f"{height}px", config={"displaylogo": False}) + "</div>"


def _cell(value: object, numeric: bool = False) -> str:
    return f'<td class="num">{html.escape(str(value))}</td>' if numeric else f"<td>{html.escape(str(value))}</td>"


def _fmt(value: float | None, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def pareto_table(rows: list[TrialRecord], objectives: tuple[str, ...]) -> str:
    extra = [n for n in ("params", "size_bytes", "macs") if n not in objectives]
    head = ["trial", "architecture", "status", "validation accuracy", *[title(n) for n in objectives if n != "val_acc"],
            *[title(n) for n in extra]]
    body = []
    for r in rows:
        cells = [_cell(r.number, True), _cell(r.label), _cell(r.status), _cell(_fmt(r.val_acc, ".4f"), True)]
        cells += [_cell(_fmt(r.metric(n), ",.6g" if n not in ("params", "macs", "size_bytes") else ",.0f"), True)
                  for n in objectives if n != "val_acc"]
        cells += [_cell(_fmt(r.metric(n), ",.0f"), True) for n in extra]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return ('<table id="pareto-set"><thead><tr>' + "".join(f"<th>{html.escape(h)}</th>" for h in head)
            + "</tr></thead><tbody>" + "".join(body) + "</tbody></table>")


def render_report(page: StudyPage) -> str:
    """The report's HTML for an already computed study page."""
    name = page.info.name
    counts = page.counts()
    parts: list[str] = []
    first = True
    for cost in page.costs:
        parts.append(_figure_html(figs.pareto_figure(page.pareto(cost), study=name), f"pareto-{cost}", first))
        first = False
    parts.append(_figure_html(figs.hypervolume_figure(page.hypervolume), "hypervolume", first, 420))
    first = False
    if page.three is not None:
        parts.append(_figure_html(figs.three_objective_figure(page.three), "three-objectives", False, 600))
    shapes = [_figure_html(figs.shape_figure(s), f"shape-{i}", False, 400) for i, s in enumerate(page.shapes)]
    front = pareto_set(page.records, page.info)
    summary = ", ".join(f"{html.escape(state.lower())}: {n}" for state, n in sorted(counts.items()))
    dataset = page.info.dataset.get("name")
    objectives = ", ".join(f"{html.escape(o.name)} ({html.escape(o.direction)})" for o in page.info.objectives)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    missing = missing_grid_points(page.info.config, page.info.space,
                                  [r.params for r in page.records if r.status in ("completed", "duplicate")])
    unmeasured = (f'<p id="unmeasured">grid points without a completed trial ({len(missing)}): '
                  f"{html.escape(describe_points(missing))}</p>") if missing else ""
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>dse report: {html.escape(name)}</title><style>{CSS}</style></head><body>",
        f'<h1 id="study-name">{html.escape(name)}</h1>',
        f"<p>objectives: {objectives}<br>dataset: {html.escape(str(dataset or '-'))}<br>trials: {summary}<br>generated {stamp}</p>",
        unmeasured, '<h2 id="pareto">Pareto front</h2>', *parts[: len(page.costs)],
        '<h2 id="hypervolume-history">Hypervolume</h2>', *parts[len(page.costs):],
        '<h2 id="shape">Design-space shape</h2>', *(shapes or ["<p>No searched parameters recorded.</p>"]),
        f'<h2 id="pareto-set-title">Pareto set ({len(front)} trials)</h2>', pareto_table(front, page.info.objective_names),
        "</body></html>",
    ])


def write_report(storage_url: str, study_name: str, out_path: str | Path) -> Path:
    """Write the report of ``study_name`` to ``out_path`` (parent folders created); returns the path."""
    page = compute_study_page(storage_url, study_name)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(page), encoding="utf-8")
    return out

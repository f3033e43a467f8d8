"""A static, self-contained HTML report of one study (``dse report``).

One file that opens offline: plotly.js is embedded once, gzip-compressed and base64-encoded
(about 2.0 MB instead of 4.8 MB), unpacked in the browser with the standard
``DecompressionStream``; each figure is a JSON block drawn after that. The report holds the
Pareto plot for each cost axis, the normalised hypervolume history, parameter importance, the
3-objective view when the study has three objectives, the design-space shape plots, a table of
the Pareto set and, for each trial of the Pareto set, its detail (facts, the ``dse export``
command, parameters and MACs per module, learning curve, ArchSpec). Every user string is
HTML-escaped.
"""

from __future__ import annotations

import base64
import functools
import gzip
import html
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import plotly.graph_objects as go
import plotly.offline
import yaml

from dse.dashboard import figures as figs
from dse.dashboard.data import pareto_set, title
from dse.dashboard.design import breakdown_data
from dse.dashboard.importance import importance_figure
from dse.dashboard.layout import export_command, trial_facts
from dse.dashboard.page import StudyPage, compute_study_page
from dse.errors import DseError
from dse.study import _records as rec
from dse.study._records import TrialRecord
from dse.study._sweep import describe_points, missing_grid_points

CSS = """body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2937;max-width:1200px;margin:0 auto;padding:0 16px}
table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #e5e7eb;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}.fig{margin:16px 0;min-height:200px}
pre{background:#f3f4f6;padding:8px;border-radius:6px;white-space:pre-wrap;font-size:12px}
details{border:1px solid #e5e7eb;border-radius:6px;padding:6px 10px;margin:6px 0}summary{cursor:pointer}
#loading{color:#6b7280}"""

LOADER = """<script>
(async () => {
  const packed = document.getElementById("plotly-gz").textContent;
  const bytes = Uint8Array.from(atob(packed), c => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  const code = document.createElement("script");
  code.textContent = await new Response(stream).text();
  document.head.appendChild(code);
  for (const spec of document.querySelectorAll("script.figure")) {
    const fig = JSON.parse(spec.textContent);
    Plotly.newPlot(spec.dataset.target, fig.data, fig.layout, {displaylogo: false, responsive: true});
  }
  document.getElementById("loading").remove();
})();
</script>"""


@functools.cache
def packed_plotlyjs() -> str:
    """plotly.js (the version plotly.py ships), gzip-compressed and base64-encoded."""
    return base64.b64encode(gzip.compress(plotly.offline.get_plotlyjs().encode("utf-8"), 9, mtime=0)).decode("ascii")


def _figure_html(fig: go.Figure, div_id: str, height: int = 520) -> str:
    spec = fig.to_json().replace("</", "<\\/")  # nothing in the JSON can close the script element
    return (f'<div class="fig" id="{div_id}" style="height:{height}px"></div>'
            f'<script type="application/json" class="figure" data-target="{div_id}">{spec}</script>')


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
        cells = [f'<td class="num"><a href="#trial-{r.number}">{r.number}</a></td>', _cell(r.label), _cell(r.status),
                 _cell(_fmt(r.val_acc, ".4f"), True)]
        cells += [_cell(_fmt(r.metric(n), ",.6g" if n not in ("params", "macs", "size_bytes") else ",.0f"), True)
                  for n in objectives if n != "val_acc"]
        cells += [_cell(_fmt(r.metric(n), ",.0f"), True) for n in extra]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return ('<table id="pareto-set"><thead><tr>' + "".join(f"<th>{html.escape(h)}</th>" for h in head)
            + "</tr></thead><tbody>" + "".join(body) + "</tbody></table>")


def trial_detail(record: TrialRecord, study: str, storage_url: str) -> str:
    """One Pareto trial as a collapsed block: facts, export command, cost per module, curve, ArchSpec."""
    esc = html.escape
    facts = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v if v is not None else '-')}</td></tr>" for k, v in trial_facts(record))
    parts = [f'<details id="trial-{record.number}"><summary>trial {record.number}: {esc(record.label)}</summary>',
             f"<table>{facts}</table>",
             f"<p>export: <code>{esc(export_command(study, record.number, storage_url))}</code></p>"]
    if record.arch is not None:
        try:
            b = breakdown_data(record.arch)
        except DseError as exc:
            parts.append(f"<p>cannot compute the cost breakdown: {esc(str(exc))}</p>")
        else:
            rows = "".join(f"<tr><td>{esc(g)}</td>{_cell(f'{sum(b.params[p][i] for p in b.parts):,}', True)}"
                           f"{_cell(f'{sum(b.macs[p][i] for p in b.parts):,}', True)}</tr>" for i, g in enumerate(b.groups))
            parts.append(f"<table><thead><tr><th>module</th><th>parameters</th><th>MACs</th></tr></thead><tbody>{rows}"
                         f"<tr><th>total</th>{_cell(f'{b.total_params:,}', True)}{_cell(f'{b.total_macs:,}', True)}</tr>"
                         "</tbody></table>")
    if record.val_curve:
        parts.append("<p>validation accuracy per epoch: " + esc(", ".join(f"{v:.4f}" for v in record.val_curve)) + "</p>")
    if record.arch is not None:
        parts.append(f"<pre>{esc(yaml.safe_dump(dict(record.arch), sort_keys=False))}</pre>")
    return "".join(parts) + "</details>"


def render_report(page: StudyPage, storage_url: str = "", extra_sections: Sequence[str] = ()) -> str:
    """The report's HTML for an already computed study page. ``extra_sections`` (HTML, already
    escaped) go after the hypervolume section (e.g. the confirmed front of ``dse retrain``)."""
    name = page.info.name
    counts = page.counts()
    paretos = [_figure_html(figs.pareto_figure(page.pareto(cost), study=name), f"pareto-{cost}") for cost in page.costs]
    later = [_figure_html(figs.hypervolume_figure(page.hypervolume), "hypervolume", 420)]
    importance = page.importance()
    if importance.parameters:
        later.append(_figure_html(importance_figure(importance), "importance", 380))
    if page.three is not None:
        later.append(_figure_html(figs.three_objective_figure(page.three), "three-objectives", 600))
    shapes = [_figure_html(figs.shape_figure(s), f"shape-{i}", 400) for i, s in enumerate(page.shapes)]
    front = pareto_set(page.records, page.info)
    details = [trial_detail(rec.load_trial(storage_url, name, r.number) if storage_url else r, name, storage_url)
               for r in front]  # each with its ArchSpec (the page's records leave it out)
    summary = ", ".join(f"{html.escape(status)}: {n}" for status, n in counts.items())
    target = f" (target: {page.info.target} completed)" if page.info.target else ""
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
        f"<p>objectives: {objectives}<br>dataset: {html.escape(str(dataset or '-'))}<br>trials: {summary}{target}"
        f"<br>generated {stamp}</p>", '<p id="loading">drawing the figures...</p>',
        unmeasured, '<h2 id="pareto">Pareto front</h2>', *paretos,
        '<h2 id="hypervolume-history">Hypervolume and importance</h2>', later[0], *extra_sections, *later[1:],
        '<h2 id="shape">Design-space shape</h2>', *(shapes or ["<p>No searched parameters recorded.</p>"]),
        f'<h2 id="pareto-set-title">Pareto set ({len(front)} trials)</h2>', pareto_table(front, page.info.objective_names),
        '<h2 id="trial-details">Pareto trials in detail</h2>', *details,
        f'<script type="text/plain" id="plotly-gz">{packed_plotlyjs()}</script>', LOADER,
        "</body></html>",
    ])


def write_report(storage_url: str, study_name: str, out_path: str | Path) -> Path:
    """Write the report of ``study_name`` to ``out_path`` (parent folders created); returns the path."""
    page = compute_study_page(storage_url, study_name)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    from dse.dashboard.confirmed import report_html  # the confirmed front (dse retrain), when there is one

    confirmed = report_html(storage_url, study_name)
    out.write_text(render_report(page, storage_url, [confirmed] if confirmed else []), encoding="utf-8")
    return out

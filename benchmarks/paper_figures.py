"""The SqueezeNet paper's design-space figures from the three shipped paper studies, with error bars.

Reads studies paper_sr_sweep, paper_pct3x3_sweep and paper_bypass (run with `repeats: 3`, so each
trial stores its per-seed validation accuracies), draws accuracy (mean ± std over the seeds, seeds
as dots) against SR, against the share of 3x3 filters, and per bypass kind, writes the figures as
HTML and PNG (headless Chromium) into benchmarks/figures/, and prints a markdown table.

Run: python benchmarks/paper_figures.py [--db-dir benchmarks/results] [--out benchmarks/figures]
     (the studies in DB_DIR/paper_sr_sweep.db, DB_DIR/paper_pct3x3_sweep.db, DB_DIR/paper_bypass.db)
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
from pathlib import Path

import optuna
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dse.study import attrs

STUDIES = (("paper_sr_sweep", "sr", "squeeze ratio SR"), ("paper_pct3x3_sweep", "pct3x3", "share of 3x3 filters"),
           ("paper_bypass", "bypass", "bypass"))
BYPASS_ORDER = ("none", "simple", "complex")


def points(db_dir: Path, study: str, param: str, suffix: str = "") -> list[dict]:
    """One row per completed grid point: the value, mean, std, per-seed accuracies, size."""
    s = optuna.load_study(study_name=study + suffix, storage=f"sqlite:///{db_dir / (study + suffix + '.db')}")
    rows = []
    for t in s.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        ua = t.user_attrs
        seeds = ua.get(attrs.VAL_ACC_PER_SEED) or [t.values[0]]
        rows.append({"value": t.params[param], "mean": statistics.fmean(seeds),
                     "std": statistics.stdev(seeds) if len(seeds) > 1 else 0.0, "seeds": seeds,
                     "size_bytes": ua.get(attrs.SIZE_BYTES), "params": ua.get(attrs.PARAMS),
                     "train_seconds": ua.get(attrs.TRAIN_SECONDS), "trial": t.number})
    key = (lambda r: BYPASS_ORDER.index(r["value"])) if param == "bypass" else (lambda r: r["value"])
    return sorted(rows, key=key)


def figure(data: dict[str, list[dict]], title: str) -> go.Figure:
    fig = make_subplots(rows=1, cols=3, subplot_titles=[
        "(a) accuracy vs SR (pct3x3 = 0.5)", "(b) accuracy vs % 3x3 filters (SR = 0.5)", "(c) bypass"])
    for col, (study, param, label) in enumerate(STUDIES, start=1):
        rows = data.get(study, [])
        x = [r["value"] for r in rows]
        fig.add_trace(go.Scatter(
            x=x, y=[100 * r["mean"] for r in rows], error_y={"type": "data", "array": [100 * r["std"] for r in rows]},
            mode="lines+markers" if param != "bypass" else "markers", marker={"size": 9, "color": "#1f77b4"},
            name="mean ± std over seeds", showlegend=col == 1), row=1, col=col)
        fig.add_trace(go.Scatter(
            x=[xv for xv, r in zip(x, rows) for _ in r["seeds"]], y=[100 * a for r in rows for a in r["seeds"]],
            mode="markers", marker={"size": 5, "color": "#888", "symbol": "circle-open"}, name="one seed",
            showlegend=col == 1), row=1, col=col)
        fig.update_xaxes(title_text=label, row=1, col=col)
    fig.update_yaxes(title_text="validation accuracy (%)", row=1, col=1)
    fig.update_layout(template="plotly_white", width=1400, height=480,
                      title=title,
                      legend={"orientation": "h", "y": -0.2})
    return fig


def table(data: dict[str, list[dict]]) -> str:
    lines = ["| study | value | val acc mean ± std (%) | seeds (%) | size (fp32 bytes) |", "|---|---|---|---|---|"]
    for study, param, _ in STUDIES:
        for r in data.get(study, []):
            seeds = ", ".join(f"{100 * a:.1f}" for a in r["seeds"])
            lines.append(f"| {study} | {param} = {r['value']} | {100 * r['mean']:.1f} ± {100 * r['std']:.1f} | "
                         f"{seeds} | {r['size_bytes']:,} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db-dir", default="benchmarks/results")
    parser.add_argument("--out", default="benchmarks/figures")
    parser.add_argument("--suffix", default="", help="read studies NAME+SUFFIX (e.g. _4k) and name the files so")
    parser.add_argument("--title", default="SqueezeNet design space on Fashion-MNIST (width 1/8, 1 epoch over 2,000 "
                        "images, 3 seeds per point)")
    args = parser.parse_args()
    db_dir, out, suffix = Path(args.db_dir), Path(args.out), args.suffix
    data = {study: points(db_dir, study, param, suffix) for study, param, _ in STUDIES
            if (db_dir / f"{study}{suffix}.db").exists()}
    out.mkdir(parents=True, exist_ok=True)
    html = out / f"paper_design_space{suffix}.html"
    figure(data, args.title).write_html(html, include_plotlyjs=True, config={"displayModeBar": False})
    png = out / f"paper_design_space{suffix}.png"  # headless Chromium, as benchmarks/search_efficiency.py does
    browser = shutil.which("chromium") or "/usr/bin/chromium"
    subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1420,500", "--virtual-time-budget=10000", f"--screenshot={png.resolve()}",
                    html.resolve().as_uri()], check=True, capture_output=True, timeout=120)
    (out / f"paper_design_space{suffix}.json").write_text(json.dumps(data, indent=2))
    html.unlink()  # 4 MB of inlined plotly.js; the PNG and the JSON are kept
    print(table(data))
    print(f"wrote {png}")


if __name__ == "__main__":
    main()

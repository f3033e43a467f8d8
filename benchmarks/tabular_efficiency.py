"""Search efficiency on the tabular benchmark: dse against the strongest samplers, by replay.

Every method searches the table of benchmarks/data/tabular_fmnist.{csv,json} (every point of a
SqueezeNet-family grid trained with two seeds on fashion-mnist-mini; docs/tabular-benchmark.md)
instead of training: a proposal's recorded curve and training seconds (the means over its seeds;
``--repeats first``: its first measurement) are replayed, so 20+ seeds of each
method take minutes. Methods, all told the parameter limit through Optuna's constraint API:
dse (cost-aware sampler, dse's default Pareto pruner replayed on the recorded curves, duplicate
reuse); Optuna's TPESampler (v5's multi-objective default), GPSampler (constrained logEHVI),
NSGA-II and random sampling, each training every proposal to the end.

Reports per method the median and interquartile range over seeds of the simulated time to reach
90%, 95% and 99% of the true front's hypervolume, writes benchmarks/results/tabular_efficiency.json
and an HTML/PNG figure of the median hypervolume fraction against time with IQR bands, and ends
with the line ``dse / best peer time to 95% of the true hypervolume: R (...)``, after a bootstrap
interval of R over the seeds (how well that many seeds settle it).

Run: python benchmarks/tabular_efficiency.py [--grid core|full] [--seeds 20] [--first-seed 0] [--methods dse tpe gp nsga2 random]
                                             [--stop-fraction 0.95] [--png benchmarks/figures/tabular_efficiency.png]
(--stop-fraction 0.95 ends runs at 95% and reports 90% and 95%: 4 minutes on the full grid, where
runs to 99% take hours because the model-based samplers' CPU time grows with every trial.)
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from _results import RESULTS  # benchmarks/_results.py
from tabular.replay import Run, methods, replay
from tabular.table import DATA, NAME, REPEATS, load_table

FRACTIONS = (0.90, 0.95, 0.99)
RESAMPLES = 10_000  # bootstrap resamples: enough that a printed two-decimal interval does not move between draws
COLORS = {"dse": "#1f77b4", "tpe": "#d62728", "gp": "#9467bd", "nsga2": "#ff7f0e", "random": "#2ca02c"}


def summarize(runs: list[Run], fractions=FRACTIONS) -> dict[str, dict]:
    """Per method and fraction: median, quartiles (never reached = inf) and how many seeds reached it."""
    out: dict[str, dict] = {}
    for name in dict.fromkeys(r.method for r in runs):
        mine = [r for r in runs if r.method == name]
        out[name] = {"seeds": len(mine), "trials_median": float(np.median([len(r.trials) for r in mine]))}
        for f in fractions:
            times = np.array([r.seconds_to(f) for r in mine])
            q25, q50, q75 = np.percentile(times, [25, 50, 75], method="lower") if np.isinf(times).any() else np.percentile(times, [25, 50, 75])
            out[name][f"{f:.2f}"] = {"median": float(q50), "q25": float(q25), "q75": float(q75),
                                      "reached": int(np.isfinite(times).sum())}
    return out


def best_peer(summary: dict[str, dict], fraction: float = 0.95) -> str | None:
    """The peer with the lowest median time to ``fraction``; None without dse or a peer."""
    peers = {m: s[f"{fraction:.2f}"]["median"] for m, s in summary.items() if m != "dse"}
    return min(peers, key=peers.get) if peers and "dse" in summary else None


def ratio_line(summary: dict[str, dict], fraction: float = 0.95) -> tuple[str, float | None]:
    key = f"{fraction:.2f}"
    best = best_peer(summary, fraction)
    if best is None:
        return "dse / best peer time to 95% of the true hypervolume: n/a (needs dse and at least one peer)", None
    dse_t, peer_t = summary["dse"][key]["median"], summary[best][key]["median"]
    ratio = dse_t / peer_t if np.isfinite(peer_t) else (0.0 if np.isfinite(dse_t) else float("nan"))
    shown = "inf (dse's median never reached it)" if np.isinf(ratio) else f"{ratio:.2f}"
    return (f"dse / best peer time to 95% of the true hypervolume: {shown} "
            f"(median over {summary['dse']['seeds']} seeds; best peer: {best})"), ratio


def ratio_interval(runs: list[Run], peer: str, fraction: float = 0.95, level: float = 0.90, resamples: int = RESAMPLES,
                   seed: int = 0, target: float = 0.5) -> dict[str, float]:
    """How far the seeds settle the ratio: a bootstrap of dse's median time to ``fraction`` over
    ``peer``'s (each method's seeds resampled with replacement, independently), its central
    ``level`` interval and the share of resamples above ``target``. A seed that never reached
    the level counts as infinitely slow; deterministic for a given ``seed``."""
    times = {m: np.array([r.seconds_to(fraction) for r in runs if r.method == m]) for m in ("dse", peer)}
    if not all(len(t) for t in times.values()):
        raise ValueError(f"ratio_interval needs runs of dse and {peer}")
    rng = np.random.default_rng(seed)
    with np.errstate(invalid="ignore"):  # inf / inf when neither median reached the level
        ratios = bootstrap_medians(times["dse"], resamples, rng) / bootstrap_medians(times[peer], resamples, rng)
    ratios = ratios[~np.isnan(ratios)]
    out = {"low": np.nan, "high": np.nan, "level": level, "above_target": np.nan, "target": target, "resamples": resamples}
    if len(ratios):  # else neither method's median ever reached the level
        out["low"], out["high"] = central(ratios, level)
        out["above_target"] = float(np.mean(ratios > target))
    return out


def bootstrap_medians(times: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Medians of ``resamples`` resamples (with replacement) of ``times``."""
    times = np.asarray(times, dtype=float)
    return np.median(times[rng.integers(0, len(times), (resamples, len(times)))], axis=1)


def central(values: np.ndarray, level: float = 0.90) -> tuple[float, float]:
    """The central ``level`` interval of bootstrap values (values themselves, no interpolation: they may be inf)."""
    tail = (1.0 - level) / 2.0
    lo, hi = np.quantile(values, [tail, 1.0 - tail], method="inverted_cdf")
    return float(lo), float(hi)


def show(x: float) -> str:
    return "never" if np.isinf(x) else f"{x:,.0f} s"


def print_table(summary: dict[str, dict], fractions=FRACTIONS) -> None:
    head = "method  " + "".join(f"{f'to {f:.0%} (median [IQR], seeds reached)':>44s}" for f in fractions) + "   trials"
    print(head)
    for name, s in summary.items():
        cells = "".join(f"{show(s[k]['median']) + ' [' + show(s[k]['q25']) + ' - ' + show(s[k]['q75']) + '], ' + str(s[k]['reached']) + '/' + str(s['seeds']):>44s}"
                        for k in (f"{f:.2f}" for f in fractions))
        print(f"{name:8s}{cells}   {s['trials_median']:.0f}")


def curves(runs: list[Run], horizon: float, n: int = 300) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Common time grid (log-spaced) and per method the hypervolume fraction of every seed on it."""
    first = min((next((t for t, hv, _ in r.history if hv > 0), horizon) for r in runs), default=1.0)
    grid = np.geomspace(max(first, 1e-3), horizon, n)
    out: dict[str, list] = {}
    for r in runs:
        times = np.array([h[0] for h in r.history]) if r.history else np.zeros(0)
        hv = np.array([h[1] for h in r.history]) / r.true_hypervolume if r.history else np.zeros(0)
        idx = np.searchsorted(times, grid, side="right") - 1
        out.setdefault(r.method, []).append(np.where(idx >= 0, hv[np.maximum(idx, 0)] if len(hv) else 0.0, 0.0))
    return grid, {m: np.array(v) for m, v in out.items()}


def figure(runs: list[Run], horizon: float, title: str):
    import plotly.graph_objects as go

    grid, per = curves(runs, horizon)
    fig = go.Figure()
    for name, values in per.items():
        q25, q50, q75 = np.percentile(values, [25, 50, 75], axis=0)
        color = COLORS.get(name, "#7f7f7f")
        fig.add_trace(go.Scatter(x=grid, y=q75, mode="lines", line={"width": 0, "color": color, "shape": "hv"},
                                 showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=grid, y=q25, mode="lines", line={"width": 0, "color": color, "shape": "hv"}, fill="tonexty",
                                 fillcolor=_alpha(color, 0.18), showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=grid, y=q50, mode="lines", name=f"{name} (median, IQR band; {len(values)} seeds)",
                                 line={"color": color, "width": 2.5, "shape": "hv"}))
    for f in FRACTIONS:
        fig.add_hline(y=f, line={"color": "#bbbbbb", "dash": "dot", "width": 1})
    fig.update_layout(title=title, xaxis_title="simulated seconds (recorded training + measured sampler CPU)",
                      yaxis_title="fraction of the true front's hypervolume", xaxis_type="log", yaxis_range=[0.5, 1.005],
                      template="plotly_white", width=1000, height=560, legend={"x": 0.99, "xanchor": "right", "y": 0.02, "yanchor": "bottom"})
    return fig


def _alpha(color: str, a: float) -> str:
    return f"rgba({int(color[1:3], 16)},{int(color[3:5], 16)},{int(color[5:7], 16)},{a})"


def _one(task: tuple) -> Run:
    table, name, seed, budget, max_trials, population, peer_reuse, stop = task
    return replay(table, methods(population, peer_reuse)[name], seed, budget=budget, max_trials=max_trials,
                  stop_fraction=stop)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", default=None, help="full, core, or (default) the largest completely measured one")
    parser.add_argument("--seeds", type=int, default=20, help="seeds per method (at least 20; a ratio near 0.5 needs hundreds)")
    parser.add_argument("--first-seed", type=int, default=0, help="replay seeds first-seed .. first-seed + seeds - 1 (a held-out seed set)")
    parser.add_argument("--methods", nargs="+", default=list(methods()), choices=list(methods()))
    parser.add_argument("--limit", type=float, default=None, help="parameter limit (default: the table's fill limit)")
    parser.add_argument("--repeats", choices=REPEATS, default="mean",
                        help="a point measured with several seeds: replay their mean (default) or its first measurement")
    parser.add_argument("--budget", type=float, default=None,
                        help="simulated seconds per run (default: the training seconds of every feasible point, "
                             "i.e. of an exhaustive enumeration; a level not reached by then counts as never)")
    parser.add_argument("--max-trials", type=int, default=None, help="trials per run (default: 5x the grid size)")
    parser.add_argument("--nsga2-population", type=int, default=8)
    parser.add_argument("--peer-reuse", action="store_true", help="peers also reuse a repeated proposal's result for free")
    parser.add_argument("--stop-fraction", type=float, default=max(FRACTIONS), choices=FRACTIONS,
                        help="end a run once it holds this fraction of the true hypervolume (default 0.99); "
                             "0.95 reports 90%% and 95%% only, in a fraction of the time on the full grid")
    parser.add_argument("--jobs", type=int, default=1, help="replay in N processes (results do not depend on it)")
    parser.add_argument("--png", default=None, help="also render the figure to this PNG with headless Chromium")
    parser.add_argument("--table", default=str(DATA / NAME), help="table files, without .csv/.json")
    parser.add_argument("--out", default=str(RESULTS / "tabular_efficiency.json"))
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)  # sampler seconds are CPU seconds of one thread, as on a shared machine
    table = load_table(args.grid, folder=Path(args.table).parent, name=Path(args.table).name, limit=args.limit, repeats=args.repeats)
    table.check_complete()
    feasible = [p for p in table.points.values() if p.status == "completed" and table.feasible(p)]
    budget = args.budget or table.enumeration_seconds()
    max_trials = args.max_trials or 5 * table.size()
    print(f"table {table.meta['name']}, grid {table.meta['grid_name']}: {table.size()} points, {len(feasible)} trained within "
          f"the limit {table.limit:,.0f} parameters; true front {len(table.front())} points, hypervolume "
          f"{table.true_hypervolume():,.1f} (repeats: {table.repeats}); budget {budget:,.0f} simulated s or {max_trials} trials per run; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    tasks = [(table, name, seed, budget, max_trials, args.nsga2_population, args.peer_reuse, args.stop_fraction)
             for name in args.methods for seed in range(args.first_seed, args.first_seed + args.seeds)]
    started = time.monotonic()
    if args.jobs > 1:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            runs = pool.map(_one, tasks, chunksize=1)
    else:
        runs = [_one(task) for task in tasks]
    print(f"{len(runs)} runs in {time.monotonic() - started:.0f} s wall ({args.jobs} processes)")
    for name in args.methods:
        mine = [r for r in runs if r.method == name]
        print(f"{name:7s} median {np.median([len(r.trials) for r in mine]):.0f} trials, "
              f"{np.median([sum(t['sampler_seconds'] for t in r.trials) for r in mine]):.1f} sampler CPU s per run", flush=True)
    fractions = tuple(f for f in FRACTIONS if f <= args.stop_fraction)
    summary = summarize(runs, fractions)
    print_table(summary, fractions)
    line, ratio = ratio_line(summary)
    interval = None
    if ratio is not None:
        best = best_peer(summary)
        interval = ratio_interval(runs, best)
        print(f"bootstrap {interval['level']:.0%} interval of dse / {best} time to 95%: {interval['low']:.2f} - {interval['high']:.2f} "
              f"({interval['resamples']:,} resamples of each method's seeds); above {interval['target']} in {interval['above_target']:.1%} of them")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "grid": table.meta["grid_name"], "budget": budget, "summary": summary,
                               "ratio_95": ratio, "ratio_95_interval": interval, "runs": [r.to_dict() for r in runs]},
                              default=float) + "\n")
    print(f"wrote {out}")
    horizon = max(h[0] for r in runs for h in r.history[-1:])
    title = (f"Tabular benchmark ({table.meta['grid_name']} grid, {table.size()} points, limit {table.limit:,.0f} params): "
             "hypervolume fraction over simulated time")
    html = out.with_suffix(".html")
    figure(runs, horizon, title).write_html(html, include_plotlyjs=True, config={"displayModeBar": False})
    print(f"wrote {html}")
    if args.png:
        from search_efficiency import render_png

        render_png(html, Path(args.png))
    print(line)


if __name__ == "__main__":
    main()

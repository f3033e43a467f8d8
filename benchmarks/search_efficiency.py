"""Search efficiency: hypervolume against wall-clock time for several ways of running a study.

(a) dse: the cost-aware sampler (dse.study._cost_aware: screens many candidates by exact cost,
    never proposes an infeasible or duplicate one, and picks the best expected hypervolume gain per
    predicted training second), Pareto-aware pruning at rungs, duplicate reuse;
(b) plain Optuna NSGA-II: every candidate trained to the end, no constraint, no reuse;
(c) random sampling, likewise plain;
(d) `--methods tpe gp`: Optuna's TPESampler (v5's multi-objective default) and GPSampler
    (constrained logEHVI), told the parameter limit through Optuna's constraint API, every
    candidate trained to the end, no reuse (issue 17; the tabular replay is tabular_efficiency.py).
All use the same trainer, data, search space, budget and wall-clock limit. The hypervolume
(accuracy vs parameters, reference point: accuracy 0 and the parameter limit) counts only trained,
completed candidates within the parameter limit, so all are scored alike.

Run: python benchmarks/search_efficiency.py [--seconds 240] [--seeds 0 1] [--space squeezenet_full]
     python benchmarks/search_efficiency.py --replot RESULTS.json [MORE.json] --png F.png  (redraw only)
Writes benchmarks/results/search_efficiency.json and search_efficiency.html (Plotly figure) and
prints, per peer that ran, the time (a) needs to reach the peer's final hypervolume as a fraction of
the peer's time (target <= 0.5).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import optuna
from _results import RESULTS  # benchmarks/_results.py

from dse.study import attrs
from dse.study._config import config_from_data
from dse.study._pareto import hypervolume, to_loss
from dse.study._runner import trial_status
from dse.study._session import start

METHODS = {
    "dse": {"sampler": {"name": "cost_aware"}, "pruner": {"mode": "pareto", "rungs": [2], "min_trials": 3},
            "reuse_duplicates": True, "constrained": True},
    "nsga2": {"sampler": {"name": "nsga2", "options": {"population_size": 8}}, "pruner": {"mode": "off"},
              "reuse_duplicates": False, "constrained": False},
    "random": {"sampler": {"name": "random"}, "pruner": {"mode": "off"}, "reuse_duplicates": False, "constrained": False},
    # the strongest peers a user would pick instead, told the constraint (Optuna 5 samplers read
    # trial.set_constraint): TPE (Optuna's multi-objective default) and GP (constrained logEHVI)
    "tpe": {"sampler": {"name": "tpe"}, "pruner": {"mode": "off"}, "reuse_duplicates": False, "constrained": True},
    "gp": {"sampler": {"name": "gp"}, "pruner": {"mode": "off"}, "reuse_duplicates": False, "constrained": True},
}


def front_hypervolume(study: optuna.Study, max_params: int) -> float:
    pts = []
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        if trial_status(t) in ("completed", "duplicate") and t.user_attrs.get(attrs.PARAMS, 1e18) <= max_params:
            pts.append((t.values[0], t.user_attrs[attrs.PARAMS]))
    if not pts:
        return 0.0
    directions = ["maximize", "minimize"]
    return hypervolume(to_loss(np.array(pts, dtype=float), directions), np.array([0.0, float(max_params)]))


def run_one(method: str, seed: int, args: argparse.Namespace, folder: Path) -> dict:
    m = METHODS[method]
    if method == "dse":
        m = {**m, "pruner": {**m["pruner"], "rungs": args.rungs, "margin": args.margin}}
        if args.dse_sampler != "nsga2":
            m["sampler"] = {"name": args.dse_sampler}
        else:
            m["sampler"] = METHODS["nsga2"]["sampler"]
    data = {
        "name": f"{method}-{seed}", "space": args.space, "dataset": args.dataset,
        "budget": {"epochs": args.epochs, "train_subset": args.subset, "max_seconds": args.trial_cap},
        "objectives": ["val_acc", "params"], "sampler": m["sampler"], "pruner": m["pruner"],
        "reuse_duplicates": m["reuse_duplicates"], "seed": seed, "trials": 100_000,
        "storage": f"sqlite:///{folder / f'{method}-{seed}.db'}",
    }
    if m["constrained"]:
        data["constraints"] = {"max_params": args.max_params}
    session = start(config_from_data(data, "search_efficiency"))
    history: list[tuple[float, float, int]] = []
    t0 = time.monotonic()

    def on_trial(study: optuna.Study, counts) -> None:
        history.append((time.monotonic() - t0, front_hypervolume(study, args.max_params), len(study.trials)))
        if args.verbose and study.trials:
            print("  " + trial_line(study, history[-1]), flush=True)

    session.run(target=100_000, timeout=args.seconds, on_trial=on_trial)
    history = [h for h in history if h[0] <= args.seconds]  # a trial finishing after the budget does not count
    counts: dict[str, int] = {}
    for t in session.study.get_trials(deepcopy=False):
        counts[trial_status(t)] = counts.get(trial_status(t), 0) + 1
    return {"method": method, "seed": seed, "history": history, "counts": counts}


def trial_line(study: optuna.Study, point: tuple[float, float, int]) -> str:
    """One line about the trial that just ended, and what a cost-aware sampler predicted for it."""
    t = max(study.get_trials(deepcopy=False), key=lambda t: t.number)
    ua = t.user_attrs
    acc = f"{t.values[0]:.3f}" if t.values else (f"{ua[attrs.VAL_CURVE][-1]:.3f}@{len(ua[attrs.VAL_CURVE])}" if ua.get(attrs.VAL_CURVE) else "-")
    line = (f"{point[0]:6.1f} s  #{t.number:<3d} {trial_status(t):10s} acc {acc:9s} params {ua.get(attrs.PARAMS, 0):>8,} "
            f"macs {ua.get(attrs.MACS, 0):>11,} train {ua.get(attrs.TRAIN_SECONDS, 0):5.1f} s  hv {point[1]:9,.0f}")
    plan = getattr(study.sampler, "last_choice", None)
    if plan:
        line += "  | " + (f"predicted {plan['mean']:.3f}±{plan['std']:.3f} in {plan['seconds']:.1f} s" if "mean" in plan else plan["reason"])
    return line


def time_to_reach(history: list, level: float) -> float | None:
    for t, hv, _ in history:
        if hv >= level - 1e-12:
            return t
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=240.0, help="wall-clock budget per run")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--space", default="squeezenet_full")
    parser.add_argument("--dataset", default="fashion-mnist-mini")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--subset", type=int, default=3000)
    parser.add_argument("--max-params", type=int, default=150_000)
    parser.add_argument("--trial-cap", type=float, default=60.0, help="wall-clock cap per trial (all methods)")
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--rungs", type=int, nargs="+", default=[2], help="pruning rungs (epochs) of the dse method")
    parser.add_argument("--margin", type=float, default=0.02, help="pruning margin of the dse method")
    parser.add_argument("--dse-sampler", default="cost_aware", choices=["cost_aware", "nsga2", "tpe", "random"],
                        help="sampler of the dse method (the baselines stay NSGA-II and random); nsga2 means "
                             "NSGA-II told the cost constraint through Optuna's constraint API")
    parser.add_argument("--keep-studies", default=None, metavar="DIR",
                        help="keep each run's study database (METHOD-SEED.db) in DIR instead of a temporary folder")
    parser.add_argument("--verbose", action="store_true", help="print a line per trial (and the sampler's prediction)")
    parser.add_argument("--replot", default=None, nargs="+", metavar="JSON",
                        help="run nothing: summarize and redraw the runs saved in these results JSONs (say, the "
                             "dse and nsga2 runs of one invocation and the random runs of another)")
    parser.add_argument("--png", default=None, help="also render the figure to this PNG with headless Chromium")
    args = parser.parse_args()

    if args.replot:
        saved = [json.loads(Path(f).read_text()) for f in args.replot]
        runs = [run for s in saved for run in s["runs"]]
        seconds = saved[0]["args"]["seconds"]
        summarize(runs, sorted({run["seed"] for run in runs}), seconds)
        html = RESULTS / "search_efficiency_replot.html"
        figure(runs, seconds).write_html(html, include_plotlyjs=True, config={"displayModeBar": False})
        print(f"wrote {html}")
        if args.png:
            render_png(html, Path(args.png))
        return

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep_studies or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for seed in args.seeds:
            for method in args.methods:
                run = run_one(method, seed, args, folder)
                final = run["history"][-1][1] if run["history"] else 0.0
                print(f"{method:7s} seed {seed}: {len(run['history'])} trials, final hypervolume {final:,.0f}, {run['counts']}", flush=True)
                runs.append(run)

    summary = summarize(runs, args.seeds, args.seconds)
    out_dir = RESULTS
    out_dir.mkdir(exist_ok=True)
    (out_dir / "search_efficiency.json").write_text(json.dumps({"args": vars(args), "summary": summary, "runs": runs}, indent=2))
    html = out_dir / "search_efficiency.html"
    figure(runs, args.seconds).write_html(html, include_plotlyjs=True, config={"displayModeBar": False})
    print(f"wrote {out_dir / 'search_efficiency.json'} and {html.name}")
    if args.png:
        render_png(html, Path(args.png))


def summarize(runs: list[dict], seeds: list[int], seconds: float) -> dict:
    """Per peer (nsga2, tpe, gp, random, whichever ran) and seed: when the peer first reached its
    final hypervolume, when (a) dse reached it, and the ratio of the two (the issue's target,
    <= 0.5); also the ratio to the whole budget and final values."""
    peers = [m for m in dict.fromkeys(r["method"] for r in runs) if m != "dse"]
    per_peer: dict[str, list] = {}
    for peer in peers:
        per_seed = per_peer.setdefault(peer, [])
        for seed in seeds:
            a = next((r for r in runs if r["method"] == "dse" and r["seed"] == seed), None)
            b = next((r for r in runs if r["method"] == peer and r["seed"] == seed), None)
            if not a or not b or not b["history"]:
                continue
            b_final = b["history"][-1][1]
            b_time = time_to_reach(b["history"], b_final)
            a_time = time_to_reach(a["history"], b_final)
            ratio = (a_time / b_time) if (a_time is not None and b_time) else None
            per_seed.append({"seed": seed, "b_final_hv": b_final, "b_time": b_time, "a_time": a_time, "ratio": ratio,
                             "ratio_to_budget": (a_time / seconds) if a_time is not None else None,
                             "a_final_hv": a["history"][-1][1] if a["history"] else 0.0})
            print(f"seed {seed}: dse reaches {peer}'s final hypervolume {b_final:,.0f} at "
                  f"{'never' if a_time is None else f'{a_time:.0f} s'}; {peer} reached it at {b_time:.0f} s -> ratio "
                  f"{'n/a' if ratio is None else f'{ratio:.2f}'}")
    finals = {m: float(np.mean([r["history"][-1][1] if r["history"] else 0.0 for r in runs if r["method"] == m]))
              for m in {r["method"] for r in runs}}
    summary: dict = {"target": 0.5, "mean_final_hv": finals, "peers": {}}
    for peer, per_seed in per_peer.items():
        valid = [r["ratio"] for r in per_seed if r["ratio"] is not None]
        complete = bool(valid) and len(valid) == len(per_seed)
        summary["peers"][peer] = {"mean_ratio": float(np.mean(valid)) if complete else None,
                                  "max_ratio": float(max(valid)) if complete else None, "per_seed": per_seed}
        shown = {k: ("n/a (a seed never reached it)" if per_seed else "n/a (needs dse and this peer on one seed)")
                 if v is None else f"{v:.2f}" for k, v in summary["peers"][peer].items() if k != "per_seed"}
        print(f"time dse needs to reach {peer}'s final hypervolume, as a fraction of {peer}'s time: mean "
              f"{shown['mean_ratio']}, worst seed {shown['max_ratio']} (target <= 0.5)")
    if "nsga2" in summary["peers"]:  # the keys earlier results and docs use
        summary.update({k: summary["peers"]["nsga2"][k] for k in ("mean_ratio", "max_ratio", "per_seed")})
    print("mean final hypervolume: " + ", ".join(f"{m} {v:,.0f}" for m, v in sorted(finals.items())))
    return summary


def figure(runs: list[dict], seconds: float):
    import plotly.graph_objects as go

    fig = go.Figure()
    colors = {"dse": "#1f77b4", "nsga2": "#ff7f0e", "random": "#2ca02c", "tpe": "#d62728", "gp": "#9467bd"}
    dashes = ["solid", "dot", "dash", "dashdot"]
    seeds = sorted({r["seed"] for r in runs})
    for run in runs:
        t = [0.0] + [h[0] for h in run["history"]] + [seconds]
        hv = [0.0] + [h[1] for h in run["history"]]
        hv.append(hv[-1])
        fig.add_trace(go.Scatter(x=t, y=hv, mode="lines", name=f"{run['method']} seed {run['seed']}",
                                 line={"shape": "hv", "color": colors.get(run["method"]),
                                       "dash": dashes[seeds.index(run["seed"]) % len(dashes)]}))
    fig.update_layout(title="Hypervolume (validation accuracy vs parameters) over wall-clock time",
                      xaxis_title="wall-clock seconds", yaxis_title="hypervolume (higher is better)",
                      template="plotly_white", width=1000, height=520, legend={"x": 1.01, "y": 1})
    return fig


def render_png(html: Path, png: Path, chromium: str = "/usr/bin/chromium") -> None:
    """A PNG of the figure for the README, through headless Chromium (apt-get install chromium)."""
    browser = shutil.which("chromium") or chromium
    png.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1040,560", "--virtual-time-budget=10000", f"--screenshot={png.resolve()}",
                    html.resolve().as_uri()], check=True, capture_output=True, timeout=120)
    print(f"wrote {png}")

if __name__ == "__main__":
    main()

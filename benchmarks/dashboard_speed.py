"""How fast the dashboard shows a big study: server-side stages, and in headless Chromium the time
from the request to the first drawn Pareto plot, cold, with the bytes each callback sends.

Targets (issue 16): the 2,000-trial study page usable within 1.5 s of the request, cold, on a
2-core machine; the server-side page data of 10,000 trials in < 1 s.

Builds synthetic dse-like studies (SQLite in a temporary folder, bulk-inserted; see
tests/dashboards/synthetic.py) with 2 objectives (val_acc, params) and with 3 (val_acc, params,
macs), then times each stage of ``dse.dashboard.page.compute_study_page`` and the extra work of a
page view: drawing the Pareto figure to JSON, the cached live-refresh check, one trial's panel.
With ``--browser`` (Debian's chromium and chromedriver), for each of ``--browser-trials`` it
starts a fresh dashboard server (empty caches), opens ``/study/NAME`` in a fresh headless
Chromium with its cache disabled, and records the time to the first drawn Pareto plot (its
legend drawn; ``performance.now()``, i.e. from navigation start), the time until every section
has arrived, and the JSON bytes of each callback response.

Run: python benchmarks/dashboard_speed.py [--trials 10000] [--repeats 5] [--browser]
     [--browser-trials 2000 10000] [--skip-server]
Writes benchmarks/results/dashboard_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import optuna

from dse.dashboard import figures
from dse.dashboard.data import hypervolume_history, pareto_data
from dse.dashboard.design import breakdown_data, shape_data
from dse.dashboard.page import StudyPageCache, compute_study_page
from dse.study import _records as rec
from tests.dashboards.synthetic import build_study

try:
    from benchmarks._dashboard_browser import browser_runs
except ImportError:  # run as a script: benchmarks/ is on sys.path, not the repository root's package
    from _dashboard_browser import browser_runs  # type: ignore[no-redef]


def timed(fn: Callable[[], Any], repeats: int) -> tuple[dict[str, float], Any]:
    """Median and best wall and CPU seconds of ``fn`` over ``repeats`` runs (after one warm-up).

    On a shared machine the wall time includes waiting for a core; the CPU time does not."""
    out = fn()
    walls, cpus = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return {"wall_s": round(statistics.median(walls), 4), "best_wall_s": round(min(walls), 4),
            "cpu_s": round(statistics.median(cpus), 4)}, out


def bench_study(url: str, name: str, repeats: int) -> dict[str, Any]:
    info = rec.load_study_info(url, name)
    stages: dict[str, Any] = {}
    stages["load_trials"], records = timed(lambda: rec.load_trials(url, name, with_arch=False), repeats)
    stages["pareto_front"], front = timed(lambda: pareto_data(records, info, "params"), repeats)
    stages["hypervolume_history"], _ = timed(lambda: hypervolume_history(records, info), repeats)
    stages["shape_data"], _ = timed(lambda: shape_data(records, info), repeats)
    stages["study_page_total"], page = timed(lambda: compute_study_page(url, name), repeats)
    stages["pareto_figure_json"], _ = timed(lambda: figures.pareto_figure(front, study=name).to_json(), repeats)
    cache = StudyPageCache(url, check_every=0.0)
    cache.get(name)
    stages["live_refresh_unchanged"], _ = timed(lambda: cache.get(name), repeats)
    number = front.front_numbers()[0]
    stages["trial_panel_data"], _ = timed(
        lambda: breakdown_data(rec.load_trial(url, name, number).arch or {}), repeats)
    stages["load_trials_with_arch"], _ = timed(lambda: rec.load_trials(url, name), repeats)
    return {
        "trials": len(records), "objectives": list(info.objective_names),
        "front_size": len(front.front_numbers()), "states": page.counts(), "stages": stages,
        "target_s": 1.0, "meets_target": stages["study_page_total"]["wall_s"] < 1.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "dashboard_speed.json")
    parser.add_argument("--browser", action="store_true", help="also time the page in headless Chromium")
    parser.add_argument("--browser-trials", type=int, nargs="+", default=[2000, 10_000])
    parser.add_argument("--browser-repeats", type=int, default=3)
    parser.add_argument("--skip-server", action="store_true", help="only the browser measurements")
    parser.add_argument("--webgl-threshold", type=int, default=None,
                        help=f"draw the Pareto scatter with WebGL above this many points (default {figures.WEBGL_THRESHOLD})")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.webgl_threshold is not None:
        figures.WEBGL_THRESHOLD = args.webgl_threshold
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_average_at_start": [round(x, 2) for x in os.getloadavg()]},
        "storage": "sqlite (temporary file)", "repeats": args.repeats, "studies": {},
        "webgl_threshold": figures.WEBGL_THRESHOLD,
    }
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        if args.browser:
            results["browser"] = browser_runs(Path(tmp), args.browser_trials, args.browser_repeats)
        for name, objectives in () if args.skip_server else (("two", ("val_acc", "params")),
                                                             ("three", ("val_acc", "params", "macs"))):
            start = time.perf_counter()
            build_study(url, name, args.trials, objectives=objectives, seed=0)
            built = time.perf_counter() - start
            result = bench_study(url, name, args.repeats)
            result["build_s"] = round(built, 2)
            results["studies"][name] = result
            print(f"{name}: {result['trials']} trials, objectives {', '.join(objectives)}, "
                  f"front {result['front_size']} (built in {built:.1f} s)")
            for stage, t in result["stages"].items():
                print(f"  {stage:<24} wall {t['wall_s']:.3f} s (best {t['best_wall_s']:.3f})   cpu {t['cpu_s']:.3f} s")
            verdict = "meets" if result["meets_target"] else "MISSES"
            print(f"  -> study page {result['stages']['study_page_total']['wall_s']:.3f} s: {verdict} the 1 s target")
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"load average: {results['machine']['load_average_at_start']} at start, "
          f"{results['machine']['load_average_at_end']} at end ({os.cpu_count()} cpus)")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

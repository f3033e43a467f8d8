"""The browser half of benchmarks/dashboard_speed.py: time to the first drawn Pareto plot, cold."""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from flask import request
from werkzeug.serving import make_server

from dse.dashboard.app import _QuietHandler, create_app
from tests.dashboards.synthetic import build_study

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1000")
# marks the first frame in which the Pareto plot has its data, its points layer and its legend drawn
PROBE = """window.__drawn = null; (function poll() {
  const g = document.querySelector('#pareto-graph .js-plotly-plot');
  if (g && g._fullData && g._fullData.length && g.querySelector('.legend .traces')
      && (g.querySelector('.scatterlayer .point') || g.querySelector('.gl-container canvas'))) {
    window.__drawn = performance.now(); return; }
  requestAnimationFrame(poll); })();"""
SECTIONS = "return !!document.querySelector('#shape-graphs .js-plotly-plot') && !!document.querySelector('#importance-graph .js-plotly-plot')"


def _driver(profile: Path) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
    return driver


def one_run(url: str, study: str, profile: Path) -> dict[str, Any]:
    """A fresh server (empty caches) and a fresh browser: the cold page of ``study``."""
    app = create_app(url)
    sizes: list[tuple[str, int]] = []
    timeline: list[tuple[str, float, float]] = []  # (request, start, end) in seconds since the navigation
    began = [0.0]

    @app.server.before_request
    def start() -> None:
        request.environ["bench.start"] = time.perf_counter()

    @app.server.after_request
    def record(response: Any) -> Any:
        name = request.path
        if request.path == "/_dash-update-component":
            name = (request.get_json(silent=True) or {}).get("output", "?").split("...")[0].strip(".")
            sizes.append((name, len(response.get_data())))
        elif request.path == "/_dash-layout":  # the study page and its Pareto figure come in the first layout
            sizes.append(("layout", len(response.get_data())))
        timeline.append((name, round(request.environ["bench.start"] - began[0], 3), round(time.perf_counter() - began[0], 3)))
        return response

    server = make_server("127.0.0.1", 0, app.server, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    time.sleep(1.5)  # the app's warm-up thread (Plotly's lazy imports) runs at server start, not per page
    driver = _driver(profile)
    try:
        began[0] = time.perf_counter()
        driver.get(f"http://127.0.0.1:{server.server_port}/study/{study}")
        deadline = time.monotonic() + 120
        while driver.execute_script("return window.__drawn") is None and time.monotonic() < deadline:
            time.sleep(0.02)
        drawn = driver.execute_script("return window.__drawn")
        while not driver.execute_script(SECTIONS) and time.monotonic() < deadline:
            time.sleep(0.05)
        everything = driver.execute_script("return performance.now()")
        errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        driver.quit()
        server.shutdown()
        thread.join(5)
        server.server_close()
    by_output: dict[str, int] = {}
    for output, n in sizes:
        key = output.split("...")[0].strip(".") or output
        by_output[key] = by_output.get(key, 0) + n
    return {"first_pareto_plot_s": None if drawn is None else round(drawn / 1000, 3),
            "all_sections_s": round(everything / 1000, 3), "callback_json_bytes": by_output,
            "total_json_bytes": sum(by_output.values()), "console_errors": errors, "server_timeline": timeline}


def browser_runs(folder: Path, trial_counts: list[int], repeats: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    url = f"sqlite:///{folder / 'browser.db'}"
    for n in trial_counts:
        name = f"b{n}"
        build_study(url, name, n, seed=0)
        runs = [one_run(url, name, folder / f"profile-{n}-{i}") for i in range(repeats)]
        drawn = [r["first_pareto_plot_s"] for r in runs if r["first_pareto_plot_s"] is not None]
        out[str(n)] = {"runs": runs, "median_first_pareto_plot_s": round(statistics.median(drawn), 3) if drawn else None,
                       "target_s": 1.5, "load_average": [round(x, 2) for x in os.getloadavg()]}
        first = runs[0]
        print(f"browser, {n} trials: first Pareto plot {out[str(n)]['median_first_pareto_plot_s']} s (median of {repeats}, cold), "
              f"all sections {statistics.median(r['all_sections_s'] for r in runs):.2f} s, "
              f"callback JSON {first['total_json_bytes'] / 1e3:.0f} kB: "
              + json.dumps({k.split('.')[0]: round(v / 1e3, 1) for k, v in first["callback_json_bytes"].items()}))
    return out

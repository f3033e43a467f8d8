"""The Dash app, through its real HTTP callback endpoint (Flask test client): pages, callbacks,
escaping, read-only storage and the default bind address."""

from __future__ import annotations

import hashlib
import inspect
import json
import re
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from dse.dashboard import app as app_module
from dse.dashboard.app import make_server, serve
from tests.dashboards.client import Client, texts
from tests.dashboards.conftest import HOSTILE, StudyDB


@pytest.fixture(scope="module")
def client(study_db: StudyDB) -> Client:
    return Client(study_db.url)


def test_index_serves_the_dash_shell(client: Client) -> None:
    response = client.http.get("/")
    assert response.status_code == 200 and b"dse dashboard" in response.data


def test_studies_page_lists_studies_with_counts_and_links(client: Client) -> None:
    page = client.route("/")
    words = texts(page)
    for name in ("small", "three", "plain", HOSTILE):
        assert name in words
    assert "/study/" + urllib.parse.quote(HOSTILE, safe="") in words
    assert "/study/small" in words and "cifar10" in words


def test_hostile_study_name_is_only_ever_text(client: Client) -> None:
    page = client.route("/study/" + urllib.parse.quote(HOSTILE, safe=""))
    blob = json.dumps(page)
    assert page["props"]["children"][0]["props"]["children"] == HOSTILE  # the H2 title, as text
    assert "dangerously" not in blob and '"type": "Iframe"' not in blob
    status, out = client.study(HOSTILE)
    title = out["response"]["pareto-graph"]["figure"]["layout"]["title"]["text"]
    assert status == 200 and "<script>" not in title and "&lt;script&gt;" in title


def test_study_page_draws_front_and_all_kinds(client: Client, study_db: StudyDB) -> None:
    page = client.route("/study/small")
    assert {"params", "size_bytes", "macs"} <= set(texts(page))  # the cost-axis options
    status, out = client.study("small", cost="macs")
    assert status == 200
    figure = out["response"]["pareto-graph"]["figure"]
    traces = {t.get("uid"): t for t in figure["data"]}
    assert {"front", "dominated", "infeasible", "pruned", "front-step"} <= set(traces)
    assert figure["layout"]["xaxis"]["type"] == "log" and "multiply-accumulates" in figure["layout"]["xaxis"]["title"]["text"]
    from dse.dashboard.data import pareto_data
    from dse.study import _records as rec

    expected = pareto_data(rec.load_trials(study_db.url, "small"), rec.load_study_info(study_db.url, "small"), "macs")
    assert [c[0] for c in traces["front"]["customdata"]] == expected.front_numbers()
    sections = client.sections("small")
    assert len(sections["shape-graphs"]["children"]) == 5
    assert sections["three-graph"]["children"] == []


def test_live_refresh_skips_redraw_when_nothing_changed(client: Client) -> None:
    status, out = client.study("small")
    version = out["response"]["page-version"]["data"]
    status, _ = client.study("small", tick=1, version=version, changed="refresh.n_intervals")
    assert status == 204  # PreventUpdate: the figures (and the user's zoom) stay
    status, _ = client.study("small", tick=2, version="stale", changed="refresh.n_intervals")
    assert status == 200
    status, out = client.study("small", cost="macs", version=version)  # switching the cost axis: only the plot
    assert status == 200 and "pareto-graph" in out["response"] and "page-version" not in out["response"]
    assert out["response"]["pareto-graph"]["selectedData"] is None  # a selection on the old axis is dropped


def test_three_objective_view_and_compare(client: Client) -> None:
    sections = client.sections("three")
    graph, store = sections["three-graph"]["children"]  # the figure waits in a Store for the 3-D trace's code
    assert graph["props"]["id"] == "three-objective" and store["props"]["id"] == "three-figure"
    assert store["props"]["data"]["data"][0]["type"] == "scatter3d"
    page = client.route("/compare", "?study=small&study=three")
    assert ["small", "three"] in [c.get("props", {}).get("value") for c in page["props"]["children"]]
    status, out = client.call([("compare-graph", "figure")], [("compare-studies", "value", ["small", "three"]),
                                                              ("compare-cost", "value", "params")])
    names = [t["name"] for t in out["response"]["compare-graph"]["figure"]["data"]]
    assert status == 200 and len(names) == 2 and names[0].startswith("small (normalised hypervolume 0.")


def test_trial_panel_shows_breakdown_curve_yaml_json_and_reason(client: Client) -> None:
    from dse.study import _records as rec

    done = next(r for r in rec.load_trials(client.storage_url, "small") if r.status == "completed")
    panel = client.click("small", done.number)
    words = texts(panel)
    assert f"trial {done.number}" in words and done.label in words
    assert {"trial-breakdown", "trial-curve", "arch-yaml", "arch-json", "export-command"} <= set(words)
    yaml_text = next(w for w in words if w.startswith("in_channels:"))
    assert "fires:" in yaml_text and json.loads(next(w for w in words if w.startswith("{")))["input_size"] == 32
    failed = next(r for r in rec.load_trials(client.storage_url, "small") if r.state == "FAIL")
    assert failed.reason in texts(client.click("small", failed.number))


def test_dashboard_never_writes_to_storage(study_db: StudyDB) -> None:
    before = hashlib.sha256(study_db.path.read_bytes()).hexdigest(), study_db.path.stat().st_mtime_ns
    c = Client(study_db.url)
    c.route("/")
    for name in ("small", "three", HOSTILE, "plain"):
        c.route("/study/" + urllib.parse.quote(name, safe=""))
        c.study(name)
        c.study(name, cost="size_bytes")
        c.sections(name)
        c.table(name, "all")
    c.click("small", 5)
    c.call([("compare-graph", "figure")], [("compare-studies", "value", ["small", "plain"]), ("compare-cost", "value", "macs")])
    after = hashlib.sha256(study_db.path.read_bytes()).hexdigest(), study_db.path.stat().st_mtime_ns
    assert after == before
    assert not Path(str(study_db.path) + "-journal").exists() and not Path(str(study_db.path) + "-wal").exists()


def test_unknown_study_gives_a_message(client: Client) -> None:
    assert "no study named 'absent'" in texts(client.route("/study/absent"))[0]


def test_binds_localhost_by_default(study_db: StudyDB, monkeypatch: pytest.MonkeyPatch) -> None:
    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(serve).parameters["port"].default == 8050
    seen: dict[str, Any] = {}

    def fake_make_server(url: str, host: str, port: int) -> Any:
        seen.update(host=host, port=port)
        raise KeyboardInterrupt  # stop before serving

    monkeypatch.setattr(app_module, "make_server", fake_make_server)
    with pytest.raises(KeyboardInterrupt):
        serve(study_db.url)
    assert seen == {"host": "127.0.0.1", "port": 8050}
    server = make_server(study_db.url)
    try:
        assert server.server_address[0] == "127.0.0.1" and server.server_port > 0
    finally:
        server.server_close()


def test_non_dse_and_empty_studies_still_render(client: Client, tmp_path: Path) -> None:
    status, out = client.study("plain", cost="objective 1")
    figure = out["response"]["pareto-graph"]["figure"]
    assert status == 200 and figure["layout"]["xaxis"]["title"]["text"] == "objective 1"
    assert len(next(t for t in figure["data"] if t.get("uid") == "front")["x"]) >= 1
    import optuna

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    optuna.create_study(storage=url, study_name="empty", directions=["maximize", "minimize"])
    running = optuna.create_study(storage=url, study_name="running", directions=["maximize", "minimize"])
    running.ask()
    fresh = Client(url)
    for name in ("empty", "running"):
        page = fresh.route(f"/study/{name}")
        assert name in texts(page)
        status, out = fresh.study(name, cost="objective 1")
        assert status == 200 and fresh.sections(name)["shape-graphs"]["children"] == []
    assert {"empty", "running"} <= set(texts(fresh.route("/")))


def test_drawer_opens_on_a_click_or_a_table_row_and_closes(client: Client) -> None:
    from dse.study import _records as rec

    records = rec.load_trials(client.storage_url, "small")
    done = next(r for r in records if r.status == "completed")
    panel, css = client.drawer("small", done.number)
    assert css == "drawer open" and f"trial {done.number}" in texts(panel)
    command = next(w for w in texts(panel) if w.startswith("dse export "))
    assert command == f"dse export small --trial {done.number} --storage {client.storage_url}"
    details = json.dumps(panel)
    assert '"type": "Details"' in details and '"open": true' not in details  # ArchSpec collapsed
    panel, css = client.drawer("small", row=done.number)
    assert css == "drawer open" and f"trial {done.number}" in texts(panel)
    panel, css = client.drawer("small", close=True)
    assert css == "drawer" and panel is None  # closed, content kept
    infeasible = next(r for r in records if r.status == "infeasible")
    panel, _ = client.drawer("small", infeasible.number)
    words = texts(panel)
    assert "not trained (infeasible)" in words and not any(w.startswith("dse export") for w in words)


def test_table_shows_the_pareto_set_all_trials_and_a_plot_selection(client: Client, study_db: StudyDB) -> None:
    from dse.dashboard.data import pareto_set
    from dse.study import _records as rec

    records = rec.load_trials(study_db.url, "small")
    front = [r.number for r in pareto_set(records, rec.load_study_info(study_db.url, "small"))]
    out = client.table("small")
    rows = out["trial-table"]["data"]
    assert [r["trial"] for r in rows] == front and all(r["id"] == r["trial"] for r in rows)
    columns = [c["id"] for c in out["trial-table"]["columns"]]
    assert columns[:4] == ["trial", "architecture", "status", "accuracy"]
    assert {"params", "macs", "size_bytes", "sr", "bypass", "downsample"} <= set(columns)
    everything = client.table("small", "all")["trial-table"]["data"]
    assert len(everything) == len(records)
    assert all(r["accuracy"] is None for r in everything if r["status"] in ("infeasible", "failed"))
    off_front = next(r.number for r in records if r.number not in front and r.state == "COMPLETE")
    picked = {"points": [{"customdata": [n, "completed"]} for n in (front[0], front[-1], off_front)],
              "range": {"x": [0, 1], "y": [0, 1]}}
    selected = client.table("small", "front", picked)
    assert [r["trial"] for r in selected["trial-table"]["data"]] == [front[0], front[-1]]
    assert "within the plot selection" in selected["table-note"]["children"]


def test_studies_page_counts_infeasible_apart_from_completed(client: Client, study_db: StudyDB) -> None:
    from dse.dashboard.data import status_counts
    from dse.study import _records as rec

    page = client.route("/")
    counts = status_counts(rec.load_trials(study_db.url, "small"))
    head = [c["props"]["children"] for c in page["props"]["children"][1]["props"]["children"][0]["props"]["children"]["props"]["children"]]
    body = page["props"]["children"][1]["props"]["children"][1]["props"]["children"]
    def cell(td: dict[str, Any]) -> str:
        child = td["props"]["children"]
        return child if isinstance(child, str) else child["props"]["children"]

    rows = [[cell(td) for td in r["props"]["children"]] for r in body]
    cells = dict(zip(head, next(r for r in rows if r[0] == "small")))
    assert cells["completed"] == str(counts["completed"]) and cells["infeasible"] == str(counts["infeasible"])
    assert counts["infeasible"] > 0


def test_two_ticked_rows_compare_their_breakdowns(client: Client) -> None:
    status, out = client.call([("compare-trials", "children")], [("trial-table", "selected_row_ids", [0, 1])],
                              [("study-name", "data", "small")])
    graphs = [w for w in texts(out["response"]["compare-trials"]["children"]) if w.startswith("compare-breakdown-")]
    assert status == 200 and graphs == ["compare-breakdown-0", "compare-breakdown-1"]


def test_importance_for_accuracy_and_cost(client: Client) -> None:
    section = client.sections("small")["importance-graph"]["children"]
    bars = section[0]["props"]["figure"]["data"]
    assert [b["name"].split(" (")[0] for b in bars] == ["validation accuracy", "parameters"]
    for bar in bars:
        assert set(bar["y"]) == {"sr", "pct3x3", "width_multiplier", "bypass", "downsample"}
        assert sum(bar["x"]) == pytest.approx(1.0)
    width = dict(zip(bars[1]["y"], bars[1]["x"]))
    assert max(width, key=width.get) in ("width_multiplier", "sr")  # what drives parameter count


def test_assets_are_local(client: Client) -> None:
    html_text = client.http.get("/").data.decode()
    assert "style.css" in html_text
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']https?:", html_text)
    assert client.http.get(re.search(r'href="([^"]*style\.css[^"]*)"', html_text).group(1)).status_code == 200

"""The Dash app, through its real HTTP callback endpoint (Flask test client): pages, callbacks,
escaping, read-only storage and the default bind address."""

from __future__ import annotations

import hashlib
import inspect
import json
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from dashboards import app as app_module
from dashboards.app import create_app, make_server, serve
from tests.dashboards.conftest import HOSTILE, StudyDB

Prop = tuple[str, str]


class Client:
    """Calls the app's callbacks the way the browser does (POST /_dash-update-component)."""

    def __init__(self, url: str) -> None:
        self.storage_url = url
        self.app = create_app(url)
        self.http = self.app.server.test_client()

    def call(self, outputs: list[Prop], inputs: list[tuple[str, str, Any]], state: list[tuple[str, str, Any]] = (),
             changed: str | None = None) -> tuple[int, dict[str, Any]]:
        names = [f"{i}.{p}" for i, p in outputs]
        key = names[0] if len(names) == 1 else ".." + "...".join(names) + ".."
        outs = [{"id": i, "property": p} for i, p in outputs]
        body = {
            "output": key, "outputs": outs[0] if len(outs) == 1 else outs,
            "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
            "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
            "changedPropIds": [changed or f"{inputs[0][0]}.{inputs[0][1]}"],
        }
        response = self.http.post("/_dash-update-component", json=body)
        return response.status_code, (response.get_json() or {}) if response.status_code == 200 else {}

    def route(self, path: str, search: str = "") -> dict[str, Any]:
        status, out = self.call([("page", "children")], [("url", "pathname", path), ("url", "search", search)])
        assert status == 200
        return out["response"]["page"]["children"]

    def study(self, name: str, cost: str = "params", tick: int = 0, version: str | None = None,
              changed: str = "cost-axis.value") -> tuple[int, dict[str, Any]]:
        outputs = [("pareto-graph", "figure"), ("hv-graph", "figure"), ("shape-graphs", "children"),
                   ("three-graph", "children"), ("study-summary", "children"), ("page-version", "data")]
        return self.call(outputs, [("refresh", "n_intervals", tick), ("cost-axis", "value", cost)],
                         [("study-name", "data", name), ("page-version", "data", version)], changed)

    def click(self, name: str, number: int) -> dict[str, Any]:
        click = {"points": [{"customdata": [number, "completed"], "x": 1, "y": 1}]}
        status, out = self.call([("trial-panel", "children")], [("pareto-graph", "clickData", click)],
                                [("study-name", "data", name)])
        assert status == 200
        return out["response"]["trial-panel"]["children"]


def texts(tree: Any) -> list[str]:
    """Every string in a serialised component tree (children, values, hrefs...)."""
    if isinstance(tree, str):
        return [tree]
    if isinstance(tree, dict):
        return [t for v in tree.values() for t in texts(v)]
    if isinstance(tree, list):
        return [t for v in tree for t in texts(v)]
    return []


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
    from dashboards.data import pareto_data
    from dse.study import records as rec

    expected = pareto_data(rec.load_trials(study_db.url, "small"), rec.load_study_info(study_db.url, "small"), "macs")
    assert [c[0] for c in traces["front"]["customdata"]] == expected.front_numbers()
    assert len(out["response"]["shape-graphs"]["children"]) == 5
    assert out["response"]["three-graph"]["children"] == []


def test_live_refresh_skips_redraw_when_nothing_changed(client: Client) -> None:
    status, out = client.study("small")
    version = out["response"]["page-version"]["data"]
    status, _ = client.study("small", tick=1, version=version, changed="refresh.n_intervals")
    assert status == 204  # PreventUpdate: the figures (and the user's zoom) stay
    status, _ = client.study("small", tick=2, version="stale", changed="refresh.n_intervals")
    assert status == 200


def test_three_objective_view_and_compare(client: Client) -> None:
    status, out = client.study("three")
    assert out["response"]["three-graph"]["children"][0]["props"]["figure"]["data"][0]["type"] == "scatter3d"
    page = client.route("/compare", "?study=small&study=three")
    assert ["small", "three"] in [c.get("props", {}).get("value") for c in page["props"]["children"]]
    status, out = client.call([("compare-graph", "figure")], [("compare-studies", "value", ["small", "three"]),
                                                              ("compare-cost", "value", "params")])
    names = [t["name"] for t in out["response"]["compare-graph"]["figure"]["data"]]
    assert status == 200 and len(names) == 2 and names[0].startswith("small (hypervolume")


def test_trial_panel_shows_breakdown_curve_yaml_json_and_reason(client: Client) -> None:
    from dse.study import records as rec

    done = next(r for r in rec.load_trials(client.storage_url, "small") if r.status == "completed")
    panel = client.click("small", done.number)
    words = texts(panel)
    assert f"trial {done.number}" in words and done.label in words
    assert {"trial-breakdown", "trial-curve", "arch-yaml", "arch-json"} <= set(words)
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
    monkeypatch.setattr(app_module.dash.Dash, "run", lambda self, **kw: seen.update(kw))
    serve(study_db.url)
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8050 and seen["debug"] is False
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
        assert status == 200 and out["response"]["shape-graphs"]["children"] == []
    assert {"empty", "running"} <= set(texts(fresh.route("/")))

"""A client for the dashboard's callbacks through its real HTTP endpoint (Flask test client), as the
browser calls them, and a helper to read serialised component trees."""

from __future__ import annotations

from typing import Any

from dse.dashboard.app import create_app

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
        status, out = self.call([("page", "children"), ("rendered-url", "data")],
                                [("url", "pathname", path), ("url", "search", search)], [("rendered-url", "data", None)])
        assert status == 200 and out["response"]["rendered-url"]["data"] == path + search
        return out["response"]["page"]["children"]

    def study(self, name: str, cost: str = "params", tick: int = 0, version: str | None = None,
              changed: str = "cost-axis.value") -> tuple[int, dict[str, Any]]:
        outputs = [("pareto-graph", "figure"), ("study-summary", "children"), ("page-version", "data"),
                   ("pareto-graph", "selectedData")]
        return self.call(outputs, [("refresh", "n_intervals", tick), ("cost-axis", "value", cost)],
                         [("study-name", "data", name), ("page-version", "data", version)], changed)

    def sections(self, name: str) -> dict[str, Any]:
        outputs = [("hv-graph", "figure"), ("three-graph", "children"), ("shape-graphs", "children")]
        status, out = self.call(outputs, [("sections-go", "data", "v")], [("study-name", "data", name)])
        assert status == 200
        status, importance = self.call([("importance-graph", "children")], [("sections-go", "data", "v")],
                                       [("study-name", "data", name)])
        assert status == 200
        return {**out["response"], **importance["response"]}

    def table(self, name: str, scope: str = "front", selected: dict[str, Any] | None = None) -> dict[str, Any]:
        outputs = [("trial-table", "data"), ("trial-table", "columns"), ("table-note", "children")]
        status, out = self.call(outputs, [("sections-go", "data", "v"), ("table-scope", "value", scope),
                                          ("pareto-graph", "selectedData", selected)], [("study-name", "data", name)],
                                changed="pareto-graph.selectedData" if selected else "table-scope.value")
        assert status == 200
        return out["response"]

    def drawer(self, name: str, number: int | None = None, *, row: int | None = None,
               close: bool = False) -> tuple[Any, str]:
        click = {"points": [{"customdata": [number, "completed"], "x": 1, "y": 1}]} if number is not None else None
        cell = {"row": 0, "column": 0, "column_id": "trial", "row_id": row} if row is not None else None
        changed = "drawer-close.n_clicks" if close else "trial-table.active_cell" if row is not None else "pareto-graph.clickData"
        status, out = self.call([("trial-panel", "children"), ("trial-drawer", "className"),
                                 ("pareto-graph", "clickData"), ("trial-table", "active_cell")],
                                [("pareto-graph", "clickData", click), ("trial-table", "active_cell", cell),
                                 ("drawer-close", "n_clicks", 1 if close else 0)],
                                [("study-name", "data", name)], changed=changed)
        assert status == 200
        response = out["response"]
        return response.get("trial-panel", {}).get("children"), response["trial-drawer"]["className"]

    def click(self, name: str, number: int) -> dict[str, Any]:
        panel, css = self.drawer(name, number)
        assert css == "drawer open"
        return panel


def texts(tree: Any) -> list[str]:
    """Every string in a serialised component tree (children, values, hrefs...)."""
    if isinstance(tree, str):
        return [tree]
    if isinstance(tree, dict):
        return [t for v in tree.values() for t in texts(v)]
    if isinstance(tree, list):
        return [t for v in tree for t in texts(v)]
    return []

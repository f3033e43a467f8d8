"""The app's first layout: the page the layout request comes from (its Referer) is already in it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.dashboards.client import Client, texts
from tests.dashboards.conftest import StudyDB


@pytest.fixture(scope="module")
def client(study_db: StudyDB) -> Client:
    return Client(study_db.url)


def layout_for(client: Client, referrer: str | None) -> dict[str, Any]:
    """The app's first layout, as the page at ``referrer`` asks for it."""
    headers = {"Referer": referrer} if referrer else {}
    response = client.http.get("/_dash-layout", headers=headers)
    assert response.status_code == 200
    return response.get_json()


def find(tree: Any, component_id: str) -> dict[str, Any] | None:
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == component_id:
            return tree
        tree = list(tree.values())
    if isinstance(tree, list):
        for item in tree:
            hit = find(item, component_id)
            if hit is not None:
                return hit
    return None


def test_first_layout_holds_the_requested_page_with_its_pareto_figure(client: Client) -> None:
    """The layout request names its page (Referer): the study page comes in it, figure, summary and
    version included, so the browser draws the plot with no callback round trip; the route callback
    then leaves that page alone, and fills the page itself when the layout came without it."""
    shell = layout_for(client, "http://127.0.0.1:8050/study/small")
    assert find(shell, "rendered-url")["props"]["data"] == "/study/small"
    traces = find(shell, "pareto-graph")["props"]["figure"]["data"]
    assert {t.get("uid") for t in traces} >= {"front", "dominated"}
    assert find(shell, "page-version")["props"]["data"] and find(shell, "study-summary")["props"]["children"]
    status, out = client.call([("page", "children"), ("rendered-url", "data")],
                              [("url", "pathname", "/study/small"), ("url", "search", "")],
                              [("rendered-url", "data", "/study/small")])
    assert status == 204  # PreventUpdate: the page is already there
    compare = layout_for(client, "http://127.0.0.1:8050/compare?study=small&study=three")
    assert find(compare, "rendered-url")["props"]["data"] == "/compare?study=small&study=three"
    assert find(compare, "compare-studies")["props"]["value"] == ["small", "three"]
    bare = layout_for(client, None)
    assert find(bare, "rendered-url")["props"].get("data") is None and find(bare, "pareto-graph") is None
    assert any("no study named 'absent'" in t for t in texts(layout_for(client, "http://127.0.0.1:8050/study/absent")))

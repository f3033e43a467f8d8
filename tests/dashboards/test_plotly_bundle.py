"""dse's own plotly.js bundle (dse/dashboard/assets/plotly/, built by dashboards/plotly-bundle/): it
is what was built from the recipe's pinned plotly.js, whole, and speaks the same major version as the
plotly.js that Dash's dcc.Graph is made for."""

from __future__ import annotations

import json
import re
from pathlib import Path

from plotly.offline import get_plotlyjs_version

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dse" / "dashboard" / "assets" / "plotly"
RECIPE = ROOT / "dashboards" / "plotly-bundle"


def test_bundle_matches_its_recipe_and_dash_plotly_major_version() -> None:
    pinned = json.loads((RECIPE / "package.json").read_text())["devDependencies"]["plotly.js"]
    built = (BUNDLE / "VERSION").read_text().strip()
    assert built == pinned, f"rebuild the bundle: cd {RECIPE.relative_to(ROOT)} && npm ci && npm run build"
    assert built.split(".")[0] == get_plotlyjs_version().split(".")[0]
    lock = json.loads((RECIPE / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/plotly.js"]["version"] == pinned


def test_every_module_the_entries_import_is_shipped() -> None:
    """The entry modules import shared chunks by relative path: each one must be in the folder."""
    for entry in ("plotly-2d.js", "plotly-3d.js"):
        text = (BUNDLE / entry).read_text()
        imported = set(re.findall(r'from\s*"\./([^"]+)"', text)) | set(re.findall(r'import\s*"\./([^"]+)"', text))
        assert imported, entry
        assert all((BUNDLE / name).is_file() for name in imported), imported
    assert "export" in (BUNDLE / "plotly-2d.js").read_text()[-2000:]
    assert "MIT" in (BUNDLE / "LICENSE.txt").read_text()


BUNDLED = {"Scatter", "Scattergl", "Bar", "Box", "Scatter3d"}  # entry-2d.js and entry-3d.js


def test_the_dashboard_builds_only_trace_types_the_bundle_has() -> None:
    used = set()
    for source in (ROOT / "dse" / "dashboard").glob("*.py"):
        used |= set(re.findall(r"\bgo\.([A-Z][A-Za-z0-9]*)\(", source.read_text()))
    traces = {name for name in used if name not in {"Figure", "Layout"}}
    assert traces and traces <= BUNDLED, f"not in dse's plotly.js bundle: {sorted(traces - BUNDLED)}"

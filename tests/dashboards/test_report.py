"""The static report: one offline HTML file with the Pareto, hypervolume and shape figures."""

from __future__ import annotations

import base64
import gzip
import html
import re
from pathlib import Path

import plotly.offline
import pytest

from dse.dashboard.report import write_report
from dse.errors import DseError
from dse.study import _records as rec
from tests.dashboards.conftest import HOSTILE, StudyDB


@pytest.fixture(scope="module")
def report(study_db: StudyDB, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = write_report(study_db.url, "small", tmp_path_factory.mktemp("report") / "sub" / "report.html")
    return out.read_text(encoding="utf-8")


def test_report_holds_pareto_hypervolume_and_shape_figures(report: str) -> None:
    for div_id in ("pareto-params", "pareto-size_bytes", "pareto-macs", "hypervolume", "importance", "shape-0", "shape-4"):
        assert f'id="{div_id}"' in report
    # three cost axes, hypervolume, importance, five parameters
    assert report.count('<script type="application/json" class="figure"') == 3 + 1 + 1 + 5
    assert "normalised hypervolume" in report and "design-space shape: sr" in report


def test_report_is_offline(report: str) -> None:
    assert '<script src="http' not in report
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']https?:", report)
    assert report.count('id="plotly-gz"') == 1  # plotly.js inlined once, gzip-compressed (finding 11)
    assert len(report.encode()) < 2_300_000  # was 4.9 MB with plotly.js inlined as text
    packed = report[report.index('id="plotly-gz">') + len('id="plotly-gz">'):]
    js = gzip.decompress(base64.b64decode(packed[: packed.index("</script>")])).decode()
    assert js == plotly.offline.get_plotlyjs()


def test_report_pareto_table_lists_the_front(report: str, study_db: StudyDB) -> None:
    from dse.dashboard.data import pareto_set

    records = rec.load_trials(study_db.url, "small")
    front = pareto_set(records, rec.load_study_info(study_db.url, "small"))
    table = report[report.index('<table id="pareto-set">'):]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == len(front) + 1
    for r in front:
        assert f'<a href="#trial-{r.number}">{r.number}</a>' in table and html.escape(r.label) in table
        # per-trial detail for each Pareto trial: its export command and its ArchSpec
        detail = report[report.index(f'<details id="trial-{r.number}">'):]
        detail = detail[: detail.index("</details>")]
        assert f"dse export small --trial {r.number} --storage" in detail and "in_channels: 3" in detail
    assert report.count("<details id=") == len(front)


def test_report_escapes_a_hostile_study_name(study_db: StudyDB, tmp_path: Path) -> None:
    text = write_report(study_db.url, HOSTILE, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in text
    assert '<h1 id="study-name">&lt;script&gt;alert(1)&lt;/script&gt;</h1>' in text
    assert "CUDA out of memory <b>" not in text  # failure reasons never appear unescaped either


def test_report_of_three_objectives_and_unknown_study(study_db: StudyDB, tmp_path: Path) -> None:
    text = write_report(study_db.url, "three", tmp_path / "r3.html").read_text(encoding="utf-8")
    assert 'id="three-objectives"' in text
    with pytest.raises(DseError, match="no study named"):
        write_report(study_db.url, "absent", tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()


def test_report_counts_infeasible_apart_from_completed(report: str, study_db: StudyDB) -> None:
    from dse.dashboard.data import status_counts

    counts = status_counts(rec.load_trials(study_db.url, "small"))
    assert counts["infeasible"] > 0
    assert f"completed: {counts['completed']}, infeasible: {counts['infeasible']}" in report

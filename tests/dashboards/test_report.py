"""The static report: one offline HTML file with the Pareto, hypervolume and shape figures."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from dashboards.report import write_report
from dse.errors import DseError
from dse.study import records as rec
from tests.dashboards.conftest import HOSTILE, StudyDB


@pytest.fixture(scope="module")
def report(study_db: StudyDB, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = write_report(study_db.url, "small", tmp_path_factory.mktemp("report") / "sub" / "report.html")
    return out.read_text(encoding="utf-8")


def test_report_holds_pareto_hypervolume_and_shape_figures(report: str) -> None:
    for div_id in ("pareto-params", "pareto-size_bytes", "pareto-macs", "hypervolume", "shape-0", "shape-4"):
        assert f'id="{div_id}"' in report
    assert report.count("Plotly.newPlot(") == 3 + 1 + 5  # three cost axes, hypervolume, five parameters
    assert "Pareto front (" in report and "design-space shape: sr" in report


def test_report_is_offline(report: str) -> None:
    assert '<script src="http' not in report
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']https?:", report)
    assert len(report) > 3_000_000  # plotly.js inlined...
    assert report.count("* plotly.js v") == 1  # ...exactly once (its licence banner)


def test_report_pareto_table_lists_the_front(report: str, study_db: StudyDB) -> None:
    from dashboards.data import pareto_set

    records = rec.load_trials(study_db.url, "small")
    front = pareto_set(records, rec.load_study_info(study_db.url, "small"))
    table = report[report.index('<table id="pareto-set">'):]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == len(front) + 1
    for r in front:
        assert f'<td class="num">{r.number}</td>' in table and html.escape(r.label) in table


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

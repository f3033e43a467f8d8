"""The dashboard in a real headless Chromium (Debian's chromium + chromium-driver, via Selenium).

Skipped with an install hint where the browser is missing, except under CI=true, where that fails.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dse.dashboard.app import make_server
from dse.dashboard.data import pareto_data
from dse.study import _records as rec
from tests.dashboards.conftest import HOSTILE, StudyDB

try:
    from selenium.webdriver.common.by import By
except ImportError:  # the driver fixture skips with an install hint
    By = None  # type: ignore[assignment,misc]

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
README_SHOT = Path(__file__).resolve().parents[2] / "dashboards" / "screenshot-study.png"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1800")
GRAPH = "#pareto-graph .js-plotly-plot"


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: pip install -e '.[dev]'"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} not found: apt-get install chromium chromium-driver"
    return None


@pytest.fixture(scope="module")
def base_url(study_db: StudyDB) -> Iterator[str]:
    server = make_server(study_db.url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    browser.set_page_load_timeout(30)
    yield browser
    browser.quit()


def wait_for(check: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as exc:  # noqa: BLE001 - the page is still rendering
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def test_study_page_renders_the_front_and_opens_a_clicked_trial(driver: Any, base_url: str, study_db: StudyDB,
                                                                tmp_path: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    expected = pareto_data(rec.load_trials(study_db.url, "small"), rec.load_study_info(study_db.url, "small"), "params")
    n_points = sum(len(s.numbers) for s in expected.sets.values())
    driver.get(f"{base_url}/study/small")
    # the figure's own data, read from the plotly graph div
    traces = wait_for(lambda: driver.execute_script(
        f"const g = document.querySelector('{GRAPH}'); return g && g.data && g.data.length ? "
        "g.data.map(t => [t.uid, t.x.length, (t.customdata || []).map(c => c[0])]) : null"), what="the Pareto figure")
    by_uid = {uid: (n, numbers) for uid, n, numbers in traces}
    assert by_uid["front"][1] == expected.front_numbers()
    assert {k: by_uid[k][0] for k in ("dominated", "pruned", "infeasible")} == {
        k: len(expected.sets[k].numbers) for k in ("dominated", "pruned", "infeasible")}
    # and what was actually drawn: one SVG marker per trial with an accuracy
    wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, f"{GRAPH} .scatterlayer .point")) == n_points,
             what=f"{n_points} drawn points")
    front_points = driver.find_elements(By.CSS_SELECTOR, f"{GRAPH} .subplot.xy .scatterlayer .trace:last-child .point")
    assert len(front_points) == len(expected.front_numbers())
    driver.save_screenshot(str(tmp_path / "study.png"))
    if os.environ.get("DSE_UPDATE_SCREENSHOT"):  # refresh the README's picture on request only
        shutil.copyfile(tmp_path / "study.png", README_SHOT)

    target = len(front_points) // 2
    ActionChains(driver).move_to_element(front_points[target]).click().perform()
    label = expected.sets["front"].labels[target]
    shown = wait_for(lambda: driver.find_element(By.ID, "trial-label").text, what="the trial panel")
    assert shown == label
    drawer = driver.find_element(By.ID, "trial-drawer")
    wait_for(lambda: "open" in drawer.get_attribute("class") and drawer.rect["x"] > 700, what="the drawer on the right")
    panel = driver.find_element(By.ID, "trial-panel").text
    assert f"trial {expected.front_numbers()[target]}" in panel
    assert f"dse export small --trial {expected.front_numbers()[target]} --storage" in panel
    assert "in_channels: 3" not in panel  # the ArchSpec tabs start collapsed
    assert driver.find_element(By.CSS_SELECTOR, GRAPH).is_displayed()  # the Pareto plot stays in view
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#trial-breakdown .js-plotly-plot"), what="the breakdown chart")
    driver.save_screenshot(str(tmp_path / "trial.png"))
    assert (tmp_path / "study.png").stat().st_size > 10_000 and (tmp_path / "trial.png").stat().st_size > 10_000
    driver.find_element(By.ID, "drawer-close").click()
    wait_for(lambda: "open" not in drawer.get_attribute("class"), what="the drawer to close")
    ActionChains(driver).move_to_element(front_points[target]).click().perform()  # the same point again
    wait_for(lambda: "open" in drawer.get_attribute("class") and driver.find_element(By.ID, "drawer-close").is_displayed(),
             what="the drawer to reopen")
    assert not errors(driver)


def test_plotly_comes_from_dse_bundle_and_the_3d_view_loads_its_trace(driver: Any, base_url: str) -> None:
    """The page uses dse's 2-D plotly.js bundle, never Dash's full one; a 3-objective page loads the
    3-D trace into the same Plotly and draws its view."""
    driver.get(f"{base_url}/study/three")
    traces = wait_for(lambda: driver.execute_script(
        "const g = document.querySelector('#three-objective .js-plotly-plot');"
        "return g && g._fullData && g._fullData.length && g.querySelector('canvas') ? g._fullData.map(t => t.type) : null"),
        what="the 3-D view")
    assert "scatter3d" in traces
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, GRAPH), what="the Pareto plot")
    scripts = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    plotly = [u for u in scripts if "plotly" in u.rsplit("/", 1)[-1]]
    assert any("/assets/plotly/plotly-2d.js" in u for u in plotly) and any("/assets/plotly/plotly-3d.js" in u for u in plotly)
    assert not [u for u in plotly if "plotly.min.js" in u], plotly  # Dash's own 4.8 MB bundle is never fetched
    assert driver.execute_script("return typeof Plotly.newPlot === 'function' && Plotly.version") == \
        (Path(__file__).resolve().parents[2] / "dse/dashboard/assets/plotly/VERSION").read_text().strip()
    assert not errors(driver)


def errors(driver: Any) -> list[str]:
    """Severe messages in the browser console since the last call."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def table_numbers(driver: Any) -> list[int]:
    from selenium.webdriver.common.by import By

    cells = driver.find_elements(By.CSS_SELECTOR, "#trial-table td.dash-cell.column-0, #trial-table td[data-dash-column='trial']")
    return [int(c.text) for c in cells if c.text.strip().isdigit()]


def test_table_filters_by_parameter_and_by_a_brushed_region(driver: Any, base_url: str, study_db: StudyDB) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from dse.dashboard.data import pareto_set

    records = rec.load_trials(study_db.url, "small")
    front = [r for r in pareto_set(records, rec.load_study_info(study_db.url, "small"))]
    driver.get(f"{base_url}/study/small")
    wait_for(lambda: sorted(table_numbers(driver)) == sorted(r.number for r in front)[: len(table_numbers(driver)) or -1]
             and table_numbers(driver), what="the Pareto set in the table")
    # all trials, then a filter by parameter value typed into the bypass column's filter cell
    driver.find_element(By.CSS_SELECTOR, "#table-scope input[value='all']").click()
    wait_for(lambda: f"{len(records)} trials" in driver.find_element(By.ID, "table-note").text, what="all trials")
    box = driver.find_element(By.CSS_SELECTOR, "#trial-table th.dash-filter[data-dash-column='bypass'] input")
    box.send_keys("simple", Keys.ENTER)
    expected = sorted(r.number for r in records if r.params.get("bypass") == "simple")[:15]
    wait_for(lambda: table_numbers(driver) == expected, what="rows with bypass = simple")
    # brushing a region of the Pareto plot narrows the table to the selected trials
    driver.find_element(By.CSS_SELECTOR, "#table-scope input[value='front']").click()
    plot = driver.find_element(By.CSS_SELECTOR, f"{GRAPH} .nsewdrag")
    w, h = plot.size["width"], plot.size["height"]
    ActionChains(driver).move_to_element_with_offset(plot, -w // 2 + 5, -h // 2 + 5).click_and_hold() \
        .move_by_offset(w // 2, h - 10).release().perform()
    note = wait_for(lambda: (t := driver.find_element(By.ID, "table-note").text) and "selection" in t and t, what="the brushed table")
    shown = int(note.split()[0])
    assert 0 <= shown < len(front)
    assert not errors(driver)


def test_hostile_study_name_renders_as_text(driver: Any, base_url: str) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    driver.get(base_url + "/")
    wait_for(lambda: HOSTILE in driver.find_element(By.ID, "studies-table").text, what="the studies table")
    driver.get(f"{base_url}/study/{urllib.parse.quote(HOSTILE, safe='')}")
    assert wait_for(lambda: driver.find_element(By.ID, "study-title").text, what="the title") == HOSTILE
    wait_for(lambda: driver.execute_script(f"return document.querySelector('{GRAPH}')"), what="the figure")
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - an executed <script> would have opened an alert
    scripts = driver.execute_script("return [...document.scripts].map(s => s.textContent).join(' ')")
    assert "alert(1)" not in scripts


def test_report_opens_offline_and_draws_every_figure(driver: Any, study_db: StudyDB, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    from dse.dashboard.report import write_report

    path = write_report(study_db.url, "small", tmp_path / "report.html")
    driver.get(path.as_uri())
    n_figures = driver.execute_script("return document.querySelectorAll('script.figure').length")
    assert n_figures >= 9
    wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, ".fig.js-plotly-plot .main-svg")) >= n_figures, timeout=60,
             what="every report figure drawn")
    assert not driver.find_elements(By.ID, "loading")
    detail = driver.find_element(By.CSS_SELECTOR, "details[id^='trial-']")
    detail.find_element(By.TAG_NAME, "summary").click()
    assert "dse export small --trial" in detail.text
    assert not errors(driver)

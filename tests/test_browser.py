"""The demo-style report opened in a real browser: headless Chromium through ChromeDriver.

Asserts that the map and the tables rendered with real sizes, that no console errors occurred,
and that the page made no network request; keeps a screenshot. CI installs Debian's chromium and
chromium-driver (.ci/run); elsewhere the test is skipped only if they are missing and CI is unset.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from common.files import write_files
from reporting.published.plan import published_counts
from reporting.writers.plan_files import render_plan_files
from tests.report_fixtures import planned_plan

pytestmark = pytest.mark.slow  # starts a real browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

if not (CHROMIUM and CHROMEDRIVER) and not os.environ.get("CI"):
    pytest.skip(
        "Chromium and ChromeDriver are not installed (apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1200,1600",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def test_report_renders_map_and_tables_without_errors(browser, tmp_path):
    from selenium.webdriver.common.by import By

    planned, plan = planned_plan(tmp_path / "scn")
    out = tmp_path / "out"
    write_files(out, render_plan_files(planned, plan))
    browser.get((out / "report.html").resolve().as_uri())

    svg = browser.find_element(By.ID, "plan-map")
    assert svg.size["width"] > 500 and svg.size["height"] > 200
    assert len(svg.find_elements(By.CSS_SELECTOR, "g.hosts rect")) == 4
    assert len(svg.find_elements(By.CSS_SELECTOR, "g.areas circle")) == 5
    assert len(svg.find_elements(By.CSS_SELECTOR, "g.spokes line")) == len(plan.spokes)
    hub = svg.find_element(By.CSS_SELECTOR, "g.hubs polygon")
    assert hub.size["width"] > 5 and hub.size["height"] > 5  # drawn inside the viewport, not collapsed
    chart = browser.find_element(By.ID, "coverage-chart")
    assert chart.size["width"] > 500 and chart.size["height"] > 40
    assert len(chart.find_elements(By.CSS_SELECTOR, "g.coverage-bar rect")) >= 2
    for table_id in ("coverage-table", "hub-table", "host-table", "rules-table", "provenance-table"):
        table = browser.find_element(By.ID, table_id)
        assert table.size["height"] > 20 and table.size["width"] > 300, table_id
    rows = browser.find_elements(By.CSS_SELECTOR, "#coverage-table tbody tr")
    assert len(rows) == 3  # two authorities and the total
    assert browser.find_element(By.ID, "headline").text.count("\n") >= 5
    # the hostile host name is shown as text, not run
    assert "<script>alert(1)</script> Police" in browser.find_element(By.ID, "host-table").text

    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    requests = [
        entry["message"] for entry in browser.get_log("performance") if "Network.requestWillBeSent" in entry["message"]
    ]
    assert all('"url":"file://' in message or '"url":"data:' in message for message in requests), requests

    screenshot = tmp_path / "report.png"
    assert browser.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 10_000


def test_the_demo_reports_outcomes_monitoring_renders(browser, tmp_path):
    """inputs/demo names a monitoring store: the section's table and trend charts render with real
    sizes, suppressed points are shown as 'c' marks, and nothing is fetched."""
    from selenium.webdriver.common.by import By

    from optimisation.solve import solve
    from scoping.scenario.build import build_instance
    from scoping.scenario.loader import load_scenario
    from scoping.store.outcomes import scenario_monitoring

    scenario = load_scenario(Path(__file__).resolve().parents[1] / "inputs" / "demo")
    planned = build_instance(scenario)
    plan = solve(planned.instance, time_limit=30)
    counts = published_counts(planned, plan, scenario.rules.disclosure_threshold, scenario_monitoring(scenario))
    out = tmp_path / "out"
    write_files(out, render_plan_files(planned, plan, counts))
    browser.get((out / "report.html").resolve().as_uri())

    section = browser.find_element(By.ID, "outcomes-monitoring")
    table = section.find_element(By.ID, "monitoring-table")
    assert table.size["height"] > 200 and len(table.find_elements(By.CSS_SELECTOR, "tbody tr")) >= 15
    charts = section.find_elements(By.CSS_SELECTOR, ".multiple svg")
    assert len(charts) == 15 and all(c.size["width"] > 250 and c.size["height"] > 100 for c in charts)
    assert len(section.find_elements(By.CSS_SELECTOR, "polyline.series")) > 20
    assert section.find_elements(By.CSS_SELECTOR, "text.suppressed")
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    requests = [
        entry["message"] for entry in browser.get_log("performance") if "Network.requestWillBeSent" in entry["message"]
    ]
    assert all('"url":"file://' in message or '"url":"data:' in message for message in requests), requests
    screenshot = tmp_path / "monitoring.png"
    section.screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000

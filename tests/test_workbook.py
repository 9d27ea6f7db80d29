"""plan.xlsx: sheets and values equal plan.json's, disclosure control, formula neutralising, determinism."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from openpyxl import load_workbook

from reporting.published.plan import published_counts
from reporting.writers.plan_files import render_plan_files
from tests.report_fixtures import HOSTILE_FORMULA, planned_plan


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    planned, plan = planned_plan(tmp_path_factory.mktemp("workbook") / "scn")
    return planned, plan, render_plan_files(planned, plan)


def test_workbook_sheets_and_values_match_plan_json(rendered):
    planned, plan, files = rendered
    document = json.loads(files["plan.json"])
    book = load_workbook(io.BytesIO(files["plan.xlsx"]))
    assert book.sheetnames == ["Summary", "Spokes", "Assignments", "Coverage", "Scenario"]
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Status"] == document["status"]
    assert document["objective"] == 48 and summary["Cases covered at any one time"] == 48  # shown: see test_report
    assert summary["Demand (cases at any one time)"] == document["coverage"]["demand_total"]
    assert summary["Cost per year"] == document["cost_per_year"]
    # reach = spokes x young people per spoke per year: a modelled estimate, rounded to 5 and marked
    assert summary["Young people reached per year"] == document["reach_per_year"] == 80
    reach = next(
        row[1] for row in book["Summary"].iter_rows(min_row=2) if row[0].value == "Young people reached per year"
    )
    assert reach.number_format == '"≈"#,##0'
    spokes = [(r[0], r[2], r[6]) for r in book["Spokes"].iter_rows(min_row=2, values_only=True)]
    assert spokes == [(s["hub_id"], s["host_id"], s["count"]) for s in document["spokes"]]
    counts = published_counts(planned, plan, 5, None)
    assignments = {(r[0], r[3]): r[5] for r in book["Assignments"].iter_rows(min_row=2, values_only=True)}
    assert set(assignments) == {(a["area_id"], a["host_id"]) for a in document["assignments"]}
    for a in document["assignments"]:
        key = ("assignment", a["area_id"], a["host_id"])
        assert assignments[(a["area_id"], a["host_id"])] == ("c" if key in counts.hidden else a["cases"])
    assert all(
        assignments[(a["area_id"], a["host_id"])] == "c" for a in document["assignments"] if 1 <= a["cases"] <= 5
    )
    coverage = {r[0]: r for r in book["Coverage"].iter_rows(min_row=2, values_only=True)}
    for entry in document["coverage"]["by_authority"]:
        row = coverage[entry["authority_code"]]
        assert [row[4], row[5], row[6]] == [
            counts.number(("authority", entry["authority_code"], c)) for c in ("demand", "covered", "unmet")
        ]
    assert coverage["TOTAL"][4:7] == tuple(
        counts.number(("authority", "TOTAL", c)) for c in ("demand", "covered", "unmet")
    )
    assert coverage["E06000002"][6] == 0  # unmet, published
    scenario = {r[0]: r[1] for r in book["Scenario"].iter_rows(min_row=2, values_only=True)}
    assert scenario["caseload_max"] == document["rules"]["caseload_max"]
    # the inputs' SHA-256 in the internal pack only (a hash lets a reader test guesses of a file's counts)
    assert all(scenario[f"sha256 {name}"] == "in the internal pack" for name in document["inputs_sha256"])
    internal = load_workbook(io.BytesIO(files["internal/plan.xlsx"]))
    exact = {r[0]: r[1] for r in internal["Scenario"].iter_rows(min_row=3, values_only=True)}
    assert all(exact[f"sha256 {name}"] == digest for name, digest in document["inputs_sha256"].items())
    sheet = book["Spokes"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold


def test_workbook_neutralises_formulas_and_is_deterministic(rendered):
    planned, plan, files = rendered
    book = load_workbook(io.BytesIO(files["plan.xlsx"]))
    cells = [row[4] for row in book["Assignments"].iter_rows(min_row=2)]
    hostile = [cell for cell in cells if cell.value == HOSTILE_FORMULA]
    # Shown as typed, without a leading apostrophe: a text cell with Excel's quote-prefix style.
    assert hostile and all(cell.data_type == "s" and cell.quotePrefix for cell in hostile)
    assert not any(cell.quotePrefix for cell in cells if cell.value != HOSTILE_FORMULA)
    sheets = [
        name for name in zipfile.ZipFile(io.BytesIO(files["plan.xlsx"])).namelist() if name.startswith("xl/worksheets/")
    ]
    assert not any("<f>" in zipfile.ZipFile(io.BytesIO(files["plan.xlsx"])).read(name).decode() for name in sheets)
    assert render_plan_files(planned, plan)["plan.xlsx"] == files["plan.xlsx"]


def test_workbook_carries_no_clock_time(rendered):
    """openpyxl's save() stamps the current time into docProps/core.xml; ours must not."""
    archive = zipfile.ZipFile(io.BytesIO(rendered[2]["plan.xlsx"]))
    core = archive.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core and core.count("2000-01-01T00:00:00Z") == 2  # created, modified
    assert {info.date_time for info in archive.infolist()} == {(2000, 1, 1, 0, 0, 0)}
    assert load_workbook(io.BytesIO(rendered[2]["plan.xlsx"])).properties.modified == dt.datetime(2000, 1, 1)

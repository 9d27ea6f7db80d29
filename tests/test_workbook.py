"""plan.xlsx: sheets and values equal plan.json's, disclosure control, formula neutralising, determinism."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from openpyxl import load_workbook

from reporting.plan_files import render_plan_files
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
    assert summary["Cases covered at any one time"] == document["objective"]
    assert summary["Cost per year"] == document["cost_per_year"]
    assert summary["Young people reached per year"] == document["reach_per_year"]
    spokes = [(r[0], r[2], r[6]) for r in book["Spokes"].iter_rows(min_row=2, values_only=True)]
    assert spokes == [(s["hub_id"], s["host_id"], s["count"]) for s in document["spokes"]]
    assignments = {(r[0], r[3]): r[5] for r in book["Assignments"].iter_rows(min_row=2, values_only=True)}
    for a in document["assignments"]:
        shown = assignments[(a["area_id"], a["host_id"])]
        assert shown == a["cases"] or (shown == "c"), (a, shown)
    assert assignments[("AREA3", "HOST2")] == "c"  # 3 cases: primary suppression
    assert assignments[("AREA2", "HOST2")] == "c"  # 9 cases: secondary (host total 12 is public)
    assert assignments[("AREA1", "HOST1")] == 12
    coverage = {r[0]: r for r in book["Coverage"].iter_rows(min_row=2, values_only=True)}
    by_authority = {c["authority_code"]: c for c in document["coverage"]["by_authority"]}
    assert coverage["E06000002"][4] == by_authority["E06000002"]["demand"] == 12
    assert coverage["TOTAL"][4] == document["coverage"]["demand_total"]
    sheet = book["Spokes"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold


def test_workbook_neutralises_formulas_and_is_deterministic(rendered):
    planned, plan, files = rendered
    book = load_workbook(io.BytesIO(files["plan.xlsx"]))
    names = [r[4] for r in book["Assignments"].iter_rows(min_row=2, values_only=True)]
    assert "'" + HOSTILE_FORMULA in names
    assert not any(isinstance(n, str) and n.startswith("=") for n in names)
    assert render_plan_files(planned, plan)["plan.xlsx"] == files["plan.xlsx"]


def test_workbook_carries_no_clock_time(rendered):
    """openpyxl's save() stamps the current time into docProps/core.xml; ours must not."""
    archive = zipfile.ZipFile(io.BytesIO(rendered[2]["plan.xlsx"]))
    core = archive.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core and core.count("2000-01-01T00:00:00Z") == 2  # created, modified
    assert {info.date_time for info in archive.infolist()} == {(2000, 1, 1, 0, 0, 0)}
    assert load_workbook(io.BytesIO(rendered[2]["plan.xlsx"])).properties.modified == dt.datetime(2000, 1, 1)

"""report.html: content, escaping of hostile names, no network resources, disclosure control.

plan.xlsx and plan.geojson have their own test files (test_workbook.py, test_geojson.py).
"""

from __future__ import annotations

import json
import re

import pytest

from reporting.disclosure import disclose, suppressed_cells
from reporting.plan_files import render_plan_files
from tests.report_fixtures import HOSTILE_SCRIPT, planned_plan


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    planned, plan = planned_plan(tmp_path_factory.mktemp("report") / "scn")
    return planned, plan, render_plan_files(planned, plan)


# --- disclosure ------------------------------------------------------------------------------

@pytest.mark.parametrize("value, shown", [(0, "0"), (1, "c"), (5, "c"), (6, "6"), (1234, "1,234"), (None, ":")])
def test_primary_suppression(value, shown):
    assert disclose(value) == shown


def test_secondary_suppression_protects_a_single_hidden_cell_in_a_group():
    values = {"a": 3, "b": 10, "c": 20, "total": 33}
    hidden = suppressed_cells(values, [["a", "b", "c", "total"]])
    assert hidden == {"a", "b"}  # a alone could be recovered as total - b - c


def test_secondary_suppression_cascades_across_rows_and_columns():
    # 2 x 2 table with row and column totals: one small cell forces a rectangle of suppressions
    values = {("r1", "x"): 2, ("r1", "y"): 40, ("r2", "x"): 30, ("r2", "y"): 50,
              ("r1", "t"): 42, ("r2", "t"): 80, ("T", "x"): 32, ("T", "y"): 90}
    groups = [[("r1", "x"), ("r1", "y"), ("r1", "t")], [("r2", "x"), ("r2", "y"), ("r2", "t")],
              [("r1", "x"), ("r2", "x"), ("T", "x")], [("r1", "y"), ("r2", "y"), ("T", "y")]]
    hidden = suppressed_cells(values, groups)
    for group in groups:
        assert sum(1 for key in group if key in hidden) != 1


# --- report.html -----------------------------------------------------------------------------

def test_report_escapes_hostile_names_and_needs_no_network(rendered):
    html = rendered[2]["report.html"].decode()
    assert "<script>alert(1)</script>" not in html and "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Police" in html
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', html)  # no external resources
    assert "<svg" in html and 'id="coverage-table"' in html


def test_report_headline_figures(rendered):
    planned, plan, files = rendered
    html = files["report.html"].decode()
    document = json.loads(files["plan.json"])
    assert f">{plan.spokes_total}<" in html
    assert "24 / 26" in html  # covered of demand (both above the threshold)
    assert f"£{document['cost_per_year'] / document['reach_per_year']:,.0f}" in html  # cost per young person


def test_report_suppresses_small_counts_with_secondary_suppression(rendered):
    html = rendered[2]["report.html"].decode()
    row = re.search(r"Authority one <small>E06000001</small>.*?</tr>", html, re.S).group(0)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    # demand 14, covered 12, unmet 2 -> unmet 'c' and one more cell of the row hidden
    assert cells[2] == "c" and cells.count("c") >= 2

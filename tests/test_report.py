"""report.html, plan.xlsx and plan.geojson: content, escaping, disclosure control, determinism."""

from __future__ import annotations

import io
import json
import math
import re

import pytest
from openpyxl import load_workbook

from reporting.disclosure import disclose, suppressed_cells
from reporting.plan_files import plan_document, render_plan_files
from tests.report_fixtures import HOSTILE_FORMULA, HOSTILE_SCRIPT, POSTCODES, planned_plan


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


# --- plan.xlsx -------------------------------------------------------------------------------

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


# --- plan.geojson ----------------------------------------------------------------------------

def ostn_free_bng_to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    """Independent oracle: Ordnance Survey's published formulas (inverse transverse Mercator on the
    Airy 1830 ellipsoid, then the OSGB36 -> WGS84 Helmert transformation), written out here."""
    a, b = 6377563.396, 6356256.909
    f0, lat0, lon0, n0, e0 = 0.9996012717, math.radians(49), math.radians(-2), -100000.0, 400000.0
    e2 = 1 - b * b / (a * a)
    n = (a - b) / (a + b)
    lat, m = lat0, 0.0
    while True:
        lat = (northing - n0 - m) / (a * f0) + lat
        m = b * f0 * ((1 + n + 5 / 4 * n**2 + 5 / 4 * n**3) * (lat - lat0)
                      - (3 * n + 3 * n**2 + 21 / 8 * n**3) * math.sin(lat - lat0) * math.cos(lat + lat0)
                      + (15 / 8 * n**2 + 15 / 8 * n**3) * math.sin(2 * (lat - lat0)) * math.cos(2 * (lat + lat0))
                      - 35 / 24 * n**3 * math.sin(3 * (lat - lat0)) * math.cos(3 * (lat + lat0)))
        if abs(northing - n0 - m) < 1e-5:
            break
    sin, cos, tan = math.sin(lat), math.cos(lat), math.tan(lat)
    nu = a * f0 / math.sqrt(1 - e2 * sin**2)
    rho = a * f0 * (1 - e2) / (1 - e2 * sin**2) ** 1.5
    eta2 = nu / rho - 1
    vii, viii = tan / (2 * rho * nu), tan / (24 * rho * nu**3) * (5 + 3 * tan**2 + eta2 - 9 * tan**2 * eta2)
    ix = tan / (720 * rho * nu**5) * (61 + 90 * tan**2 + 45 * tan**4)
    x, xi = 1 / (cos * nu), 1 / (cos * 6 * nu**3) * (nu / rho + 2 * tan**2)
    xii = 1 / (cos * 120 * nu**5) * (5 + 28 * tan**2 + 24 * tan**4)
    xiia = 1 / (cos * 5040 * nu**7) * (61 + 662 * tan**2 + 1320 * tan**4 + 720 * tan**6)
    de = easting - e0
    lat = lat - vii * de**2 + viii * de**4 - ix * de**6
    lon = lon0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7
    # to cartesian (Airy), Helmert OSGB36 -> WGS84, back to geodetic (GRS80/WGS84)
    nu = a / math.sqrt(1 - e2 * math.sin(lat) ** 2)
    px, py, pz = nu * math.cos(lat) * math.cos(lon), nu * math.cos(lat) * math.sin(lon), (1 - e2) * nu * math.sin(lat)
    tx, ty, tz, s = 446.448, -125.157, 542.060, -20.4894e-6
    rx, ry, rz = (math.radians(v / 3600) for v in (0.1502, 0.2470, 0.8421))
    qx = tx + (1 + s) * px - rz * py + ry * pz
    qy = ty + rz * px + (1 + s) * py - rx * pz
    qz = tz - ry * px + rx * py + (1 + s) * pz
    a2, b2 = 6378137.0, 6356752.3141
    e2b = 1 - b2 * b2 / (a2 * a2)
    p = math.hypot(qx, qy)
    lat = math.atan2(qz, p * (1 - e2b))
    for _ in range(10):
        nu = a2 / math.sqrt(1 - e2b * math.sin(lat) ** 2)
        lat = math.atan2(qz + e2b * nu * math.sin(lat), p)
    return math.degrees(math.atan2(qy, qx)), math.degrees(lat)


def metres_apart(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dy = math.radians(lat2 - lat1) * 6371000
    dx = math.radians(lon2 - lon1) * 6371000 * math.cos(math.radians(lat1))
    return math.hypot(dx, dy)


def test_geojson_coordinates_of_known_postcodes_within_5_metres(rendered):
    planned, plan, files = rendered
    collection = json.loads(files["plan.geojson"])
    points = {f["properties"]["id"]: f["geometry"]["coordinates"] for f in collection["features"]
              if f["geometry"]["type"] == "Point"}
    for place_id, postcode in POSTCODES.items():
        location = planned.locations[place_id]
        assert location.postcode == postcode
        expected = ostn_free_bng_to_wgs84(location.easting, location.northing)
        assert metres_apart(*points[place_id], *expected) < 5.0, (place_id, points[place_id], expected)
    # Newcastle city centre lies near 54.97 N, 1.61 W
    lon, lat = points["HUB1"]
    assert 54.9 < lat < 55.05 and -1.7 < lon < -1.5


def test_geojson_features_and_disclosure(rendered):
    collection = json.loads(rendered[2]["plan.geojson"])
    kinds = sorted({f["properties"]["kind"] for f in collection["features"]})
    assert kinds == ["assignment", "host", "hub", "spoke"]
    cases = {(f["properties"]["area_id"], f["properties"]["host_id"]): f["properties"]["cases"]
             for f in collection["features"] if f["properties"]["kind"] == "assignment"}
    assert cases[("AREA3", "HOST2")] == "c" and cases[("AREA1", "HOST1")] == 12

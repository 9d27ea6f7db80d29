"""plan.geojson: WGS84 coordinates of known postcodes checked against an independent transform, features, disclosure."""

from __future__ import annotations

import json
import math

import pytest

from reporting.published.plan import published_counts
from reporting.writers.plan_files import render_plan_files
from tests.report_fixtures import POSTCODES, planned_plan


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    planned, plan = planned_plan(tmp_path_factory.mktemp("geojson") / "scn")
    return planned, plan, render_plan_files(planned, plan)


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
        m = (
            b
            * f0
            * (
                (1 + n + 5 / 4 * n**2 + 5 / 4 * n**3) * (lat - lat0)
                - (3 * n + 3 * n**2 + 21 / 8 * n**3) * math.sin(lat - lat0) * math.cos(lat + lat0)
                + (15 / 8 * n**2 + 15 / 8 * n**3) * math.sin(2 * (lat - lat0)) * math.cos(2 * (lat + lat0))
                - 35 / 24 * n**3 * math.sin(3 * (lat - lat0)) * math.cos(3 * (lat + lat0))
            )
        )
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
    points = {
        f["properties"]["id"]: f["geometry"]["coordinates"]
        for f in collection["features"]
        if f["geometry"]["type"] == "Point"
    }
    for place_id, postcode in POSTCODES.items():
        location = planned.locations[place_id]
        assert location.postcode == postcode
        expected = ostn_free_bng_to_wgs84(location.easting, location.northing)
        assert metres_apart(*points[place_id], *expected) < 5.0, (place_id, points[place_id], expected)
    # Newcastle city centre lies near 54.97 N, 1.61 W
    lon, lat = points["HUB1"]
    assert 54.9 < lat < 55.05 and -1.7 < lon < -1.5


def test_geojson_features_and_disclosure(rendered):
    planned, plan, _ = rendered
    collection = json.loads(rendered[2]["plan.geojson"])
    kinds = sorted({f["properties"]["kind"] for f in collection["features"]})
    assert kinds == ["assignment", "host", "hub", "spoke"]
    cases = {
        (f["properties"]["area_id"], f["properties"]["host_id"]): f["properties"]["cases"]
        for f in collection["features"]
        if f["properties"]["kind"] == "assignment"
    }
    counts = published_counts(planned, plan, 5, None)
    assert cases == {
        (a.area_id, a.host_id): counts.number(("assignment", a.area_id, a.host_id)) for a in plan.assignments
    }
    assert all(cases[(a.area_id, a.host_id)] == "c" for a in plan.assignments if 1 <= a.cases <= 5)
    hosts = {
        f["properties"]["id"]: f["properties"] for f in collection["features"] if f["properties"]["kind"] == "host"
    }
    assert hosts["HOST4"]["used"] is False and hosts["HOST4"]["spokes"] == 0
    assert sum(h["spokes"] for h in hosts.values()) == plan.spokes_total
    spokes = [f for f in collection["features"] if f["properties"]["kind"] == "spoke"]
    assert len(spokes) == len(plan.spokes) and all(len(f["geometry"]["coordinates"]) == 2 for f in spokes)
    assert rendered[2]["plan.geojson"] == render_plan_files(planned, plan)["plan.geojson"]  # deterministic

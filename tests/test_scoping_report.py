"""Scoping reports: content per authority, disclosure control of small counts, escaping of hostile
names, self-containment, and the scope flow end to end (including bad indicator files)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from reporting.views.scoping import demand_cells, report_file_name
from reporting.writers.scoping import render_scoping_files
from scoping.analysis.profiles import build_profiles
from scoping.analysis.recommendations import recommendations
from scoping.scenario.build import build_instance
from scoping.scenario.loader import load_scenario
from tests.test_profiles import SCENARIO, write

HOSTILE_AUTHORITY = "<script>alert('authority')</script>"
HOSTILE_HOST = '"><img src=x onerror=alert(1)>'
HOSTILE_SERVICE = "</title><script>alert('service')</script>"
HOSTILE = {
    "authorities.csv": SCENARIO["authorities.csv"].replace("Authority A", HOSTILE_AUTHORITY.replace("'", "")),
    "hosts.csv": SCENARIO["hosts.csv"].replace("Police base", '"' + HOSTILE_HOST.replace('"', '""') + '"'),
    "services.csv": SCENARIO["services.csv"].replace("A MASH", HOSTILE_SERVICE.replace("'", "")),
    "areas.csv": SCENARIO["areas.csv"].replace("A2,North", "A2,<b>North</b>"),
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    planned = build_instance(load_scenario(write(tmp_path_factory.mktemp("scoping") / "scn", HOSTILE)))
    profiles = build_profiles(planned)
    advice = {p.code: recommendations(p, 45, 90, 12) for p in profiles}
    files = render_scoping_files(planned, profiles, advice)
    return planned, profiles, files


def page(files, code="E06000001") -> str:
    return files[report_file_name(code)].decode("utf-8")


def test_one_page_per_authority_an_index_and_a_summary(rendered):
    _, _, files = rendered
    pages = ["index.html", "scoping-E06000001.html", "scoping-E06000002.html", "scoping_summary.csv"]
    # both packs (issue #17), README.txt files, and the public pages directly in OUT as before
    assert sorted(files) == sorted(
        [
            "README.txt",
            *pages,
            *[f"{pack}/{name}" for pack in ("internal", "public") for name in ["README.txt", *pages]],
        ]
    )
    assert all(files[name] == files[f"public/{name}"] for name in pages)
    index = files["index.html"].decode()
    assert 'href="scoping-E06000001.html"' in index and 'href="scoping-E06000002.html"' in index


def test_page_shows_the_four_dimensions_and_recommendations_with_sources(rendered):
    html = page(rendered[2])
    for section in ('id="services"', 'id="geography"', 'id="demography"', 'id="cse-profile"', 'id="recommendations"'):
        assert section in html
    assert '<h2 id="cse-profile">4. CSE profile</h2>' in html  # the default service model's title (seed 001)
    assert "Spoke location by aim" in html and "seed 001_7cce064ef0042f6a.txt message 11" in html
    assert "Rural travel burden" in html
    assert "<svg" in html and "footprint" in html
    assert "A MASH" not in html  # the hostile service name replaced it, escaped (see below)


def test_small_demand_is_suppressed_with_secondary_suppression(rendered):
    _, profiles, files = rendered
    cells = demand_cells({p.code: p for p in profiles}["E06000001"], 5)
    # 20 cases: 16 within reach, 4 beyond. 4 is shown as c, so 16 is hidden too (20 - c would reveal it).
    assert cells["total"] == "20" and cells["beyond"] == "c" and cells["in_reach"] == "c"
    assert cells["share_in_reach"] == "c"
    html = page(files)
    assert "c of 20 cases (c); beyond: c" in html
    assert "80%" not in html and ">16<" not in html


def test_small_published_counts_and_their_rates_are_suppressed(rendered):
    html = page(rendered[2], "E06000002")
    assert re.search(r"<td>missing episodes</td><td class=\"num\">c</td>", html)
    row = re.search(r"<td>missing episodes per 10,000 aged 0–17</td><td class=\"num\">([^<]*)</td>", html)
    assert row and row.group(1) == "c"
    area_titles = re.findall(r"<title>South: demand ([^<]*)</title>", html)
    assert area_titles == ["c"]  # B1 has 3 cases


def test_map_area_demand_has_secondary_suppression(rendered):
    html = page(rendered[2])
    titles = dict(re.findall(r"<title>([^<]*): demand ([^<]*)</title>", html))
    # areas 10, 6 and 4 with the total 20 published: 4 is hidden, so the next smallest (6) is too
    assert titles == {"Town": "10", "&lt;b&gt;North&lt;/b&gt;": "c", "East": "c"}


def test_counts_above_the_threshold_are_shown(rendered):
    html = page(rendered[2])
    assert re.search(r"<td>CIN assessments with CSE as a factor</td><td class=\"num\">60</td>", html)


def test_hostile_names_are_escaped_everywhere(rendered):
    _, _, files = rendered
    for name, data in files.items():
        text = data.decode("utf-8")
        if name.endswith(".html"):
            assert "<script" not in text.lower(), name
            assert "<img" not in text.lower(), name
            assert "<b>North" not in text, name
    html = page(files)
    assert "&lt;script&gt;alert(authority)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;North&lt;/b&gt;" in html  # in the map's area title


def test_pages_are_self_contained(rendered):
    for name, data in rendered[2].items():
        if not name.endswith(".html"):
            continue
        text = data.decode("utf-8")
        external = [
            u
            for u in re.findall(r"(?:src|href)=\"([^\"]+)\"", text)
            if not u.startswith(("scoping-", "index.html", "#"))
        ]
        assert external == [], name
        assert re.findall(r"https?://(?!www\.w3\.org/2000/svg)", text) == [], name


def test_map_draws_the_authoritys_areas_and_hosts(rendered):
    html = page(rendered[2])
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert svg.count("<circle") == 3  # A1, A2, A3
    assert svg.count("<rect") == 1  # H1
    assert svg.count("<polygon") == 1  # the hub nearest H1
    assert svg.count("<path") == 1  # the footprint


def test_summary_csv_is_disclosed(rendered):
    rows = list(csv.DictReader(io.StringIO(rendered[2]["scoping_summary.csv"].decode())))
    by_code = {r["authority_code"]: r for r in rows}
    assert by_code["E06000001"]["demand"] == "20" and by_code["E06000001"]["share_in_reach"] == "c"
    assert by_code["E06000002"]["demand"] == "c"


def test_scope_flow_writes_reports(tmp_path, prefect_harness):
    from flows.params import ScopeParams
    from flows.scope_flow import scope_flow

    scenario = write(tmp_path / "scn")
    outcome = scope_flow(ScopeParams(scenario_dir=str(scenario), out_dir=str(tmp_path / "out")))
    assert outcome.exit_code == 0
    assert outcome.summary["reports"] == 2 and outcome.summary["rural"] >= 1
    assert (tmp_path / "out" / "index.html").exists()
    assert (tmp_path / "out" / "scoping-E06000002.html").exists()


def test_scope_flow_rejects_a_bad_indicator_file_with_its_line(tmp_path, prefect_harness):
    from flows.params import ScopeParams
    from flows.scope_flow import scope_flow

    scenario = write(tmp_path / "scn")
    (scenario / "indicators").mkdir()
    (scenario / "indicators" / "ees.csv").write_text(
        "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
        "new_la_code,old_la_code,la_name,cse_count\n"
        "202223,Reporting year,Local authority,E92000001,England,E12000001,North East,E06000001,805,A,12\n"
        "202223,Reporting year,Local authority,E92000001,England,E12000001,North East,E06000002,806,B,lots\n"
    )
    state = scope_flow(ScopeParams(scenario_dir=str(scenario), out_dir=str(tmp_path / "out")), return_state=True)
    outcome = state.result(raise_on_failure=False)
    if not hasattr(outcome, "exit_code"):
        outcome = state.data
    assert outcome.exit_code == 2
    assert any(
        m.endswith("ees.csv:3: cse_count: expected a number or a suppression symbol (c, x, z, :, low), got 'lots'")
        for m in outcome.messages
    )
    assert not (tmp_path / "out").exists()


def test_a_hub_is_a_specialist_cse_service_in_its_authority():
    """Issue #14 item 7: on the demo, hubs.csv places Wearside Specialist Service (SR1 1SL) in Sunderland
    and Durham Dales CSE Hub (DH1 1LB) in County Durham, whose services.csv lists no specialist CSE
    service: their scoping reports must not say there is none. Tyneside's hub (NE1 6EF) and Teesside's
    (TS1 4AB) stand where services.csv already lists Newcastle's and Middlesbrough's specialist service:
    counted once. Northumberland has neither and keeps the gap."""
    from pathlib import Path

    planned = build_instance(load_scenario(Path(__file__).resolve().parents[1] / "inputs" / "demo"))
    profiles = {p.code: p for p in build_profiles(planned)}
    sunderland, durham = profiles["E08000024"].services, profiles["E06000047"].services
    assert ("HUB-SUN", "Wearside Specialist Service (demo)", "specialist_cse") in sunderland.services
    assert ("HUB-DUR", "Durham Dales CSE Hub (demo)", "specialist_cse") in durham.services
    for landscape in (sunderland, durham):
        assert landscape.services_by_type["specialist_cse"] == 1 and "specialist_cse" not in landscape.gaps
    assert [s[0] for s in profiles["E08000021"].services.services if s[2] == "specialist_cse"] == ["SVC-01"]
    assert [s[0] for s in profiles["E06000002"].services.services if s[2] == "specialist_cse"] == ["SVC-14"]
    assert "specialist_cse" in profiles["E06000057"].services.gaps
    advice = {code: recommendations(p, 45, 90, 12) for code, p in profiles.items()}
    files = render_scoping_files(planned, list(profiles.values()), advice)
    for code in ("E08000024", "E06000047"):
        assert "There is no specialist CSE service" not in page(files, code)
    assert "There is no specialist CSE service" in page(files, "E06000057")

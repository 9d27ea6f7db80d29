"""Two packs from one run (issue #17 item 2): OUT/internal/ holds the exact figures, marked
"OFFICIAL-SENSITIVE — not for publication" on every page, sheet and file; OUT/public/ is
disclosure-controlled, with modelled estimates rounded to the nearest 5 and marked; DESIGN.md's file
names stay directly under OUT as copies of one pack's file each, and README.txt files say which is which.

The public pack's disclosure is attacked in tests/test_disclosure_published_files.py; here: what each
pack holds, on a tiny scenario with a hand-known plan (tests/scenario_files.py VALID: 24 of 26 cases
covered, 2 unmet in Authority one, AREA3's 3 cases at HOST2). Since issue #14 police HOST1 serves only
its own authority's AREA1 (12 of 14), and host fit scores each case by its own authority's aim: the
drop-in community HOST2 scores 3 a case for Authority two's (preventative) AREA2 and AREA3, 1 for
Authority one's (statutory) AREA1, so it takes AREA2's 9 and AREA3's 3 (before: 10 of Authority two's 12).
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from openpyxl import load_workbook

from optimisation.solve import solve
from reporting.disclosure import ESTIMATE_MARK, INTERNAL, MARKING, PUBLIC, estimate_bounds, round_estimate
from reporting.published.plan import published_counts
from reporting.writers.packs import assemble
from reporting.writers.plan_files import TOP_LEVEL, render_plan_files
from reporting.writers.scoping import render_scoping_packs
from scoping.analysis.profiles import ScopingInputs, build_profiles
from scoping.analysis.recommendations import recommendations
from scoping.scenario.build import build_instance
from scoping.scenario.loader import load_scenario
from tests.scenario_files import VALID, write_scenario

# Authority two's areas without demand: estimated at 4.5 per 10,000 aged 10-17 (AREA2 9, AREA3 3).
ESTIMATED = {
    "areas.csv": "area_id,name,authority_code,easting,northing,demand,population_10_17\n"
    "AREA1,Town one,E06000001,421500,560000,14,30000\n"
    "AREA2,Town two,E06000002,422500,560000,,20000\n"
    "AREA3,Town three,E06000002,423000,560000,,6667\n",
    "scenario.yaml": VALID["scenario.yaml"] + "demand_per_10000_aged_10_17: 4.5\n",
}


def planned_and_files(directory):
    planned = build_instance(load_scenario(directory))
    plan = solve(planned.instance)
    return planned, plan, render_plan_files(planned, plan)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return planned_and_files(write_scenario(tmp_path_factory.mktemp("tiny") / "scn"))


@pytest.fixture(scope="module")
def estimated(tmp_path_factory):
    return planned_and_files(write_scenario(tmp_path_factory.mktemp("estimated") / "scn", ESTIMATED))


def text_of(html: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode()))


def rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode())))


@pytest.mark.parametrize("value, shown", [(0, 0), (1, 0), (2, 0), (3, 5), (7, 5), (8, 10), (12.5, 15), (362, 360)])
def test_a_modelled_estimate_is_rounded_to_the_nearest_5_halves_up(value, shown):
    assert round_estimate(value) == shown
    low, high = estimate_bounds(round(value))
    assert low <= round(value) <= high and high - low <= 4


def test_both_packs_and_the_contracts_names_under_out(tiny):
    _, _, files = tiny
    names = set(files)
    for pack in ("internal", "public"):
        assert {
            f"{pack}/{name}"
            for name in (
                "report.html",
                "plan.xlsx",
                "plan.geojson",
                "plan.json",
                "allocation.csv",
                "spokes.csv",
                "coverage.csv",
                "README.txt",
            )
        } <= names
    # directly under OUT, as before issue #17: the machine-readable files exact, the reports public
    for name, pack in TOP_LEVEL.items():
        if name in files:
            assert files[name] == files[f"{pack.name}/{name}"], name
    assert files["plan.json"] == files["internal/plan.json"] and files["report.html"] == files["public/report.html"]
    assert list(files)[-1] == "plan.json"  # written last: it names the plan the other files belong to
    readme = files["README.txt"].decode()
    assert "plan.json              = internal/plan.json (OFFICIAL-SENSITIVE" in readme
    assert "report.html            = public/report.html\n" in readme and "Publish only what is in public/." in readme
    assert "NOT disclosure-controlled" in files["internal/README.txt"].decode()
    assert "Disclosure-controlled for publication" in files["public/README.txt"].decode()


def test_the_internal_pack_has_the_exact_figures(tiny):
    planned, plan, files = tiny
    document = json.loads(files["internal/plan.json"])
    assert (document["objective"], document["coverage"]["demand_total"]) == (24, 26)
    coverage = {row["authority_code"]: row for row in rows(files["internal/coverage.csv"])}
    assert (coverage["E06000001"]["demand"], coverage["E06000001"]["covered"], coverage["E06000001"]["unmet"]) == (
        "14",
        "12",
        "2",
    )  # the 2 unmet the public pack hides
    assert coverage["E06000002"]["served_from_other_authority"] == "0"  # no case crosses a border (#14)
    allocation = {(row["area_id"], row["host_id"]): row["cases"] for row in rows(files["internal/allocation.csv"])}
    assert allocation[("AREA3", "HOST2")] == "3"
    assert "24 / 26 cases covered" in text_of(files["internal/report.html"])
    table = re.search(r'<table id="coverage-table">.*?</table>', files["internal/report.html"].decode(), re.S).group(0)
    assert re.findall(
        r'<td class="num">([^<]*)</td>', re.search(r"Authority one <small>.*?</tr>", table, re.S).group(0)
    )[:3] == ["14", "12", "2"]
    book = load_workbook(io.BytesIO(files["internal/plan.xlsx"]))
    cases = {(r[0], r[3]): r[5] for r in book["Assignments"].iter_rows(min_row=3, values_only=True)}
    assert cases[("AREA3", "HOST2")] == 3
    geojson = json.loads(files["internal/plan.geojson"])
    assert {
        (f["properties"]["area_id"], f["properties"]["cases"])
        for f in geojson["features"]
        if f["properties"]["kind"] == "assignment"
    } >= {("AREA3", 3)}
    assert "sha256" in text_of(files["internal/report.html"])  # provenance: the inputs' hashes


def test_every_page_sheet_and_file_of_the_internal_pack_is_marked(tiny, tmp_path):
    _, _, files = tiny
    internal = {name.removeprefix("internal/"): data for name, data in files.items() if name.startswith("internal/")}
    for name, data in internal.items():
        if name.endswith(".html"):
            html = data.decode()
            assert html.count(f'role="note" aria-label="Protective marking">{MARKING}</div>') == 2, name  # top, foot
            assert f"<title>{MARKING}: " in html
            assert "position: fixed" in html  # repeated on every printed page
        elif name.endswith(".xlsx"):
            book = load_workbook(io.BytesIO(data))
            assert book.sheetnames
            for sheet in book.worksheets:
                assert sheet["A1"].value == MARKING, sheet.title
                assert sheet.oddHeader.center.text == MARKING and sheet.oddFooter.center.text == MARKING
                assert sheet.freeze_panes == "A3"  # the marking, then the header row
        elif name.endswith((".json", ".geojson")):
            assert next(iter(json.loads(data))) == "classification" and json.loads(data)["classification"] == MARKING
        elif name.endswith(".csv"):
            table = rows(data)
            assert table and all(row["classification"] == MARKING for row in table), name
            assert data.decode().splitlines()[0].endswith(",classification")  # last: positions unchanged
        else:
            assert name == "README.txt" and data.decode().startswith("spokeplan: the internal pack\n\n" + MARKING)


def test_the_public_pack_hides_small_counts_and_carries_no_marking_or_hashes(tiny):
    planned, plan, files = tiny
    public = {name.removeprefix("public/"): data for name, data in files.items() if name.startswith("public/")}
    for name, data in public.items():
        if not name.endswith(".xlsx"):
            assert MARKING not in data.decode(), name
            assert not re.search(r"\b[0-9a-f]{64}\b", data.decode()), name  # no SHA-256 of an input file
    book = load_workbook(io.BytesIO(public["plan.xlsx"]))
    assert all(sheet["A1"].value != MARKING for sheet in book.worksheets)
    assert not [
        v
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for v in row
        if re.fullmatch(r"[0-9a-f]{64}", str(v))
    ]  # no SHA-256 in any sheet either
    internal_book = load_workbook(io.BytesIO(files["internal/plan.xlsx"]))
    assert [
        v
        for row in internal_book["Scenario"].iter_rows(values_only=True)
        for v in row
        if re.fullmatch(r"[0-9a-f]{64}", str(v))
    ]  # (the control: the internal workbook has them)
    document = json.loads(public["plan.json"])
    assert document["classification"] == "disclosure-controlled for publication"
    assert "inputs_sha256" not in document and document["inputs"] == sorted(
        json.loads(files["plan.json"])["inputs_sha256"]
    )
    assert not {"host_fit", "travel_case_minutes"} & set(document)  # sums of cases weighted by published figures
    assert all("value" not in stage for stage in document["stages"])
    coverage = {row["authority_code"]: row for row in rows(public["coverage.csv"])}
    # Authority one's 2 unmet: its covered 12 is HOST1's cases, and the map shows Authority two's areas all
    # met (so its covered is its demand, 12): with the total 24 shown a reader would have 24 - 12 = 12 and
    # 14 - 12 = 2. Only hiding the total covered keeps the 2 from being worked out (since issue #14's
    # plan; before, Authority two's 2 unmet were protected with the total shown).
    assert coverage["E06000001"]["unmet"] == "c" and coverage["TOTAL"]["covered"] == "c"
    assert coverage["TOTAL"]["figures"] == "count"
    allocation = {(row["area_id"], row["host_id"]): row["cases"] for row in rows(public["allocation.csv"])}
    assert allocation[("AREA3", "HOST2")] == "c"
    by_authority = {e["authority_code"]: e for e in document["coverage"]["by_authority"]}
    assert by_authority["E06000001"]["unmet"] == "c" and document["objective"] == "c"
    assert document["reach_per_year"] == {"estimate": 40}  # 2 spokes x 20: worked out from the rules
    assert "Counts from case data from 1 to 5 are shown as <b>c</b>" in public["report.html"].decode()


def test_modelled_estimates_are_rounded_and_marked_in_public_and_exact_internally(estimated):
    planned, plan, files = estimated
    assert set(planned.estimated_demand) == {"AREA2", "AREA3"} and planned.estimated_demand == {"AREA2": 9, "AREA3": 3}
    exact = {row["authority_code"]: row for row in rows(files["internal/coverage.csv"])}
    public = {row["authority_code"]: row for row in rows(files["public/coverage.csv"])}
    # Authority two: 12 estimated (9 + 3), 12 covered, 0 unmet: shown as estimates 10, 10, 0, not hidden
    assert (exact["E06000002"]["demand"], exact["E06000002"]["covered"], exact["E06000002"]["unmet"]) == (
        "12",
        "12",
        "0",
    )
    assert (
        public["E06000002"]["demand"],
        public["E06000002"]["covered"],
        public["E06000002"]["unmet"],
        public["E06000002"]["figures"],
    ) == ("10", "10", "0", "estimate")
    assert public["E06000001"]["figures"] == "count"
    html = files["public/report.html"].decode()
    row = re.search(
        r"Authority two <small>.*?</tr>",
        re.search(r'<table id="coverage-table">.*?</table>', html, re.S).group(0),
        re.S,
    ).group(0)
    assert re.findall(r'<td class="num">([^<]*)</td>', row)[:4] == ["≈10", "≈10", "≈0", "≈100.0%"]
    assert (
        "a modelled estimate (worked out from populations, rates or the plan's rules, not a count of children)" in html
    )
    book = load_workbook(io.BytesIO(files["public/plan.xlsx"]))
    cells = {r[0].value: r for r in book["Coverage"].iter_rows(min_row=2)}
    assert cells["E06000002"][4].value == 10 and cells["E06000002"][4].number_format.startswith(f'"{ESTIMATE_MARK}"')
    # Authority one's figures are counts: hidden as c (its 2 unmet, see the public pack test), never ≈
    assert cells["E06000001"][6].value == "c" and not cells["E06000001"][6].number_format.startswith('"≈"')
    document = json.loads(files["public/plan.json"])
    entry = next(e for e in document["coverage"]["by_authority"] if e["authority_code"] == "E06000002")
    assert entry == {
        "authority_code": "E06000002",
        "demand": {"estimate": 10},
        "covered": {"estimate": 10},
        "unmet": {"estimate": 0},
    }
    assert document["estimated_demand"] == {"AREA2": {"estimate": 10}, "AREA3": {"estimate": 5}}
    assert json.loads(files["internal/plan.json"])["estimated_demand"] == {"AREA2": 9, "AREA3": 3}
    # an assignment of the estimated areas is an estimate in every public file
    allocation = {(r["area_id"], r["host_id"]): r for r in rows(files["public/allocation.csv"])}
    assert (
        allocation[("AREA3", "HOST2")]["figures"] == "estimate" and allocation[("AREA1", "HOST1")]["figures"] == "count"
    )


def test_the_packs_of_the_scoping_reports(tmp_path):
    directory = write_scenario(tmp_path / "scn", ESTIMATED)
    planned = build_instance(load_scenario(directory))
    profiles = build_profiles(planned, ScopingInputs((), {}, None))
    rules = planned.scenario.rules
    advice = {
        p.code: recommendations(p, rules.casework_limit, rules.supervision_minutes, rules.caseload_max)
        for p in profiles
    }
    packs = render_scoping_packs(planned, profiles, advice)
    internal, public = packs[INTERNAL.name], packs[PUBLIC.name]
    assert (
        set(internal)
        == set(public)
        == {"index.html", "scoping-E06000001.html", "scoping-E06000002.html", "scoping_summary.csv"}
    )
    page = text_of(internal["scoping-E06000002.html"])
    assert page.count(MARKING) >= 3  # the title, the banner at the top and at the foot
    assert "12 cases at a time: 0 given, 12 estimated" in page  # exact
    shown = text_of(public["scoping-E06000002.html"])
    assert MARKING not in shown and "≈10 cases at a time: 0 given, ≈10 estimated" in shown
    assert all(row["classification"] == MARKING for row in rows(internal["scoping_summary.csv"]))
    summary = {row["authority_code"]: row for row in rows(public["scoping_summary.csv"])}
    assert (summary["E06000002"]["demand"], summary["E06000002"]["figures"]) == ("10", "estimate")
    assert (summary["E06000001"]["demand"], summary["E06000001"]["figures"]) == ("14", "count")
    files = assemble(internal, public, {name: PUBLIC for name in public}, last="index.html")
    assert list(files)[-1] == "index.html" and files["index.html"] == public["index.html"]


def test_published_counts_of_the_internal_pack_hide_nothing(tiny):
    planned, plan, _ = tiny
    counts = published_counts(planned, plan, 5, None, INTERNAL)
    assert counts.hidden == frozenset() and counts.threshold == 0
    assert counts.text(("assignment", "AREA3", "HOST2")) == "3" and counts.number(("authority", "TOTAL", "unmet")) == 2

"""Outcome monitoring (scoping/store/outcomes.py, reporting/views/monitoring.py, flows/monitor_flow.py).

The outcomes source schema (located errors, person-level columns refused, unknown measures listed),
tracking across snapshots written by the real refresh() (a revised figure comes from the later
snapshot; trends read with the measure's direction), disclosure control in monitoring.html,
monitoring.csv and the charts (primary and secondary suppression, an LP attack on what is
published), HTML escaping, and `spokeplan monitor` exit codes 0 and 2 under the Prefect harness.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import InputError
from reporting.published.monitoring import published_monitoring
from reporting.writers.monitoring import render_monitoring_files
from scoping.store.outcomes import (
    SERVICE_MODELS,
    WHOLE_SERVICE,
    Figure,
    Tracked,
    load_catalogue,
    monitoring_table,
    monitoring_table_from_store,
    read_outcomes,
    track,
)
from scoping.store.refresh import load_sources, refresh, validate
from tests.strategies import examples
from tests.test_disclosure_attack import recoverable_cells

REPO = Path(__file__).resolve().parents[1]
HEADER = "service_model,measure_id,period,authority_code,hub_id,value,denominator\n"
GOOD = HEADER + (
    "cse-hub-and-spoke,young_people_supported,2024-Q4,E06000057,,40,\n"
    "cse-hub-and-spoke,young_people_supported,2024-Q4,E06000001,,12,\n"
    "cse-hub-and-spoke,closed_reduced_risk,2024-Q4,E06000057,,9,14\n"
    "cse-hub-and-spoke,funding_secured,2024-25,E06000057,,partial,\n"
    "cse-hub-and-spoke,professionals_trained,2024-Q4,,,55,\n"
    "no-wrong-door,new_out_of_county_placements,2024-Q4,,hub-wisbech,7,\n"
    "no-wrong-door,arrests,2024-Q4,,hub-wisbech,,\n"
)
NAMES = {"E06000057": "Northumberland", "E06000001": "Hartlepool", "E06000005": "Darlington"}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_outcomes(path)
    return [str(p) for p in caught.value.problems]


# --- catalogues --------------------------------------------------------------------------------


def test_the_shipped_catalogues_hold_the_seeds_outcomes():
    cse = load_catalogue("cse-hub-and-spoke")
    assert [o.id for o in cse.outcomes] == [f"outcome-{i}" for i in range(1, 7)]  # seed 002: six measures
    assert cse.outcomes[3].title == "The reach of specialist CSE services is extended"
    assert {"young_people_supported", "new_authorities_with_spoke"} <= {m.id for m in cse.outcomes[3].measures}
    assert cse.measures["closed_reduced_risk"].unit == "share" and cse.measures["closed_reduced_risk"].case_derived
    assert cse.measures["funding_secured"].unit == "status" and not cse.measures["funding_secured"].case_derived
    nwd = load_catalogue("no-wrong-door")
    assert [o.term for o in nwd.outcomes].count("short") == 3  # seed 004: three short-term outcomes
    assert nwd.measures["section_20_placements"].direction == "lower"
    assert {"arrests", "missing_episodes", "eet_post_16", "self_harm_incidents", "substance_misuse"} <= set(
        nwd.measures
    )
    assert SERVICE_MODELS == ("cse-hub-and-spoke", "no-wrong-door")


def test_a_broken_catalogue_is_a_located_error(tmp_path):
    write(
        tmp_path / "cse-hub-and-spoke.yaml",
        (REPO / "inputs/outcomes/cse-hub-and-spoke.yaml")
        .read_text()
        .replace("unit: share\n        denominator: cases closed", "unit: share", 1),
    )
    with pytest.raises(InputError) as caught:
        load_catalogue("cse-hub-and-spoke", tmp_path)
    assert "closed_reduced_risk: a share needs `denominator`" in str(caught.value)
    with pytest.raises(
        InputError, match="unknown service model 'cse'; expected one of cse-hub-and-spoke, no-wrong-door"
    ):
        load_catalogue("cse")


# --- the outcomes source schema ------------------------------------------------------------------


def test_a_good_outcomes_file_reads(tmp_path):
    figures = read_outcomes(write(tmp_path / "o.csv", GOOD))
    by_key = {f.key: f for f in figures}
    assert by_key[("cse-hub-and-spoke", "young_people_supported", "2024-Q4", "E06000001")].value == 12
    assert by_key[("cse-hub-and-spoke", "closed_reduced_risk", "2024-Q4", "E06000057")].denominator == 14
    assert by_key[("cse-hub-and-spoke", "funding_secured", "2024-25", "E06000057")].value == "partial"
    assert by_key[("cse-hub-and-spoke", "professionals_trained", "2024-Q4", WHOLE_SERVICE)].value == 55
    assert by_key[("no-wrong-door", "arrests", "2024-Q4", "hub-wisbech")].value is None  # not recorded


@pytest.mark.parametrize(
    "row, expected",
    [
        (
            "cse-hub-and-spoke,young_people_helped,2024-Q4,E06000057,,4,",
            "2: measure_id: unknown measure id 'young_people_helped' for cse-hub-and-spoke; expected one of funding_secured, "
            "statutory_contracts, spokes_in_post,",
        ),
        (
            "cse-hub-and-spoke,young_people_supported,2024-26,E06000057,,4,",
            "2: period: period '2024-26': a year runs from one year to the next, e.g. 2024-25",
        ),
        (
            "cse-hub-and-spoke,young_people_supported,2024-Q5,E06000057,,4,",
            "2: period: period '2024-Q5': expected a financial year such as 2024-25 or a quarter such as 2025-Q1",
        ),
        (
            "cse-hub-and-spoke,young_people_supported,2024-Q4,E06000057,,-3,",
            "2: value: expected a whole number of at least 0 (counts are not negative), got '-3'",
        ),
        (
            "cse-hub-and-spoke,young_people_supported,2024-Q4,E06000057,,3.5,",
            "2: value: expected a whole number of at least 0, got '3.5'",
        ),
        (
            "cse-hub-and-spoke,funding_secured,2024-25,E06000057,,maybe,",
            "2: value: expected yes, partial or no for a status measure, got 'maybe'",
        ),
        (
            "cse-hub-and-spoke,closed_reduced_risk,2024-Q4,E06000057,,9,",
            "2: denominator: a share needs its denominator (what the value is out of)",
        ),
        (
            "cse-hub-and-spoke,closed_reduced_risk,2024-Q4,E06000057,,15,14",
            "2: denominator: a share's value 15 is more than its denominator 14",
        ),
        (
            "cse-hub-and-spoke,young_people_supported,2024-Q4,E06000057,hub-1,4,",
            "2: hub_id: give authority_code or hub_id, not both",
        ),
        (
            "cse-spokes,young_people_supported,2024-Q4,E06000057,,4,",
            "2: service_model: unknown service model 'cse-spokes'; expected one of cse-hub-and-spoke, no-wrong-door",
        ),
    ],
)
def test_bad_rows_are_located(tmp_path, row, expected):
    path = write(tmp_path / "o.csv", HEADER + row + "\n")
    assert any(p.startswith(f"error: {path}:{expected}") for p in problems_of(path)), problems_of(path)


def test_person_level_columns_are_refused(tmp_path):
    path = write(
        tmp_path / "o.csv", HEADER.strip() + ",child_id\ncse-hub-and-spoke,young_people_supported,2024-Q4,,,4,,C1\n"
    )
    assert problems_of(path) == [
        f"error: {path}:1: child_id: looks like person-level data; spokeplan works on "
        "aggregate counts only: remove this column"
    ]


def test_checks_across_rows(tmp_path):
    path = write(
        tmp_path / "o.csv",
        HEADER
        + (
            "cse-hub-and-spoke,young_people_supported,2024-Q4,E06000057,,40,\n"
            "cse-hub-and-spoke,young_people_supported,2024-Q4,E06000057,,41,\n"
            "cse-hub-and-spoke,young_people_supported,2024-25,E06000001,,12,\n"
            "cse-hub-and-spoke,referrals_received,2024-Q4,E06000057,,30,\n"
            "cse-hub-and-spoke,referrals_received,2024-Q4,E06000001,,20,\n"
            "cse-hub-and-spoke,referrals_received,2024-Q4,,,45,\n"
        ),
    )
    found = problems_of(path)
    assert (
        f"error: {path}:3: period: young_people_supported 2024-Q4 E06000057 is already on line 2; "
        "give each measure, period and area once" in found
    )
    assert (
        f"error: {path}:4: period: young_people_supported uses quarters from line 2; expected one period form "
        "per measure, got the year 2024-25" in found
    )
    assert (
        f"error: {path}:7: value: the whole-service value 45 of referrals_received 2024-Q4 is less than the sum "
        "of its authority rows (50); expected at least that" in found
    )


# --- tracking across snapshots written by refresh() ----------------------------------------------


def refresh_rounds(root: Path, rounds: list[str]) -> Path:
    """One refresh() per round (an outcomes CSV's text), a day apart; returns the store."""
    store = root / "store"
    sources_file = write(
        root / "sources.yaml", "sources:\n  - name: outcomes\n    url: data/outcomes.csv\n    schema: outcomes\n"
    )
    for day, text in enumerate(rounds):
        write(root / "data" / "outcomes.csv", text)
        sources = load_sources(sources_file)
        collected = [validate(s, Path(s.url).read_bytes()) for s in sources]
        assert all(c.ok for c in collected), [c.problems for c in collected]
        result = refresh(sources, store, collected, now=datetime(2025, 7, 1, tzinfo=UTC) + timedelta(days=day))
        assert result.snapshot is not None
    return store


def rows(measure: str, figures: dict[tuple[str, str], int], denominators: dict | None = None) -> str:
    return "".join(
        f"cse-hub-and-spoke,{measure},{period},{area if area != WHOLE_SERVICE else ''},,{value},"
        f"{(denominators or {}).get((period, area), '')}\n"
        for (period, area), value in figures.items()
    )


def test_a_revised_figure_comes_from_the_later_snapshot(tmp_path):
    first = HEADER + rows("young_people_supported", {("2024-Q4", "E06000057"): 40, ("2025-Q1", "E06000057"): 44})
    second = HEADER + rows(
        "young_people_supported",
        {("2024-Q4", "E06000057"): 43, ("2025-Q1", "E06000057"): 44, ("2025-Q2", "E06000057"): 47},
    )
    third = second + rows("referrals_received", {("2025-Q2", "E06000057"): 20})
    store = refresh_rounds(tmp_path, [first, second, third])
    tracked, snapshots = track(store, "cse-hub-and-spoke")
    assert snapshots == ["20250701T000000Z", "20250702T000000Z", "20250703T000000Z"]
    revised = tracked[("cse-hub-and-spoke", "young_people_supported", "2024-Q4", "E06000057")]
    assert (revised.figure.value, revised.snapshot, revised.revised_from) == (
        43,
        "20250702T000000Z",
        "20250701T000000Z",
    )
    kept = tracked[("cse-hub-and-spoke", "young_people_supported", "2025-Q1", "E06000057")]
    assert (kept.figure.value, kept.snapshot, kept.revised_from) == (44, "20250701T000000Z", None)
    assert tracked[("cse-hub-and-spoke", "referrals_received", "2025-Q2", "E06000057")].snapshot == "20250703T000000Z"
    table = monitoring_table(load_catalogue("cse-hub-and-spoke"), tracked, snapshots)
    files, _ = render_monitoring_files(table, 5, NAMES)
    lines = list(csv.DictReader(io.StringIO(files["monitoring.csv"].decode())))
    assert not any(r["area"] == WHOLE_SERVICE for r in lines if r["measure_id"] == "young_people_supported")  # one area
    row = next(r for r in lines if r["measure_id"] == "young_people_supported" and r["period"] == "2024-Q4")
    assert (row["value"], row["snapshot"], row["revised_from_snapshot"]) == (
        "43",
        "20250702T000000Z",
        "20250701T000000Z",
    )
    assert "40" not in [
        r["value"] for r in lines if r["measure_id"] == "young_people_supported"
    ]  # superseded: not published


def test_a_withdrawn_figure_keeps_its_last_value_and_says_so(tmp_path):
    both = HEADER + rows("referrals_received", {("2024-Q4", "E06000057"): 30, ("2025-Q1", "E06000057"): 33})
    store = refresh_rounds(tmp_path, [both, HEADER + rows("referrals_received", {("2025-Q1", "E06000057"): 33})])
    table = monitoring_table_from_store(store, "cse-hub-and-spoke")
    files, _ = render_monitoring_files(table, 5, NAMES)
    lines = {
        r["period"]: r
        for r in csv.DictReader(io.StringIO(files["monitoring.csv"].decode()))
        if r["measure_id"] == "referrals_received"
    }
    assert (lines["2024-Q4"]["value"], lines["2024-Q4"]["note"]) == ("30", "withdrawn from the latest snapshot")
    assert (lines["2025-Q1"]["value"], lines["2025-Q1"]["note"], lines["2025-Q1"]["change"]) == ("33", "", "3")


def test_one_period_form_per_measure_across_snapshots(tmp_path):
    store = refresh_rounds(
        tmp_path,
        [
            HEADER + rows("referrals_received", {("2024-Q4", "E06000057"): 30}),
            HEADER + rows("referrals_received", {("2024-25", "E06000057"): 120}),
        ],
    )
    with pytest.raises(InputError) as caught:
        track(store, "cse-hub-and-spoke")
    (problem,) = caught.value.problems
    assert problem.line == 2 and problem.column == "period" and problem.file.endswith("20250702T000000Z/outcomes.csv")
    assert problem.message == (
        "referrals_received has quarters in snapshot 20250701T000000Z; expected one period "
        "form per measure, got 2024-25"
    )


def test_trends_read_the_direction_of_the_measure(tmp_path):
    nwd = HEADER + "".join(
        f"no-wrong-door,{measure},{period},,hub-wisbech,{value},\n"
        for measure, series in (("section_20_placements", (20, 14)), ("new_out_of_county_placements", (9, 12)))
        for period, value in zip(("2024-Q4", "2025-Q1"), series)
    )
    cse = HEADER + rows("young_people_supported", {("2024-Q4", "E06000057"): 40, ("2025-Q1", "E06000057"): 30})
    store = refresh_rounds(tmp_path, [nwd + cse.removeprefix(HEADER)])
    table = monitoring_table_from_store(store, "no-wrong-door")
    trend = {(t.measure_id, t.area): t for t in table.trends}
    fewer = trend[("section_20_placements", "hub-wisbech")]  # lower is better and it fell: improving
    assert (fewer.change, fewer.trend, fewer.reading, fewer.rag) == (-6, "falling", "improving", "green")
    more = trend[("new_out_of_county_placements", "hub-wisbech")]  # lower is better and it rose: worsening
    assert (more.change, more.trend, more.reading, more.rag) == (3, "rising", "worsening", "red")
    cse_trend = {t.measure_id: t for t in monitoring_table_from_store(store, "cse-hub-and-spoke").trends}
    assert cse_trend["young_people_supported"].reading == "worsening"  # higher is better and it fell
    # Measures without figures are listed, not zero
    assert trend[("arrests", WHOLE_SERVICE)].latest_period is None
    files, view = render_monitoring_files(table, 5, NAMES)
    arrests = [r for r in csv.DictReader(io.StringIO(files["monitoring.csv"].decode())) if r["measure_id"] == "arrests"]
    assert [(r["period"], r["value"], r["level"], r["note"]) for r in arrests] == [
        (":", ":", ":", "no figures recorded")
    ]
    section_20 = [
        r
        for r in csv.DictReader(io.StringIO(files["monitoring.csv"].decode()))
        if r["measure_id"] == "section_20_placements"
    ]
    assert [(r["value"], r["change"], r["reading"], r["rag"]) for r in section_20] == [
        ("20", "", "", ""),
        ("14", "-6", "improving", "green"),
    ]  # numbers, so a fall is not written as the text "'-6"
    assert view["measures_with_data"] == 2


def test_a_damaged_store_is_bad_input(tmp_path):
    with pytest.raises(InputError, match="not a refresh store"):
        track(tmp_path, "cse-hub-and-spoke")
    write(tmp_path / "latest.json", '{"snapshot": "../../etc"}')
    with pytest.raises(InputError, match="is not a refresh snapshot id"):
        track(tmp_path, "cse-hub-and-spoke")


# --- disclosure control --------------------------------------------------------------------------


def small_store(tmp_path) -> Path:
    figures = {
        ("2025-Q1", "E06000057"): 40,
        ("2025-Q1", "E06000001"): 3,
        ("2025-Q1", "E06000005"): 20,
        ("2025-Q2", "E06000057"): 42,
        ("2025-Q2", "E06000001"): 11,
        ("2025-Q2", "E06000005"): 21,
    }
    return refresh_rounds(tmp_path, [HEADER + rows("young_people_supported", figures)])


def test_a_count_of_3_is_c_in_html_and_csv_and_not_drawn_at_3(tmp_path):
    table = monitoring_table_from_store(small_store(tmp_path), "cse-hub-and-spoke")
    files, view = render_monitoring_files(table, 5, NAMES)
    lines = [
        r
        for r in csv.DictReader(io.StringIO(files["monitoring.csv"].decode()))
        if r["measure_id"] == "young_people_supported"
    ]
    published = {(r["period"], r["area"]): r["value"] for r in lines}
    # 3 is primary-suppressed; the total 63 is published, so Darlington's 20 (the smallest other) is hidden too
    assert published == {
        ("2025-Q1", WHOLE_SERVICE): "63",
        ("2025-Q2", WHOLE_SERVICE): "74",
        ("2025-Q1", "E06000057"): "40",
        ("2025-Q1", "E06000001"): "c",
        ("2025-Q1", "E06000005"): "c",
        ("2025-Q2", "E06000057"): "42",
        ("2025-Q2", "E06000001"): "11",
        ("2025-Q2", "E06000005"): "21",
    }
    # the change from a hidden period is hidden too (11 - 3 would reveal the 3)
    hartlepool_q2 = next(r for r in lines if r["area"] == "E06000001" and r["period"] == "2025-Q2")
    assert (hartlepool_q2["change"], hartlepool_q2["reading"], hartlepool_q2["rag"]) == ("c", "c", "")
    html = files["monitoring.html"].decode()
    section = html[html.index("<h3>Young people supported by spoke workers") :]
    section = section[: section.index("</table>")]
    assert re.search(r"<td>Hartlepool \(E06000001\)</td><td class=\"num\">c</td><td class=\"num\">11</td>", section)
    # the chart: Hartlepool's 2025-Q1 point is not drawn (no circle for it), a 'c' marks the period instead
    chart = html[html.index('aria-label="Young people supported by spoke workers"') :]
    chart = chart[: chart.index("</svg>")]
    point_titles = re.findall(r"<circle[^>]*><title>([^<]*)</title>", chart)
    assert len(point_titles) == 2 + 4  # the whole service and Northumberland twice; Hartlepool, Darlington once
    assert not any(
        t.startswith(("Hartlepool (E06000001), 2025-Q1", "Darlington (E06000005), 2025-Q1")) for t in point_titles
    )
    assert "Hartlepool (E06000001), 2025-Q1: c (suppressed)" in chart
    assert "Darlington (E06000005), 2025-Q1: c (suppressed)" in chart
    assert "Hartlepool (E06000001), 2025-Q2: 11" in point_titles
    # and no point sits at the height a value of 3 would have (scale 0-74, the largest shown; plot 124 px from y=136)
    heights = [float(y) for y in re.findall(r'<circle[^>]*cy="([0-9.]+)"', chart)]
    assert all(abs(y - (136 - 3 / 74 * 124)) > 1 for y in heights)
    assert view["suppressed_points"] == 2
    # the threshold is a setting: at 2, the 3 is published and nothing needs hiding
    files, view = render_monitoring_files(table, 2, NAMES)
    assert view["suppressed_points"] == 0 and ",c," not in files["monitoring.csv"].decode()


def test_without_a_small_count_nothing_is_hidden(tmp_path):
    figures = {("2025-Q1", "E06000057"): 40, ("2025-Q1", "E06000001"): 6, ("2025-Q1", "E06000005"): 20}
    store = refresh_rounds(tmp_path, [HEADER + rows("young_people_supported", figures)])
    files, view = render_monitoring_files(monitoring_table_from_store(store, "cse-hub-and-spoke"), 5, NAMES)
    assert view["suppressed_points"] == 0
    assert ",c," not in files["monitoring.csv"].decode()


def test_a_denominator_shared_with_another_measure_is_hidden_with_it(tmp_path):
    # missing_episodes_supported's denominator is young_people_supported's value (denominator_measure)
    supported = {("2025-Q1", "E06000057"): 40, ("2025-Q1", "E06000001"): 4, ("2025-Q1", "E06000005"): 12}
    missing = rows("missing_episodes_supported", {k: 8 for k in supported}, supported)
    store = refresh_rounds(tmp_path, [HEADER + rows("young_people_supported", supported) + missing])
    table = monitoring_table_from_store(store, "cse-hub-and-spoke")
    published = published_monitoring(table, 5)
    for area in supported:
        value_hidden = ("value", "young_people_supported", "2025-Q1", area[1]) in published.hidden
        denominator_hidden = ("denominator", "missing_episodes_supported", "2025-Q1", area[1]) in published.hidden
        assert value_hidden == denominator_hidden, area
    assert ("value", "young_people_supported", "2025-Q1", "E06000005") in published.hidden  # secondary


def figure_table(values: dict[tuple[str, str], int]):
    tracked = {}
    for (period, area), value in values.items():
        f = Figure("cse-hub-and-spoke", "referrals_received", period, area, value, None, 2)
        tracked[f.key] = Tracked(f, "20250701T000000Z", None, True)
    return monitoring_table(load_catalogue("cse-hub-and-spoke"), tracked, ["20250701T000000Z"])


AREAS = ("E06000057", "E06000001", "E06000005", "E08000021")


@settings(max_examples=examples(60))
@given(st.lists(st.lists(st.integers(0, 30), min_size=2, max_size=4), min_size=1, max_size=3), st.booleans())
def test_no_hidden_figure_can_be_recovered_from_what_is_published(grid, with_given_total):
    """The LP attack of tests/test_disclosure_attack.py on monitoring.csv: every published total
    and area figure is an equation; no hidden figure may have a single possible value."""
    values = {}
    for p, counts in enumerate(grid):
        for area, count in zip(AREAS, counts):
            values[(f"2025-Q{p + 1}", area)] = count
        if with_given_total:
            values[(f"2025-Q{p + 1}", WHOLE_SERVICE)] = sum(counts) + p  # a given total may exceed its parts
    table = figure_table(values)
    files, _ = render_monitoring_files(table, 5, NAMES)
    lines = list(csv.DictReader(io.StringIO(files["monitoring.csv"].decode())))
    exact = {(c.period, c.area): int(c.value) for c in table.cells}
    hidden = {(r["period"], r["area"]) for r in lines if r["value"] == "c"}
    assert {k for k, v in exact.items() if 1 <= v <= 5} <= hidden
    groups = []
    for p in range(len(grid)):
        period = f"2025-Q{p + 1}"
        parts = [(period, a) for a in AREAS[: len(grid[p])]]
        if (period, WHOLE_SERVICE) not in exact:  # no total published (another period has more areas)
            assert len(grid[p]) < max(map(len, grid)) and not with_given_total
            continue
        remainder = exact[(period, WHOLE_SERVICE)] - sum(exact[k] for k in parts)
        if remainder:  # the unpublished rest of a given total: an unknown to the attacker
            exact[(period, "rest")] = remainder
            hidden.add((period, "rest"))
            parts.append((period, "rest"))
        groups.append([*parts, (period, WHOLE_SERVICE)])
    assert recoverable_cells(exact, groups, hidden) == []


# --- HTML ----------------------------------------------------------------------------------------


def test_hostile_names_are_escaped(tmp_path):
    hostile = '<script>alert("x")</script>'
    text = (REPO / "inputs/outcomes/cse-hub-and-spoke.yaml").read_text()
    text = text.replace("title: CSE Hub and Spoke", f"title: '{hostile}'", 1)
    text = text.replace("title: Young people supported by spoke workers", "title: '<img src=x onerror=alert(1)>'")
    catalogue = load_catalogue("cse-hub-and-spoke", write(tmp_path / "cat" / "cse-hub-and-spoke.yaml", text).parent)
    store = small_store(tmp_path)
    table = monitoring_table_from_store(store, "cse-hub-and-spoke", catalogue)
    files, _ = render_monitoring_files(table, 5, {"E06000057": '"><b onmouseover=x>Northumberland'})
    html = files["monitoring.html"].decode()
    assert "<script" not in html and "<img" not in html and "<b onmouseover" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "") and "<link" not in html


# --- the flow and the command line (Prefect harness) ----------------------------------------------


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    from flows.cli import main

    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_refresh_twice_then_monitor_the_demo(tmp_path, capsys, prefect_harness):
    store, out = tmp_path / "store", tmp_path / "monitor"
    reports = []
    for sources in ("sources_outcomes_demo.yaml", "sources_outcomes_demo_2.yaml"):
        code, text, err = run_cli(capsys, "refresh", str(REPO / "inputs" / sources), "--store", str(store))
        assert code == 0, err
        reports.append(text)
    # the what-changed report of round 2: 2025-Q2 added, the revised 2025-Q1 figures moved
    assert "cse_outcomes       changed (34 added, 0 removed, 4 values moved)" in reports[1]
    assert "nwd_outcomes       changed (27 added, 0 removed, 1 values moved)" in reports[1]
    for model in SERVICE_MODELS:
        code, out_text, err = run_cli(capsys, "monitor", str(store), "--model", model, "--out", str(out / model))
        assert code == 0, err
        assert f"spokeplan: monitoring of {model} from {store}: 2 snapshots," in out_text
        html = (out / model / "monitoring.html").read_text()
        assert "<svg" in html and "<script" not in html and "c (suppressed)" in html
        lines = list(csv.DictReader((out / model / "monitoring.csv").open()))
        assert any(r["revised_from_snapshot"] for r in lines)  # round 2 revised some 2025-Q1 figures
        assert any(r["value"] == "c" for r in lines)
        assert {r["measure_id"] for r in lines} == set(load_catalogue(model).measures)


def test_monitor_bad_input_exits_2_and_writes_nothing(tmp_path, capsys):
    code, out, err = run_cli(
        capsys, "monitor", str(tmp_path / "nothing"), "--model", "no-wrong-door", "--out", str(tmp_path / "out")
    )
    assert code == 2
    assert err.strip() == (
        f"error: {tmp_path / 'nothing'}:0: -: not a refresh store (no latest.json); "
        "run `spokeplan refresh SOURCES.yaml --store DIR` first"
    )
    assert "Traceback" not in out + err and not (tmp_path / "out").exists()
    # a snapshot whose outcomes file no longer validates (here: tampered with) is reported where it is wrong
    store = small_store(tmp_path)
    (path,) = (store / "snapshots").glob("*/outcomes.csv")
    path.write_text(path.read_text().replace(",40,", ",-40,"))
    code, out, err = run_cli(
        capsys, "monitor", str(store), "--model", "cse-hub-and-spoke", "--out", str(tmp_path / "out")
    )
    assert code == 2 and f"error: {path}:2: value: expected a whole number of at least 0" in err
    assert "Traceback" not in out + err and not (tmp_path / "out").exists()


def test_a_bad_outcomes_source_is_rejected_by_spokeplan_refresh(tmp_path, capsys, prefect_harness):
    sources = write(
        tmp_path / "sources.yaml",
        "sources:\n  - name: outcomes\n    url: o.csv\n    schema: outcomes\n"
        "  - name: people\n    url: p.csv\n    schema: outcomes\n",
    )
    write(
        tmp_path / "o.csv",
        HEADER + "cse-hub-and-spoke,young_people_helped,2024-Q4,E06000057,,4,\n"
        "cse-hub-and-spoke,young_people_supported,2024-Q7,E06000057,,4,\n"
        "cse-hub-and-spoke,young_people_supported,2024-Q4,E06000057,,-4,\n",
    )
    write(tmp_path / "p.csv", HEADER.replace("value", "date_of_birth,value"))
    code, out, err = run_cli(capsys, "refresh", str(sources), "--store", str(tmp_path / "store"))
    assert code == 2
    lines = err.strip().splitlines()
    assert lines[0].startswith(
        f"error: {tmp_path / 'o.csv'}:2: measure_id: unknown measure id 'young_people_helped' "
        "for cse-hub-and-spoke; expected one of funding_secured, statutory_contracts,"
    )
    assert lines[1].startswith(f"error: {tmp_path / 'o.csv'}:3: period: period '2024-Q7': expected a financial year")
    assert lines[2] == (
        f"error: {tmp_path / 'o.csv'}:4: value: expected a whole number of at least 0 (counts are not "
        "negative), got '-4'"
    )
    assert lines[3] == (
        f"error: {tmp_path / 'p.csv'}:1: date_of_birth: looks like person-level data; spokeplan "
        "works on aggregate counts only: remove this column"
    )
    assert len(lines) == 4 and "Traceback" not in out + err
    assert "outcomes           rejected, none kept" in out


def test_the_flow_publishes_disclosed_artifacts(tmp_path, prefect_harness):
    from prefect.artifacts import Artifact

    from flows.monitor_flow import monitor_flow
    from flows.params import MonitorParams

    state = monitor_flow(
        params=MonitorParams(
            store_dir=str(small_store(tmp_path)), service_model="cse-hub-and-spoke", out_dir=str(tmp_path / "out")
        ),
        return_state=True,
    )
    outcome = state.result()
    assert state.is_completed() and outcome.exit_code == 0 and outcome.summary["suppressed_points"] == 2
    table = Artifact.get("monitoring-latest")
    assert table is not None
    rows_ = [r for r in eval_table(table.data) if r["measure_id"] == "young_people_supported"]
    hartlepool = next(r for r in rows_ if r["area"].startswith("Hartlepool"))
    assert hartlepool["latest"] == "11" and hartlepool["change"] == "c"
    assert outcome.written == [str(tmp_path / "out" / "monitoring.html"), str(tmp_path / "out" / "monitoring.csv")]


def eval_table(data) -> list[dict]:
    import json

    return json.loads(data) if isinstance(data, str) else data

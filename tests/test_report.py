"""report.html: content, escaping of hostile names, no network resources, disclosure control.

plan.xlsx and plan.geojson have their own test files (test_workbook.py, test_geojson.py).
"""

from __future__ import annotations

import json
import re
from html import escape as html_escape

import pytest
from markupsafe import escape
from scipy.optimize import linprog

from reporting.disclosure import disclose, suppress, suppressed_cells
from reporting.published.plan import published_counts
from reporting.writers.plan_files import render_plan_files
from tests.report_fixtures import HOSTILE_FORMULA, HOSTILE_SCRIPT, planned_plan


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    planned, plan = planned_plan(tmp_path_factory.mktemp("report") / "scn")
    return planned, plan, render_plan_files(planned, plan)


# --- disclosure ------------------------------------------------------------------------------


@pytest.mark.parametrize("value, shown", [(0, "0"), (1, "c"), (5, "c"), (6, "6"), (1234, "1,234"), (None, ":")])
def test_primary_suppression(value, shown):
    assert disclose(value, 5) == shown


def test_secondary_suppression_protects_a_single_hidden_cell_in_a_group():
    values = {"a": 3, "b": 10, "c": 20, "total": 33}
    hidden = suppressed_cells(values, [["a", "b", "c", "total"]], 5)
    assert hidden == {"a", "b"}  # a alone could be recovered as total - b - c


def test_secondary_suppression_cascades_across_rows_and_columns():
    # 2 x 2 table with row and column totals: one small cell forces a rectangle of suppressions
    values = {
        ("r1", "x"): 2,
        ("r1", "y"): 40,
        ("r2", "x"): 30,
        ("r2", "y"): 50,
        ("r1", "t"): 42,
        ("r2", "t"): 80,
        ("T", "x"): 32,
        ("T", "y"): 90,
    }
    groups = [
        [("r1", "x"), ("r1", "y"), ("r1", "t")],
        [("r2", "x"), ("r2", "y"), ("r2", "t")],
        [("r1", "x"), ("r2", "x"), ("T", "x")],
        [("r1", "y"), ("r2", "y"), ("T", "y")],
    ]
    hidden = suppressed_cells(values, groups, 5)
    for group in groups:
        assert sum(1 for key in group if key in hidden) != 1


def test_protected_totals_are_hidden_only_when_nothing_else_protects_a_cell():
    column = [("total", ["a", "b", "c"])]
    # the total is a headline figure (protected): b, the smallest other cell, is hidden with a
    assert suppress({"a": 2, "b": 7, "c": 9, "total": 18}, column, 5, frozenset({"total"})) == {"a", "b"}
    # b is protected, so the total goes instead
    assert suppress({"a": 2, "b": 30, "total": 32}, [("total", ["a", "b"])], 5, frozenset({"b"})) == {"a", "total"}
    # one part and its protected total: only hiding the total protects the part
    assert suppress({"a": 3, "total": 3}, [("total", ["a"])], 5, frozenset({"total"})) == {"a", "total"}
    # a zero is hidden when it is the only cell that can protect another
    assert suppress({"a": 3, "z": 0, "total": 9}, [("total", ["a", "z"])], 5, frozenset({"total"})) == {"a", "z"}


def test_a_grand_total_stays_shown_when_other_cells_keep_a_count_from_being_worked_out():
    """Issue #17: a host of one spoke (10..12 cases) holds a = 3 and b = 9; b's area is in the band 6-10.
    With the grand total 12 = the hosts' caseload maximum shown, the host is pinned at 12 and a = 12 - b
    is 2..6 within its own band 1..5: 4 possible values, not 'c''s 5, but never one. Hiding the total
    would buy the fifth; the total stays shown and b is hidden instead."""
    values = {"total": 12, "host": 12, "a": 3, "b": 9}
    relations = [("total", ["host"]), ("host", ["a", "b"])]
    bounds = {"host": (10, 12), "a": (1, 5), "b": (6, 10)}
    hidden = suppress(values, relations, 5, frozenset({"total"}), bounds)
    assert "total" not in hidden and {"a", "b"} <= hidden
    # the host is pinned at 12 by the shown total: a 'c' there would hide nothing, so it is shown
    assert "host" not in hidden
    # without the total's protection the full range is bought by hiding it
    assert {"a", "b", "total", "host"} == suppress(values, relations, 5, frozenset(), bounds)


def test_a_grand_total_is_hidden_when_only_that_keeps_a_count_from_being_pinned():
    """The same host with b = 10 known from its band (10..10): with the total 12 shown, a = 12 - 10 = 2
    exactly, whatever else is hidden. Only hiding the total (the host may then carry 10 to 12) keeps a
    from being worked out (1 or 2), so the total goes."""
    relations = [("total", ["host"]), ("host", ["a", "b"])]
    values = {"total": 12, "host": 12, "a": 2, "b": 10}
    hidden = suppress(values, relations, 5, frozenset({"total"}), {"host": (10, 12), "a": (1, 5), "b": (10, 10)})
    assert {"a", "total"} <= hidden


def recoverable_cells(values: dict, relations: list, hidden) -> list:
    """Independent oracle: hidden cells whose smallest and largest possible values (linear programs
    over every published sum, unknowns >= 0) differ by less than 1, i.e. a reader can work them out."""
    unknowns = sorted(hidden, key=str)
    index = {key: i for i, key in enumerate(unknowns)}
    rows, rhs = [], []
    for total, parts in relations:
        row, constant = [0.0] * len(unknowns), 0.0
        for key, sign in [(total, -1.0), *[(part, 1.0) for part in parts]]:
            if key in index:
                row[index[key]] += sign
            else:
                constant += sign * values[key]
        if any(row):
            rows.append(row)
            rhs.append(-constant)
    found = []
    for key in unknowns:
        objective = [1.0 if k == key else 0.0 for k in unknowns]
        low = linprog(objective, A_eq=rows, b_eq=rhs, bounds=(0, None))
        high = linprog([-v for v in objective], A_eq=rows, b_eq=rhs, bounds=(0, None))
        assert low.status == 0 and high.status in (0, 3)  # feasible; 3 = unbounded above
        if high.status == 0 and -high.fun - low.fun < 1 - 1e-9:
            found.append(key)
    return found


def test_audit_hides_cells_recoverable_by_combining_sums():
    """a = C - H although each of its sums has two hidden cells: the group rule alone misses it."""
    values = {"a": 6, "b": 3, "c": 4, "e": 2, "C": 13, "H": 7, "G": 8}
    relations = [("C", ["a", "b", "c"]), ("H", ["b", "c"]), ("G", ["a", "e"])]
    group_rule_only = suppressed_cells(values, [[total, *parts] for total, parts in relations], 5)
    assert recoverable_cells(values, relations, group_rule_only) == ["a", "e"]  # e = G - a
    hidden = suppress(values, relations, 5)
    assert {"a", "b", "c", "e"} <= hidden and recoverable_cells(values, relations, hidden) == []


def published_relations(planned, plan):
    """What a reader of the report and workbook knows ties the counts together, written out
    independently of reporting.views.plan_report: each relation is (key of a sum, keys of its parts)."""
    inst = planned.instance
    codes = sorted({a.authority_code for a in inst.authorities})
    authority_of = {a.area_id: a.authority_code for a in inst.areas}
    relations = []
    for code in [*codes, "TOTAL"]:  # demand = covered + unmet
        relations.append(
            (("authority", code, "demand"), [("authority", code, "covered"), ("authority", code, "unmet")])
        )
    for column in ("demand", "covered", "unmet"):  # total row
        relations.append((("authority", "TOTAL", column), [("authority", code, column) for code in codes]))
    hosts = sorted({a.host_id for a in plan.assignments})
    relations.append((("authority", "TOTAL", "covered"), [("host", h) for h in hosts]))
    for host in hosts:
        relations.append(
            (("host", host), [("assignment", a.area_id, a.host_id) for a in plan.assignments if a.host_id == host])
        )
    for code in codes:
        relations.append(
            (
                ("authority", code, "covered"),
                [("assignment", a.area_id, a.host_id) for a in plan.assignments if authority_of[a.area_id] == code],
            )
        )
    return relations


def test_no_suppressed_count_can_be_recovered_from_what_is_published(rendered):
    planned, plan, _ = rendered
    counts = published_counts(planned, plan, 5, None)
    assert all(key in counts.hidden for key, value in counts.values.items() if 1 <= value <= 5)
    assert recoverable_cells(counts.values, published_relations(planned, plan), counts.hidden) == []


# --- report.html -----------------------------------------------------------------------------


def test_report_escapes_hostile_names_and_needs_no_network(rendered):
    html = rendered[2]["report.html"].decode()
    assert "<script>alert(1)</script>" not in html and "<script" not in html.lower()
    assert str(escape(HOSTILE_SCRIPT)) in html
    assert not re.search(r"(src|href)\s*=", html)  # no resources of any kind, local or remote
    # the only "http" in the page is inside the hostile host name, shown as text
    text_only = html.replace(str(escape(HOSTILE_FORMULA)), "").replace(html_escape(HOSTILE_FORMULA), "")
    assert "http" not in text_only.lower()
    assert '<svg id="plan-map"' in html and '<svg id="coverage-chart"' in html and 'id="coverage-table"' in html


def test_report_headline_figures(rendered):
    planned, plan, files = rendered
    html = files["report.html"].decode()
    document = json.loads(files["plan.json"])
    headline = re.search(r'<section id="headline".*?</section>', html, re.S).group(0)
    assert f'<div class="value">{plan.spokes_total}</div>' in headline and "from 2 hubs" in headline
    assert (document["coverage"]["demand_covered"], document["coverage"]["demand_total"]) == (48, 60)
    # The grand totals are shown (issue #17): hiding other cells keeps every count of 1-5 from being worked
    # out, so the headline total is not hidden (reporting.disclosure.audit_target)
    assert "48 / 60" in headline and "(80.0%)" in headline
    assert f"£{document['cost_per_year']:,.0f}" in headline
    assert f"£{document['cost_per_year'] / document['reach_per_year']:,.0f}" in headline
    # young people reached a year = spokes x 20: worked out from the rules, a modelled estimate (issue #17)
    assert document["reach_per_year"] == 80 and ">≈80<" in headline


def test_report_tables_show_the_published_counts(rendered):
    planned, plan, files = rendered
    html = files["report.html"].decode()
    counts = published_counts(planned, plan, 5, None)

    def numbers(row_start: str) -> list[str]:
        row = re.search(re.escape(row_start) + r".*?</tr>", html, re.S).group(0)
        return re.findall(r'<td class="num">([^<]*)</td>', row)

    for code in ("E06000001", "E06000002"):
        name = {"E06000001": "Authority one", "E06000002": "Authority two"}[code]
        shown = numbers(f"{name} <small>{code}</small>")
        assert shown[:3] == [counts.text(("authority", code, c)) for c in ("demand", "covered", "unmet")]
        assert shown[3] == "c"  # share covered would reveal the hidden covered cases
    # Authority two's unmet 0 and the grand totals are published; the authorities' other counts are hidden
    # (area assignments of 4, 5, 3... each keep 'c''s range of values: reporting.disclosure.required_width)
    assert numbers("Authority two <small>")[:3] == ["c", "c", "0"]
    assert numbers('<tr class="total">')[:3] == ["60", "48", "12"]
    hosts = {name: numbers(f"<tr><td>{name}") for name in ("Social care office Sunderland",)}
    assert hosts["Social care office Sunderland"][:3] == ["1", "12", "12.0"]  # spokes, cases, caseload
    assert "Outreach Berwick" in re.search(r'<table id="unused-host-table">.*?</table>', html, re.S).group(0)
    chart = re.search(r'<svg id="coverage-chart".*?</svg>', html, re.S).group(0)
    assert chart.count('class="coverage-bar"') == 2 and chart.count("suppressed") == 2
    hub_table = re.search(r'<table id="hub-table">.*?</table>', html, re.S).group(0)
    assert "North hub" in hub_table and "South hub" in hub_table


def test_report_map_draws_every_place_and_link(rendered):
    planned, plan, files = rendered
    html = files["report.html"].decode()
    svg = re.search(r'<svg id="plan-map".*?</svg>', html, re.S).group(0)
    group = lambda name: re.search(rf'<g class="{name}">(.*?)</g>', svg, re.S).group(1)  # noqa: E731
    assert group("footprints").count("<path") == 2
    assert group("hubs").count("<polygon") == 2
    assert group("hosts").count("<rect") == 4 and group("hosts").count('fill="none"') == 1  # Berwick unused
    assert group("areas").count("<circle") == 5
    assert group("assignments").count("<line") == len(plan.assignments)
    assert group("spokes").count("<line") == len(plan.spokes)
    assert "&lt;script&gt;" in group("hosts")

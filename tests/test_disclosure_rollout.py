"""The programme's roll-out year tables in the disclosure audit (issue #17 item 2): the integer attack of
tests/test_disclosure_published_files.py on the public pack of small phased plans, now reading the roll-out
tables as well (public/plan.json, report.html, plan.xlsx Phases), recovers no count of 1..threshold; with
the year tables suppressed by primary suppression alone (the control) it does.

Two hand instances, on tests/scenario_files.VALID (areas of 14, 9 and 3 cases: central demand 26 each year;
host HOST1 takes 2 spokes, HOST2 1; every pair within reach), with a second hub so that two phases can
each open a service (2014 and 2015), funded two years, closing after (the plan shown) and continuing (compare):

* LOW_MIN (caseload 4..12): three spokes cover all 26 cases (3 x 4 <= 26 <= 3 x 12), so the full
  roll-out has both services with 3 spokes between them. Discounting prefers cases early, so the 2014
  service takes 2 spokes (24 of 26 cases) and the 2015 one the last spoke: in 2014, in both tables,
  26 - 24 = 2 cases are unmet, a count from case data of 1..5 that the year row alone would give away.
  The audit hides 2014's covered cases: 2 spokes carry 8..24, so a reader knows only unmet 2..18.
* HIGH_MIN (caseload 10..12): three spokes would need 30 > 26 cases, so each service has one spoke; the
  full roll-out (2015) covers 24, unmet 2: the coverage tables hide their TOTAL (issue #19), and the year
  table's 2015 row, the same cases, must not show what they hide.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from common.files import write_files
from optimisation.robust import plan_programme
from reporting.disclosure import required_width
from reporting.published.plan import PublishedCounts
from reporting.published.rollout import COMPARE, PLAN, YEAR_COLUMNS
from reporting.writers.rollout import programme_counts, render_programme_files
from scoping.scenario.build import build_instance, build_programme
from scoping.scenario.loader import load_scenario
from tests.scenario_files import VALID, write_scenario
from tests.test_disclosure_published_files import attack, knowledge, read_public_pack

THRESHOLD = 5
PROGRAMME = (
    "spoke_cost_per_year: 40000\n"
    "phases:\n"
    "  - {name: one, start_year: 2014, new_services: 1}\n"
    "  - {name: two, start_year: 2015, new_services: 1}\n"
    "funded_years: 2\n"
    "after_funding: compare\n"
    # the derivation above lets the police HOST1 serve every area (issue #14's home-authority rule would
    # keep it to its own AREA1): the disclosure of the year tables is the subject here, not that rule
    "cross_border: any\n"
)
HUBS = VALID["hubs.csv"] + "HUB2,South hub,420500,560000,1,3\n"
LOW_MIN = {"hubs.csv": HUBS, "scenario.yaml": "caseload_min: 4\ncaseload_max: 12\n" + PROGRAMME}
HIGH_MIN = {"hubs.csv": HUBS, "scenario.yaml": "caseload_min: 10\ncaseload_max: 12\n" + PROGRAMME}


def planned_programme(directory: Path, files: dict):
    scenario = load_scenario(write_scenario(directory, files))
    planned = build_instance(scenario)
    programme = build_programme(planned)
    assert programme is not None
    solved = plan_programme(planned.instance, programme, time_limit=30)
    final_planned = replace(planned, instance=solved.final_instance)
    counts = programme_counts(final_planned, solved.final_plan, programme, solved)
    return final_planned, programme, solved, counts


@pytest.fixture(scope="module", params=["low_min", "high_min"])
def phased(request, tmp_path_factory):
    files = {"low_min": LOW_MIN, "high_min": HIGH_MIN}[request.param]
    return request.param, planned_programme(tmp_path_factory.mktemp(request.param) / "scn", files)


def public_ranges(out: Path, final_planned, programme, solved, counts: PublishedCounts):
    write_files(out, render_programme_files(final_planned, solved.final_plan, counts, programme, solved))
    published = read_public_pack(out)
    return published, attack(published)


def truth(counts: PublishedCounts, key: tuple) -> int:
    """The exact value of an attacked figure (the attack names the year and scenario figures on its own)."""
    if key[0] == "year":
        return counts.values[counts.rollout_key(*key[1:])]
    if key[0] == "scenario":
        return counts.values[counts.rollout_key("robustness", *key[1:])]
    return counts.values[key]


def test_the_hand_instances_have_the_small_year_counts_derived_above(phased):
    name, (final_planned, programme, solved, counts) = phased
    plan_table, compare_table = counts.rollout.tables
    assert (plan_table.name, compare_table.name) == (PLAN, COMPARE)
    rows = {
        (table.name, r.year): (r.spokes, r.demand, r.covered) for table in counts.rollout.tables for r in table.years
    }
    if name == "low_min":
        assert rows[(PLAN, 2014)] == rows[(COMPARE, 2014)] == (2, 26, 24)  # unmet 2: small
        assert rows[(PLAN, 2015)] == (3, 26, 26) and plan_table.full_years == {2015}
    else:
        assert rows[(PLAN, 2014)] == (1, 26, 12) and rows[(PLAN, 2015)] == (2, 26, 24)
        assert counts.values[("authority", "TOTAL", "unmet")] == 2  # the full roll-out's unmet: small
    # the plan's full roll-out year is the coverage tables' total: one figure, one key
    assert counts.rollout_key(PLAN, 2015, "covered") == ("authority", "TOTAL", "covered")


def test_the_attack_on_the_public_pack_with_the_year_tables_recovers_no_small_count(phased, tmp_path):
    name, (final_planned, programme, solved, counts) = phased
    published, ranges = public_ranges(tmp_path / "out", final_planned, programme, solved, counts)
    assert published["years"] and published["full_years"] == {2015}
    known = knowledge(published)  # every file agrees: none shows what another hides
    small = {key for key in ranges if 1 <= truth(counts, key) <= THRESHOLD}
    # no count of 1..threshold is shown in any file, nor worked out by the attack
    assert not [key for key, value in known.items() if isinstance(value, int) and 1 <= truth(counts, key) <= 5]
    assert {key: ranges[key] for key in small if ranges[key][0] == ranges[key][1]} == {}
    assert all(
        truth(counts, key) in range(int(low), int(high) + 1) for key, (low, high) in ranges.items() if high < math.inf
    )
    if name == "low_min":
        # 2014, both tables: 2 spokes carry 8..24 of the 26 cases, so the unmet 2 is one of 2..18
        for table in (PLAN, COMPARE):
            assert ranges[("year", table, 2014, "unmet")] == (2, 18)
            assert known[("year", table, 2014, "covered")] is None
            assert known[("year", table, 2014, "demand")] == 26
    else:
        # the full roll-out's 2 unmet: hidden in the coverage tables and in the year table's 2015 row
        assert known[("year", PLAN, 2015, "covered")] is None and known[("authority", "TOTAL", "covered")] is None
        low, high = ranges[("year", PLAN, 2015, "unmet")]
        assert high - low >= required_width(THRESHOLD)


def primary_only_years(counts: PublishedCounts) -> PublishedCounts:
    """The control: the coverage tables as audited, the year tables by primary suppression alone, each year
    figure its own cell (hidden only when 1..threshold), as before the roll-out tables joined the audit."""
    values = {k: v for k, v in counts.values.items() if k[0] != "year"}
    keys, hidden = {}, {k for k in counts.hidden if k[0] != "year"}
    for table in counts.rollout.tables:
        for row in table.years:
            figures = {"demand": row.demand, "covered": row.covered, "unmet": row.demand - row.covered}
            for column in YEAR_COLUMNS:
                key = keys[(table.name, row.year, column)] = ("year", table.name, row.year, column)
                values[key] = figures[column]
                if 1 <= figures[column] <= counts.threshold and column != "unmet":
                    hidden.add(key)
    return replace(counts, values=values, hidden=frozenset(hidden), rollout_keys=keys)


def test_control_the_year_tables_leak_with_primary_suppression_alone(phased, tmp_path):
    name, (final_planned, programme, solved, counts) = phased
    weak = primary_only_years(counts)
    _, ranges = public_ranges(tmp_path / "out", final_planned, programme, solved, weak)
    pinned = {key: low for key, (low, high) in ranges.items() if low == high}
    if name == "low_min":
        # 26 - 24: the unmet 2 of 2014, in both tables
        assert pinned[("year", PLAN, 2014, "unmet")] == pinned[("year", COMPARE, 2014, "unmet")] == 2
    else:
        # the year table shows 2015's 24 covered of 26, the same cases as the coverage tables' TOTAL: the
        # unmet 2 they hide (with whichever totals the audit hid beside it) is worked out
        assert pinned[("authority", "TOTAL", "unmet")] == pinned[("year", PLAN, 2015, "unmet")] == 2


def test_the_internal_pack_keeps_the_exact_year_figures_marked(phased, tmp_path):
    """Item 3: what the public pack hides of the roll-out, the internal pack shows exactly, on marked pages,
    sheets and files (OFFICIAL-SENSITIVE)."""
    import json
    import re

    from openpyxl import load_workbook

    from reporting.disclosure import MARKING

    name, (final_planned, programme, solved, counts) = phased
    out = tmp_path / "out"
    write_files(out, render_programme_files(final_planned, solved.final_plan, counts, programme, solved))
    internal = out / "internal"
    document = json.loads((internal / "plan.json").read_text())
    assert document["classification"] == MARKING
    exact = {(y["year"], y["demand_total"], y["demand_covered"]) for y in document["coverage_by_year"]}
    expected = (2014, 26, 24) if name == "low_min" else (2015, 26, 24)  # hidden in the public pack
    assert expected in exact
    html = (internal / "report.html").read_text()
    assert html.count(f'aria-label="Protective marking">{MARKING}</div>') == 2
    table = re.search(r'<table id="rollout-table">(.*?)</table>', html, re.S).group(1)
    row = re.search(rf"<tr><td>{expected[0]}</td>.*?</tr>", table, re.S).group(0)
    assert re.findall(r'<td class="num">([^<]*)</td>', row)[2:4] == ["26", "24"]
    phases = load_workbook(internal / "plan.xlsx")["Phases"]
    assert phases["A1"].value == MARKING
    assert [r[4:6] for r in phases.iter_rows(min_row=3, values_only=True) if r[0] == expected[0]] == [(26, 24)]
    # ... and the public pack shows 'c' for the same figure
    public = json.loads((out / "public" / "plan.json").read_text())
    year = next(y for y in public["coverage_by_year"] if y["year"] == expected[0])
    assert year["demand_covered"] == "c"


def test_the_attack_on_the_shipped_programme_demos_public_pack(shipped_demo):
    """inputs/demo_phased's public pack (the golden run, shared): the attack reads its ten roll-out years
    (2014-2018, close and continue) and pins no count of 1..threshold. The years' unmet cases it works
    out (362 - 48 = 314 ...) are large: the demo's years show 48 to 180 covered of 362, nothing to hide."""
    demo = shipped_demo("demo_phased")
    assert demo.code == 0, demo.err
    published = read_public_pack(demo.directory)
    assert len(published["years"]) == 10 and published["full_years"] == {2016}
    ranges = attack(published)
    pinned = {key: low for key, (low, high) in ranges.items() if low == high}
    assert pinned and all(value > published["threshold"] for value in pinned.values()), pinned
    assert all(key[0] == "year" and key[3] == "unmet" for key in pinned)


# A robust plan (demand_range 0.2) on VALID: low demand 11 + 7 + 2 = 20 (each area x 0.8, rounded half up),
# central 26, high 17 + 11 + 4 = 32. Two spokes: three would need 30 cases in the low scenario (20), one
# leaves cases the other can cover. This plan and the central plan both cover 24 of 26 centrally (unmet 2,
# hidden in the coverage tables), 20 of 20 low and 24 of 32 high.
ROBUST = {"scenario.yaml": VALID["scenario.yaml"] + "demand_range: 0.2\n"}
SCALED = {"low": 0.8, "high": 1.2}  # a reader who knows the range (the report's scenario names say low / high)


@pytest.fixture(scope="module")
def robust(tmp_path_factory):
    return planned_programme(tmp_path_factory.mktemp("robust") / "scn", ROBUST)


def test_the_attack_on_a_robust_plans_public_pack_recovers_no_small_count(robust, tmp_path):
    final_planned, programme, solved, counts = robust
    rows = {r.name: (r.demand, r.robust, r.central, r.spokes) for r in counts.rollout.scenarios}
    assert rows == {"central": (26, 24, 24, 2), "low": (20, 20, 20, 2), "high": (32, 24, 24, 2)}
    published, ranges = public_ranges(tmp_path / "out", final_planned, programme, solved, counts)
    assert published["scenarios"] == ["central", "low", "high"]
    ranges = attack(published, SCALED, areas=3)
    known = knowledge(published)
    hidden_small = {key for key in ranges if 1 <= truth(counts, key) <= THRESHOLD}
    assert hidden_small >= {("authority", "TOTAL", "unmet"), ("scenario", "central", "central_unmet")}
    assert {key: ranges[key] for key in hidden_small if ranges[key][0] == ranges[key][1]} == {}
    assert not [key for key, value in known.items() if isinstance(value, int) and 1 <= truth(counts, key) <= 5]


def test_control_the_robustness_table_leaks_outside_the_audit(robust, tmp_path):
    """As before the robustness table joined the audit: the coverage tables audited without it (they hide
    the unmet 2 and, to protect it, the total covered 24), the table's rows by primary suppression alone
    (none of their figures is 1..5). The central plan's covered 24 beside the demand 26 gives its unmet 2
    away, the same 2 cases the coverage tables hide. The audit instead hides what the rows would give
    away (the test above)."""
    from reporting.published.plan import published_counts
    from reporting.published.rollout import ProgrammeFigures

    final_planned, programme, solved, counts = robust
    before = published_counts(
        final_planned, solved.final_plan, THRESHOLD, None, rollout=ProgrammeFigures(counts.rollout.tables, ())
    )
    assert ("authority", "TOTAL", "unmet") in before.hidden
    weak = replace(counts, hidden=before.hidden)  # every scenario figure shown: none is 1..5
    public_ranges(tmp_path / "out", final_planned, programme, solved, weak)
    ranges = attack(read_public_pack(tmp_path / "out"), SCALED, areas=3)
    pinned = {key: low for key, (low, high) in ranges.items() if low == high}
    # the central plan's unmet (the same 2 cases as the coverage tables' hidden unmet) is pinned
    assert {key: value for key, value in pinned.items() if 1 <= value <= THRESHOLD} == {
        ("scenario", "central", "central_unmet"): 2
    }


def test_young_people_reached_is_a_rounded_estimate_in_the_public_report(phased, tmp_path):
    """Spokes live x cases_per_spoke_per_year over the years: a modelled estimate, not a count of children,
    so the public report shows it as one (≈, nearest 5, as public/plan.json does), the internal one exact."""
    import json
    import re

    from reporting.disclosure import round_estimate

    _, (final_planned, programme, solved, counts) = phased
    out = tmp_path / "out"
    write_files(out, render_programme_files(final_planned, solved.final_plan, counts, programme, solved))
    document = json.loads((out / "internal" / "plan.json").read_text())
    reached = document["programme"]["young_people_reached"]
    spoke_years = sum(y["spokes_total"] for y in document["coverage_by_year"])
    assert reached == spoke_years * document["rules"]["cases_per_spoke_per_year"]

    def shown(pack: str) -> str:
        html = (out / pack / "report.html").read_text()
        table = re.search(r'<table id="programme-totals".*?</table>', html, re.S).group(0)
        return re.search(r"Young people reached.*?<td class=\"num\">([^<]+)</td>", table, re.S).group(1)

    assert shown("internal") == f"{reached:,}"
    assert shown("public") == f"≈{round_estimate(reached):,}"
    public = json.loads((out / "public" / "plan.json").read_text())
    assert public["programme"]["young_people_reached"] == {"estimate": round_estimate(reached)}

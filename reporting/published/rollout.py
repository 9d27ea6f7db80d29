"""The programme's roll-out year tables and the robustness table in the disclosure audit (issue #17 item 2).

A programme of services publishes, per year and for each plan it shows (the plan, and beside it the
other `after_funding` choice), the year's central demand and the cases covered (report.html's roll-out
tables, plan.xlsx's Phases sheet, public/plan.json's ``coverage_by_year``). These are counts from case
data, tied to the pack's other tables, so they join the one suppression problem of
:func:`reporting.published.plan.published_counts` and its integer audit instead of being suppressed
on their own:

* a year's demand is the central demand, the same figure every year as the coverage tables' TOTAL
  demand; the plan's full roll-out years (every phase open, the years the map and the coverage tables
  show) cover the same cases as the coverage tables' TOTAL covered. A year figure that *is* a total
  shown elsewhere gets the total's own key, so no file can show what another hides;
* each year: demand = covered + unmet. The unmet cases are not printed in the year table, but a reader
  works them out from the two figures that are, so they are a figure of the audit like any other (a
  year with 1..threshold unmet is primary-suppressed: its covered or demand is hidden with it);
* what the published rules tell a reader of a year's cases: the caseload holds in every year
  (optimisation/phased.py), so covered lies within caseload_min..caseload_max times the spokes live
  that year (the year table prints the spokes), and unmet is at least 0.

The robustness table (demand scenarios: a plan fixes its spokes once for several demand estimates) joins
the same problem: each scenario's demand = this plan's covered + unmet = the central plan's covered + unmet
(neither unmet printed), the central scenario's demand and this plan's cases in it being the coverage
tables' totals, this plan's cases within its caseload times its spokes in every scenario (the caseload
holds in each; the central plan's spokes are not published, so its cases have no such bound). A low /
high scenario's demand scales the areas' demand and rounds each, so it gives the total demand away to
within a few cases (a named scenario's changes some areas'): the audit assumes a reader works the total
out from it exactly (a shift known to the reader, never published), so a hidden total hides the
scenarios' demand too.

Not counts of children, so not in the audit: services and spokes live, costs, and "young people
reached" (spokes live x cases_per_spoke_per_year, a modelled estimate published rounded to the
nearest 5) and the cost per young person reached (total cost / that estimate): both are worked out
from spokes and money, not from case counts. The discounted coverage (a weighted sum of the years'
cases) is not published at all (reporting/views/plan_document.public_plan_document).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from optimisation.programme import CENTRAL
from reporting.disclosure import Bounds, Relation

PLAN, COMPARE = "plan", "compare"  # the plan shown; the other after_funding choice planned beside it
YEAR_COLUMNS = ("demand", "covered", "unmet")
TOTAL = {column: ("authority", "TOTAL", column) for column in YEAR_COLUMNS}
SCENARIO_COLUMNS = ("demand", "robust", "central", "robust_unmet", "central_unmet")


@dataclass(frozen=True)
class RolloutYear:
    """One row of a roll-out table: central demand and cases covered in `year`, with `spokes` live."""

    year: int
    demand: int
    covered: int
    spokes: int


@dataclass(frozen=True)
class RolloutTable:
    """A roll-out table: `name` PLAN (the plan whose full roll-out the coverage tables show) or COMPARE;
    `full_years`: the years whose cases are the coverage tables' total covered (PLAN only)."""

    name: str
    years: tuple[RolloutYear, ...]
    full_years: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ScenarioRow:
    """One row of the robustness table: a demand scenario's demand, the cases this plan covers in it
    (`robust`) and the cases the central plan covers (`central`); `spokes`: this plan's spokes (its
    caseload holds in every scenario; the central plan's spokes are not published)."""

    name: str
    demand: int
    robust: int
    central: int
    spokes: int | None  # None: not known here (no caseload bound is then used)


@dataclass(frozen=True)
class ProgrammeFigures:
    """A phased / robust plan's tables of counts beyond the coverage tables: the roll-out year tables and
    the robustness table's demand scenarios."""

    tables: tuple[RolloutTable, ...] = ()
    scenarios: tuple[ScenarioRow, ...] = ()


NO_PROGRAMME = ProgrammeFigures()  # a plan without phases or demand scenarios


def _rows(years: Sequence[Mapping[str, Any]]) -> tuple[RolloutYear, ...]:
    return tuple(
        RolloutYear(int(y["year"]), int(y["demand_total"]), int(y["demand_covered"]), int(y["spokes_total"]))
        for y in years
    )


def label_years(label: str) -> frozenset[int]:
    """'2016' -> {2016}; '2016-2018' -> {2016, 2017, 2018} (optimisation.programme.Period.label)."""
    first, _, last = label.partition("-")
    return frozenset(range(int(first), int(last or first) + 1))


def rollout_tables(document: Mapping[str, Any], spokes_total: int | None = None) -> ProgrammeFigures:
    """The roll-out tables and the robustness table of a programme's plan.json extensions
    (reporting.views.rollout.programme_document): none of the first for a plan without phases, none of
    the second without demand scenarios. `spokes_total`: the plan's spokes at full roll-out."""
    tables = []
    if "coverage_by_year" in document:
        full = label_years(document["programme"]["full_roll_out_years"])
        tables.append(RolloutTable(PLAN, _rows(document["coverage_by_year"]), full))
        for other in document.get("after_funding_compare", {}).values():
            tables.append(RolloutTable(COMPARE, _rows(other["coverage_by_year"])))
    scenarios = tuple(
        ScenarioRow(o["name"], o["demand_total"], o["covered_robust"], o["covered_central_plan"], spokes_total)
        for o in document.get("robustness", {}).get("scenarios", ())
    )
    return ProgrammeFigures(tuple(tables), scenarios)


def year_key(table: RolloutTable, row: RolloutYear, column: str, totals: Mapping[tuple, int]) -> tuple:
    """The audit's key of one figure of a roll-out table: the coverage tables' TOTAL key where the year's
    figure is that total (module docstring), else ("year", table, year, column)."""
    demand_shared = row.demand == totals[TOTAL["demand"]]  # central demand: the same figure every year
    covered_shared = row.year in table.full_years
    if covered_shared and row.covered != totals[TOTAL["covered"]]:
        raise ValueError(f"the roll-out's {row.year} covers {row.covered} cases, the coverage tables' total another")
    shared = {"demand": demand_shared, "covered": covered_shared, "unmet": demand_shared and covered_shared}
    return TOTAL[column] if shared[column] else ("year", table.name, row.year, column)


def scenario_keys(row: ScenarioRow, totals: Mapping[tuple, int]) -> dict[str, tuple]:
    """The audit's keys of a robustness row: the central scenario's demand and this plan's cases in it are
    the coverage tables' totals (central demand, full roll-out) where they are those figures."""
    own = {column: ("scenario", row.name, column) for column in SCENARIO_COLUMNS}
    if row.name != CENTRAL:
        return own
    demand_shared = row.demand == totals[TOTAL["demand"]]
    robust_shared = row.robust == totals[TOTAL["covered"]]
    if demand_shared:
        own["demand"] = TOTAL["demand"]
    if robust_shared:
        own["robust"] = TOTAL["covered"]
    if demand_shared and robust_shared:
        own["robust_unmet"] = TOTAL["unmet"]
    return own


def rollout_problem(
    figures: ProgrammeFigures, values: dict[tuple, int], caseload: tuple[int, int]
) -> tuple[dict[tuple, tuple], list[Relation], Bounds, frozenset]:
    """The roll-out and robustness tables' part of the suppression problem: their figures added to
    `values` (which holds the coverage tables' totals), the keys by (table, year, column) and
    ("robustness", scenario, column), the relations, the bounds and the unpublished figures."""
    keys: dict[tuple, tuple] = {}
    relations: list[Relation] = []
    bounds: Bounds = {}
    unpublished: set[tuple] = set()
    low, high = caseload
    for scenario in figures.scenarios:
        own = scenario_keys(scenario, values)
        numbers = {
            "demand": scenario.demand,
            "robust": scenario.robust,
            "central": scenario.central,
            "robust_unmet": scenario.demand - scenario.robust,
            "central_unmet": scenario.demand - scenario.central,
        }
        for column, key in own.items():
            keys[("robustness", scenario.name, column)] = key
            values.setdefault(key, numbers[column])
        for covered, unmet in (("robust", "robust_unmet"), ("central", "central_unmet")):
            if any(own[c][0] == "scenario" for c in ("demand", covered, unmet)):
                relations.append((own["demand"], [own[covered], own[unmet]]))
        if own["robust"][0] == "scenario" and scenario.spokes is not None:  # its caseload holds in each
            bounds[own["robust"]] = (low * scenario.spokes, high * scenario.spokes)
        if own["demand"][0] == "scenario":
            # A scenario's demand scales the areas' (low / high: x (1 -/+ demand_range), each rounded), so it
            # gives the total demand away to within a few cases; the audit takes it as giving it exactly:
            # demand_s = total demand + a shift the reader is assumed to know (never published).
            shift = ("scenario", scenario.name, "shift")
            values[shift] = scenario.demand - values[TOTAL["demand"]]
            bounds[shift] = (values[shift], values[shift])
            unpublished.add(shift)
            relations.append((own["demand"], [TOTAL["demand"], shift]))
    for table in figures.tables:
        for row in table.years:
            own = {column: year_key(table, row, column, values) for column in YEAR_COLUMNS}
            shown = {"demand": row.demand, "covered": row.covered, "unmet": row.demand - row.covered}
            for column, key in own.items():
                keys[(table.name, row.year, column)] = key
                values.setdefault(key, shown[column])
            if any(key[0] == "year" for key in own.values()):
                relations.append((own["demand"], [own["covered"], own["unmet"]]))
            if own["covered"][0] == "year":
                bounds[own["covered"]] = (low * row.spokes, high * row.spokes)
    return keys, relations, bounds, frozenset(unpublished)

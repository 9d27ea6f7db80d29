"""The case counts a plan publishes, and which of them are shown as ``c``.

Every file of the public pack (report.html, plan.xlsx, plan.geojson, plan.json, the CSV tables, the
CLI summary and the Prefect artifacts) shows the same counts from one :class:`PublishedCounts`:
primary suppression of 1..threshold, then secondary suppression over all the published tables at
once (they are tied by sums across tables and files), audited by integer programming
(reporting/disclosure.py `suppress`); modelled estimates (:func:`modelled_keys`) are shown rounded to
the nearest 5 instead. The internal pack's counts are the same figures, exact (issue #17).

What a reader of the published files knows, and the audit assumes (:func:`published_problem`):

* every count shown, and the sums tying them: an authority's demand = covered + unmet, the TOTAL
  row, an authority's covered = its areas' assignments (plan.xlsx Assignments names each area's
  authority), a host's cases = its assignments (report.html hosts table), hosts' cases = covered;
* that every listed assignment row has at least one case, and that a host's cases lie between
  caseload_min and caseload_max times its spokes (spokes per host: plan.xlsx Spokes, plan.geojson;
  the caseload: report.html rules, plan.xlsx Scenario);
* each area's demand band and whether its demand is all, partly or not met (report.html's map): an
  area's demand and covered cases are not shown, but they are tied to what is, with those bounds;
* that counts are whole numbers, and that a modelled estimate shown as ≈r is within 2 of r;
* for a programme of services, the roll-out year tables (reporting/published/rollout.py): each year's
  demand (the total demand) = covered + unmet, the full roll-out years' covered being the total
  covered, each year's covered within the caseload times the spokes live.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from optimisation.measures import spokes_by_host
from optimisation.result import PlanResult
from reporting.disclosure import (
    PUBLIC,
    SUPPRESSED,
    Bounds,
    Pack,
    Relation,
    disclose,
    estimate_bounds,
    estimate_text,
    round_estimate,
    suppress,
)
from reporting.published.monitoring import PublishedMonitoring, published_monitoring
from reporting.published.rollout import NO_PROGRAMME, ProgrammeFigures, rollout_problem
from scoping.scenario.build import PlannedScenario
from scoping.store.outcomes import MonitoringTable

# The map's demand bands (cases at a time): an area's circle shows which band its demand is in, the
# first band being 0..threshold (reporting/views/map_svg.py draws them): up to 10, 11-20, 21-50, over 50.
AREA_DEMAND_UPPERS = (10, 20, 50)


def area_demand_band(demand: int, threshold: int) -> tuple[int, int | None]:
    """The least and greatest demand an area's circle on the map can stand for (None: no greatest)."""
    lower = 0
    for upper in (threshold, *[u for u in AREA_DEMAND_UPPERS if u > threshold]):
        if demand <= upper:
            return lower, upper
        lower = upper + 1
    return lower, None


def unmet_band(demand: int, covered: int) -> str:
    """How much of an area's demand the plan leaves unmet, in words (no counts), as the map says it."""
    unmet = demand - covered
    if unmet <= 0:
        return "all demand met"
    return "demand partly unmet" if unmet < demand else "demand unmet"


def coverage_by_authority(planned: PlannedScenario, plan: PlanResult) -> list[dict[str, Any]]:
    """Demand and covered cases per authority (every authority listed, sorted by code)."""
    inst = planned.instance
    area_authority = {a.area_id: a.authority_code for a in inst.areas}
    demand: dict[str, int] = {a.authority_code: 0 for a in inst.authorities}
    covered: dict[str, int] = {a.authority_code: 0 for a in inst.authorities}
    for area in inst.areas:
        demand[area.authority_code] = demand.get(area.authority_code, 0) + area.demand
    for assignment in plan.assignments:
        code = area_authority[assignment.area_id]
        covered[code] = covered.get(code, 0) + assignment.cases
    return [
        {"authority_code": code, "demand": demand[code], "covered": covered.get(code, 0)} for code in sorted(demand)
    ]


def cross_border_assignments(planned: PlannedScenario, plan: PlanResult) -> dict[tuple[str, str], list]:
    """The plan's assignments served at a host of another authority than the area's (issue #14), by
    (the area's authority, the host's authority)."""
    inst = planned.instance
    area_authority = {a.area_id: a.authority_code for a in inst.areas}
    host_authority = {h.host_id: h.authority_code for h in inst.hosts}
    flows: dict[tuple[str, str], list] = {}
    for a in sorted(plan.assignments):
        pair = (area_authority[a.area_id], host_authority[a.host_id])
        if pair[0] != pair[1]:
            flows.setdefault(pair, []).append(a)
    return dict(sorted(flows.items()))


def cross_border_flows(planned: PlannedScenario, plan: PlanResult) -> list[dict[str, Any]]:
    """plan.json `cross_border` (issue #14): cases of each authority's areas served at hosts of each
    other authority, [{from_authority, host_authority, cases}], sorted; flows with cases only."""
    return [
        {"from_authority": src, "host_authority": dst, "cases": sum(a.cases for a in parts)}
        for (src, dst), parts in cross_border_assignments(planned, plan).items()
    ]


def from_other_authority(planned: PlannedScenario, plan: PlanResult) -> dict[str, int]:
    """Per authority (every authority listed): cases of its areas served at hosts of another authority
    (coverage.csv `served_from_other_authority`, the report's coverage table)."""
    totals = {a.authority_code: 0 for a in planned.instance.authorities}
    for (src, _), parts in cross_border_assignments(planned, plan).items():
        totals[src] = totals.get(src, 0) + sum(a.cases for a in parts)
    return dict(sorted(totals.items()))


@dataclass(frozen=True)
class PublishedCounts:
    """Every case count the report, workbook and GeoJSON publish, and which of them are shown as 'c'.

    Keys: ("authority", code | "TOTAL", "demand" | "covered" | "unmet" | "from_other") -- from_other:
    cases of the authority's areas served at hosts of another authority (issue #14) --, ("host",
    host_id) for cases served at a host, ("assignment", area_id, host_id), ("cross_border",
    area's authority, host's authority) for a cross-border flow. One suppression problem spans all the
    published tables, because they are tied by sums across tables: an authority's covered cases are
    the sum of its areas' assignments, a host's cases the sum of its assignments, and the hosts'
    cases add up to the total covered.
    """

    values: dict[tuple, int]
    hidden: frozenset
    threshold: int  # the threshold the pack's views apply: 0 in the internal pack (nothing hidden)
    # scenario.yaml `monitoring_store`: the outcome figures' own disclosure (reporting.views.monitoring),
    # worked out once with the plan's counts so report.html and plan.xlsx show the same 'c's.
    monitoring: PublishedMonitoring | None = None
    # Issue #17: the figures that are modelled estimates, not counts of children (:func:`modelled_keys`),
    # shown rounded to the nearest 5 and marked in the public pack; and the pack these counts are for.
    estimates: frozenset = frozenset()
    pack: Pack = PUBLIC
    # Issue #17: a programme's roll-out and robustness tables (reporting/published/rollout.py), audited
    # with the rest; (table, year, column) and ("robustness", scenario, column) -> that figure's key.
    rollout: ProgrammeFigures = NO_PROGRAMME
    rollout_keys: Mapping[tuple, tuple] = field(default_factory=dict)

    def rollout_key(self, table: str, year: int | str, column: str) -> tuple:
        """The key of a roll-out table's figure; a table the audit was not given cannot be shown."""
        try:
            return self.rollout_keys[(table, year, column)]
        except KeyError:
            raise ValueError(
                "the roll-out tables were not audited with the plan's counts: pass "
                "reporting.published.rollout.rollout_tables(document) to published_counts"
            ) from None

    def text(self, key: tuple) -> str:
        """The published text of a figure: 'c' if hidden, '≈25' for a modelled estimate (public pack),
        else the number with thousands separators (every figure, exact, in the internal pack)."""
        if self.pack.exact:
            return f"{self.values[key]:,}"
        if key in self.hidden:
            return SUPPRESSED
        return estimate_text(self.values[key]) if key in self.estimates else disclose(self.values[key], self.threshold)

    def number(self, key: tuple) -> int | str:
        """The published value for a spreadsheet or GeoJSON: the int (a modelled estimate rounded to the
        nearest 5 in the public pack), or 'c' if hidden."""
        if self.pack.exact:
            return self.values[key]
        if key in self.hidden:
            return SUPPRESSED
        return round_estimate(self.values[key]) if key in self.estimates else self.values[key]

    def is_estimate(self, key: tuple) -> bool:
        """True for a modelled estimate shown rounded (public pack)."""
        return not self.pack.exact and key in self.estimates


def modelled_keys(planned: PlannedScenario, plan: PlanResult) -> frozenset:
    """The plan's figures that are modelled estimates, not counts of children (issue #17).

    An area's demand is a count derived from case data when areas.csv gives it (spokeplan cannot tell
    where a given figure came from, so it assumes the sensitive case), and a modelled estimate when it is
    estimated from a population and a rate (planned.estimated_demand: the demand estimate, or a service
    model's pathways). Cases assigned from an estimated area are modelled too (the plan's allocation of
    modelled demand). A sum is modelled only when every part is: a host whose areas are all estimated,
    an authority (demand, covered, unmet) whose areas are all estimated, the total when every area is.
    One count from case data in a sum makes it a count from case data.
    """
    inst = planned.instance
    modelled_areas = set(planned.estimated_demand)
    keys: set[tuple[str, ...]] = {
        ("assignment", a.area_id, a.host_id) for a in plan.assignments if a.area_id in modelled_areas
    }
    for host_id in spokes_by_host(plan):
        areas = [a.area_id for a in plan.assignments if a.host_id == host_id]
        if areas and all(area in modelled_areas for area in areas):
            keys.add(("host", host_id))
    areas_of: dict[str, list[str]] = {}
    for area in inst.areas:
        areas_of.setdefault(area.authority_code, []).append(area.area_id)
    everything = [area.area_id for area in inst.areas]
    for code, areas in [*areas_of.items(), ("TOTAL", everything)]:
        if areas and all(area in modelled_areas for area in areas):
            # with the authority's cases served from another authority (issue #14), in the same row
            keys |= {("authority", code, column) for column in ("demand", "covered", "unmet", "from_other")}
    # A cross-border flow (issue #14): modelled when every assignment in it is.
    for (src, dst), parts in cross_border_assignments(planned, plan).items():
        if all(a.area_id in modelled_areas for a in parts):
            keys.add(("cross_border", src, dst))
    return frozenset(keys)


def published_counts(
    planned: PlannedScenario,
    plan: PlanResult,
    threshold: int,
    monitoring: MonitoringTable | None,
    pack: Pack = PUBLIC,
    rollout: ProgrammeFigures = NO_PROGRAMME,
) -> PublishedCounts:
    """The counts every file of `pack` shows: in the public pack with primary and secondary suppression
    applied jointly, and modelled estimates (:func:`modelled_keys`) shown rounded; in the internal pack
    exact (nothing hidden, threshold 0).

    `rollout`: a programme's roll-out and robustness tables (reporting.published.rollout.rollout_tables):
    their figures join the same problem, tied to the coverage tables' totals (that module's docstring).

    `monitoring`: the scenario's monitoring table (scoping.store.outcomes.scenario_monitoring), None
    without scenario.yaml `monitoring_store`; its counts are disclosed here too, as their own problem.
    """
    inst = planned.instance
    area_authority = {a.area_id: a.authority_code for a in inst.areas}
    coverage = coverage_by_authority(planned, plan)
    codes = [entry["authority_code"] for entry in coverage]
    values: dict[tuple, int] = {}
    for entry in coverage:
        values[("authority", entry["authority_code"], "demand")] = entry["demand"]
        values[("authority", entry["authority_code"], "covered")] = entry["covered"]
    for column in ("demand", "covered"):
        values[("authority", "TOTAL", column)] = sum(values[("authority", c, column)] for c in codes)
    for code in [*codes, "TOTAL"]:
        values[("authority", code, "unmet")] = (
            values[("authority", code, "demand")] - values[("authority", code, "covered")]
        )
    host_ids = sorted(spokes_by_host(plan))
    for host_id in host_ids:
        values[("host", host_id)] = sum(a.cases for a in plan.assignments if a.host_id == host_id)
    for a in plan.assignments:
        values[("assignment", a.area_id, a.host_id)] = a.cases
    columns = ("demand", "covered", "unmet")
    relations: list[Relation] = [
        (("authority", code, "demand"), [("authority", code, "covered"), ("authority", code, "unmet")])
        for code in [*codes, "TOTAL"]
    ]
    relations += [
        (("authority", "TOTAL", column), [("authority", code, column) for code in codes]) for column in columns
    ]
    relations.append((("authority", "TOTAL", "covered"), [("host", h) for h in host_ids]))
    relations += [
        (("host", host_id), [("assignment", a.area_id, a.host_id) for a in plan.assignments if a.host_id == host_id])
        for host_id in host_ids
    ]
    relations += [
        (
            ("authority", code, "covered"),
            [("assignment", a.area_id, a.host_id) for a in plan.assignments if area_authority[a.area_id] == code],
        )
        for code in codes
    ]
    cross_border_counts(planned, plan, codes, values, relations)
    estimates = modelled_keys(planned, plan)
    rules = planned.instance.rules
    rollout_keys, year_relations, year_bounds, year_unpublished = rollout_problem(
        rollout, values, (rules.caseload_min, rules.caseload_max)
    )
    relations += year_relations
    if ("authority", "TOTAL", "demand") in estimates:  # every area's demand is modelled: so is every year's
        estimates |= {key for key in rollout_keys.values() if key[0] in ("year", "scenario")}
    if pack.exact:
        return PublishedCounts(
            values,
            frozenset(),
            0,
            None if monitoring is None else published_monitoring(monitoring, 0),
            estimates,
            pack,
            rollout,
            rollout_keys,
        )
    protected = frozenset(("authority", "TOTAL", column) for column in columns)
    bounds, unpublished = published_structure(planned, plan, values, relations, threshold)
    bounds.update(year_bounds)
    unpublished |= year_unpublished
    # A modelled estimate is shown rounded: to a reader it is a whole number within 2 of what is shown, so
    # the audit takes it as an unknown with those bounds (never hidden, never audited: not a count).
    for key in estimates:
        low, high = bounds.get(key, (0, None))
        shown_low, shown_high = estimate_bounds(values[key])
        bounds[key] = (max(low, shown_low), shown_high if high is None else min(high, shown_high))
    hidden = suppress(values, relations, threshold, protected, bounds, unpublished | estimates)
    return PublishedCounts(
        {k: v for k, v in values.items() if k not in unpublished},
        hidden,
        threshold,
        None if monitoring is None else published_monitoring(monitoring, threshold),
        estimates,
        pack,
        rollout,
        rollout_keys,
    )


def cross_border_counts(
    planned: PlannedScenario, plan: PlanResult, codes: list[str], values: dict[tuple, int], relations: list[Relation]
) -> None:
    """The cross-border counts (issue #14) added to `values` and `relations`: per authority the cases of
    its areas served at another authority's hosts (and their total), per flow its cases. Each is a sum of
    published assignments (allocation.csv names each area's authority, spokes.csv each host's), and an
    authority's count is the sum of its flows, so one suppression problem covers them with the rest."""
    flows = cross_border_assignments(planned, plan)
    own: dict[str, list[tuple]] = {code: [] for code in codes}
    flow_keys: dict[str, list[tuple]] = {code: [] for code in codes}
    for (src, dst), parts in flows.items():
        key = ("cross_border", src, dst)
        values[key] = sum(a.cases for a in parts)
        cells = [("assignment", a.area_id, a.host_id) for a in parts]
        relations.append((key, cells))
        own.setdefault(src, []).extend(cells)
        flow_keys.setdefault(src, []).append(key)
    for code in codes:
        key = ("authority", code, "from_other")
        values[key] = sum(values[cell] for cell in own[code])
        relations.append((key, own[code]))
        relations.append((key, flow_keys[code]))
    values[("authority", "TOTAL", "from_other")] = sum(values[("authority", c, "from_other")] for c in codes)
    relations.append((("authority", "TOTAL", "from_other"), [("authority", c, "from_other") for c in codes]))


def published_structure(
    planned: PlannedScenario, plan: PlanResult, values: dict[tuple, int], relations: list[Relation], threshold: int
) -> tuple[Bounds, frozenset]:
    """What else the published files tell a reader about the counts (module docstring): bounds on each
    count, and the figures the map ties to them without showing them (an area's demand, covered and
    unmet cases), which are added to `values` and `relations`. Returns (bounds, unpublished keys)."""
    inst = planned.instance
    rules = inst.rules
    bounds: Bounds = {}
    for a in plan.assignments:  # a listed assignment row has at least one case
        bounds[("assignment", a.area_id, a.host_id)] = (min(1, a.cases), None)
    for host_id, spokes in spokes_by_host(plan).items():  # caseload_min..caseload_max per spoke
        bounds[("host", host_id)] = (rules.caseload_min * spokes, rules.caseload_max * spokes)
    covered_by_area: dict[str, int] = {}
    for a in plan.assignments:
        covered_by_area[a.area_id] = covered_by_area.get(a.area_id, 0) + a.cases
    unpublished: set[tuple[str, ...]] = set()
    by_authority: dict[str, list[tuple]] = {}
    for area in inst.areas:
        demand, covered = area.demand, covered_by_area.get(area.area_id, 0)
        keys = {column: ("area", area.area_id, column) for column in ("demand", "covered", "unmet")}
        values.update({keys["demand"]: demand, keys["covered"]: covered, keys["unmet"]: demand - covered})
        unpublished.update(keys.values())
        relations.append((keys["demand"], [keys["covered"], keys["unmet"]]))
        relations.append(
            (
                keys["covered"],
                [("assignment", a.area_id, a.host_id) for a in plan.assignments if a.area_id == area.area_id],
            )
        )
        by_authority.setdefault(area.authority_code, []).append(keys["demand"])
        least, greatest = area_demand_band(demand, threshold)
        if area.area_id in planned.estimated_demand:  # public plan.json: estimated_demand, rounded
            shown_low, shown_high = estimate_bounds(demand)
            least, greatest = max(least, shown_low), shown_high if greatest is None else min(greatest, shown_high)
        bounds[keys["demand"]] = (least, greatest)
        band = unmet_band(demand, covered)
        if band == "all demand met":
            bounds[keys["unmet"]] = (0, 0)
        elif band == "demand partly unmet":
            bounds[keys["unmet"]], bounds[keys["covered"]] = (1, None), (1, None)
        else:
            bounds[keys["covered"]] = (0, 0)
    relations += [(("authority", code, "demand"), parts) for code, parts in sorted(by_authority.items())]
    return bounds, frozenset(unpublished)

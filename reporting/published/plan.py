"""The case counts a plan publishes, and which of them are shown as ``c``.

Every published file of a plan (report.html, plan.xlsx, plan.geojson, the CLI summary and the
Prefect artifacts) shows the same counts from one :class:`PublishedCounts`: primary suppression of
1..threshold, then secondary suppression over all the published tables at once (they are tied by
sums across tables), audited by linear programming (reporting/disclosure.py `suppress`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optimisation.checker import spokes_by_host
from optimisation.result import PlanResult
from reporting.disclosure import SUPPRESSED, Relation, disclose, suppress
from reporting.published.monitoring import PublishedMonitoring, published_monitoring
from scoping.scenario.build import PlannedScenario
from scoping.store.outcomes import MonitoringTable


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
    return [{"authority_code": code, "demand": demand[code], "covered": covered.get(code, 0)}
            for code in sorted(demand)]


@dataclass(frozen=True)
class PublishedCounts:
    """Every case count the report, workbook and GeoJSON publish, and which of them are shown as 'c'.

    Keys: ("authority", code | "TOTAL", "demand" | "covered" | "unmet"), ("host", host_id) for
    cases served at a host, ("assignment", area_id, host_id). One suppression problem spans all the
    published tables, because they are tied by sums across tables: an authority's covered cases are
    the sum of its areas' assignments, a host's cases the sum of its assignments, and the hosts'
    cases add up to the total covered.
    """

    values: dict[tuple, int]
    hidden: frozenset
    threshold: int
    # scenario.yaml `monitoring_store`: the outcome figures' own disclosure (reporting.views.monitoring),
    # worked out once with the plan's counts so report.html and plan.xlsx show the same 'c's.
    monitoring: PublishedMonitoring | None = None

    def text(self, key: tuple) -> str:
        """The published text of a count: 'c' if hidden, else the number with thousands separators."""
        return SUPPRESSED if key in self.hidden else disclose(self.values[key], self.threshold)

    def number(self, key: tuple) -> int | str:
        """The published value for a spreadsheet or GeoJSON: the exact int, or 'c' if hidden."""
        return SUPPRESSED if key in self.hidden else self.values[key]


def published_counts(planned: PlannedScenario, plan: PlanResult, threshold: int,
                     monitoring: MonitoringTable | None) -> PublishedCounts:
    """The counts every published file shows, with primary and secondary suppression applied jointly.

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
        values[("authority", code, "unmet")] = values[("authority", code, "demand")] - values[("authority", code, "covered")]
    host_ids = sorted(spokes_by_host(plan))
    for host_id in host_ids:
        values[("host", host_id)] = sum(a.cases for a in plan.assignments if a.host_id == host_id)
    for a in plan.assignments:
        values[("assignment", a.area_id, a.host_id)] = a.cases
    columns = ("demand", "covered", "unmet")
    relations: list[Relation] = [(("authority", code, "demand"), [("authority", code, "covered"), ("authority", code, "unmet")])
                                 for code in [*codes, "TOTAL"]]
    relations += [(("authority", "TOTAL", column), [("authority", code, column) for code in codes]) for column in columns]
    relations.append((("authority", "TOTAL", "covered"), [("host", h) for h in host_ids]))
    relations += [(("host", host_id), [("assignment", a.area_id, a.host_id) for a in plan.assignments if a.host_id == host_id])
                  for host_id in host_ids]
    relations += [(("authority", code, "covered"), [("assignment", a.area_id, a.host_id) for a in plan.assignments
                                                    if area_authority[a.area_id] == code]) for code in codes]
    protected = frozenset(("authority", "TOTAL", column) for column in columns)
    return PublishedCounts(values, suppress(values, relations, threshold, protected), threshold,
                           None if monitoring is None else published_monitoring(monitoring, threshold))

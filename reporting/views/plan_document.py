"""The plan's machine-readable views: plan.json as a dictionary and the rows of allocation.csv,
spokes.csv and coverage.csv (DESIGN.md "Plan (output)").

These are plan internals, exact (not disclosure-controlled), and deterministic: sorted, rounded,
no timestamps and no timings, so the same inputs give the same bytes.
"""

from __future__ import annotations

from typing import Any

from common.version import spokeplan_version
from optimisation.measures import plan_cost_per_year, spokes_by_authority
from optimisation.result import PlanResult
from reporting.published.plan import coverage_by_authority
from reporting.views.monitoring import monitoring_document
from reporting.views.service import service_document
from scoping.scenario.build import PlannedScenario
from scoping.store.outcomes import MonitoringTable


def rounded(value: float, digits: int = 6) -> float:
    rounded = round(float(value), digits)
    return 0.0 if rounded == 0 else rounded


def travel_sources(planned: PlannedScenario, plan: PlanResult) -> dict[str, dict[str, int]]:
    """Where the travel times of the plan's own journeys come from: for its casework assignments
    (keyed host, area) and its spokes' supervision (hub, host), pairs by source (measured, routed,
    estimated)."""
    counts: dict[str, dict[str, int]] = {"casework": {}, "supervision": {}}
    for kind, pairs in (("casework", {(a.host_id, a.area_id) for a in plan.assignments}),
                        ("supervision", {(s.hub_id, s.host_id) for s in plan.spokes})):
        for pair in pairs:
            source = planned.travel_source(pair)
            counts[kind][source] = counts[kind].get(source, 0) + 1
    return {kind: dict(sorted(found.items())) for kind, found in counts.items()}


def plan_document(planned: PlannedScenario, plan: PlanResult, monitoring: MonitoringTable | None = None) -> dict[str, Any]:
    """plan.json as a dictionary, in the DESIGN.md contract's field order plus documented extras.

    `monitoring`: the scenario's monitoring table (scenario.yaml `monitoring_store`), or None."""
    inst = planned.instance
    rules = inst.rules
    document = {
        "status": plan.status,
        "objective": int(plan.objective),
        "bound": rounded(plan.bound),
        "gap": rounded(plan.gap),
        "spokes": [{"hub_id": s.hub_id, "host_id": s.host_id, "count": s.count} for s in sorted(plan.spokes)],
        "assignments": [{"area_id": a.area_id, "host_id": a.host_id, "cases": a.cases}
                        for a in sorted(plan.assignments)],
        "coverage": {
            "demand_total": inst.demand_total,
            "demand_covered": int(plan.objective),
            "by_authority": coverage_by_authority(planned, plan),
        },
        "cost_per_year": rounded(plan_cost_per_year(inst, plan), 2),
        "reach_per_year": plan.spokes_total * rules.cases_per_spoke_per_year,
        "inputs_sha256": planned.scenario.inputs_sha256,
        "spokeplan_version": spokeplan_version(),
        # Extensions (documented in the README):
        "spokes_total": plan.spokes_total,
        "host_fit": int(plan.host_fit),
        "travel_case_minutes": int(plan.travel_case_minutes),
        "backend": plan.backend,
        # Issue #15: each priority's value, proven bound (given the earlier stages' values; null if
        # none) and gap; and the feasible start the solve began from (never better than the plan).
        "stages": [{"name": s.name, "sense": s.sense, "value": rounded(s.value),
                    "bound": None if s.bound is None else rounded(s.bound),
                    "gap": None if s.gap is None else rounded(s.gap), "status": s.status} for s in plan.stages],
        "start_objective": plan.start_objective,
        "start_source": plan.start_source,
        "estimated_demand": dict(sorted(planned.estimated_demand.items())),
        "rules": {
            "caseload_min": rules.caseload_min, "caseload_max": rules.caseload_max,
            "cases_per_spoke_per_year": rules.cases_per_spoke_per_year,
            "casework_minutes": rules.casework_minutes, "supervision_minutes": rules.supervision_minutes,
            "spoke_cost_per_year": rules.spoke_cost_per_year, "budget_per_year": rules.budget_per_year,
            "max_spokes": rules.max_spokes, "priorities": list(rules.priorities),
            # Issue #16: how casework journeys are made (casework_minutes is that mode's limit).
            "casework_mode": planned.scenario.rules.casework_mode,
        },
        # Issue #16: where the times of the plan's own journeys come from (pairs by source).
        "travel_sources": travel_sources(planned, plan),
    }
    if planned.scenario.service_model_declared and planned.scenario.service_model is not None:
        # Extension (README "Service models"): only when scenario.yaml names a service model, so
        # scenarios without one keep byte-identical plan files.
        document.update(service_document(planned, plan))
    if monitoring is not None:
        # Extension (README "Outcome monitoring"): only with scenario.yaml `monitoring_store`.
        document["monitoring"] = monitoring_document(monitoring)
    return document


def allocation_rows(planned: PlannedScenario, plan: PlanResult) -> list[list[Any]]:
    inst = planned.instance
    areas = {a.area_id: a for a in inst.areas}
    hosts = {h.host_id: h for h in inst.hosts}
    mode = planned.scenario.rules.casework_mode
    return [[a.area_id, areas[a.area_id].name, areas[a.area_id].authority_code, a.host_id, hosts[a.host_id].name,
             hosts[a.host_id].host_type, a.cases, inst.casework_minutes[(a.host_id, a.area_id)], mode,
             planned.travel_source((a.host_id, a.area_id))]
            for a in sorted(plan.assignments)]


def spoke_rows(planned: PlannedScenario, plan: PlanResult) -> list[list[Any]]:
    inst = planned.instance
    hubs = {h.hub_id: h for h in inst.hubs}
    hosts = {h.host_id: h for h in inst.hosts}
    return [[s.hub_id, hubs[s.hub_id].name, s.host_id, hosts[s.host_id].name, hosts[s.host_id].host_type,
             hosts[s.host_id].authority_code, s.count, inst.supervision_minutes[(s.hub_id, s.host_id)],
             planned.travel_source((s.hub_id, s.host_id))]
            for s in sorted(plan.spokes)]


def coverage_table_rows(planned: PlannedScenario, plan: PlanResult) -> list[list[Any]]:
    inst = planned.instance
    names = {a.authority_code: a for a in inst.authorities}
    spokes_in = spokes_by_authority(inst, plan)
    rows = []
    for entry in coverage_by_authority(planned, plan):
        code = entry["authority_code"]
        share = entry["covered"] / entry["demand"] if entry["demand"] else 0.0
        authority = names[code]
        rows.append([code, authority.name, authority.aim, str(authority.required).lower(), entry["demand"],
                     entry["covered"], entry["demand"] - entry["covered"], f"{share:.3f}", spokes_in.get(code, 0)])
    return rows

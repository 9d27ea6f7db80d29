"""report.html: the plan a commissioner reads, self-contained (inline CSS and SVG, no scripts).

`report_view` prepares everything the template shows — already rounded, disclosed and ordered —
so the template holds no logic beyond loops and number filters. Disclosure control is applied
here, at the boundary: counts from case data of 1..threshold are shown as 'c', with secondary
suppression (reporting/disclosure.py) so a hidden cell cannot be recovered from a total.
"""

from __future__ import annotations

from typing import Any

from optimisation.checker import plan_cost_per_year, spokes_by_host
from optimisation.model import fit_scores
from optimisation.result import PlanResult
from reporting.disclosure import SUPPRESSED, disclose, suppressed_cells
from reporting.environment import environment
from reporting.map_svg import plan_map
from scoping.scenario import PlannedScenario


def _shown(value: int, hidden: bool, threshold: int) -> str:
    return SUPPRESSED if hidden else disclose(value, threshold)


def coverage_rows(planned: PlannedScenario, plan: PlanResult, threshold: int) -> tuple[list[dict], dict]:
    """Coverage and unmet need per authority, disclosed, with a disclosed total row."""
    inst = planned.instance
    area_authority = {a.area_id: a.authority_code for a in inst.areas}
    demand = {a.authority_code: 0 for a in inst.authorities}
    covered = {a.authority_code: 0 for a in inst.authorities}
    for area in inst.areas:
        demand[area.authority_code] = demand.get(area.authority_code, 0) + area.demand
    for assignment in plan.assignments:
        code = area_authority[assignment.area_id]
        covered[code] = covered.get(code, 0) + assignment.cases
    spokes_in: dict[str, int] = {}
    hosts = {h.host_id: h for h in inst.hosts}
    for host_id, count in spokes_by_host(plan).items():
        code = hosts[host_id].authority_code
        spokes_in[code] = spokes_in.get(code, 0) + count
    codes = sorted(demand)
    values: dict[tuple[str, str], int] = {}
    for code in codes:
        values[(code, "demand")] = demand[code]
        values[(code, "covered")] = covered[code]
        values[(code, "unmet")] = demand[code] - covered[code]
    totals = {"demand": sum(demand.values()), "covered": sum(covered.values())}
    totals["unmet"] = totals["demand"] - totals["covered"]
    for column, total in totals.items():
        values[("TOTAL", column)] = total
    groups = [[(code, "demand"), (code, "covered"), (code, "unmet")] for code in [*codes, "TOTAL"]]
    groups += [[(code, column) for code in [*codes, "TOTAL"]] for column in totals]
    hidden = suppressed_cells(values, groups, threshold)
    names = {a.authority_code: a for a in inst.authorities}
    rows = []
    for code in codes:
        row_hidden = any((code, c) in hidden for c in totals)
        share = covered[code] / demand[code] if demand[code] else None
        rows.append({
            "code": code, "name": names[code].name if code in names else code,
            "aim": names[code].aim if code in names else "both",
            "required": "yes" if code in names and names[code].required else "",
            "demand": _shown(demand[code], (code, "demand") in hidden, threshold),
            "covered": _shown(covered[code], (code, "covered") in hidden, threshold),
            "unmet": _shown(demand[code] - covered[code], (code, "unmet") in hidden, threshold),
            "share": None if row_hidden or share is None else share,
            "bar_width": 0 if row_hidden or share is None else round(share * 100, 1),
            "spokes": spokes_in.get(code, 0),
        })
    total_row = {column: _shown(value, ("TOTAL", column) in hidden, threshold) for column, value in totals.items()}
    return rows, total_row


def report_view(planned: PlannedScenario, plan: PlanResult, document: dict[str, Any], threshold: int) -> dict[str, Any]:
    """Everything report.html shows, prepared."""
    inst = planned.instance
    rules = inst.rules
    scenario = planned.scenario
    hosts = {h.host_id: h for h in inst.hosts}
    cost = plan_cost_per_year(inst, plan)
    reach = document["reach_per_year"]
    coverage, coverage_total = coverage_rows(planned, plan, threshold)
    cases_at: dict[str, int] = {}
    for a in plan.assignments:
        cases_at[a.host_id] = cases_at.get(a.host_id, 0) + a.cases
    scores = fit_scores(inst)
    per_host = []
    for host_id, count in sorted(spokes_by_host(plan).items()):
        host = hosts[host_id]
        cases = cases_at.get(host_id, 0)
        hubs = sorted({s.hub_id for s in plan.spokes if s.host_id == host_id})
        per_host.append({
            "id": host_id, "name": host.name, "type": host.host_type.replace("_", " "), "authority": host.authority_code,
            "spokes": count, "cases": disclose(cases, threshold),
            "caseload": None if 1 <= cases <= threshold else cases / count, "fit": scores[host_id],
            "drop_in": "yes" if host.drop_in else "", "hubs": ", ".join(hubs),
            "supervision": ", ".join(f"{inst.supervision_minutes[(h, host_id)]}" for h in hubs),
        })
    per_hub = []
    for hub in inst.hubs:
        placements = [s for s in plan.spokes if s.hub_id == hub.hub_id]
        minutes = [inst.supervision_minutes[(s.hub_id, s.host_id)] for s in placements]
        per_hub.append({
            "id": hub.hub_id, "name": hub.name, "spokes": sum(s.count for s in placements),
            "capacity": f"{hub.min_spokes}-{hub.capacity}", "hosts": len(placements),
            "supervision": f"{min(minutes)}-{max(minutes)}" if minutes else "z",
        })
    unused_hosts = [{"id": h.host_id, "name": h.name, "type": h.host_type.replace("_", " "),
                     "authority": h.authority_code, "fit": scores[h.host_id]}
                    for h in inst.hosts if h.host_id not in spokes_by_host(plan)]
    rule_rows = [
        ("Caseload per spoke at any one time", f"{rules.caseload_min}-{rules.caseload_max}"),
        ("Young people per spoke per year", f"{rules.cases_per_spoke_per_year}"),
        ("Casework travel limit (host to area)", f"{rules.casework_minutes} min"),
        ("Supervision travel limit (hub to host)", f"{rules.supervision_minutes} min"),
        ("Spoke cost per year", f"£{rules.spoke_cost_per_year:,.0f}"),
        ("Budget per year", "none" if rules.budget_per_year is None else f"£{rules.budget_per_year:,.0f}"),
        ("Most spokes", "none" if rules.max_spokes is None else str(rules.max_spokes)),
        ("Required authorities", ", ".join(a.authority_code for a in inst.authorities if a.required) or "none"),
        ("Spokes already in post", str(sum(inst.existing_spokes.values()))),
        ("Objective priorities", " > ".join(rules.priorities)),
        ("Disclosure threshold", f"counts 1-{threshold} shown as c"),
    ]
    demand_total = inst.demand_total
    return {
        "title": scenario.rules.name or f"Spoke plan for {scenario.directory.name}",
        "description": scenario.rules.description or "",
        "status": plan.status,
        "headline": {
            "spokes": plan.spokes_total, "hubs_used": len({s.hub_id for s in plan.spokes}),
            "hosts_used": len(spokes_by_host(plan)),
            "covered": disclose(plan.objective, threshold), "demand": disclose(demand_total, threshold),
            "share": plan.objective / demand_total if demand_total else None,
            "gap": plan.gap, "bound": disclose(int(plan.bound), threshold), "cost": cost,
            "cost_per_young_person": cost / reach if reach else None, "reach": reach,
        },
        "map": plan_map(inst, plan, {a.authority_code: a.name for a in inst.authorities}),
        "coverage": coverage, "coverage_total": coverage_total,
        "hubs": per_hub, "hosts": per_host, "unused_hosts": unused_hosts,
        "rules": rule_rows,
        "provenance": {
            "inputs": sorted(scenario.inputs_sha256.items()), "version": document["spokeplan_version"],
            "status": plan.status, "backend": plan.backend, "gap": plan.gap,
            "stages": [(s["name"], s["status"], s["value"]) for s in document["stages"]],
        },
        "estimated_areas": len(planned.estimated_demand),
    }


def render_report_html(planned: PlannedScenario, plan: PlanResult, document: dict[str, Any]) -> str:
    threshold = planned.scenario.rules.disclosure_threshold
    return environment().get_template("report.html.j2").render(**report_view(planned, plan, document, threshold))


def render_report_files(planned: PlannedScenario, plan: PlanResult, document: dict[str, Any]) -> dict[str, bytes]:
    """report.html, plan.xlsx and plan.geojson, as bytes by file name."""
    from reporting.geojson import plan_geojson_bytes
    from reporting.workbook import plan_workbook_bytes

    return {
        "report.html": render_report_html(planned, plan, document).encode("utf-8"),
        "plan.xlsx": plan_workbook_bytes(planned, plan, document),
        "plan.geojson": plan_geojson_bytes(planned, plan),
    }

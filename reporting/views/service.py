"""What a plan says about its service model: the team per hub, pathway demand and capacity, placements.

Used only when scenario.yaml names a `service_model` (so existing scenarios' files are unchanged).

* `service_document` — the plan.json extension (exact figures: plan internals);
* `service_view` — the same for report.html and plan.xlsx, by pack (issue #17): pathway episodes and
  cases at a time are modelled estimates (an eligible population times the model's stated rates), not
  counts of children, so the public pack shows them rounded to the nearest 5 and marked '≈' (each
  rounded on its own: the rows need not add up to the total) and the internal pack exactly. Workers,
  team members and places are resources, not counts of young people, and are shown as they are (like
  spokes).

Pathway figures cover the areas whose demand was estimated from the model's eligible population
(scoping/scenario/service_model.py); areas that give `demand` directly have no pathway split and are
counted in a separate row.
"""

from __future__ import annotations

import math
from typing import Any

from optimisation.measures import team_cost_per_year, workers_by_hub
from optimisation.result import PlanResult
from reporting.disclosure import Pack, estimate_text
from scoping.scenario.build import PlannedScenario
from scoping.scenario.service_model import episodes_a_year


def _round(value: float, digits: int = 3) -> float:
    rounded = round(float(value), digits)
    return 0.0 if rounded == 0 else rounded


def pathway_totals(planned: PlannedScenario) -> dict[str, float]:
    """Episodes a year per pathway, summed over the areas estimated from the eligible population."""
    model = planned.scenario.service_model
    totals = {p.id: 0.0 for p in model.spec.pathways} if model else {}
    for episodes in planned.pathway_episodes.values():
        for pathway, count in episodes.items():
            totals[pathway] += count
    return totals


def given_demand(planned: PlannedScenario) -> int:
    """Cases at a time in areas that gave `demand` directly (no pathway split)."""
    return sum(a.demand for a in planned.instance.areas if a.area_id not in planned.estimated_demand)


def service_document(planned: PlannedScenario, plan: PlanResult) -> dict[str, Any]:
    """plan.json keys `service_model`, `team`, `pathways`, `placements` (exact)."""
    model = planned.scenario.service_model
    if model is None:
        raise ValueError(f"scenario {planned.scenario.directory} has no service model to document")
    totals = pathway_totals(planned)
    covered_share = plan.objective / planned.instance.demand_total if planned.instance.demand_total else 0.0
    pathways = []
    for p in model.spec.pathways:
        episodes = totals[p.id]
        pathways.append(
            {
                "pathway": p.id,
                "planning_weeks": p.planning_weeks,
                "weeks_min": p.weeks_min,
                "weeks_max": p.weeks_max,
                "episodes_per_year": _round(episodes),
                "cases_at_a_time": _round(episodes * p.planning_weeks / 52),
                # Sensitivity to the duration (plan internals only: published beside the planning figures,
                # these extra sums could let a reader solve for suppressed cells).
                "cases_at_a_time_low": _round(episodes * p.weeks_min / 52),
                "cases_at_a_time_high": _round(episodes * p.weeks_max / 52),
            }
        )
    need = model.placement_need(totals)
    covered_need = model.placement_need({k: v * covered_share for k, v in totals.items()})
    return {
        "service_model": {
            "id": model.id,
            "name": model.name,
            "file": model.file,
            "caseload_min": model.spec.caseload.min,
            "caseload_max": model.spec.caseload.max,
            "episodes_per_worker_per_year": model.episodes_per_worker_per_year,
            "mean_planning_weeks": _round(model.planning_weeks),
            "population_column": model.population_column,
        },
        "team": [{"hub_id": t.hub_id, "role": t.role, "count": t.count} for t in sorted(plan.team)],
        "team_cost_per_year": _round(team_cost_per_year(planned.instance, plan.team), 2),
        "pathways": pathways,
        "demand_given_directly": given_demand(planned),
        "placements": [
            {
                "type": kind,
                "nights_per_year": _round(v["nights_per_year"], 1),
                "places_needed": v["places_needed"],
                "places_needed_for_covered": covered_need[kind]["places_needed"],
                "places_declared": v["places_declared"],
                "occupancy": v["occupancy"],
            }
            for kind, v in need.items()
        ],
    }


def service_view(planned: PlannedScenario, plan: PlanResult, pack: Pack) -> dict[str, Any] | None:
    """The service-model section of report.html and plan.xlsx in `pack` (None without a declared model)."""
    scenario = planned.scenario
    if not scenario.service_model_declared or scenario.service_model is None:
        return None
    model = scenario.service_model
    document = service_document(planned, plan)
    roles = {r.id: r for r in model.spec.roles}
    # Pathway episodes and cases at a time: modelled estimates, whole numbers internally, rounded to the
    # nearest 5 and marked in the public pack (the totals from the unrounded figures).
    values: dict[tuple, float] = {}
    for row in document["pathways"]:
        values[("episodes", row["pathway"])] = row["episodes_per_year"]
        values[("cases", row["pathway"])] = row["cases_at_a_time"]
    keys = [row["pathway"] for row in document["pathways"]]
    for column in ("episodes", "cases"):
        values[(column, "TOTAL")] = sum(values[(column, k)] for k in keys)

    def shown(key: tuple) -> str:
        return f"{int(math.floor(values[key] + 0.5)):,}" if pack.exact else estimate_text(values[key])

    names = {p.id: p for p in model.spec.pathways}
    pathway_rows = [
        {
            "name": names[k].name,
            "weeks": f"{names[k].weeks_min:g}-{names[k].weeks_max:g}",
            "planning_weeks": f"{names[k].planning_weeks:g}",
            "note": names[k].duration_note or "",
            "episodes": shown(("episodes", k)),
            "cases": shown(("cases", k)),
            "per_worker": episodes_a_year(model.spec.caseload.max, names[k].planning_weeks),
        }
        for k in keys
    ]
    workers = workers_by_hub(plan.spokes)
    hubs = {h.hub_id: h for h in planned.instance.hubs}
    team_rows: list[dict[str, Any]] = []
    for hub_id in sorted(workers):
        counts = {t.role: t.count for t in plan.team if t.hub_id == hub_id}
        team_rows.append(
            {
                "hub": hub_id,
                "name": hubs[hub_id].name,
                "workers": workers[hub_id],
                "roles": [counts.get(role_id, 0) for role_id in roles],
            }
        )
    rule = model.spec.eligibility
    return {
        "id": model.id,
        "name": model.name,
        "workers_label": model.spec.workers.plural,
        "eligibility": f"aged {rule.age_min}-{rule.age_max}"
        + (", open to social care" if rule.open_to_social_care else ""),
        "population_column": model.population_column,
        "caseload": f"{model.spec.caseload.min}-{model.spec.caseload.max}",
        "episodes_per_worker": model.episodes_per_worker_per_year,
        "mean_weeks": f"{model.planning_weeks:.2f}",
        "pathways": pathway_rows,
        "pathway_total": {"episodes": shown(("episodes", "TOTAL")), "cases": shown(("cases", "TOTAL"))},
        "given_directly": document["demand_given_directly"],
        "role_names": [r.name for r in model.spec.roles],
        "role_rules": [
            (r.name, r.per_team, r.workers_per_role, r.cost_per_year, r.note or "") for r in model.spec.roles
        ],
        "team": team_rows,
        "team_totals": [sum(row["roles"][i] for row in team_rows) for i in range(len(roles))],
        "team_cost": document["team_cost_per_year"],
        "placements": document["placements"],
        "provision_names": {p.type: p.name for p in model.spec.placement_provision},
    }

"""The plan's machine-readable views: plan.json as a dictionary and the rows of allocation.csv,
spokes.csv and coverage.csv (DESIGN.md "Plan (output)").

`plan_document` and the `*_rows` functions are the plan internals of the internal pack, exact (not
disclosure-controlled); `public_plan_document` and the `published_*_rows` functions are the same
files of the public pack (issue #17), from the pack's one set of published counts. All deterministic:
sorted, rounded, no timestamps and no timings, so the same inputs give the same bytes.
"""

from __future__ import annotations

from typing import Any

from common.version import spokeplan_version
from optimisation.instance import Instance
from optimisation.measures import (
    cost_breakdown,
    longest_supervision_trip,
    managers_by_hub,
    plan_cost_per_year,
    plan_supervision,
    spokes_by_authority,
)
from optimisation.result import PlanResult
from reporting.disclosure import (
    ESTIMATE_MARK,
    ESTIMATE_STEP,
    MARKING,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SUPPRESSED,
    round_estimate,
)
from reporting.published.plan import PublishedCounts, coverage_by_authority, cross_border_flows, from_other_authority
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
    for kind, pairs in (
        ("casework", {(a.host_id, a.area_id) for a in plan.assignments}),
        ("supervision", {(s.hub_id, s.host_id) for s in plan.spokes}),
    ):
        for pair in pairs:
            source = planned.travel_source(pair)
            counts[kind][source] = counts[kind].get(source, 0) + 1
    return {kind: dict(sorted(found.items())) for kind, found in counts.items()}


def plan_document(
    planned: PlannedScenario, plan: PlanResult, monitoring: MonitoringTable | None = None
) -> dict[str, Any]:
    """plan.json as a dictionary, in the DESIGN.md contract's field order plus documented extras.

    `monitoring`: the scenario's monitoring table (scenario.yaml `monitoring_store`), or None."""
    inst = planned.instance
    rules = inst.rules
    document = {
        # Issue #17: the plan internals are the internal pack's; the marking travels with the file.
        "classification": MARKING,
        "status": plan.status,
        "objective": int(plan.objective),
        "bound": rounded(plan.bound),
        "gap": rounded(plan.gap),
        "spokes": [{"hub_id": s.hub_id, "host_id": s.host_id, "count": s.count} for s in sorted(plan.spokes)],
        "assignments": [
            {"area_id": a.area_id, "host_id": a.host_id, "cases": a.cases} for a in sorted(plan.assignments)
        ],
        "coverage": {
            "demand_total": inst.demand_total,
            "demand_covered": int(plan.objective),
            "by_authority": coverage_by_authority(planned, plan),
        },
        "cost_per_year": rounded(plan_cost_per_year(inst, plan), 2),
        # Issue #14: the cost by part (they sum to cost_per_year) and the supervision travel.
        "cost_breakdown": {part: rounded(value, 2) for part, value in cost_breakdown(inst, plan).items()},
        "supervision": supervision_document(inst, plan),
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
        "stages": [
            {
                "name": s.name,
                "sense": s.sense,
                "value": rounded(s.value),
                "bound": None if s.bound is None else rounded(s.bound),
                "gap": None if s.gap is None else rounded(s.gap),
                "status": s.status,
            }
            for s in plan.stages
        ],
        "start_objective": plan.start_objective,
        "start_source": plan.start_source,
        "estimated_demand": dict(sorted(planned.estimated_demand.items())),
        "rules": {
            "caseload_min": rules.caseload_min,
            "caseload_max": rules.caseload_max,
            "cases_per_spoke_per_year": rules.cases_per_spoke_per_year,
            "casework_minutes": rules.casework_minutes,
            "supervision_minutes": rules.supervision_minutes,
            "spoke_cost_per_year": rules.spoke_cost_per_year,
            "budget_per_year": rules.budget_per_year,
            "max_spokes": rules.max_spokes,
            "priorities": list(rules.priorities),
            # Issue #14: one hub per host unless shared; the management and visit costs' settings.
            "shared_hosts": rules.shared_hosts,
            # One figure when every hub's managers cost the same, else "by hub" (hubs.csv).
            "manager_cost_per_year": _manager_cost(inst),
            "supervision_visits_per_year": rules.supervision_visits_per_year,
            "staff_cost_per_minute": rounded(rules.staff_cost_per_minute, 4),
            "mileage_cost_per_km": rules.mileage_cost_per_km,
            # Issue #16: how casework journeys are made (casework_minutes is that mode's limit).
            "casework_mode": planned.scenario.rules.casework_mode,
            # Issue #14: the home-authority rule.
            "cross_border": rules.cross_border,
        },
        # Issue #16: where the times of the plan's own journeys come from (pairs by source).
        "travel_sources": travel_sources(planned, plan),
        # Issue #14: cases served at hosts of another authority, per (area's authority, host's authority).
        "cross_border": cross_border_flows(planned, plan),
    }
    if planned.scenario.service_model_declared and planned.scenario.service_model is not None:
        # Extension (README "Service models"): only when scenario.yaml names a service model, so
        # scenarios without one keep byte-identical plan files.
        document.update(service_document(planned, plan))
    if monitoring is not None:
        # Extension (README "Outcome monitoring"): only with scenario.yaml `monitoring_store`.
        document["monitoring"] = monitoring_document(monitoring)
    if planned.scenario.store is not None:
        # Extension (issue #17, README "Plans from the refresh store"): only with --store; the snapshot and
        # its sources' SHA-256 (scoping.store.snapshot_data.SnapshotData.provenance).
        document["store"] = dict(planned.scenario.store)
    return document


def allocation_rows(planned: PlannedScenario, plan: PlanResult) -> list[list[Any]]:
    inst = planned.instance
    areas = {a.area_id: a for a in inst.areas}
    hosts = {h.host_id: h for h in inst.hosts}
    mode = planned.scenario.rules.casework_mode
    return [
        [
            a.area_id,
            areas[a.area_id].name,
            areas[a.area_id].authority_code,
            a.host_id,
            hosts[a.host_id].name,
            hosts[a.host_id].host_type,
            a.cases,
            inst.casework_minutes[(a.host_id, a.area_id)],
            mode,
            planned.travel_source((a.host_id, a.area_id)),
        ]
        for a in sorted(plan.assignments)
    ]


def spoke_rows(planned: PlannedScenario, plan: PlanResult) -> list[list[Any]]:
    inst = planned.instance
    hubs = {h.hub_id: h for h in inst.hubs}
    hosts = {h.host_id: h for h in inst.hosts}
    return [
        [
            s.hub_id,
            hubs[s.hub_id].name,
            s.host_id,
            hosts[s.host_id].name,
            hosts[s.host_id].host_type,
            hosts[s.host_id].authority_code,
            s.count,
            inst.supervision_minutes[(s.hub_id, s.host_id)],
            planned.travel_source((s.hub_id, s.host_id)),
        ]
        for s in sorted(plan.spokes)
    ]


def coverage_table_rows(planned: PlannedScenario, plan: PlanResult) -> list[list[Any]]:
    inst = planned.instance
    names = {a.authority_code: a for a in inst.authorities}
    spokes_in = spokes_by_authority(inst, plan)
    from_other = from_other_authority(planned, plan)
    rows = []
    for entry in coverage_by_authority(planned, plan):
        code = entry["authority_code"]
        share = entry["covered"] / entry["demand"] if entry["demand"] else 0.0
        authority = names[code]
        rows.append(
            [
                code,
                authority.name,
                authority.aim,
                str(authority.required).lower(),
                entry["demand"],
                entry["covered"],
                entry["demand"] - entry["covered"],
                f"{share:.3f}",
                spokes_in.get(code, 0),
                from_other.get(code, 0),
            ]
        )
    return rows


# ---------------------------------------------------------------------------------------------
# The public pack's plan.json and CSV tables (issue #17)
# ---------------------------------------------------------------------------------------------

COUNT, ESTIMATE = "count", "estimate"  # the `figures` of a public CSV row: what its numbers are


def published_value(text: str) -> int | str | dict:
    """A published figure for JSON from its text: 1234 ('1,234'), 'c' / ':' / 'z' as they are, and
    {"estimate": 25} for a modelled estimate ('≈25')."""
    if text.startswith(ESTIMATE_MARK):
        return {"estimate": int(text[len(ESTIMATE_MARK) :].replace(",", ""))}
    plain = text.replace(",", "")
    return int(plain) if plain.isdigit() else text


def public_plan_document(
    document: dict[str, Any],
    counts: PublishedCounts,
    planned: PlannedScenario,
    rollout: dict | None = None,
    service: dict | None = None,
) -> dict[str, Any]:
    """public/plan.json: the DESIGN.md fields, with every case count as the public pack publishes it
    (an int, 'c', or {"estimate": n}), and only figures the disclosure audit knows of.

    Left out, each for a reason: `inputs_sha256` (a hash of areas.csv lets a reader test guesses of the
    counts it holds), `host_fit`, `travel_case_minutes` and the stages' values (sums of cases weighted by
    published scores and minutes: equations a reader could solve for hidden counts), the programme's
    per-period assignments and discounted coverage and the discounted robustness values (further sums of
    cases), and a service
    model's `demand_given_directly` (a sum of counts beside the estimates) and low / high pathway cases.
    """
    total = {column: ("authority", "TOTAL", column) for column in ("demand", "covered", "unmet")}
    covered_hidden = total["covered"] in counts.hidden
    bound = (
        SUPPRESSED
        if covered_hidden
        else {"estimate": round_estimate(document["bound"])}
        if counts.is_estimate(total["covered"])
        else int(document["bound"])
    )
    public: dict[str, Any] = {
        "classification": "disclosure-controlled for publication",
        "disclosure": {
            "threshold": counts.threshold,
            SUPPRESSED: f"a count from case data of 1 to {counts.threshold}, or a figure hidden so that none "
            "can be worked out",
            NOT_AVAILABLE: "not available",
            NOT_APPLICABLE: "not applicable",
            "estimate": f"a modelled estimate (not a count of children), rounded to the nearest {ESTIMATE_STEP}",
        },
        "status": document["status"],
        "objective": published_value(counts.text(total["covered"])),
        "bound": bound,
        "gap": document["gap"],
        "spokes": document["spokes"],
        "assignments": [
            {
                "area_id": a["area_id"],
                "host_id": a["host_id"],
                "cases": published_value(counts.text(("assignment", a["area_id"], a["host_id"]))),
            }
            for a in document["assignments"]
        ],
        "coverage": {
            "demand_total": published_value(counts.text(total["demand"])),
            "demand_covered": published_value(counts.text(total["covered"])),
            "demand_unmet": published_value(counts.text(total["unmet"])),
            "by_authority": [
                {
                    "authority_code": entry["authority_code"],
                    **{
                        column: published_value(counts.text(("authority", entry["authority_code"], column)))
                        for column in ("demand", "covered", "unmet")
                    },
                }
                for entry in document["coverage"]["by_authority"]
            ],
        },
        "cost_per_year": document["cost_per_year"],
        # Issue #14: from the spokes, hosts and hubs (no case counts), published as they are.
        "cost_breakdown": document["cost_breakdown"],
        "supervision": document["supervision"],
        "reach_per_year": {"estimate": round_estimate(document["reach_per_year"])},
        "inputs": sorted(document["inputs_sha256"]),
        "spokeplan_version": document["spokeplan_version"],
        "spokes_total": document["spokes_total"],
        "backend": document["backend"],
        "stages": [{k: stage[k] for k in ("name", "sense", "status")} for stage in document["stages"]],
        "estimated_demand": {
            area: {"estimate": round_estimate(value)} for area, value in document["estimated_demand"].items()
        },
        "rules": document["rules"],
        "travel_sources": document["travel_sources"],
        "cross_border": [
            {
                "from_authority": flow["from_authority"],
                "host_authority": flow["host_authority"],
                "cases": published_value(counts.text(("cross_border", flow["from_authority"], flow["host_authority"]))),
            }
            for flow in document["cross_border"]
        ],
    }
    if service is not None:
        public["service_model"] = document["service_model"]
        public["team"] = document["team"]
        public["team_cost_per_year"] = document["team_cost_per_year"]
        public["pathways"] = [
            {
                **{k: p[k] for k in ("pathway", "planning_weeks", "weeks_min", "weeks_max")},
                "episodes_per_year": {"estimate": round_estimate(p["episodes_per_year"])},
                "cases_at_a_time": {"estimate": round_estimate(p["cases_at_a_time"])},
            }
            for p in document["pathways"]
        ]
        public["placements"] = document["placements"]
    if "monitoring" in document:
        public["monitoring"] = document["monitoring"]
    if "store" in document:  # which refresh snapshot the plan used; its sources' hashes stay internal
        public["store"] = {key: document["store"][key] for key in ("snapshot", "previous") if key in document["store"]}
    if rollout is not None:  # a phased / robust plan: what report.html's roll-out and robustness show
        programme = document["programme"]
        public["programme"] = {
            k: programme[k]
            for k in ("objective", "robust", "status", "discount_rate", "funded_years", "after_funding")
            if k in programme
        }
        if "coverage_by_year" in document:  # a programme of services: money, services and modelled reach
            public["programme"].update(_public_totals(programme))
            public["coverage_by_year"] = _public_years(rollout["years"])
            public["phases"] = [
                {
                    "name": p["name"],
                    "start_year": p["start"],
                    "new_services": p["new_services"],
                    "services_opened": p["opened"],
                    "funded_until": p["funded_until"],
                    "spokes_total": p["spokes"],
                    "cost_per_year": p["cost"],
                    "budget_per_year": p["budget"],
                }
                for p in rollout["phases"]
            ]
            public["services"] = rollout["services"]
            if rollout["compare"] is not None:
                other = rollout["compare"]
                public["after_funding_compare"] = {
                    other["after_funding"]: {
                        **_public_totals(other["programme"]),
                        "coverage_by_year": _public_years(other["years"]),
                    }
                }
        public["robustness"] = [
            {
                "name": o["name"],
                "weight": o["weight"],
                "demand_total": published_value(o["demand"]),
                "covered_robust": published_value(o["robust"]),
                "covered_central_plan": published_value(o["central"]),
                "central_plan_meets_caseload_min": o["central_min"] == "yes",
            }
            for o in rollout["scenarios"]
        ]
    return public


def _public_years(years: list[dict]) -> list[dict]:
    """The roll-out's years as report.html publishes them (case counts disclosed; services, spokes, money)."""
    return [
        {
            "year": y["year"],
            "services_live": y["services_live"],
            "spokes_total": y["spokes"],
            "demand_total": published_value(y["demand"]),
            "demand_covered": published_value(y["covered"]),
            "cost": y["cost"],
        }
        for y in years
    ]


def _public_totals(programme: dict) -> dict:
    """A programme's money and reach: young people reached is a modelled estimate (spokes x young people a
    year per spoke), published rounded like every estimate; the cost per young person from the exact reach."""
    return {
        "first_year": programme["first_year"],
        "end_year": programme["end_year"],
        "total_cost": programme["total_cost"],
        "net_present_cost": programme["net_present_cost"],
        "discount_rate_basis": programme["discount_rate_basis"],
        "young_people_reached": {"estimate": round_estimate(programme["young_people_reached"])},
        "cost_per_young_person_reached": programme["cost_per_young_person_reached"],
    }


def published_allocation_rows(planned: PlannedScenario, plan: PlanResult, counts: PublishedCounts) -> list[list[Any]]:
    """allocation.csv of the public pack: cases as published ('c', a rounded estimate) and `figures`."""
    return [
        [*row[:6], counts.number(key), *row[7:], ESTIMATE if counts.is_estimate(key) else COUNT]
        for row, key in ((row, ("assignment", row[0], row[3])) for row in allocation_rows(planned, plan))
    ]


def published_coverage_rows(
    rows: list[dict], total: dict, counts: PublishedCounts, spokes_total: int
) -> list[list[Any]]:
    """coverage.csv of the public pack, from the report's disclosed coverage rows (views.plan_report
    coverage_rows): counts as published, the share as the report shows it, `figures`, and the total row."""

    def number(text: str) -> int | str:
        plain = text.removeprefix(ESTIMATE_MARK).replace(",", "")
        return int(plain) if plain.isdigit() else text

    out = [
        [
            r["code"],
            r["name"],
            r["aim"],
            "true" if r["required"] else "false",
            number(r["demand"]),
            number(r["covered"]),
            number(r["unmet"]),
            r["share_text"] if r["share"] is None else f"{r['share']:.3f}",
            r["spokes"],
            number(r["from_other"]),
            ESTIMATE if r["estimate"] else COUNT,
        ]
        for r in rows
    ]
    estimate = counts.is_estimate(("authority", "TOTAL", "demand"))
    out.append(
        [
            "TOTAL",
            "All authorities",
            "",
            "",
            number(total["demand"]),
            number(total["covered"]),
            number(total["unmet"]),
            "",
            spokes_total,
            number(total["from_other"]),
            ESTIMATE if estimate else COUNT,
        ]
    )
    return out


def supervision_document(inst: Instance, plan: PlanResult) -> dict[str, Any]:
    """plan.json `supervision` (issue #14): spoke-minutes hub -> host in total, the longest trip
    (hub, host, minutes; null without spokes) and the managers each used hub needs."""
    longest = longest_supervision_trip(inst, plan)
    return {
        "spoke_minutes_total": plan_supervision(inst, plan),
        "longest_trip": None
        if longest is None
        else {"hub_id": longest[0], "host_id": longest[1], "minutes": longest[2]},
        "managers_by_hub": managers_by_hub(inst, plan),
    }


def _manager_cost(inst: Instance) -> float | str | None:
    """The hubs' manager cost a year: the one figure if they share it, "by hub" if not, None without hubs."""
    costs = {h.manager_cost_per_year for h in inst.hubs}
    return None if not costs else costs.pop() if len(costs) == 1 else "by hub (hubs.csv)"

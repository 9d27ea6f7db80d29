"""report.html's sections as data: everything the plan report shows, already rounded, disclosed and
ordered, so the template holds no logic beyond loops and number filters. Counts come from the one
:class:`~reporting.published.plan.PublishedCounts` of the plan, so a hidden cell cannot be recovered
from a total, another table or a headline figure.
"""

from __future__ import annotations

from typing import Any

from optimisation.measures import own_authority_fit, plan_cost_per_year, spokes_by_authority, spokes_by_host
from optimisation.result import PlanResult
from optimisation.rules import CrossBorder
from reporting.disclosure import (
    ESTIMATE_MARK,
    NOT_AVAILABLE,
    SUPPRESSED,
    disclose,
    estimate_legend,
    estimate_text,
    legend,
)
from reporting.published.plan import PublishedCounts
from reporting.views.map_svg import demand_band_labels, plan_map
from reporting.views.monitoring import plan_monitoring_view
from reporting.views.plan_document import travel_sources
from reporting.views.service import service_view
from scoping.scenario.build import PlannedScenario
from scoping.scenario.travel import CASEWORK_DIRECTION, ESTIMATED, MODE_WORDS


def shown_share(counts: PublishedCounts, covered_key: tuple, demand_key: tuple) -> tuple[float | None, str]:
    """(share, its text) of covered in demand as the pack shows them: 'c' when either is hidden, ':' with no
    demand, worked out from the rounded figures and marked '≈' for modelled estimates (so it reveals no
    more than they do), exact in the internal pack."""
    covered, demand = counts.number(covered_key), counts.number(demand_key)
    if isinstance(covered, str) or isinstance(demand, str):  # the only text a count publishes is SUPPRESSED
        return None, SUPPRESSED
    if not demand:
        return None, NOT_AVAILABLE
    mark = ESTIMATE_MARK if counts.is_estimate(demand_key) else ""
    return covered / demand, f"{mark}{covered / demand * 100:.1f}%"


def coverage_rows(planned: PlannedScenario, plan: PlanResult, counts: PublishedCounts) -> tuple[list[dict], dict]:
    """Coverage and unmet need per authority, disclosed, with a disclosed total row."""
    inst = planned.instance
    spokes_in = spokes_by_authority(inst, plan)
    names = {a.authority_code: a for a in inst.authorities}
    codes = sorted({key[1] for key in counts.values if key[0] == "authority" and key[1] != "TOTAL"})
    rows = []
    for code in codes:
        keys = {column: ("authority", code, column) for column in ("demand", "covered", "unmet")}
        row_hidden = any(key in counts.hidden for key in keys.values())
        share, share_text = shown_share(counts, keys["covered"], keys["demand"])
        rows.append(
            {
                "code": code,
                "name": names[code].name if code in names else code,
                "aim": names[code].aim if code in names else "both",
                "required": "yes" if code in names and names[code].required else "",
                **{column: counts.text(key) for column, key in keys.items()},
                "share": None if row_hidden else share,
                "share_text": SUPPRESSED if row_hidden else share_text,
                "estimate": counts.is_estimate(keys["demand"]),
                "spokes": spokes_in.get(code, 0),
                # Issue #14: cases of its areas served at hosts of another authority.
                "from_other": counts.text(("authority", code, "from_other")),
            }
        )
    columns = ("demand", "covered", "unmet", "from_other")
    total_row = {column: counts.text(("authority", "TOTAL", column)) for column in columns}
    return rows, total_row


CHART_LABEL_WIDTH = 210
CHART_BAR_WIDTH = 520
CHART_ROW_HEIGHT = 26


def coverage_chart(rows: list[dict]) -> dict[str, Any]:
    """Geometry of the SVG bar chart: per authority, the share of demand covered (green) and unmet (red).

    Bars show shares, not counts, and a row with any suppressed cell gets a grey bar marked 'c' (':'
    without demand), so the chart reveals nothing the disclosed table hides; a modelled estimate's
    share is drawn from its rounded figures and marked '≈'.
    """
    bars = []
    for index, row in enumerate(rows):
        share = row["share"]
        covered = 0.0 if share is None else round(share * CHART_BAR_WIDTH, 1)
        mark = ESTIMATE_MARK if row["estimate"] else ""
        bars.append(
            {
                "label": row["name"],
                "y": index * CHART_ROW_HEIGHT + 4,
                "text_y": index * CHART_ROW_HEIGHT + 18,
                "suppressed": share is None,
                "covered_width": covered,
                "unmet_x": CHART_LABEL_WIDTH + covered,
                "unmet_width": round(CHART_BAR_WIDTH - covered, 1),
                "value": row["share_text"] if share is None else f"{mark}{share * 100:.0f}% covered",
            }
        )
    return {
        "bars": bars,
        "label_width": CHART_LABEL_WIDTH,
        "bar_width": CHART_BAR_WIDTH,
        "value_x": CHART_LABEL_WIDTH + CHART_BAR_WIDTH + 8,
        "width": CHART_LABEL_WIDTH + CHART_BAR_WIDTH + 110,
        "height": max(1, len(rows)) * CHART_ROW_HEIGHT + 8,
    }


def travel_sources_text(counts: dict[str, int]) -> str:
    """'estimated for all 14' or 'estimated for 12 of 14, measured for 2': where a plan's times come from."""
    total = sum(counts.values())
    if not total:
        return "none in the plan"
    if set(counts) == {ESTIMATED}:
        return f"estimated for all {total}"
    order = sorted(counts, key=lambda source: (source != ESTIMATED, source))
    return ", ".join(
        f"{source} for {counts[source]}" + (f" of {total}" if k == 0 else "") for k, source in enumerate(order)
    )


# How report.html and plan.xlsx name the parts of the cost (plan.json cost_breakdown keys; issue #14).
COST_PART_NAMES = {
    "spokes": "Spokes",
    "hosts": "Hosts (annual costs)",
    "managers": "Hub managers",
    "supervision_travel": "Supervision travel (visits hub to host)",
    "support_roles": "Support roles",
}


def report_view(
    planned: PlannedScenario,
    plan: PlanResult,
    document: dict[str, Any],
    counts: PublishedCounts,
    rollout: dict | None = None,
    since: dict | None = None,
) -> dict[str, Any]:
    """Everything report.html shows, prepared. `since`: what changed since the previous snapshot's plan
    (reporting/views/store_changes.py), for a plan made from a store snapshot."""
    inst = planned.instance
    rules = inst.rules
    scenario = planned.scenario
    hosts = {h.host_id: h for h in inst.hosts}
    cost = plan_cost_per_year(inst, plan)
    reach = document["reach_per_year"]
    threshold = counts.threshold
    coverage, coverage_total = coverage_rows(planned, plan, counts)
    total = {column: ("authority", "TOTAL", column) for column in ("demand", "covered")}
    covered_hidden = total["covered"] in counts.hidden
    scores = own_authority_fit(inst)  # fit for the host's own authority's young people (#14)
    sources = travel_sources(planned, plan)
    per_host = []
    for host_id, count in sorted(spokes_by_host(plan).items()):
        host = hosts[host_id]
        cases = counts.number(("host", host_id))
        mark = ESTIMATE_MARK if counts.is_estimate(("host", host_id)) else ""
        hubs = sorted({s.hub_id for s in plan.spokes if s.host_id == host_id})
        per_host.append(
            {
                "id": host_id,
                "name": host.name,
                "type": host.host_type.replace("_", " "),
                "authority": host.authority_code,
                "spokes": count,
                "cases": counts.text(("host", host_id)),
                "caseload": SUPPRESSED if isinstance(cases, str) else f"{mark}{cases / count:.1f}",
                "fit": scores[host_id],
                "drop_in": "yes" if host.drop_in else "",
                "hubs": ", ".join(hubs),
                "supervision": ", ".join(f"{inst.supervision_minutes[(h, host_id)]}" for h in hubs),
            }
        )
    per_hub = []
    for hub in inst.hubs:
        placements = [s for s in plan.spokes if s.hub_id == hub.hub_id]
        minutes = [inst.supervision_minutes[(s.hub_id, s.host_id)] for s in placements]
        per_hub.append(
            {
                "id": hub.hub_id,
                "name": hub.name,
                "spokes": sum(s.count for s in placements),
                "capacity": f"{hub.min_spokes}-{hub.capacity}",
                "hosts": len(placements),
                "supervision": f"{min(minutes)}-{max(minutes)}" if minutes else "z",
            }
        )
    unused_hosts = [
        {
            "id": h.host_id,
            "name": h.name,
            "type": h.host_type.replace("_", " "),
            "authority": h.authority_code,
            "fit": scores[h.host_id],
        }
        for h in inst.hosts
        if h.host_id not in spokes_by_host(plan)
    ]
    rule_rows = [
        ("Caseload per spoke at any one time", f"{rules.caseload_min}-{rules.caseload_max}"),
        ("Young people per spoke per year", f"{rules.cases_per_spoke_per_year}"),
        (
            f"Casework travel limit (by {MODE_WORDS[scenario.rules.casework_mode]}, "
            f"{CASEWORK_DIRECTION[scenario.rules.casework_mode]})",
            f"{rules.casework_minutes} min",
        ),
        ("Supervision travel limit (by car, hub to host)", f"{rules.supervision_minutes} min"),
        ("Travel times of the plan's casework journeys", travel_sources_text(sources["casework"])),
        ("Travel times of the plan's supervision journeys", travel_sources_text(sources["supervision"])),
        ("Spoke cost per year", f"£{rules.spoke_cost_per_year:,.0f}"),
        ("Budget per year", "none" if rules.budget_per_year is None else f"£{rules.budget_per_year:,.0f}"),
        ("Most spokes", "none" if rules.max_spokes is None else str(rules.max_spokes)),
        ("Required authorities", ", ".join(a.authority_code for a in inst.authorities if a.required) or "none"),
        ("Spokes already in post", str(sum(inst.existing_spokes.values()))),
        ("Objective priorities", " > ".join(rules.priorities)),
        ("Home-authority rule (cross_border)", f"{rules.cross_border}: {CrossBorder.of(rules).explain()}"),
        (
            "Disclosure threshold",
            "none: exact figures (internal pack)" if counts.pack.exact else f"counts 1-{threshold} shown as c",
        ),
    ]
    return {
        "title": scenario.rules.name or f"Spoke plan for {scenario.directory.name}",
        "description": scenario.rules.description or "",
        "status": plan.status,
        "pack": pack_view(counts),
        "headline": {
            "spokes": plan.spokes_total,
            "hubs_used": len({s.hub_id for s in plan.spokes}),
            "hosts_used": len(spokes_by_host(plan)),
            "covered": coverage_total["covered"],
            "demand": coverage_total["demand"],
            "share": shown_share(counts, total["covered"], total["demand"])[1],
            "gap": plan.gap,
            "bound": SUPPRESSED
            if covered_hidden
            else estimate_text(plan.bound)
            if counts.is_estimate(total["covered"])
            else disclose(int(plan.bound), threshold),
            "cost": cost,
            "cost_per_young_person": cost / reach if reach else None,
            "reach": reach_text(reach, counts),
        },
        # Issue #14: the cost by part (plan.json cost_breakdown) and the supervision travel.
        "cost_breakdown": [
            (COST_PART_NAMES[part], value)
            for part, value in document["cost_breakdown"].items()
            if value or part != "support_roles"
        ],
        "supervision": document["supervision"],
        "shared_hosts": rules.shared_hosts,
        "threshold": threshold,
        "map": plan_map(inst, plan, {a.authority_code: a.name for a in inst.authorities}, threshold=threshold),
        "coverage": coverage,
        "coverage_total": coverage_total,
        "coverage_chart": coverage_chart(coverage),
        "cross_border_words": f"cross_border {rules.cross_border}: {CrossBorder.of(rules).explain()}",
        "hubs": per_hub,
        "hosts": per_host,
        "unused_hosts": unused_hosts,
        "map_bands": demand_band_labels(threshold),
        "rules": rule_rows,
        "provenance": {
            # A file's SHA-256 lets a reader test guesses of the counts it holds (areas.csv: every area's
            # demand), so the public pack names the input files without their hashes.
            "inputs": sorted(scenario.inputs_sha256.items())
            if counts.pack.exact
            else [(name, None) for name in sorted(scenario.inputs_sha256)],
            "version": document["spokeplan_version"],
            "status": plan.status,
            "backend": plan.backend,
            "gap": plan.gap,
            # Each stage: what was proven (status; in the internal pack also the gap to its bound).
            # Values are not shown: they are the covered counts and sums of cases weighted by scores
            # and minutes; the public pack leaves the later stages' gaps out with them (ratios of those
            # sums, which the disclosure audit does not know of).
            "stages": [
                (
                    s["name"],
                    s["status"]
                    + ("" if s.get("gap") is None or not counts.pack.exact else f", gap {100 * s['gap']:.2f}%")
                    + (" (no bound proven)" if s.get("bound", 0) is None else ""),
                    s["value"],
                )
                for s in document["stages"]
            ],
            "start_source": document.get("start_source") or "",
        },
        "estimated_areas": len(planned.estimated_demand),
        "service": service_view(planned, plan, counts.pack),  # None unless scenario.yaml names a service model
        "monitoring": plan_monitoring_view(
            planned, counts.monitoring
        ),  # None unless scenario.yaml names a monitoring_store
        "rollout": rollout,  # phased / robust plans only (reporting/views/rollout.py)
        "since": since,  # plans from a store snapshot only (reporting/views/store_changes.py)
    }


def reach_text(reach: int, counts: PublishedCounts) -> str:
    """Young people reached a year (spokes x cases_per_spoke_per_year): worked out from the rules, not
    counted, so a modelled estimate (rounded and marked in the public pack)."""
    return f"{reach:,}" if counts.pack.exact else estimate_text(reach)


def pack_view(counts: PublishedCounts) -> dict[str, Any]:
    """Which pack a page is in (issue #17): its protective marking (internal), and the legend of its symbols."""
    exact = counts.pack.exact
    return {
        "name": counts.pack.name,
        "exact": exact,
        "marking": counts.pack.marking,
        "legend": "" if exact else legend(counts.threshold),
        "estimates": "" if exact else estimate_legend(),
    }

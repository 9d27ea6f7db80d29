"""What a programme of services and/or a robust plan (issues #8, #17) adds to the one-snapshot
files of the full roll-out period under central demand (DESIGN.md contract unchanged), as data:

* plan.json extensions ``programme`` (with the programme's total cost, net present cost and cost
  per young person reached), ``phases``, ``services``, ``coverage_by_year`` (phased),
  ``after_funding_compare`` (after_funding: compare) and ``robustness`` (several demand scenarios),
  exact (plan internals);
* the rows of ``robustness.csv`` (exact, like coverage.csv);
* a "Roll-out" and a "Robustness" section in report.html, with disclosure control. The roll-out
  years' demand and covered cases are in the pack's one disclosure audit with every other table
  (reporting/published/rollout.py): a year's demand is the coverage tables' total demand, the full
  roll-out years' covered cases their total covered, demand = covered + unmet each year, covered
  within the caseload times the spokes live; primary suppression alone would let demand minus
  covered give a small unmet count away, or a year's copy of a hidden total show it. The robustness
  table's demand scenarios are in the same audit (each plan's covered + unmet = the scenario's demand;
  the central scenario's demand and this plan's cases in it are the coverage tables' totals; this
  plan's cases within its caseload times its spokes in every scenario). Services,
  spokes and money are not counts of young people; young people reached is a modelled estimate
  (spokes × cases_per_spoke_per_year) and so is the cost per young person reached (money over it).

Programme figures (Green Book: HM Treasury's discount rate, 3.5% by default):

    cost_y = spoke_cost × spokes live in y + annual cost of their hosts + support roles
    total programme cost = Σ_y cost_y;  net present cost = Σ_y cost_y × (1 + r)^-(y - start_1)
    young people reached = Σ_y spokes live in y × cases_per_spoke_per_year (seed 001: about 20 a
    year per spoke); cost per young person reached = total programme cost / young people reached
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from optimisation.measures import plan_cost_per_year
from optimisation.phased_checker import block_plan
from optimisation.programme import (
    CENTRAL,
    DISCOUNT_RATE_LABEL,
    Programme,
    block_instance,
    cohort_instance,
)
from reporting.disclosure import ESTIMATE_MARK, estimate_text
from reporting.published.plan import PublishedCounts
from reporting.published.rollout import COMPARE, PLAN
from reporting.views.plan_document import rounded


def programme_years(inst, programme: Programme, result) -> list[dict[str, Any]]:
    """Per year of the programme: services live, spokes, central demand and cover, cost, young people reached."""
    central = next(s for s in programme.scenarios if s.name == CENTRAL)
    hubs_by_phase = {t: sorted(s.hub_id for s in result.services if s.t == t) for t in range(len(programme.phases))}
    years = []
    for year, p in programme.years():
        period = result.periods[p]
        b_inst = block_instance(inst, programme, p, central)
        plan = block_plan(period.spokes, period.assignments[CENTRAL], team=period.team)
        years.append(
            {
                "year": year,
                "services_live": [hub for t in period.live for hub in hubs_by_phase[t]],
                "services_by_phase": {programme.phases[t].name: len(hubs_by_phase[t]) for t in period.live},
                "spokes_total": plan.spokes_total,
                "demand_total": b_inst.demand_total,
                "demand_covered": plan.objective,
                "cost": rounded(plan_cost_per_year(b_inst, plan), 2),
                "discount_factor": rounded(programme.year_weight(year)),
                "young_people_reached": plan.spokes_total * inst.rules.cases_per_spoke_per_year,
            }
        )
    return years


def programme_totals(programme: Programme, years: list[dict[str, Any]]) -> dict[str, Any]:
    """Total programme cost, net present cost (Green Book rate) and cost per young person reached."""
    total = sum(y["cost"] for y in years)
    reached = sum(y["young_people_reached"] for y in years)
    return {
        "first_year": programme.first_year,
        "end_year": programme.end_year,
        "total_cost": rounded(total, 2),
        "net_present_cost": rounded(sum(y["cost"] * programme.year_weight(y["year"]) for y in years), 2),
        "young_people_reached": reached,
        "cost_per_young_person_reached": rounded(total / reached, 2) if reached else None,
    }


def _services(inst, programme: Programme, result) -> list[dict[str, Any]]:
    rows = []
    for service in sorted(result.services, key=lambda s: (s.t, s.hub_id)):
        c_inst = cohort_instance(inst, programme, service.t)
        plan = block_plan(service.spokes, {}, team=service.team)
        years = programme.service_years(service.t)
        rows.append(
            {
                "hub_id": service.hub_id,
                "phase": service.phase,
                "start_year": programme.phases[service.t].start_year,
                "funded_until": programme.funded_until(service.t),
                "runs_until": years[-1],
                "spokes_total": plan.spokes_total,
                "spokes": [{"hub_id": h, "host_id": j, "count": n} for (h, j), n in sorted(service.spokes.items())],
                "cost_per_year": rounded(plan_cost_per_year(c_inst, plan), 2),
            }
        )
    return rows


def _phases(inst, programme: Programme, result) -> list[dict[str, Any]]:
    rows = []
    for t, phase in enumerate(programme.phases):
        spokes: dict = {}
        team: tuple = ()
        for service in result.services:
            if service.t == t:
                spokes.update(service.spokes)
                team += tuple(service.team)
        plan = block_plan(spokes, {}, team=team)
        rows.append(
            {
                "name": phase.name,
                "start_year": phase.start_year,
                "new_services": phase.new_services,
                "funded_until": programme.funded_until(t),
                "services_opened": sorted(s.hub_id for s in result.services if s.t == t),
                "spokes_total": plan.spokes_total,
                "cost_per_year": rounded(plan_cost_per_year(cohort_instance(inst, programme, t), plan), 2),
                "budget_per_year": phase.budget_per_year,
            }
        )
    return rows


def _programme_summary(programme: Programme, result) -> dict[str, Any]:
    weights = programme.scenario_weights()
    return {
        "objective": "discounted coverage"
        if not programme.robust_declared
        else f"{programme.robust.replace('_', '-')} discounted coverage"
        if programme.phased
        else f"{programme.robust.replace('_', '-')} coverage",
        "robust": programme.robust if programme.robust_declared else None,
        "value": rounded(result.objective),
        "bound": rounded(result.bound),
        "status": result.status,
        "discount_rate": programme.discount_rate if programme.phased else None,
        "discount_rate_basis": DISCOUNT_RATE_LABEL if programme.phased else None,
        "funded_years": programme.funded_years if programme.phased else None,
        "after_funding": programme.after_funding if programme.phased else None,
        "demand_scenarios": [
            {"name": s.name, "weight": rounded(weights[s.name]), "demand_total": sum(s.demand.values())}
            for s in programme.scenarios
        ],
    }


def programme_document(final_planned, programme: Programme, solved) -> dict[str, Any]:
    """The plan.json extensions of a programme / robust plan (sorted, rounded: deterministic).
    `programme` is the scenario's (after_funding may be compare); the plan's own is solved.programme."""
    inst = final_planned.instance
    result, own = solved.result, solved.programme
    document: dict[str, Any] = {"programme": _programme_summary(own, result)}
    if own.phased:
        years = programme_years(inst, own, result)
        document["programme"].update(programme_totals(own, years))
        document["programme"]["after_funding"] = programme.after_funding
        document["programme"]["plan_shown"] = own.after_funding
        document["programme"]["young_people_per_spoke_per_year"] = inst.rules.cases_per_spoke_per_year
        document["programme"]["full_roll_out_years"] = own.periods()[own.full_period].label
        document["phases"] = _phases(inst, own, result)
        document["services"] = _services(inst, own, result)
        document["coverage_by_year"] = years
        if solved.alternative is not None:
            other = solved.alternative
            other_years = programme_years(inst, other.programme, other.result)
            document["after_funding_compare"] = {
                other.programme.after_funding: {
                    **_programme_summary(other.programme, other.result),
                    **programme_totals(other.programme, other_years),
                    "services": _services(inst, other.programme, other.result),
                    "coverage_by_year": other_years,
                }
            }
    if solved.robustness is not None:
        weights = own.scenario_weights()
        central_result = solved.robustness.central
        document["robustness"] = {
            "objective": solved.robustness.objective,
            "caseload_min": "holds in every demand scenario for the robust plan",
            "scenarios": [
                {
                    "name": o.name,
                    "weight": rounded(weights[o.name]),
                    "demand_total": o.demand_total,
                    "covered_robust": o.covered_robust,
                    "covered_central_plan": o.covered_central_plan,
                    "discounted_robust": rounded(o.discounted_robust),
                    "discounted_central_plan": rounded(o.discounted_central_plan),
                    "central_plan_meets_caseload_min": o.central_plan_meets_caseload_min,
                }
                for o in solved.robustness.scenarios
            ],
            "central_plan": {
                "value": rounded(central_result.objective),
                "status": central_result.status,
                "spokes": [
                    {"hub_id": h, "host_id": j, "count": n}
                    for (h, j), n in sorted(central_result.periods[own.full_period].spokes.items())
                ],
            },
        }
    return document


def robustness_rows(document: dict) -> list[list[Any]]:
    return [
        [
            o["name"],
            o["weight"],
            o["demand_total"],
            o["covered_robust"],
            o["covered_central_plan"],
            o["discounted_robust"],
            o["discounted_central_plan"],
            str(o["central_plan_meets_caseload_min"]).lower(),
        ]
        for o in document["robustness"]["scenarios"]
    ]


CHART_WIDTH = 520
CHART_ROW = 24
PHASE_COLOURS = ("#2b6cb0", "#2f855a", "#b7791f", "#9b2c2c", "#6b46c1", "#2c7a7b")  # phase t: colour t mod 6


def shown_number(text: str) -> int | None:
    """The number a published figure shows ('1,234' -> 1234, '≈25' -> 25), None for 'c' and the like."""
    plain = text.removeprefix(ESTIMATE_MARK).replace(",", "")
    return int(plain) if plain.isdigit() else None


def year_pair(counts: PublishedCounts, table: str) -> Callable[[dict], tuple[str, str, str | None]]:
    """(demand, covered, share) of a roll-out year as `counts`' pack publishes them: the figures the
    disclosure audit decided on with every other table of the pack (reporting/published/rollout.py), the
    share only where both are shown (from the rounded figures where they are estimates, marked)."""

    def pair(y: dict) -> tuple[str, str, str | None]:
        demand_key = counts.rollout_key(table, y["year"], "demand")
        covered_key = counts.rollout_key(table, y["year"], "covered")
        demand, covered = counts.text(demand_key), counts.text(covered_key)
        shown_demand, shown_covered = shown_number(demand), shown_number(covered)
        if shown_demand is None or shown_covered is None or not shown_demand:
            return demand, covered, None
        mark = ESTIMATE_MARK if counts.is_estimate(covered_key) else ""
        return demand, covered, f"{mark}{shown_covered / shown_demand * 100:.0f}%"

    return pair


def coverage_chart(years: list[dict], pair: Callable[[dict], tuple[str, str, str | None]]) -> tuple[dict, list[dict]]:
    """Bars of cases covered against demand by year, and the year table's rows, disclosed by `pair`.
    The bars are drawn from the figures as shown, on a scale of the largest shown: a bar drawn from a
    hidden figure, or scaled by one, would give it away."""
    shown = [pair(y) for y in years]
    numbers = [(shown_number(demand), shown_number(covered)) for demand, covered, _ in shown]
    top = max([n for both in numbers for n in both if n is not None] + [1])
    bars, rows = [], []
    for k, (y, (demand, covered, share), (demand_number, covered_number)) in enumerate(zip(years, shown, numbers)):
        hidden = covered_number is None
        bars.append(
            {
                "label": str(y["year"]),
                "y": 4 + k * CHART_ROW,
                "text_y": 17 + k * CHART_ROW,
                "width": 0 if covered_number is None else round(CHART_WIDTH * covered_number / top, 1),
                "demand_width": None if demand_number is None else round(CHART_WIDTH * demand_number / top, 1),
                "value": covered,
                "hidden": hidden,
            }
        )
        rows.append(
            {
                "year": y["year"],
                "services": len(y["services_live"]),
                "services_live": ", ".join(y["services_live"]) or "none",
                "spokes": y["spokes_total"],
                "demand": demand,
                "covered": covered,
                "share": share,
                "cost": y["cost"],
            }
        )
    chart = {
        "bars": bars,
        "width": CHART_WIDTH + 170,
        "height": len(years) * CHART_ROW + 8,
        "bar_width": CHART_WIDTH,
        "value_x": CHART_WIDTH + 70,
    }
    return chart, rows


def services_chart(years: list[dict], phase_names: list[str]) -> dict:
    """The roll-out chart: services live by year, one bar per year stacked by the phase that opened them."""
    top = max([len(y["services_live"]) for y in years] + [1])
    unit = CHART_WIDTH / top
    bars = []
    for k, y in enumerate(years):
        x, segments = 60.0, []
        for t, name in enumerate(phase_names):
            count = y["services_by_phase"].get(name, 0)
            if count:
                segments.append(
                    {
                        "x": round(x, 1),
                        "width": round(unit * count, 1),
                        "count": count,
                        "phase": name,
                        "colour": PHASE_COLOURS[t % len(PHASE_COLOURS)],
                    }
                )
                x += unit * count
        bars.append(
            {
                "label": str(y["year"]),
                "y": 4 + k * CHART_ROW,
                "text_y": 17 + k * CHART_ROW,
                "segments": segments,
                "value": len(y["services_live"]),
            }
        )
    return {
        "bars": bars,
        "width": CHART_WIDTH + 170,
        "height": len(years) * CHART_ROW + 8,
        "value_x": CHART_WIDTH + 70,
        "legend": [
            {"phase": name, "colour": PHASE_COLOURS[t % len(PHASE_COLOURS)]} for t, name in enumerate(phase_names)
        ],
    }


def _with_reach_text(programme: dict, counts: PublishedCounts) -> dict:
    """A programme's totals with young people reached as the pack shows it: exact internally, a modelled
    estimate (spokes x cases_per_spoke_per_year) rounded to the nearest 5 and marked in the public pack."""
    reached = programme.get("young_people_reached")
    if reached is None:
        return programme
    text = f"{reached:,}" if counts.pack.exact else estimate_text(reached)
    return {**programme, "young_people_reached_text": text}


def rollout_view(document: dict, counts: PublishedCounts) -> dict[str, Any]:
    """The report's roll-out and robustness sections as `counts`' pack publishes them (the internal pack's
    counts are exact: nothing hidden).

    The roll-out years' and the demand scenarios' demand and covered cases are figures of the pack's one
    disclosure audit (reporting/published/rollout.py: `counts` must have been worked out with these
    tables, or showing them raises); where every area's demand is a modelled estimate, so is every figure
    here: rounded and marked.
    """
    full = document["programme"].get("full_roll_out_years")
    view: dict[str, Any] = {
        "programme": _with_reach_text(document["programme"], counts),
        "years": [],
        "phases": [],
        "services": [],
        "scenarios": [],
        "chart": None,
        "services_chart": None,
        "compare": None,
        # what the robustness table compares: a plan without phases has no roll-out year
        "compared": f"{full}, every phase open; cases at any one time" if full else "cases at any one time",
        # the discounted coverage is a weighted sum of the years' cases: with them shown
        # and one hidden, it would give the hidden one away; exact (internal) pack only
        "value": document["programme"].get("value") if counts.pack.exact else None,
    }
    if "coverage_by_year" in document:
        phase_names = [p["name"] for p in document["phases"]]
        view["chart"], view["years"] = coverage_chart(document["coverage_by_year"], year_pair(counts, PLAN))
        view["services_chart"] = services_chart(document["coverage_by_year"], phase_names)
        view["phases"] = [
            {
                "name": p["name"],
                "start": p["start_year"],
                "new_services": p["new_services"],
                "opened": ", ".join(p["services_opened"]) or "none",
                "funded_until": p["funded_until"],
                "spokes": p["spokes_total"],
                "cost": p["cost_per_year"],
                "budget": p["budget_per_year"],
            }
            for p in document["phases"]
        ]
        view["services"] = [
            {
                "hub_id": s["hub_id"],
                "phase": s["phase"],
                "years": f"{s['start_year']}-{s['runs_until']}",
                "funded_until": s["funded_until"],
                "spokes": s["spokes_total"],
                "cost": s["cost_per_year"],
            }
            for s in document["services"]
        ]
        if "after_funding_compare" in document:
            ((name, other),) = document["after_funding_compare"].items()
            chart, rows = coverage_chart(other["coverage_by_year"], year_pair(counts, COMPARE))
            view["compare"] = {
                "after_funding": name,
                "programme": _with_reach_text(other, counts),
                "years": rows,
                "chart": chart,
                "value": other.get("value") if counts.pack.exact else None,
                "services_chart": services_chart(other["coverage_by_year"], phase_names),
            }
    if "robustness" in document:
        scenarios = []
        for o in document["robustness"]["scenarios"]:
            demand, robust, central = (
                counts.text(counts.rollout_key("robustness", o["name"], column))
                for column in ("demand", "robust", "central")
            )
            scenarios.append(
                {
                    "name": o["name"],
                    "weight": o["weight"],
                    "demand": demand,
                    "robust": robust,
                    "central": central,
                    "central_min": "yes" if o["central_plan_meets_caseload_min"] else "no",
                }
            )
        view["scenarios"] = scenarios
    return view

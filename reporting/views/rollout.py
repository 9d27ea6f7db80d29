"""What a phased and/or robust plan (issue #8) adds to the one-snapshot files of the final phase
under central demand (DESIGN.md contract unchanged), as data:

* plan.json extensions ``programme``, ``phases``, ``coverage_by_year`` (phased) and
  ``robustness`` (several demand scenarios), exact (plan internals);
* the rows of ``robustness.csv`` (exact, like coverage.csv);
* a "Roll-out" and a "Robustness" section in report.html, with disclosure control: counts of
  cases 1..threshold are shown as ``c`` (these tables publish totals only, one per year or
  scenario, so primary suppression is enough; no cell is the sum of others shown).
"""

from __future__ import annotations

from typing import Any

from optimisation.measures import plan_cost_per_year
from optimisation.phased_checker import block_plan, hubs_started
from optimisation.programme import CENTRAL, Programme, block_instance
from reporting.disclosure import ESTIMATE_MARK, SUPPRESSED, disclose, estimate_text, round_estimate
from reporting.published.plan import coverage_by_authority
from reporting.views.plan_document import rounded


def programme_document(final_planned, programme: Programme, solved) -> dict[str, Any]:
    """The plan.json extensions of a phased / robust plan (sorted, rounded: deterministic)."""
    inst = final_planned.instance
    result = solved.result
    weights = programme.scenario_weights()
    document: dict[str, Any] = {"programme": {
        "objective": "discounted coverage" if not programme.robust_declared else
        f"{programme.robust.replace('_', '-')} discounted coverage" if programme.phased else
        f"{programme.robust.replace('_', '-')} coverage",
        "robust": programme.robust if programme.robust_declared else None,
        "value": rounded(result.objective), "bound": rounded(result.bound), "status": result.status,
        "discount_rate": programme.discount_rate if programme.phased else None,
        "funded_years": programme.funded_years if programme.phased else None,
        "demand_scenarios": [{"name": s.name, "weight": rounded(weights[s.name]),
                              "demand_total": sum(s.demand.values())} for s in programme.scenarios],
    }}
    if programme.phased:
        full = final_planned  # areas and authorities as in the base instance
        started = hubs_started(result.phases)
        phases = []
        for t, (phase, plan_phase) in enumerate(zip(programme.phases, result.phases)):
            central = next(s for s in programme.scenarios if s.name == CENTRAL)
            b_inst = block_instance(inst, programme, t, central)
            plan = block_plan(plan_phase.spokes, plan_phase.assignments[CENTRAL])
            years = programme.phase_years(t)
            phases.append({
                "name": phase.name, "start_year": phase.start_year, "end_year": years[-1],
                "weight": rounded(programme.phase_weight(t)),
                "hubs_started": started[t],
                "hubs_running": sorted({h for (h, _), n in plan_phase.spokes.items() if n > 0}),
                "spokes_total": plan.spokes_total,
                "spokes": [{"hub_id": h, "host_id": j, "count": n} for (h, j), n in sorted(plan_phase.spokes.items())],
                "assignments": [{"area_id": i, "host_id": j, "cases": c}
                                for (i, j), c in sorted(plan_phase.assignments[CENTRAL].items())],
                "coverage": {"demand_total": b_inst.demand_total, "demand_covered": plan.objective,
                             "by_authority": coverage_by_authority(full, plan)},
                "cost_per_year": rounded(plan_cost_per_year(b_inst, plan), 2),
                "budget_per_year": b_inst.rules.budget_per_year,
            })
        document["phases"] = phases
        document["coverage_by_year"] = [
            {"year": year, "phase": programme.phases[t].name, "demand_total": phases[t]["coverage"]["demand_total"],
             "demand_covered": phases[t]["coverage"]["demand_covered"], "spokes_total": phases[t]["spokes_total"]}
            for year, t in programme.years()]
    if solved.robustness is not None:
        central = solved.robustness.central
        document["robustness"] = {
            "objective": solved.robustness.objective,
            "caseload_min": "holds in every demand scenario for the robust plan",
            "scenarios": [{"name": o.name, "weight": rounded(weights[o.name]), "demand_total": o.demand_total,
                           "covered_robust": o.covered_robust, "covered_central_plan": o.covered_central_plan,
                           "discounted_robust": rounded(o.discounted_robust),
                           "discounted_central_plan": rounded(o.discounted_central_plan),
                           "central_plan_meets_caseload_min": o.central_plan_meets_caseload_min}
                          for o in solved.robustness.scenarios],
            "central_plan": {"value": rounded(central.objective), "status": central.status,
                             "spokes": [{"hub_id": h, "host_id": j, "count": n}
                                        for (h, j), n in sorted(central.phases[-1].spokes.items())]},
        }
    return document


def robustness_rows(document: dict) -> list[list[Any]]:
    return [[o["name"], o["weight"], o["demand_total"], o["covered_robust"], o["covered_central_plan"],
             o["discounted_robust"], o["discounted_central_plan"], str(o["central_plan_meets_caseload_min"]).lower()]
            for o in document["robustness"]["scenarios"]]


def disclosed_pair(demand: int, covered: int, threshold: int, hide_demand: bool = False,
                   hide_covered: bool = False, estimates: bool = False) -> tuple[str, str, str | None]:
    """(demand, covered, share) as published. Primary suppression of each count; covered is hidden
    too when the unmet need (demand - covered) is 1..threshold, which the two would reveal; and
    where the figure is the main coverage table's total, whatever that table hides stays hidden.
    `estimates` (issue #17: every area's demand is modelled): both are modelled estimates, shown
    rounded to the nearest 5 and marked, the share from the rounded figures."""
    if estimates:
        shown_demand, shown_covered = round_estimate(demand), round_estimate(covered)
        share = f"{ESTIMATE_MARK}{shown_covered / shown_demand * 100:.0f}%" if shown_demand else None
        return estimate_text(demand), estimate_text(covered), share
    demand_text = SUPPRESSED if hide_demand else disclose(demand, threshold)
    unmet = demand - covered
    covered_text = SUPPRESSED if hide_covered or 0 < unmet <= threshold else disclose(covered, threshold)
    share = None if SUPPRESSED in (demand_text, covered_text) or not demand else f"{covered / demand * 100:.0f}%"
    return demand_text, covered_text, share


CHART_WIDTH = 520
CHART_ROW = 24


def rollout_view(document: dict, threshold: int, hidden_totals: frozenset = frozenset(),
                 estimates: bool = False) -> dict[str, Any]:
    """The report's roll-out and robustness sections, disclosed (1..threshold cases shown as c; the
    internal pack passes threshold 0: exact).

    `hidden_totals` ⊆ {"demand", "covered"}: the main coverage table's totals shown as c; the same
    figures here (central demand; the final phase's covered cases) are hidden with them. `estimates`:
    every area's demand is a modelled estimate (reporting.published.plan.modelled_keys), so every figure
    here is too (demand scenarios scale it): rounded and marked (:func:`disclosed_pair`).
    """
    view: dict[str, Any] = {"programme": document["programme"], "years": [], "phases": [], "scenarios": [],
                            "chart": None,
                            # what the robustness table compares: a plan without phases has no "final phase"
                            "compared": "final phase; cases at any one time" if "phases" in document
                            else "cases at any one time"}
    final_covered = document.get("coverage", {}).get("demand_covered")
    hide_demand = "demand" in hidden_totals

    def central_pair(demand: int, covered: int) -> tuple[str, str, str | None]:
        return disclosed_pair(demand, covered, threshold, hide_demand,
                              "covered" in hidden_totals and covered == final_covered, estimates)

    if "coverage_by_year" in document:
        years = document["coverage_by_year"]
        top = max([y["demand_total"] for y in years] + [1])
        bars, rows = [], []
        for k, y in enumerate(years):
            demand, covered, share = central_pair(y["demand_total"], y["demand_covered"])
            hidden = covered == SUPPRESSED
            bars.append({"label": str(y["year"]), "y": 4 + k * CHART_ROW, "text_y": 17 + k * CHART_ROW,
                         "width": 0 if hidden else round(CHART_WIDTH * y["demand_covered"] / top, 1),
                         "demand_width": round(CHART_WIDTH * y["demand_total"] / top, 1),
                         "value": covered, "hidden": hidden})
            rows.append({"year": y["year"], "phase": y["phase"], "spokes": y["spokes_total"], "demand": demand,
                         "covered": covered, "share": share})
        view["chart"] = {"bars": bars, "width": CHART_WIDTH + 170, "height": len(years) * CHART_ROW + 8,
                         "bar_width": CHART_WIDTH, "value_x": CHART_WIDTH + 70}
        view["years"] = rows
        view["phases"] = [{"name": p["name"], "years": f"{p['start_year']}-{p['end_year']}", "weight": p["weight"],
                           "started": ", ".join(p["hubs_started"]) or "none", "running": len(p["hubs_running"]),
                           "spokes": p["spokes_total"], "cost": p["cost_per_year"], "budget": p["budget_per_year"],
                           "covered": central_pair(p["coverage"]["demand_total"], p["coverage"]["demand_covered"])[1]}
                          for p in document["phases"]]
    if "robustness" in document:
        scenarios = []
        for o in document["robustness"]["scenarios"]:
            pair = central_pair if o["name"] == CENTRAL else (
                lambda d, c: disclosed_pair(d, c, threshold, estimates=estimates))
            demand, robust, _ = pair(o["demand_total"], o["covered_robust"])
            _, central, _ = pair(o["demand_total"], o["covered_central_plan"])
            scenarios.append({"name": o["name"], "weight": o["weight"], "demand": demand, "robust": robust,
                              "central": central, "central_min": "yes" if o["central_plan_meets_caseload_min"] else "no"})
        view["scenarios"] = scenarios
    return view

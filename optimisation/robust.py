"""How a plan performs under each demand scenario, beside the plan optimal for the central estimate.

The robust plan (:func:`optimisation.phased.solve_programme` over every demand scenario) decides
placements once; the **central plan** is the same programme solved for the central estimate
alone. Both are then evaluated in every scenario the same way: with each phase's spokes fixed, the
cases are re-assigned by the transportation LP of :func:`optimisation.integral.integral_assignment`
(most cases first, then host fit and travel), on the block's instance.

Caseload minimum under low demand: the robust plan meets ``caseload_min`` in every scenario (it
is a hard rule of its model and its checker). The central plan was not built for that: where its
spokes cannot all find ``caseload_min`` cases in a scenario, it is evaluated with the minimum
dropped (every case it can reach served) and flagged ``central_plan_meets_caseload_min: false``,
meaning some of its workers would be under-used if that demand came true.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

from optimisation.backends import PywraplpSession
from optimisation.checker import check_caseload
from optimisation.instance import Instance
from optimisation.integral import integral_assignment
from optimisation.measures import plan_host_fit, plan_supervision, plan_travel
from optimisation.model import build_model
from optimisation.phased import ProgrammeResult, reassign, solve_programme
from optimisation.phased_checker import block_plan
from optimisation.programme import CENTRAL, Programme, block_instance
from optimisation.result import PlanResult


@dataclass(frozen=True)
class ScenarioOutcome:
    """One demand scenario: covered cases in the full roll-out period and discounted coverage of both plans."""

    name: str
    demand_total: int
    covered_robust: int
    covered_central_plan: int
    discounted_robust: float
    discounted_central_plan: float
    central_plan_meets_caseload_min: bool


@dataclass(frozen=True)
class Robustness:
    objective: str  # "worst_case" | "expected"
    scenarios: tuple[ScenarioOutcome, ...]
    central: ProgrammeResult


def covered_at_fixed_spokes(inst: Instance, spokes: dict) -> tuple[int, bool]:
    """(most cases the spokes can serve, whether every spoke meets caseload_min) in one block."""
    if not spokes:
        return 0, True
    try:
        assignment = integral_assignment(inst, spokes, 0)
        if not check_caseload(inst, block_plan(spokes, assignment)):
            return sum(assignment.values()), True
    except RuntimeError:  # the caseload minimum cannot be met by these spokes under this demand
        pass
    relaxed = replace(inst, rules=replace(inst.rules, caseload_min=0))
    return sum(integral_assignment(relaxed, spokes, 0).values()), False


def evaluate(inst: Instance, programme: Programme, result: ProgrammeResult) -> dict[str, tuple[list[int], bool]]:
    """Per scenario: covered cases per period at the plan's fixed spokes, and caseload_min met in all."""
    outcome = {}
    for scenario in programme.scenarios:
        covered, met = [], True
        for p, period in enumerate(result.periods):
            value, ok = covered_at_fixed_spokes(block_instance(inst, programme, p, scenario), period.spokes)
            covered.append(value)
            met = met and ok
        outcome[scenario.name] = (covered, met)
    return outcome


def robustness(inst: Instance, programme: Programme, robust: ProgrammeResult, central: ProgrammeResult) -> Robustness:
    """Compare the robust plan and the central plan in every demand scenario."""
    robust_eval = evaluate(inst, programme, robust)
    central_eval = evaluate(inst, programme, central)
    weights = [programme.period_weight(p) for p in range(len(robust.periods))]
    full = programme.full_period
    rows = []
    for scenario in programme.scenarios:
        r_cov, _ = robust_eval[scenario.name]
        c_cov, c_met = central_eval[scenario.name]
        rows.append(
            ScenarioOutcome(
                scenario.name,
                sum(scenario.demand.values()),
                r_cov[full],
                c_cov[full],
                sum(w * c for w, c in zip(weights, r_cov)),
                sum(w * c for w, c in zip(weights, c_cov)),
                c_met,
            )
        )
    return Robustness(programme.robust, tuple(rows), central)


@dataclass(frozen=True)
class SolvedProgramme:
    """What `spokeplan plan` needs of a phased / robust scenario."""

    result: ProgrammeResult
    robustness: Robustness | None
    final_instance: Instance  # the full roll-out period's block instance under central demand
    final_plan: PlanResult  # the full roll-out period's plan under central demand (plan.json's spokes...)
    programme: Programme  # the programme this plan was solved for (after_funding continue or close)
    # after_funding: compare — this plan closes services when their funding ends; `alternative`
    # is the same programme planned with services continuing (None otherwise).
    alternative: SolvedProgramme | None = None


def plan_programme(
    inst: Instance, programme: Programme, *, time_limit: float = 60.0, workers: int = 1
) -> SolvedProgramme:
    """Solve the programme; with ``after_funding: compare`` twice, services closing when their
    funding ends (the plan the files show) and continuing (beside it), each with half the time."""
    if programme.after_funding != "compare":
        return _plan_one(inst, programme, time_limit=time_limit, workers=workers)
    close = _plan_one(inst, replace(programme, after_funding="close"), time_limit=time_limit / 2, workers=workers)
    keep = _plan_one(inst, replace(programme, after_funding="continue"), time_limit=time_limit / 2, workers=workers)
    return replace(close, alternative=keep)


# Covered cases are a whole number and so is the coverage model's optimum (for fixed spokes an
# integral optimal assignment exists: optimisation.model). Once the solver's bound is less than 1
# above a solution it has found, only one whole number lies between them, the optimum, and it is
# floor(bound): the bound solve stops there. 0.99, not 1, leaves room for the solver's tolerances.
WHOLE_CASE_GAP = 0.99


def final_coverage_bound(inst: Instance, seconds: float) -> float:
    """A proven upper bound on the cases any plan meeting `inst`'s rules covers (coverage stage only):
    floor(the solver's bound), which is the optimum itself once the solve stops within WHOLE_CASE_GAP.

    Measured (inputs/demo_phased, 2 shared cores): SCIP closing the gap to 0 did not prove its two
    full roll-out blocks (180 found, bound 180.29 and 180.21) in their 45 s each, 90 of the plan's
    120 s; stopped within WHOLE_CASE_GAP it gives the same 180 in 4.6 s each."""
    model = build_model(inst)
    session = PywraplpSession(model.linear, "SCIP")
    session.set_objective(model.linear.objectives["coverage"], "max")
    session.set_time_limit(seconds)
    session.stop_within_absolute_gap(WHOLE_CASE_GAP)
    result = session.solution(session.solve())
    if result.status in ("OPTIMAL", "FEASIBLE"):
        return float(math.floor(result.bound + 1e-6))
    return float(inst.demand_total)


def _plan_one(inst: Instance, programme: Programme, *, time_limit: float = 60.0, workers: int = 1) -> SolvedProgramme:
    """Solve the programme (and, with several demand scenarios, the central plan beside it).

    With several demand scenarios the central plan is solved first (25% of `time_limit`) and warm-starts
    the robust plan (60%); without, the plan gets 85%. The full roll-out period's coverage bound gets 10%.
    """
    started = time.perf_counter()
    report = None
    if programme.robust_declared:
        central = solve_programme(inst, programme.only(CENTRAL), time_limit=time_limit * 0.25, workers=workers)
        # worst_case: z ≤ D_central ≤ the central plan's proven bound (a valid row, see solve_programme).
        known = central.bound if programme.robust == "worst_case" else None
        # The central plan, re-assigned in every scenario, is a complete warm start when it keeps
        # every rule there (then the robust plan is never worse than it); else its placements only.
        start = reassign(inst, programme, central)
        result = solve_programme(
            inst, programme, time_limit=time_limit * 0.6, workers=workers, hint=start or central, upper_bound=known
        )
        if start is not None and start.objective > result.objective + 1e-6 * max(1.0, start.objective):
            # Stopped by its time share below the central plan: keep the better of the two, say so.
            result = replace(
                start,
                status="FEASIBLE",
                bound=max(result.bound, start.objective),
                stages=result.stages,
                solve_seconds=result.solve_seconds,
            )
        report = robustness(inst, programme, result, central)
    else:
        result = solve_programme(inst, programme, time_limit=time_limit * 0.85, workers=workers)
    full = programme.full_period
    central_demand = next(s for s in programme.scenarios if s.name == CENTRAL)
    final_inst = block_instance(inst, programme, full, central_demand)
    final = result.periods[full]
    assignments = final.assignments[CENTRAL]
    covered = sum(assignments.values())
    bound = max(float(covered), final_coverage_bound(final_inst, time_limit * 0.1))
    plan = block_plan(final.spokes, assignments, result.status, team=final.team)
    plan = replace(
        plan,
        bound=bound,
        gap=(bound - covered) / max(bound, 1.0),
        backend=result.backend,
        solve_seconds=time.perf_counter() - started,
        stages=result.stages,
    )
    plan = replace(
        plan,
        host_fit=plan_host_fit(final_inst, plan),
        travel_case_minutes=plan_travel(final_inst, plan),
        supervision_spoke_minutes=plan_supervision(final_inst, plan),
    )
    return SolvedProgramme(result, report, final_inst, plan, programme)

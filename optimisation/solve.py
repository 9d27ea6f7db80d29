"""solve(): the allocation, optimised lexicographically, with integral published cases.

1. Structural checks (optimisation.diagnosis) catch rules that cannot be met before any solve.
1a. The anytime start: the greedy plan (optimisation.greedy, lazy at postcode-sector scale) on
   the exactly reduced instance, built first, whatever the time limit (or the plan given as
   `start`: a window's part of the incumbent, optimisation.windows). Hinted back ends start from
   it. The plan returned is never worse than it on the lexicographic objective: if the solver finds
   nothing better in the time left (or there is no time left), the start is returned, status
   FEASIBLE, with the best proven bound (the solver's, else the greedy's cheap bound).
2. Stage "coverage": maximise covered cases. Its proven bound and gap are the plan's.
3. Later stages in `rules.priorities` order (host fit, travel), each with the earlier stages'
   values held as constraints (coverage ≥ C*), so priority 1 is never traded for 2 or 3.
   Each stage starts from the previous stage's solution as a hint.
5. Re-hub (optimisation.rehub, issue #14): for the plan's spokes per host and used hubs, the hub
   assignment with fewest supervision spoke-minutes, kept if valid and better, whatever the order
   of the priorities.
4. With spokes fixed, the assignment of cases is a transportation problem with integer data:
   a simplex vertex of it is integral. It is re-solved as a linear programme (GLOP) to get
   whole cases, with the later priorities folded into one cost that respects their order
   (optimisation.integral).

The time limit covers all stages together. A run with `workers=1` is deterministic.

Every back end solves the one model of optimisation.model (README "Back end, by measurement"):
the default "AUTO" models the exactly reduced instance (optimisation.presolve) and solves it with
HiGHS (scipy.optimize.milp) when it is small, with SCIP (OR-Tools model_builder) otherwise, both
given the model as one sparse matrix; a pywraplp back end ("SCIP", "CBC", ...) is given it row by
row (optimisation.backends). The back end decides the layout options (optimisation.model.Layout).
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np

from optimisation.backends import MATRIX_SOLVERS, PywraplpSession, solve_matrix
from optimisation.diagnosis import diagnose, structural_problems
from optimisation.greedy import coverage_upper_bound, greedy_plan, plan_values
from optimisation.instance import Instance
from optimisation.integral import integral_assignment, integral_spokes
from optimisation.measures import plan_host_fit, plan_supervision, plan_travel
from optimisation.model import Layout, Model, build_model, integer_columns
from optimisation.presolve import MergedAreas, merge_areas, reduce_instance, split_cases
from optimisation.rehub import rehub
from optimisation.result import (
    Assignment,
    Infeasible,
    PlanResult,
    SpokePlacement,
    StageResult,
)
from optimisation.team import minimum_team

# Chosen by measurement (benchmarks/peers.py, benchmarks/backends.py; figures in the READMEs).
# The model as one sparse matrix, solved by HiGHS (scipy.optimize.milp) or by SCIP (OR-Tools
# model_builder, filled from the matrix in one call): optimisation.backends.
MATRIX_BACKEND = "SCIPY_HIGHS"
MATRIX_SCIP_BACKEND = "SCIP_MATRIX"
DEFAULT_BACKEND = "AUTO"
DEFAULT_PYWRAPLP_BACKEND = "SCIP"  # SCIP through pywraplp: service models with support roles, diagnosis
# "AUTO" uses HiGHS on the matrix model up to this many integer columns (o and S per host, u per
# hub), SCIP on the matrix model above: measured, benchmarks/README.md (coverage, 60 s, one run
# each): HiGHS found more cases on the three postcode-sector medium instances (1,442-1,516 integer
# columns: 1,214 vs 1,210, 1,258 vs 1,245, 1,272 vs 1,263), SCIP on both district medium ones
# (1,938: 1,550 vs 1,520, 1,570 vs 1,484-1,568) and on national (4,046); HiGHS on every small one.
HIGHS_MAX_INTEGER_COLUMNS = 1_700
RESERVE_SHARE = 0.07  # of the time limit, kept for the steps after the MIP stages
SENSES = {"coverage": "max", "host_fit": "max", "supervision": "min", "travel": "min"}
# Back ends given solution hints (warm starts). pywraplp's HiGHS interface crashes on SetHint
# (OR-Tools 9.15, measured), so it is solved cold; scipy's HiGHS takes no hint.
HINTED_BACKENDS = frozenset({"SCIP", "CBC", "CP_SAT", MATRIX_SCIP_BACKEND})
# The solver is started only when the time limit leaves it at least this much (seconds); with less,
# the start plan is the answer (a MIP stopped within a second finds nothing better at scale).
MIN_SOLVER_SECONDS = 1.0
# The coverage stage of the matrix back ends is solved on the instance with areas of equal
# reachable hosts merged (optimisation.presolve.merge_areas, exact for coverage) when the merge
# removes at least this share of the case columns. Measured (benchmarks/README.md, HiGHS on the
# small England instance, seeds 1-10): postcode sectors lose 20-28% of the columns and HiGHS is
# faster merged on 10 of 10; districts lose 10-17% (medium 4.8%, national 2.5%) and it is faster
# on only 5 of 10, so district instances are solved unmerged as before.
MERGE_MIN_SHARE = 0.2


class NoPlanFound(RuntimeError):
    """The solver found no plan within the time limit, without proving there is none."""


def choose_backend(inst: Instance) -> str:
    """The back end "AUTO" stands for: HiGHS on the matrix model up to HIGHS_MAX_INTEGER_COLUMNS
    integer columns, SCIP on the matrix model above (measured: benchmarks/README.md). A service
    model with support roles (No Wrong Door) keeps SCIP through pywraplp, the back end its plans
    were first made and published with (its demo solves in under a second); every back end has the
    team-mix family."""
    if inst.rules.team_roles:
        return DEFAULT_PYWRAPLP_BACKEND
    return MATRIX_BACKEND if integer_columns(inst) <= HIGHS_MAX_INTEGER_COLUMNS else MATRIX_SCIP_BACKEND


def _stage_share(remaining: float, position: int, count: int) -> float:
    """Earlier stages get what they need; leave later stages a share of what is left."""
    return remaining if position == count - 1 else remaining * (0.8 if position == 0 else 0.5)


def solve(
    inst: Instance,
    *,
    time_limit: float = 60.0,
    workers: int = 1,
    backend: str = DEFAULT_BACKEND,
    link_rows: bool = True,
    presolve: bool = True,
    merge: bool | None = None,
    start: PlanResult | None = None,
) -> PlanResult:
    """The lexicographically optimal plan (or the best found in `time_limit` seconds).

    `backend` is "SCIPY_HIGHS" or "SCIP_MATRIX" (the model as one sparse matrix, solved by HiGHS
    via scipy.optimize.milp or by SCIP via OR-Tools model_builder), an OR-Tools pywraplp solver
    name ("SCIP", "CBC", ...) or "AUTO" (the default: chosen by instance size, see
    `choose_backend`). Every back end solves the same model (optimisation.model); the plan records
    the back end used.
    `presolve` models the exactly reduced instance of optimisation.presolve (same plans, fewer
    columns); the plan is checked and reported on `inst` itself. `merge` (matrix back ends only)
    solves the coverage stage with areas of equal reachable hosts merged (exact for coverage:
    optimisation.presolve.merge_areas): None merges when that removes at least MERGE_MIN_SHARE
    of the case columns, True always, False never.
    `start`, a valid plan of `inst`, is the anytime start in place of the greedy plan (an
    incumbent being improved: optimisation.windows); the plan returned is never worse than it.
    """
    started = time.perf_counter()
    problems = structural_problems(inst)
    if problems:
        raise Infeasible(problems)
    modelled = reduce_instance(inst) if presolve else inst
    # The anytime start (module docstring, step 1a). The reduced instance has the same plans.
    source = "greedy" if start is None else "incumbent"
    start = greedy_plan(modelled) if start is None else start
    start_seconds = time.perf_counter() - started
    if backend == "AUTO":
        backend = choose_backend(modelled)
    solved = None
    # Whether the solver runs depends on the limit only, not on the clock, so equal limits give equal
    # plans wherever the solve runs (the stages then share the time left as before).
    if start is None or time_limit * (1 - RESERVE_SHARE) >= MIN_SOLVER_SECONDS:
        try:
            solved = _solved_plan(
                inst, modelled, time_limit, workers, backend, started, link_rows, presolve, merge, start
            )
        except NoPlanFound:
            if start is None:
                raise
    if solved is not None:  # the best proven coverage bound: the solver's, or the greedy's cheap one
        solved = _with_bound(solved, min(solved.bound, float(coverage_upper_bound(modelled))))
    if start is not None:
        start = _start_result(inst, start, solved, start_seconds, source)
    plan = (
        solved
        if start is None or (solved is not None and lexicographic_key(inst, solved) >= lexicographic_key(inst, start))
        else start
    )
    if plan is None:  # no start (the greedy found none) and the solver raised nothing: it found no plan
        raise NoPlanFound("the solver returned no plan")
    plan = rehub(inst, plan)  # the supervision-optimal hub assignment, whatever the priorities (issue #14)
    return replace(
        plan,
        start_objective=None if start is None else start.objective,
        start_source="" if start is None else source,
        solve_seconds=time.perf_counter() - started,
    )


def lexicographic_key(inst: Instance, plan: PlanResult) -> tuple:
    """A plan's values in priority order, each to be maximised (travel negated): plans compare
    lexicographically as the solve optimises them."""
    value = {
        "coverage": plan.objective,
        "host_fit": plan.host_fit,
        "supervision": -plan.supervision_spoke_minutes,
        "travel": -plan.travel_case_minutes,
    }
    return tuple(value[name] for name in inst.rules.priorities)


def _with_bound(plan: PlanResult, bound: float) -> PlanResult:
    """`plan` with its coverage bound (and the coverage stage's) lowered to `bound`, a proven one."""
    bound = max(bound, float(plan.objective))
    status = "OPTIMAL" if plan.objective >= bound else plan.status
    stages = list(plan.stages)
    if stages and stages[0].name == "coverage":
        stages[0] = replace(stages[0], bound=bound, status=status)
    return replace(
        plan, bound=bound, status=status, gap=(bound - plan.objective) / max(bound, 1.0), stages=tuple(stages)
    )


def _start_result(
    inst: Instance, start: PlanResult, solved: PlanResult | None, seconds: float, source: str = "greedy"
) -> PlanResult:
    """The greedy start as a returned plan: its coverage bound the best proven (the solver's coverage
    bound, valid for every plan, else the greedy's cheap bound); later stages unproven."""
    bound = start.bound if solved is None else min(start.bound, solved.bound)
    bound = max(bound, float(start.objective))
    status = "OPTIMAL" if start.objective >= bound else "FEASIBLE"
    plan = replace(
        start,
        status=status,
        bound=bound,
        gap=(bound - start.objective) / max(bound, 1.0),
        backend=f"{source} start ({solved.backend if solved is not None else 'no solver time'})",
    )
    plan = with_measures(inst, plan)
    return replace(plan, stages=coverage_proven_stages(inst, plan, bound, status, seconds))


def coverage_proven_stages(
    inst: Instance, plan: PlanResult, bound: float, status: str, seconds: float
) -> tuple[StageResult, ...]:
    """The stages of a plan whose coverage bound alone is proven (a returned start plan, a plan by
    windows): coverage with `bound` and `status`, each later priority its measured value, unproven."""
    later = {
        "host_fit": plan.host_fit,
        "supervision": plan.supervision_spoke_minutes,
        "travel": plan.travel_case_minutes,
    }
    stages = [StageResult("coverage", "max", float(plan.objective), bound, status, seconds)]
    stages += [
        StageResult(name, SENSES[name], float(later[name]), None, "FEASIBLE", 0.0) for name in inst.rules.priorities[1:]
    ]
    return tuple(stages)


def _solved_plan(
    inst: Instance,
    modelled: Instance,
    time_limit: float,
    workers: int,
    backend: str,
    started: float,
    link_rows: bool,
    presolve: bool,
    merge: bool | None,
    start: PlanResult | None,
) -> PlanResult:
    """The solver's plan: the lexicographic stages, then the integral assignment (module docstring)."""
    stages, spokes, coverage_status, coverage_value, coverage_bound = _stages(
        modelled, inst, time_limit, workers, backend, started, link_rows, merge, start
    )
    # The reduced instance has the same areas and every pair of a host with a spoke: the same
    # assignment problem, with fewer pairs to scan (the plan is still checked on `inst`).
    assignments = integral_assignment(
        replace(inst, casework_minutes=modelled.casework_minutes) if presolve else inst, spokes, coverage_value
    )
    covered = sum(assignments.values())
    gap = 0.0 if coverage_status == "OPTIMAL" else (coverage_bound - covered) / max(coverage_bound, 1.0)
    plan = PlanResult(
        status=coverage_status,
        objective=covered,
        bound=max(coverage_bound, float(covered)),
        gap=max(0.0, gap),
        spokes=tuple(sorted(SpokePlacement(h, j, n) for (h, j), n in spokes.items())),
        assignments=tuple(sorted(Assignment(i, j, c) for (i, j), c in assignments.items() if c > 0)),
        backend=backend,
        stages=tuple(stages),
        team=minimum_team(inst, spokes),  # service-model support roles (none for CSE)
    )
    return with_measures(inst, plan)


def with_measures(inst: Instance, plan: PlanResult) -> PlanResult:
    """`plan` with its host fit, supervision spoke-minutes and casework travel measured (optimisation.measures)."""
    return replace(
        plan,
        host_fit=plan_host_fit(inst, plan),
        travel_case_minutes=plan_travel(inst, plan),
        supervision_spoke_minutes=plan_supervision(inst, plan),
    )


def _no_plan(time_limit: float, status_name: str) -> NoPlanFound:
    return NoPlanFound(
        f"no plan was found within {time_limit:g} s (solver status {status_name}); "
        "the scenario was not proven infeasible: allow more time with --time-limit"
    )


def _coverage_result(value: float, optimal: bool, bound: float) -> tuple[int, str, float]:
    """Covered cases (whole), status, and the proven bound rounded down to whole cases."""
    coverage_value = int(round(value))
    coverage_status = "OPTIMAL" if optimal else "FEASIBLE"
    if optimal:
        coverage_bound = float(coverage_value)
    elif not math.isfinite(bound):  # no bound proven by the solver (solve() then uses the cheap one)
        coverage_bound = math.inf
    else:
        coverage_bound = max(float(coverage_value), math.floor(bound + 1e-6))
    return coverage_value, coverage_status, coverage_bound


def _stages(
    inst: Instance,
    original: Instance,
    time_limit: float,
    workers: int,
    backend: str,
    started: float,
    link_rows: bool,
    merge: bool | None,
    start: PlanResult | None,
):
    """The lexicographic stages (module docstring, steps 2-3) on the model of `inst`, by `backend`;
    an infeasible model is diagnosed on `original`. Hinted back ends start from `start` (the greedy
    plan), then from each stage's solution. On a matrix back end the coverage stage
    runs on the merged-area model when `merge` says so (solve's docstring); later stages on the
    full one. Returns (stages, whole spokes, coverage status, value, bound)."""
    matrix = MATRIX_SOLVERS.get(backend)  # "highs", "scip", or None: pywraplp
    # Layouts by measurement (benchmarks/README.md): SCIP on the matrix gains most from spokes per
    # host; HiGHS, used by AUTO on small instances only, is fastest there with integer y.
    layout = Layout(spokes_per_host=matrix == "scip", link_rows=link_rows)
    merged = merge_areas(inst) if matrix is not None and merge is not False else None
    if merged is not None and not merge and merged.share < MERGE_MIN_SHARE:
        merged = None
    first = merged.instance if merged is not None else inst
    model = build_model(first, layout=layout)
    hinted = backend in HINTED_BACKENDS
    # The start plan, its cases added up per merged area if merged (spoke columns are the full model's).
    representative = (
        None if merged is None else {member: kept for kept, members in merged.members.items() for member in members}
    )
    hint = plan_values(first, start, model, representative) if hinted and start is not None else None
    session = PywraplpSession(model.linear, backend) if matrix is None else None
    if session is not None and hint is not None:
        session.hint(hint)
    stages: list[StageResult] = []
    holds: list[tuple] = []  # matrix back ends: the earlier stages' values, as rows
    values: np.ndarray | None = None
    coverage_status, coverage_value, coverage_bound = "FEASIBLE", 0, 0.0
    priorities = inst.rules.priorities
    for position, name in enumerate(priorities):
        # Keep back a reserve for the integral assignment and writing (measured: ~2 s on the
        # 50-hub England instance), so the whole solve stays inside the user's limit.
        remaining = time_limit * (1 - RESERVE_SHARE) - (time.perf_counter() - started)
        if position > 0 and remaining < 0.05 * time_limit:
            break  # out of time: keep the best plan of the earlier stages
        if position == 1 and merged is not None:  # the later stages need every area's minutes
            assert values is not None  # stage 0 gave values, or raised
            coverage_model, model = model, build_model(inst, layout=layout)
            values = hint = _split_values(merged, coverage_model, model, values, inst)
            holds = [(model.linear.objectives["coverage"], low, high) for _, low, high in holds]
        sense, objective = SENSES[name], model.linear.objectives[name]
        share = _stage_share(remaining, position, len(priorities))
        if session is None:
            assert matrix is not None  # no pywraplp session: a matrix back end
            stage_start = time.perf_counter()
            result = solve_matrix(model.linear, objective, sense, share, holds, solver=matrix, hint=hint)
            if result.status == "NOT_SOLVED" and matrix == "highs" and position > 0:
                # HiGHS can stop with "Solve error" on a later stage with the hold rows (found by
                # tests/test_matrix_backend.py on a 3-host instance); the earlier stage's solution is
                # feasible there, so SCIP on the same matrix, started from it, finishes the stage.
                share = max(0.1, time_limit * (1 - RESERVE_SHARE) - (time.perf_counter() - started))
                result = solve_matrix(model.linear, objective, sense, share, holds, solver="scip", hint=hint)
        else:
            session.set_objective(objective, sense)
            session.configure(share, workers)
            stage_start = time.perf_counter()
            result = session.solution(session.solve())
        seconds = time.perf_counter() - stage_start
        if position == 0:
            if result.status == "INFEASIBLE":
                left = max(1.0, time_limit - (time.perf_counter() - started))
                diagnosed_by = backend if session is not None else DEFAULT_PYWRAPLP_BACKEND  # matrix: SCIP
                raise Infeasible(diagnose(original, backend=diagnosed_by, time_limit=left))
            if result.values is None:
                raise _no_plan(time_limit, result.status)
        if result.values is None:
            break  # a later stage found nothing better in its time: keep the earlier solution
        value, bound = result.objective, result.bound
        if position == 0:
            coverage_value, coverage_status, coverage_bound = _coverage_result(value, result.status == "OPTIMAL", bound)
            value, bound = float(coverage_value), coverage_bound
        stages.append(
            StageResult(
                name, sense, float(value), float(bound) if math.isfinite(bound) else None, result.status, seconds
            )
        )
        values = hint = result.values
        # Hold this stage's value for the stages after it (a small tolerance for floating point).
        slack = 1e-6 * max(1.0, abs(value))
        low, high = (value - slack, math.inf) if sense == "max" else (-math.inf, value + slack)
        if session is None:
            holds.append((objective, low, high))
        else:
            session.add_row(objective, low, high, f"hold[{name}]")
            if hinted:
                session.hint(values)
    assert values is not None
    # The spoke columns (o, u, y, S, n) have the same keys in the merged and the full model.
    return stages, integral_spokes(inst, model, values), coverage_status, coverage_value, coverage_bound


def _split_values(
    merged: MergedAreas, coverage_model: Model, model: Model, values: np.ndarray, inst: Instance
) -> np.ndarray:
    """The merged model's solution as values of the full model: spoke columns by key, cases split
    back over the member areas (optimisation.presolve.split_cases): a plan of the full model with
    the same coverage, to start the later stages from."""
    full = np.zeros(model.linear.columns)
    for kind in ("host_open", "hub_used", "spokes", "host_spokes", "team"):
        target = getattr(model.columns, kind)
        for key, col in getattr(coverage_model.columns, kind).items():
            full[target[key]] = values[col]
    demand = {a.area_id: a.demand for a in inst.areas}
    cases = {key: float(values[col]) for key, col in coverage_model.columns.cases.items() if values[col] > 0}
    for key, amount in split_cases(merged, cases, demand).items():
        full[model.columns.cases[key]] = amount
    return full

"""solve(): the allocation, optimised lexicographically, with integral published cases.

1. Structural checks (optimisation.diagnosis) catch rules that cannot be met before any solve.
2. Stage "coverage": maximise covered cases. Its proven bound and gap are the plan's.
3. Later stages in `rules.priorities` order (host fit, travel), each with the earlier stages'
   values held as constraints (coverage ≥ C*), so priority 1 is never traded for 2 or 3.
   Each stage starts from the previous stage's solution as a hint.
4. With spokes fixed, the assignment of cases is a transportation problem with integer data:
   a simplex vertex of it is integral. It is re-solved as a linear programme (GLOP) to get
   whole cases, with the later priorities folded into one cost that respects their order.

The time limit covers all stages together. A run with `workers=1` is deterministic.

Back ends (README "Back end, by measurement"): the default "AUTO" models the exactly reduced
instance (optimisation.presolve) as one sparse matrix (optimisation.matrix) and solves it with
HiGHS (scipy.optimize.milp) when it is small, with SCIP (OR-Tools model_builder) otherwise. The
pywraplp model of optimisation.model (any pywraplp back end, e.g. "SCIP") stays available and is
what the diagnosis and the models built on the constraint families use.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import replace

import numpy as np
from ortools.linear_solver import pywraplp

from optimisation.checker import plan_host_fit, plan_travel
from optimisation.diagnosis import diagnose, structural_problems
from optimisation.instance import Instance
from optimisation.matrix import SCIP_PARAMETERS, build_matrix, integer_columns, integral_spokes, solve_matrix
from optimisation.model import Model, build_model, fit_scores
from optimisation.presolve import merge_areas, reduce_instance, split_cases
from optimisation.result import Assignment, Infeasible, PlanResult, SpokePlacement, StageResult
from optimisation.team import minimum_team

# Chosen by measurement (benchmarks/peers.py, benchmarks/backends.py; figures in the READMEs).
# optimisation.matrix: the same model as one sparse matrix, solved by HiGHS (scipy.optimize.milp)
# or by SCIP (OR-Tools model_builder, filled from the matrix in one call).
MATRIX_BACKEND = "SCIPY_HIGHS"
MATRIX_SCIP_BACKEND = "SCIP_MATRIX"
MATRIX_SOLVERS = {MATRIX_BACKEND: "highs", MATRIX_SCIP_BACKEND: "scip"}
DEFAULT_BACKEND = "AUTO"
DEFAULT_PYWRAPLP_BACKEND = "SCIP"  # the pywraplp model (optimisation.model): team mix, diagnosis
# "AUTO" uses HiGHS on the matrix model up to this many integer columns (o and S per host, u per
# hub), SCIP on the matrix model above: measured, benchmarks/README.md (coverage, 60 s, one run
# each): HiGHS found more cases on the three postcode-sector medium instances (1,442-1,516 integer
# columns: 1,214 vs 1,210, 1,258 vs 1,245, 1,272 vs 1,263), SCIP on both district medium ones
# (1,938: 1,550 vs 1,520, 1,570 vs 1,484-1,568) and on national (4,046); HiGHS on every small one.
HIGHS_MAX_INTEGER_COLUMNS = 1_700
RESERVE_SHARE = 0.07  # of the time limit, kept for the steps after the MIP stages
SENSES = {"coverage": "max", "host_fit": "max", "travel": "min"}
INTEGRALITY_TOLERANCE = 1e-5
# Back ends given solution hints (warm starts). pywraplp's HiGHS interface crashes on SetHint
# (OR-Tools 9.15, measured), so it is solved cold.
HINTED_BACKENDS = frozenset({"SCIP", "CBC", "CP_SAT"})
# The greedy warm start costs about (hub-host pairs x spokes placed) move evaluations; above this
# it takes longer than it saves, so larger instances start cold. Measured (greedy time, counted in
# the time limit): 50-hub, 1,000-host England instance (1,939 pairs x 150 spokes) 4.7 s.
GREEDY_WORK_LIMIT = 500_000
# The coverage stage of the matrix back ends is solved on the instance with areas of equal
# reachable hosts merged (optimisation.presolve.merge_areas, exact for coverage) when the merge
# removes at least this share of the case columns. Measured (benchmarks/README.md, HiGHS on the
# small England instance, seeds 1-10): postcode sectors lose 20-28% of the columns and HiGHS is
# faster merged on 10 of 10; districts lose 10-17% (medium 4.8%, national 2.5%) and it is faster
# on only 5 of 10, so district instances are solved unmerged as before.
MERGE_MIN_SHARE = 0.2


class NoPlanFound(RuntimeError):
    """The solver found no plan within the time limit, without proving there is none."""


def _status_name(status: int) -> str:
    return {pywraplp.Solver.OPTIMAL: "OPTIMAL", pywraplp.Solver.FEASIBLE: "FEASIBLE",
            pywraplp.Solver.INFEASIBLE: "INFEASIBLE", pywraplp.Solver.UNBOUNDED: "UNBOUNDED",
            pywraplp.Solver.ABNORMAL: "ABNORMAL", pywraplp.Solver.NOT_SOLVED: "NOT_SOLVED"}.get(status, str(status))


def configure_solver(solver: pywraplp.Solver, seconds: float, workers: int, backend: str) -> None:
    """Time limit and threads of a pywraplp stage (also the phased model's, optimisation.phased)."""
    solver.SetTimeLimit(max(1, int(seconds * 1000)))
    # SCIP as built into OR-Tools solves on one thread; asking it for more changes its search
    # (measured: a different, equally optimal tie on a 2-host scenario), which would break
    # byte-identical plans across worker counts. Other back ends get the threads asked for.
    solver.SetNumThreads(1 if backend == "SCIP" else workers)
    if backend == "SCIP":
        # Deterministic: a fixed seed; OPTIMAL means proven within OPTIMALITY_GAP (optimisation/matrix.py).
        solver.SetSolverSpecificParametersAsString(SCIP_PARAMETERS)


def _snapshot(model: Model) -> dict[str, dict]:
    v = model.variables
    return {
        "spokes": {key: int(round(var.solution_value())) for key, var in v.spokes.items()},
        "cases": {key: var.solution_value() for key, var in v.cases.items()},
        "all": [(var, var.solution_value()) for var in model.solver.variables()],
    }


def _hint(model: Model, snapshot: dict) -> None:
    pairs = snapshot["all"]
    model.solver.SetHint([var for var, _ in pairs], [value for _, value in pairs])


def choose_backend(inst: Instance) -> str:
    """The back end "AUTO" stands for: HiGHS on the matrix model up to HIGHS_MAX_INTEGER_COLUMNS
    integer columns, SCIP on the matrix model above (measured: benchmarks/README.md). A service
    model with support roles (No Wrong Door) needs the team-mix family, which only the pywraplp
    model has (optimisation/team.py): SCIP there (its demo solves in under a second)."""
    if inst.rules.team_roles:
        return DEFAULT_PYWRAPLP_BACKEND
    return MATRIX_BACKEND if integer_columns(inst) <= HIGHS_MAX_INTEGER_COLUMNS else MATRIX_SCIP_BACKEND


def _greedy_is_cheap(inst: Instance) -> bool:
    """Whether the greedy warm start costs less than it saves (GREEDY_WORK_LIMIT)."""
    spokes_possible = sum(h.capacity for h in inst.hubs)
    if inst.rules.max_spokes is not None:
        spokes_possible = min(spokes_possible, inst.rules.max_spokes)
    return len(inst.supervision_minutes) * max(1, spokes_possible) <= GREEDY_WORK_LIMIT


def _stage_share(remaining: float, position: int, count: int) -> float:
    """Earlier stages get what they need; leave later stages a share of what is left."""
    return remaining if position == count - 1 else remaining * (0.8 if position == 0 else 0.5)


def solve(inst: Instance, *, time_limit: float = 60.0, workers: int = 1, backend: str = DEFAULT_BACKEND,
          link_rows: bool = True, presolve: bool = True, merge: bool | None = None) -> PlanResult:
    """The lexicographically optimal plan (or the best found in `time_limit` seconds).

    `backend` is an OR-Tools pywraplp solver name ("SCIP", "CBC", ...: the model of
    optimisation.model), "SCIPY_HIGHS" or "SCIP_MATRIX" (the matrix model of optimisation.matrix,
    solved by HiGHS via scipy.optimize.milp or by SCIP via OR-Tools model_builder) or "AUTO" (the
    default: one of the matrix back ends by instance size, see `choose_backend`). The plan records
    the back end used.
    `presolve` models the exactly reduced instance of optimisation.presolve (same plans, fewer
    columns); the plan is checked and reported on `inst` itself. `merge` (matrix back ends only)
    solves the coverage stage with areas of equal reachable hosts merged (exact for coverage:
    optimisation.presolve.merge_areas): None merges when that removes at least MERGE_MIN_SHARE
    of the case columns, True always, False never.
    """
    started = time.perf_counter()
    problems = structural_problems(inst)
    if problems:
        raise Infeasible(problems)
    modelled = reduce_instance(inst) if presolve else inst
    if backend == "AUTO":
        backend = choose_backend(modelled)
    if backend in MATRIX_SOLVERS and inst.rules.team_roles:
        raise ValueError(f"back end {backend} has no team-mix family; use AUTO or a pywraplp back end (SCIP, CBC)")
    if backend in MATRIX_SOLVERS:
        stages, spokes, coverage_status, coverage_value, coverage_bound = _stages_matrix(
            modelled, inst, time_limit, started, link_rows, MATRIX_SOLVERS[backend], merge)
    else:
        stages, spokes, coverage_status, coverage_value, coverage_bound = _stages_pywraplp(
            modelled, inst, time_limit, workers, backend, started, link_rows)
    # The reduced instance has the same areas and every pair of a host with a spoke: the same
    # assignment problem, with fewer pairs to scan (the plan is still checked on `inst`).
    assignments = integral_assignment(replace(inst, casework_minutes=modelled.casework_minutes) if presolve else inst,
                                      spokes, coverage_value)
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
    return replace(plan, host_fit=plan_host_fit(inst, plan), travel_case_minutes=plan_travel(inst, plan),
                   solve_seconds=time.perf_counter() - started)


def _no_plan(time_limit: float, status_name: str) -> NoPlanFound:
    return NoPlanFound(f"no plan was found within {time_limit:g} s (solver status {status_name}); "
                       "the scenario was not proven infeasible: allow more time with --time-limit")


def _coverage_result(value: float, optimal: bool, bound: float) -> tuple[int, str, float]:
    """Covered cases (whole), status, and the proven bound rounded down to whole cases."""
    coverage_value = int(round(value))
    coverage_status = "OPTIMAL" if optimal else "FEASIBLE"
    coverage_bound = float(coverage_value) if optimal else max(float(coverage_value), math.floor(bound + 1e-6))
    return coverage_value, coverage_status, coverage_bound


def _stages_matrix(inst: Instance, original: Instance, time_limit: float, started: float, link_rows: bool,
                   solver: str, merge: bool | None = None):
    """The lexicographic stages on the matrix model of `inst` with `solver` ("highs" or "scip"; same
    rules as _stages_pywraplp: SCIP starts from the greedy plan where it is cheap, then from each
    stage's solution); an infeasible model is diagnosed on `original`. The coverage stage runs on
    the merged-area model when `merge` says so (solve's docstring); later stages on the full one."""
    # Layouts by measurement (benchmarks/README.md): SCIP gains most from spokes per host; HiGHS,
    # used by AUTO on small instances only, is fastest there with integer y.
    layout = {"link_rows": link_rows, "spokes_per_host": solver == "scip"}
    merged = merge_areas(inst) if merge is not False else None
    if merged is not None and not merge and merged.share < MERGE_MIN_SHARE:
        merged = None
    first = merged.instance if merged is not None else inst
    model = build_matrix(first, **layout)
    hint = None
    if solver == "scip" and _greedy_is_cheap(inst):
        from optimisation.greedy import greedy_values

        hint = greedy_values(first, model)  # a greedy plan of the merged instance, if merged
    stages: list[StageResult] = []
    holds: list[tuple] = []
    values = None
    coverage_status, coverage_value, coverage_bound = "FEASIBLE", 0, 0.0
    priorities = inst.rules.priorities
    for position, name in enumerate(priorities):
        remaining = time_limit * (1 - RESERVE_SHARE) - (time.perf_counter() - started)
        if position > 0 and remaining < 0.05 * time_limit:
            break
        if position == 1 and merged is not None:  # the later stages need every area's minutes
            coverage_model, model = model, build_matrix(inst, **layout)
            values = hint = _split_values(merged, coverage_model, model, values, inst)
            holds = [(model.objectives["coverage"], low, high) for _, low, high in holds]
        sense, objective = SENSES[name], model.objectives[name]
        stage_start = time.perf_counter()
        share = _stage_share(remaining, position, len(priorities))
        result = solve_matrix(model, objective, sense, share, holds, solver=solver, hint=hint)
        if result.status == "NOT_SOLVED" and solver == "highs" and position > 0:
            # HiGHS can stop with "Solve error" on a later stage with the hold rows (found by
            # tests/test_matrix_backend.py on a 3-host instance); the earlier stage's solution is
            # feasible there, so SCIP on the same matrix, started from it, finishes the stage.
            share = max(0.1, time_limit * (1 - RESERVE_SHARE) - (time.perf_counter() - started))
            result = solve_matrix(model, objective, sense, share, holds, solver="scip", hint=hint)
        seconds = time.perf_counter() - stage_start
        if position == 0:
            if result.status == "INFEASIBLE":
                left = max(1.0, time_limit - (time.perf_counter() - started))
                raise Infeasible(diagnose(original, backend="SCIP", time_limit=left))
            if result.values is None:
                raise _no_plan(time_limit, result.status)
        if result.values is None:
            break
        value, bound = result.objective, result.bound
        if position == 0:
            coverage_value, coverage_status, coverage_bound = _coverage_result(
                value, result.status == "OPTIMAL", bound)
            value, bound = float(coverage_value), coverage_bound
        stages.append(StageResult(name, sense, float(value), float(bound), result.status, seconds))
        values = hint = result.values
        slack = 1e-6 * max(1.0, abs(value))
        holds.append((objective, value - slack, np.inf) if sense == "max" else (objective, -np.inf, value + slack))
    assert values is not None
    # The spoke columns (o, u, y, S) have the same keys in the merged and the full model.
    return stages, integral_spokes(inst, model, values), coverage_status, coverage_value, coverage_bound


def _split_values(merged, coverage_model, model, values: np.ndarray, inst: Instance) -> np.ndarray:
    """The merged model's solution as values of the full model: spoke columns by key, cases split
    back over the member areas (optimisation.presolve.split_cases): a plan of the full model with
    the same coverage, to start the later stages from."""
    full = np.zeros(model.columns)
    for keys in ("host_open", "hub_used", "spokes", "host_spokes"):
        target = getattr(model, keys)
        for key, c in getattr(coverage_model, keys).items():
            full[target[key]] = values[c]
    demand = {a.area_id: a.demand for a in inst.areas}
    cases = {key: float(values[c]) for key, c in coverage_model.cases.items() if values[c] > 0}
    for key, amount in split_cases(merged, cases, demand).items():
        full[model.cases[key]] = amount
    return full


def _stages_pywraplp(inst: Instance, original: Instance, time_limit: float, workers: int, backend: str,
                     started: float, link_rows: bool):
    """The lexicographic stages on the pywraplp model of `inst` (module docstring, steps 2-3); an
    infeasible model is diagnosed on `original`."""
    model = build_model(inst, backend=backend, link_rows=link_rows)
    solver = model.solver
    stages: list[StageResult] = []
    snapshot: dict | None = None
    coverage_status = "FEASIBLE"
    coverage_value = 0
    coverage_bound = 0.0

    hinted = backend in HINTED_BACKENDS
    if hinted and _greedy_is_cheap(inst):
        from optimisation.greedy import greedy_hint

        hint = greedy_hint(inst, model)
        if hint:
            solver.SetHint(*hint)

    for position, name in enumerate(inst.rules.priorities):
        # Keep back a reserve for the integral assignment and writing (measured: ~2 s on the
        # 50-hub England instance), so the whole solve stays inside the user's limit.
        remaining = time_limit * (1 - RESERVE_SHARE) - (time.perf_counter() - started)
        if position > 0 and remaining < 0.05 * time_limit:
            break  # out of time: keep the best plan of the earlier stages
        sense = SENSES[name]
        expression = model.objectives[name]
        objective = solver.Objective()
        objective.Clear()
        if sense == "max":
            solver.Maximize(expression)
        else:
            solver.Minimize(expression)
        configure_solver(solver, _stage_share(remaining, position, len(inst.rules.priorities)), workers, backend)
        stage_start = time.perf_counter()
        status = solver.Solve()
        seconds = time.perf_counter() - stage_start
        status_name = _status_name(status)
        if position == 0:
            if status == pywraplp.Solver.INFEASIBLE:
                left = max(1.0, time_limit - (time.perf_counter() - started))
                raise Infeasible(diagnose(original, backend=backend, time_limit=left))
            if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
                raise _no_plan(time_limit, status_name)
        if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            break  # a later stage found nothing better in its time: keep the earlier solution
        value = objective.Value()
        bound = objective.BestBound()
        if position == 0:
            coverage_value, coverage_status, coverage_bound = _coverage_result(
                value, status == pywraplp.Solver.OPTIMAL, bound)
            value, bound = float(coverage_value), coverage_bound
        stages.append(StageResult(name, sense, float(value), float(bound), status_name if status_name in
                                  ("OPTIMAL", "FEASIBLE") else "FEASIBLE", seconds))
        snapshot = _snapshot(model)
        # Hold this stage's value for the stages after it (a small tolerance for floating point).
        slack = 1e-6 * max(1.0, abs(value))
        if sense == "max":
            solver.Add(expression >= value - slack, f"hold[{name}]")
        else:
            solver.Add(expression <= value + slack, f"hold[{name}]")
        if hinted:
            _hint(model, snapshot)

    assert snapshot is not None
    spokes = {key: count for key, count in snapshot["spokes"].items() if count > 0}
    return stages, spokes, coverage_status, coverage_value, coverage_bound


def integral_assignment(inst: Instance, spokes: dict[tuple[str, str], int], coverage_target: int) -> dict[tuple[str, str], int]:
    """Whole cases per (area, host) for fixed spokes, lexicographically optimal like the MIP.

    With S_j fixed the rows are: Σ_j x_ij ≤ d_i and cmin·S_j ≤ Σ_i x_ij ≤ cmax·S_j — a network
    (transportation) matrix with integer right-hand sides, so simplex vertices are integral.
    First maximise Σx; then, with Σx fixed (still a network), minimise one cost per pair that
    orders the later priorities: cost_ij = W·(-fit_j) + minutes_ij when host fit comes before
    travel (W larger than any total travel), or W·minutes_ij - fit_j the other way round.
    """
    rules = inst.rules
    at_host: dict[str, int] = defaultdict(int)
    for (_, host_id), count in spokes.items():
        at_host[host_id] += count
    demand = {a.area_id: a.demand for a in inst.areas}
    pairs = sorted((area, host) for (host, area) in inst.casework_minutes if at_host.get(host, 0) > 0 and demand[area] > 0)
    if not pairs:
        return {}
    lp = pywraplp.Solver.CreateSolver("GLOP")
    x = {pair: lp.NumVar(0, demand[pair[0]], f"x[{pair[0]},{pair[1]}]") for pair in pairs}
    by_area: dict[str, list] = defaultdict(list)
    by_host: dict[str, list] = defaultdict(list)
    for (area, host), var in x.items():
        by_area[area].append(var)
        by_host[host].append(var)
    for area, vars_ in by_area.items():
        lp.Add(lp.Sum(vars_) <= demand[area])
    for host, vars_ in by_host.items():
        lp.Add(lp.Sum(vars_) <= rules.caseload_max * at_host[host])
        lp.Add(lp.Sum(vars_) >= rules.caseload_min * at_host[host])
    total = lp.Sum(list(x.values()))
    lp.Maximize(total)
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        raise RuntimeError("the assignment for the chosen spokes has no solution; this is a bug")
    covered = int(round(lp.Objective().Value()))
    if covered < coverage_target:
        raise RuntimeError(f"integral assignment covers {covered} < {coverage_target}; this is a bug")
    scores = fit_scores(inst)
    order = [p for p in rules.priorities if p != "coverage"]
    max_minutes = max((inst.casework_minutes[(h, a)] for (a, h) in pairs), default=0)
    fit_values = [scores[h] for (_, h) in pairs]
    fit_range = (max(fit_values) - min(fit_values)) if fit_values else 0
    costs = {}
    for (area, host) in pairs:
        minutes = inst.casework_minutes[(host, area)]
        if order and order[0] == "host_fit":
            weight = max_minutes * covered + 1
            costs[(area, host)] = -weight * scores[host] + (minutes if "travel" in order else 0)
        elif order and order[0] == "travel":
            weight = fit_range * covered + 1
            costs[(area, host)] = weight * minutes - (scores[host] if "host_fit" in order else 0)
        else:
            costs[(area, host)] = 0
    if any(costs.values()):  # else (no later priorities) the coverage vertex is already the answer
        lp.Add(total == covered)
        lp.Minimize(lp.Sum([costs[p] * x[p] for p in pairs if costs[p]]))
        if lp.Solve() != pywraplp.Solver.OPTIMAL:
            raise RuntimeError("the assignment cost stage failed; this is a bug")
    result = {}
    for pair, var in x.items():
        value = var.solution_value()
        whole = int(round(value))
        if abs(value - whole) > INTEGRALITY_TOLERANCE:
            raise RuntimeError(f"assignment {pair} = {value} is not integral; this is a bug")
        if whole > 0:
            result[pair] = whole
    return result

"""The allocation model as one sparse matrix, solved by HiGHS (scipy.optimize.milp) or SCIP
(OR-Tools model_builder).

The same variables, constraint families and objectives as :mod:`optimisation.families` and
:func:`optimisation.model.build_model` (every family's docstring and formula is there; this module
only lays them out as rows of a matrix), built in one pass over the instance instead of one
OR-Tools call per term. It is the model of the back ends ``"SCIPY_HIGHS"`` and ``"SCIP_MATRIX"``
of :func:`optimisation.solve.solve`, and of its default ``"AUTO"``.

Columns, in this order: ``o[j]`` binary for every host some hub can supervise (instance order),
``u[h]`` binary per hub, ``y[h, j]`` per supervised hub-host pair (sorted), ``S[j]`` integer spokes
per host (only with ``spokes_per_host``, see :func:`build_matrix`), ``x[i, j]`` continuous per
casework pair of a supervised host and an area with demand (sorted by host, area).

Why a second layout of one model: measured on the England benchmark instances
(benchmarks/peers.py, figures in benchmarks/README.md), HiGHS on this matrix solves the small
instance about 4x faster than SCIP through pywraplp; SCIP on it with integer spokes per host finds
better plans on the medium and national ones (and the model is built in 0.5 s instead of 2.7 s).
``solve(..., backend="AUTO")`` picks by size (``optimisation.solve.HIGHS_MAX_INTEGER_COLUMNS``).
pywraplp stays the model other code builds on (diagnosis, roll-out and robust models); tests
check the layouts give the same optima.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix, vstack

from optimisation.instance import Instance
from optimisation.model import fit_scores


@dataclass
class MatrixModel:
    """Columns (keys and bounds), rows (A, lower, upper) and the three objective vectors."""

    host_open: dict[str, int]  # o[j] -> column
    hub_used: dict[str, int]  # u[h] -> column
    spokes: dict[tuple[str, str], int]  # y[hub, host] -> column
    cases: dict[tuple[str, str], int]  # x[area, host] -> column
    lower: np.ndarray
    upper: np.ndarray
    integrality: np.ndarray
    matrix: csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    objectives: dict[str, np.ndarray] = field(default_factory=dict)  # coverage, host_fit, travel
    host_spokes: dict[str, int] = field(default_factory=dict)  # S[j] -> column (spokes_per_host only)

    @property
    def columns(self) -> int:
        return len(self.lower)

    @property
    def integer_columns(self) -> int:
        return int(self.integrality.sum())


class _Rows:
    """COO triplets of the rows being built."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    def add(self, cols, vals, lower: float, upper: float) -> None:
        r = len(self.lower)
        self.rows.extend([r] * len(cols))
        self.cols.extend(cols)
        self.vals.extend(vals)
        self.lower.append(lower)
        self.upper.append(upper)


def integer_columns(inst: Instance) -> int:
    """Integer columns of the default layout (o and S per supervised host, u per hub), unbuilt."""
    hosts = {host for (_, host) in inst.supervision_minutes}
    return 2 * len(hosts) + len(inst.hubs)


def build_matrix(inst: Instance, *, link_rows: bool = True, spokes_per_host: bool = True) -> MatrixModel:
    """Every constraint family of :func:`optimisation.model.build_model` (nothing relaxed) as rows.

    `spokes_per_host=True` (the default, measured below) adds an integer column ``S[j]`` per host
    with the row ``S[j] = Σ_h y[h, j]`` and makes ``y`` continuous. The plans are the same: for
    integer S and u the y rows (``Σ_h y[h, j] = S[j]``, hub size, existing spokes, bounds) form a
    bipartite network with whole-number data, so a whole-number y always exists
    (:func:`integral_spokes` finds one). HiGHS then branches on 1,000 spoke counts instead of
    1,939 hub-host pairs (medium England instance): measured 1,568 of bound 1,581 in 60 s against
    1,484 of 1,578 with integer y (benchmarks/README.md).
    """
    rules = inst.rules
    inf = np.inf
    demand = {a.area_id: a.demand for a in inst.areas}
    host_max = {h.host_id: h.max_spokes for h in inst.hosts}
    hub_capacity = {h.hub_id: h.capacity for h in inst.hubs}
    lower: list[float] = []
    upper: list[float] = []
    integral: list[int] = []

    def column(low: float, high: float, integer: int) -> int:
        lower.append(low)
        upper.append(high)
        integral.append(integer)
        return len(lower) - 1

    # Casework and supervision travel limits live in which columns exist (families.add_variables).
    reachable = {host for (_, host) in inst.supervision_minutes}
    host_open = {h.host_id: column(0, 1, 1) for h in inst.hosts if h.host_id in reachable}
    hub_used = {h.hub_id: column(0, 1, 1) for h in inst.hubs}
    spokes = {}
    for (hub_id, host_id) in sorted(inst.supervision_minutes):
        high = max(min(host_max[host_id], hub_capacity[hub_id]), inst.existing_spokes.get((hub_id, host_id), 0))
        spokes[(hub_id, host_id)] = column(0, high, 0 if spokes_per_host else 1)
    spokes_at: dict[str, list[int]] = {j: [] for j in host_open}
    spokes_of: dict[str, list[int]] = {h: [] for h in hub_used}
    for (hub_id, host_id), c in spokes.items():
        spokes_at[host_id].append(c)
        spokes_of[hub_id].append(c)
    host_spokes = {j: column(0, sum(upper[c] for c in spokes_at[j]), 1) for j in host_open} if spokes_per_host else {}
    cases = {}
    for (host_id, area_id) in sorted(inst.casework_minutes):
        if host_id in host_open and demand[area_id] > 0:
            cases[(area_id, host_id)] = column(0, demand[area_id], 0)
    cases_at: dict[str, list[int]] = {j: [] for j in host_open}
    cases_of: dict[str, list[int]] = {}
    for (area_id, host_id), c in cases.items():
        cases_at[host_id].append(c)
        cases_of.setdefault(area_id, []).append(c)

    def spokes_at_host(host_id: str, coefficient: float) -> tuple[list[int], list[float]]:
        """coefficient · S_j as (columns, values): the S column, or the sum of the host's y."""
        if spokes_per_host:
            return [host_spokes[host_id]], [coefficient]
        return spokes_at[host_id], [coefficient] * len(spokes_at[host_id])

    rows = _Rows()
    for host_id, sc in host_spokes.items():  # S_j = Σ_h y_hj
        ys = spokes_at[host_id]
        rows.add([sc] + ys, [1.0] + [-1.0] * len(ys), 0.0, 0.0)
    for host_id in host_open:  # caseload: cmin·S_j <= Σ_i x_ij <= cmax·S_j
        load = cases_at[host_id]
        cols, vals = spokes_at_host(host_id, -float(rules.caseload_max))
        rows.add(load + cols, [1.0] * len(load) + vals, -inf, 0.0)
        if rules.caseload_min > 0:
            cols, vals = spokes_at_host(host_id, -float(rules.caseload_min))
            rows.add(load + cols, [1.0] * len(load) + vals, 0.0, inf)
    for area_id, cs in sorted(cases_of.items()):  # demand: Σ_j x_ij <= d_i (one column: its bound)
        if len(cs) > 1:
            rows.add(cs, [1.0] * len(cs), -inf, float(demand[area_id]))
    for hub in inst.hubs:  # hub size: min·u_h <= Σ_j y_hj <= capacity·u_h
        ys, u = spokes_of[hub.hub_id], hub_used[hub.hub_id]
        rows.add(ys + [u], [1.0] * len(ys) + [-float(hub.capacity)], -inf, 0.0)
        if hub.min_spokes > 0:
            rows.add(ys + [u], [1.0] * len(ys) + [-float(hub.min_spokes)], 0.0, inf)
    for host_id, o in host_open.items():  # host capacity: S_j <= max_j·o_j
        cols, vals = spokes_at_host(host_id, 1.0)
        rows.add(cols + [o], vals + [-float(host_max[host_id])], -inf, 0.0)
    if link_rows:  # x_ij <= d_i·o_j
        for (area_id, host_id), c in cases.items():
            rows.add([c, host_open[host_id]], [1.0, -float(demand[area_id])], -inf, 0.0)
    all_spokes = list(host_spokes.values()) if spokes_per_host else list(spokes.values())
    if rules.budget_per_year is not None:  # budget: cost·Σ S + Σ_j annual_j·o_j <= budget
        annual = {h.host_id: h.annual_cost for h in inst.hosts}
        paid = [j for j in host_open if annual[j] > 0]
        rows.add(all_spokes + [host_open[j] for j in paid],
                 [float(rules.spoke_cost_per_year)] * len(all_spokes) + [float(annual[j]) for j in paid],
                 -inf, float(rules.budget_per_year))
    if rules.max_spokes is not None:  # Σ S <= max_spokes
        rows.add(all_spokes, [1.0] * len(all_spokes), -inf, float(rules.max_spokes))
    authority_of = {h.host_id: h.authority_code for h in inst.hosts}
    for authority in inst.authorities:  # required authority: Σ_{j in a} S_j >= 1 (no host in reach: 0 >= 1)
        if authority.required:
            cols: list[int] = []
            for host_id in host_open:
                if authority_of[host_id] == authority.authority_code:
                    cols += spokes_at_host(host_id, 1.0)[0]
            rows.add(cols, [1.0] * len(cols), 1.0, inf)
    for (hub_id, host_id) in sorted(inst.existing_spokes):  # existing spokes kept: y_hj >= count
        count = float(inst.existing_spokes[(hub_id, host_id)])
        c = spokes.get((hub_id, host_id))
        rows.add([c] if c is not None else [], [1.0] if c is not None else [], count, inf)
    for host in inst.hosts:  # locked host (issue #18, families.add_locked_host): S_j >= 1 (out of reach: 0 >= 1)
        if host.status == "locked":
            cols = spokes_at_host(host.host_id, 1.0)[0] if host.host_id in host_open else []
            rows.add(cols, [1.0] * len(cols), 1.0, inf)

    n = len(lower)
    matrix = csr_matrix((rows.vals, (rows.rows, rows.cols)), shape=(len(rows.lower), n))
    scores = fit_scores(inst)
    objectives = {name: np.zeros(n) for name in ("coverage", "host_fit", "travel")}
    for (area_id, host_id), c in cases.items():
        objectives["coverage"][c] = 1.0
        objectives["host_fit"][c] = scores[host_id]
        objectives["travel"][c] = inst.casework_minutes[(host_id, area_id)]
    return MatrixModel(host_open, hub_used, spokes, cases, np.array(lower, float), np.array(upper, float),
                       np.array(integral, np.int8), matrix, np.array(rows.lower, float), np.array(rows.upper, float),
                       objectives, host_spokes)


def integral_spokes(inst: Instance, model: MatrixModel, values: np.ndarray) -> dict[tuple[str, str], int]:
    """Whole spokes per (hub, host) with the solution's spokes per host and hubs used.

    With S_j and u_h fixed the rows Σ_h y_hj = S_j, min_h·u_h <= Σ_j y_hj <= cap_h·u_h,
    existing <= y_hj <= bound are a bipartite network with whole-number data, so a simplex vertex
    (GLOP) is whole. Among them the one with least supervision minutes is taken (a tie-break
    only; supervision time is not an objective), which makes the result deterministic.
    """
    from ortools.linear_solver import pywraplp

    if not model.host_spokes:
        return {key: int(round(values[c])) for key, c in model.spokes.items() if round(values[c]) > 0}
    at_host = {j: int(round(values[c])) for j, c in model.host_spokes.items()}
    used = {h: int(round(values[c])) for h, c in model.hub_used.items()}
    hubs = {h.hub_id: h for h in inst.hubs}
    pairs = [(h, j) for (h, j) in model.spokes if at_host[j] > 0 and used[h] > 0]
    lp = pywraplp.Solver.CreateSolver("GLOP")
    y = {(h, j): lp.NumVar(inst.existing_spokes.get((h, j), 0), model.upper[model.spokes[(h, j)]], f"y[{h},{j}]")
         for (h, j) in pairs}
    by_host: dict[str, list] = {}
    by_hub: dict[str, list] = {}
    for (h, j), var in y.items():
        by_host.setdefault(j, []).append(var)
        by_hub.setdefault(h, []).append(var)
    for j, count in at_host.items():
        if count > 0:
            lp.Add(lp.Sum(by_host.get(j, [])) == count)
    for h, is_used in used.items():
        if is_used:
            total = lp.Sum(by_hub.get(h, []))
            lp.Add(total <= hubs[h].capacity)
            lp.Add(total >= hubs[h].min_spokes)
    lp.Minimize(lp.Sum([inst.supervision_minutes[pair] * var for pair, var in y.items()]))
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        raise RuntimeError("no whole spokes per hub for the chosen spokes per host; this is a bug")
    result = {}
    for pair, var in y.items():
        value = var.solution_value()
        whole = int(round(value))
        if abs(value - whole) > 1e-6:
            raise RuntimeError(f"spokes {pair} = {value} are not whole; this is a bug")
        if whole > 0:
            result[pair] = whole
    return result


@dataclass(frozen=True)
class MatrixSolution:
    status: str  # OPTIMAL, FEASIBLE (stopped with a solution), INFEASIBLE, NOT_SOLVED (stopped without)
    values: np.ndarray | None
    objective: float
    bound: float


def solve_matrix(model: MatrixModel, objective: np.ndarray, sense: str, seconds: float,
                 holds: list[tuple[np.ndarray, float, float]] = (), *, solver: str = "highs",
                 hint: np.ndarray | None = None) -> MatrixSolution:
    """Optimise `objective` ("max" or "min") subject to the model and extra rows `holds`
    (vector, lower, upper) for at most `seconds`; gap tolerance 0 (OPTIMAL = proven).

    `solver` "highs": scipy.optimize.milp (no warm start; `hint` is ignored). "scip": OR-Tools'
    model_builder, filled from the sparse matrix in one call (no Python-level row building),
    SCIP with a fixed seed, one thread, started from `hint` (a value per column) if given.
    """
    if solver == "scip":
        return _solve_scip(model, objective, sense, seconds, holds, hint)
    constraints = [LinearConstraint(model.matrix, model.row_lower, model.row_upper)]
    for vector, low, high in holds:
        constraints.append(LinearConstraint(vector.reshape(1, -1), [low], [high]))
    sign = -1.0 if sense == "max" else 1.0
    result = milp(sign * objective, constraints=constraints, integrality=model.integrality,
                  bounds=Bounds(model.lower, model.upper),
                  options={"time_limit": max(0.1, seconds), "mip_rel_gap": 0.0, "disp": False})
    if result.status == 2:
        return MatrixSolution("INFEASIBLE", None, float("nan"), float("nan"))
    if result.x is None:
        return MatrixSolution("NOT_SOLVED", None, float("nan"), float("nan"))
    value = sign * float(result.fun)
    bound = getattr(result, "mip_dual_bound", None)
    bound = value if bound is None or not np.isfinite(bound) else sign * float(bound)
    return MatrixSolution("OPTIMAL" if result.status == 0 else "FEASIBLE", result.x, value, bound)


# SCIP as in optimisation.solve.configure_solver: fixed seed, gap 0, so OPTIMAL means proven optimal.
SCIP_PARAMETERS = "randomization/randomseedshift = 0\nlimits/gap = 0\n"


def _solve_scip(model: MatrixModel, objective: np.ndarray, sense: str, seconds: float,
                holds, hint: np.ndarray | None) -> MatrixSolution:
    from ortools.linear_solver.python import model_builder_helper as mbh

    matrix, row_lower, row_upper = model.matrix, model.row_lower, model.row_upper
    if holds:
        matrix = vstack([matrix] + [csr_matrix(vector.reshape(1, -1)) for vector, _, _ in holds], format="csr")
        row_lower = np.concatenate([row_lower, [low for _, low, _ in holds]])
        row_upper = np.concatenate([row_upper, [high for _, _, high in holds]])
    helper = mbh.ModelBuilderHelper()
    helper.fill_model_from_sparse_data(model.lower, model.upper, np.asarray(objective, float), row_lower, row_upper,
                                       matrix)
    for c in np.flatnonzero(model.integrality).tolist():
        helper.set_var_integrality(c, True)
    helper.set_maximize(sense == "max")
    if hint is not None:
        for c, value in enumerate(hint.tolist()):
            helper.add_hint(c, value)
    scip = mbh.ModelSolverHelper("scip")
    scip.set_time_limit_in_seconds(max(0.1, seconds))
    scip.set_solver_specific_parameters(SCIP_PARAMETERS)
    scip.solve(helper)
    status = scip.status()
    if status == mbh.SolveStatus.INFEASIBLE:
        return MatrixSolution("INFEASIBLE", None, float("nan"), float("nan"))
    if status not in (mbh.SolveStatus.OPTIMAL, mbh.SolveStatus.FEASIBLE) or not scip.has_solution():
        return MatrixSolution("NOT_SOLVED", None, float("nan"), float("nan"))
    value = float(scip.objective_value())
    bound = float(scip.best_objective_bound())
    optimal = status == mbh.SolveStatus.OPTIMAL
    return MatrixSolution("OPTIMAL" if optimal else "FEASIBLE", np.array(scip.variable_values()), value,
                          value if optimal or not np.isfinite(bound) else bound)

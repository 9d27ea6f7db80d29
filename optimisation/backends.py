"""The back ends: every solver reads the one formulation (optimisation/formulation.py).

* ``"SCIPY_HIGHS"`` — HiGHS through scipy.optimize.milp, given the rows as one sparse matrix
  (:func:`solve_matrix`, ``solver="highs"``);
* ``"SCIP_MATRIX"`` — SCIP through OR-Tools model_builder, filled from the same sparse matrix in
  one call (:func:`solve_matrix`, ``solver="scip"``);
* any OR-Tools pywraplp back end (``"SCIP"``, ``"CBC"``, ...) — :class:`PywraplpSession` makes one
  variable per column and one constraint per row, in the model's order, and keeps the solver
  across the lexicographic stages (each stage's hold row is added to it).

Measured (benchmarks/README.md): HiGHS on the matrix solves small models fastest, SCIP on the
matrix with integer spokes per host finds better plans on large ones; ``optimisation.solve``
chooses ("AUTO"). The models are the same in every back end, so are their optima
(tests/test_families.py, tests/test_matrix_backend.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import ortools.linear_solver.pywraplp as pywraplp  # not `from ... import`: mypy would look in the typed package
from ortools.linear_solver.python import model_builder_helper as mbh
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix, vstack

from optimisation.formulation import LinearModel

MATRIX_SOLVERS = {"SCIPY_HIGHS": "highs", "SCIP_MATRIX": "scip"}  # back end -> solver of the matrix
# OPTIMAL means proven within this relative gap, the tolerance each stage's value is held with for
# the stages after it (1e-6 x the value). For whole-number objectives below a million (covered
# cases, host fit) that is a proof of the optimum; for travel, weighted by demand scenarios and
# phases into fractions, SCIP took over 500 s to close the last 7e-7 of the robust demo's gap to 0
# once realistic travel times (issue #16) put more hosts in reach, and 15 s to reach 1e-6.
# Every back end uses it: HiGHS's mip_rel_gap, SCIP's limits/gap in both OR-Tools interfaces.
OPTIMALITY_GAP = 1e-6
# SCIP in both OR-Tools interfaces (model_builder in solve_matrix, pywraplp in PywraplpSession):
# a fixed seed, so a solve is deterministic, and the gap above.
SCIP_PARAMETERS = f"randomization/randomseedshift = 0\nlimits/gap = {OPTIMALITY_GAP:g}\n"


@dataclass(frozen=True)
class Solution:
    status: str  # OPTIMAL, FEASIBLE (stopped with a solution), INFEASIBLE, else stopped without one
    values: np.ndarray | None  # one value per column
    objective: float
    bound: float


def solve_matrix(
    model: LinearModel,
    objective: np.ndarray,
    sense: str,
    seconds: float,
    holds: Sequence[tuple[np.ndarray, float, float]] = (),
    *,
    solver: str = "highs",
    hint: np.ndarray | None = None,
) -> Solution:
    """Optimise `objective` ("max" or "min") subject to the model and extra rows `holds`
    (vector, lower, upper) for at most `seconds`; OPTIMAL = proven within OPTIMALITY_GAP.

    `solver` "highs": scipy.optimize.milp (no warm start; `hint` is ignored). "scip": OR-Tools'
    model_builder, filled from the sparse matrix in one call (no Python-level row building),
    SCIP with a fixed seed, one thread, started from `hint` (a value per column) if given.
    """
    if solver == "scip":
        return _solve_scip(model, objective, sense, seconds, holds, hint)
    lower, upper, integrality = model.column_arrays()
    row_lower, row_upper = model.row_arrays()
    constraints = [LinearConstraint(model.matrix(), row_lower, row_upper)]
    for vector, low, high in holds:
        constraints.append(LinearConstraint(vector.reshape(1, -1), [low], [high]))
    sign = -1.0 if sense == "max" else 1.0
    result = milp(
        sign * objective,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(lower, upper),
        options={"time_limit": max(0.1, seconds), "mip_rel_gap": OPTIMALITY_GAP, "disp": False},
    )
    if result.status == 2:
        return Solution("INFEASIBLE", None, float("nan"), float("nan"))
    if result.x is None:
        return Solution("NOT_SOLVED", None, float("nan"), float("nan"))
    value = sign * float(result.fun)
    bound = getattr(result, "mip_dual_bound", None)
    if result.status == 0:
        bound = value
    elif bound is None or not np.isfinite(bound):  # no bound proven yet
        bound = math.inf if sense == "max" else -math.inf
    else:
        bound = sign * float(bound)
    return Solution("OPTIMAL" if result.status == 0 else "FEASIBLE", result.x, value, bound)


def _solve_scip(
    model: LinearModel, objective: np.ndarray, sense: str, seconds: float, holds, hint: np.ndarray | None
) -> Solution:
    lower, upper, integrality = model.column_arrays()
    matrix = model.matrix()
    row_lower, row_upper = model.row_arrays()
    if holds:
        matrix = vstack([matrix] + [csr_matrix(vector.reshape(1, -1)) for vector, _, _ in holds], format="csr")
        row_lower = np.concatenate([row_lower, [low for _, low, _ in holds]])
        row_upper = np.concatenate([row_upper, [high for _, _, high in holds]])
    # Any: OR-Tools' .pyi types these arrays as ndarray[float64, dtype[Any]] (a dtype where the shape
    # goes), which no array matches.
    helper: Any = mbh.ModelBuilderHelper()
    helper.fill_model_from_sparse_data(lower, upper, np.asarray(objective, float), row_lower, row_upper, matrix)
    for c in np.flatnonzero(integrality).tolist():
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
        return Solution("INFEASIBLE", None, float("nan"), float("nan"))
    if status not in (mbh.SolveStatus.OPTIMAL, mbh.SolveStatus.FEASIBLE) or not scip.has_solution():
        return Solution("NOT_SOLVED", None, float("nan"), float("nan"))
    value = float(scip.objective_value())
    bound = float(scip.best_objective_bound())
    optimal = status == mbh.SolveStatus.OPTIMAL
    if optimal:
        bound = value
    elif not np.isfinite(bound) or abs(bound) >= 1e19:  # SCIP's "infinity" (1e20): no bound proven yet
        bound = math.inf if sense == "max" else -math.inf
    return Solution("OPTIMAL" if optimal else "FEASIBLE", np.array(scip.variable_values()), value, bound)


def create_solver(backend: str) -> pywraplp.Solver:
    solver = pywraplp.Solver.CreateSolver(backend)
    if solver is None:
        raise RuntimeError(f"OR-Tools back end {backend!r} is not available in this build")
    return solver


_STATUS_NAMES = {
    pywraplp.Solver.OPTIMAL: "OPTIMAL",
    pywraplp.Solver.FEASIBLE: "FEASIBLE",
    pywraplp.Solver.INFEASIBLE: "INFEASIBLE",
    pywraplp.Solver.UNBOUNDED: "UNBOUNDED",
    pywraplp.Solver.ABNORMAL: "ABNORMAL",
    pywraplp.Solver.NOT_SOLVED: "NOT_SOLVED",
}


class PywraplpSession:
    """The one formulation in an OR-Tools pywraplp solver, kept across solves.

    Column k becomes variable k (its bounds, integrality and name), row r constraint r (its bounds,
    name and terms), so the solver sees the model in the model's order. Objectives, hold rows and
    hints are vectors over the columns, as for the matrix back ends."""

    def __init__(self, model: LinearModel, backend: str) -> None:
        self.backend = backend
        self.status_code: int | None = None
        self.solver = solver = create_solver(backend)
        self.variables = [
            solver.Var(low, high, bool(integer), name)
            for low, high, integer, name in zip(model.lower, model.upper, model.integer, model.column_names())
        ]
        matrix = model.matrix()
        starts, columns, values = matrix.indptr.tolist(), matrix.indices.tolist(), matrix.data.tolist()
        variables = self.variables
        for row, (low, high, name) in enumerate(zip(model.row_lower, model.row_upper, model.row_names())):
            constraint = solver.RowConstraint(low, high, name)
            for k in range(starts[row], starts[row + 1]):
                constraint.SetCoefficient(variables[columns[k]], values[k])

    def configure(self, seconds: float, workers: int) -> None:
        """Time limit and threads of a lexicographic stage (optimisation.solve, optimisation.phased)."""
        self.solver.SetTimeLimit(max(1, int(seconds * 1000)))
        # SCIP as built into OR-Tools solves on one thread; asking it for more changes its search
        # (measured: a different, equally optimal tie on a 2-host scenario), which would break
        # byte-identical plans across worker counts. Other back ends get the threads asked for.
        self.solver.SetNumThreads(1 if self.backend == "SCIP" else workers)
        if self.backend == "SCIP":
            # Deterministic: a fixed seed; OPTIMAL means proven within OPTIMALITY_GAP.
            self.solver.SetSolverSpecificParametersAsString(SCIP_PARAMETERS)

    def set_time_limit(self, seconds: float) -> None:
        """A time limit alone, solver defaults otherwise (feasibility tests, known bounds)."""
        self.solver.SetTimeLimit(max(100, int(seconds * 1000)))

    def stop_within_absolute_gap(self, gap: float) -> None:
        """SCIP: stop once the best bound is within `gap` of the best solution found (limits/absgap),
        solver defaults otherwise (optimisation.robust.final_coverage_bound)."""
        if self.backend != "SCIP":
            raise ValueError(f"an absolute gap is set for SCIP only, not {self.backend}")
        self.solver.SetSolverSpecificParametersAsString(f"limits/absgap = {gap:g}\n")

    def set_objective(self, vector: np.ndarray | None, sense: str) -> None:
        """Optimise Σ vector · columns ("max" or "min"); None: no objective (a feasibility test)."""
        objective = self.solver.Objective()
        objective.Clear()
        if sense == "max":
            objective.SetMaximization()
        else:
            objective.SetMinimization()
        objective.SetOffset(0.0)
        if vector is not None:
            for col in np.flatnonzero(vector).tolist():
                objective.SetCoefficient(self.variables[col], float(vector[col]))

    def add_row(self, vector: np.ndarray, lower: float, upper: float, name: str = "") -> None:
        """lower ≤ Σ vector · columns ≤ upper (a stage's value held for the stages after it)."""
        constraint = self.solver.RowConstraint(lower, upper, name)
        for col in np.flatnonzero(vector).tolist():
            constraint.SetCoefficient(self.variables[col], float(vector[col]))

    def hint(self, values: np.ndarray | Sequence[float], columns: list[int] | None = None) -> None:
        """Start the next solve from `values` (every column, or those of `columns`)."""
        chosen = range(len(self.variables)) if columns is None else columns
        self.solver.SetHint([self.variables[c] for c in chosen], [float(v) for v in values])

    def solve(self) -> str:
        """Solve; the status by name (OPTIMAL, FEASIBLE, INFEASIBLE, NOT_SOLVED, ...). The solver's
        own code stays in `status_code`."""
        self.status_code = self.solver.Solve()
        return _STATUS_NAMES.get(self.status_code, str(self.status_code))

    def feasible(self, seconds: float) -> bool:
        """Is there a solution at all? (No objective; solver defaults; undecided in time counts as no.)"""
        self.set_time_limit(seconds)
        self.set_objective(None, "min")
        return self.solve() in ("OPTIMAL", "FEASIBLE")

    def solution(self, status: str) -> Solution:
        if status not in ("OPTIMAL", "FEASIBLE"):
            return Solution(status, None, float("nan"), float("nan"))
        objective = self.solver.Objective()
        values = np.array([var.solution_value() for var in self.variables])
        return Solution(status, values, objective.Value(), objective.BestBound())

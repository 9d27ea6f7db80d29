"""Property tests: on random instances the solver's plan passes the independent checker, is at
least as good as the greedy plan, and respects its own bound; infeasibility is never claimed when
the greedy heuristic found a valid plan."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from optimisation.checker import check_plan
from optimisation.greedy import greedy_plan
from optimisation.result import Infeasible
from optimisation.solve import solve
from tests.strategies import instances


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_solver_plan_is_valid_and_beats_greedy(inst):
    greedy = greedy_plan(inst)
    if greedy is not None:
        assert check_plan(inst, greedy) == [], "the greedy plan must itself be valid"
    try:
        plan = solve(inst, time_limit=10)
    except Infeasible as error:
        assert greedy is None, f"solver says infeasible ({error.reasons}) but greedy found a valid plan"
        assert error.reasons, "an infeasible result must name the rules in conflict"
        return
    assert check_plan(inst, plan) == []
    assert plan.objective >= (greedy.objective if greedy else 0)
    assert plan.objective <= plan.bound + 1e-6
    if plan.status == "OPTIMAL":
        assert plan.gap == 0.0 and plan.bound == plan.objective
    assert all(isinstance(a.cases, int) and a.cases > 0 for a in plan.assignments)

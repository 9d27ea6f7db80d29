"""The matrix back ends (HiGHS via scipy, SCIP via model_builder) against pywraplp SCIP, all on
the one formulation (optimisation/formulation.py, optimisation/model.py).

Every back end must give the same lexicographic optimum: on hand instances, and on random instances
re-checked by the solver-free checker. The spokes-per-host layout (continuous y, integer S_j) must
give the same optima as integer y, and its whole-spoke extraction must respect hub sizes. "AUTO"
picks by size.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings

import optimisation.solve
from optimisation.backends import PywraplpSession, solve_matrix
from optimisation.checker import check_plan
from optimisation.integral import integral_spokes
from optimisation.model import Layout, build_model, integer_columns
from optimisation.result import Infeasible
from optimisation.solve import MATRIX_BACKEND, MATRIX_SCIP_BACKEND, choose_backend, solve
from tests.instances import AUTH_X, AUTH_Y, area, host, hub, instance, rules_with, two_host_base
from tests.strategies import examples, instances
from tests.test_hand_instances import lexicographic_instance


def _two_hubs():
    """tests/test_hand_instances.py, test_two_hubs_sharing_a_region: optimum 45 with N: P x2, S: C and V."""
    return instance(
        hubs=[hub("N", min_spokes=2, max_spokes=2), hub("S", min_spokes=2, max_spokes=3)],
        hosts=[host("P", "police", max_spokes=2), host("C", "community"), host("V", "voluntary", AUTH_Y)],
        areas=[area("A", 15), area("B", 10), area("D", 8), area("E", 14, AUTH_Y)],
        casework={("P", "A"): 10, ("P", "B"): 20, ("C", "B"): 15, ("C", "D"): 10, ("V", "D"): 30, ("V", "E"): 5},
        supervision={("N", "P"): 20, ("N", "C"): 40, ("S", "C"): 30, ("S", "V"): 25},
    )


def test_same_rows_and_columns_in_every_back_end():
    # pywraplp gets one variable per column and one constraint per row of the one model.
    inst = _two_hubs()
    model = build_model(inst)
    session = PywraplpSession(model.linear, "SCIP")
    assert model.linear.matrix().shape == (session.solver.NumConstraints(), session.solver.NumVariables())
    assert [v.name() for v in session.variables][:5] == ["o[P]", "o[C]", "o[V]", "u[N]", "u[S]"]
    # The reformulation adds one S column and one S = Σ y row per host, and nothing else.
    reformulated = build_model(inst, layout=Layout(spokes_per_host=True)).linear
    hosts = len(model.columns.host_open)
    assert reformulated.matrix().shape == (model.linear.rows + hosts, model.linear.columns + hosts)
    assert reformulated.integer_columns == model.linear.integer_columns - len(inst.supervision_minutes) + hosts
    assert reformulated.rows_of("host_spokes") == list(range(hosts))


def test_hand_instance_by_both_back_ends():
    inst = _two_hubs()
    for backend in ("SCIP", MATRIX_BACKEND, MATRIX_SCIP_BACKEND):
        plan = solve(inst, backend=backend)
        assert check_plan(inst, plan) == [] and plan.backend == backend
        assert (plan.objective, plan.status) == (45, "OPTIMAL")
        assert {(s.hub_id, s.host_id, s.count) for s in plan.spokes} == {("N", "P", 2), ("S", "C", 1), ("S", "V", 1)}


def test_whole_spokes_per_hub_respect_hub_sizes():
    """Host P (2 places) reachable from hubs N (min 2, max 2) and S (min 2, max 2), host Q (2 places)
    only from S. Four spokes: P x2 and Q x2 need S to take both Q places, so N must take both P
    places (S has no room left): the only whole split is N: P x2, S: Q x2."""
    inst = instance(
        hubs=[hub("N", min_spokes=2, max_spokes=2), hub("S", min_spokes=2, max_spokes=2)],
        hosts=[host("P", max_spokes=2), host("Q", max_spokes=2)],
        areas=[area("A", 24), area("B", 24)],
        casework={("P", "A"): 10, ("Q", "B"): 10},
        supervision={("N", "P"): 10, ("S", "P"): 5, ("S", "Q"): 50},
    )
    model = build_model(inst, layout=Layout(spokes_per_host=True))
    for solver in ("highs", "scip"):
        result = solve_matrix(model.linear, model.linear.objectives["coverage"], "max", 10, solver=solver)
        assert result.status == "OPTIMAL" and round(result.objective) == 48
        assert integral_spokes(inst, model, result.values) == {("N", "P"): 2, ("S", "Q"): 2}


def test_lexicographic_values_by_hand_with_highs():
    """tests/test_hand_instances.py, test_lexicographic_values_by_hand: 24 cases, fit 60, travel 360."""
    inst = lexicographic_instance()
    plan = solve(inst, backend=MATRIX_BACKEND)
    assert check_plan(inst, plan) == []
    assert (plan.objective, plan.host_fit, plan.travel_case_minutes) == (24, 60, 360)
    assert all(s.status == "OPTIMAL" for s in plan.stages)


def test_infeasible_is_diagnosed_the_same_way():
    # Required authority Y with no host of Y in reach: both back ends name the same rule.
    spec = two_host_base(supervision={("H", "J1"): 30}, required=(AUTH_Y,))
    reasons = []
    for backend in ("SCIP", MATRIX_BACKEND, MATRIX_SCIP_BACKEND):
        with pytest.raises(Infeasible) as error:
            solve(instance(**spec), backend=backend)
        reasons.append(error.value.reasons)
    assert reasons[0] == reasons[1] == reasons[2] and reasons[0]


def test_auto_picks_by_integer_columns(monkeypatch):
    inst = _two_hubs()  # o and S for 3 hosts + u for 2 hubs = 8 integer columns
    assert integer_columns(inst) == 8 == build_model(inst, layout=Layout(spokes_per_host=True)).linear.integer_columns
    monkeypatch.setattr(optimisation.solve, "HIGHS_MAX_INTEGER_COLUMNS", 8)
    assert choose_backend(inst) == MATRIX_BACKEND
    assert solve(inst, backend="AUTO").backend == MATRIX_BACKEND
    monkeypatch.setattr(optimisation.solve, "HIGHS_MAX_INTEGER_COLUMNS", 7)
    assert choose_backend(inst) == MATRIX_SCIP_BACKEND
    assert solve(inst, backend="AUTO").backend == MATRIX_SCIP_BACKEND


def _values(plan):
    return plan.objective, plan.host_fit, plan.travel_case_minutes


@settings(max_examples=examples(120))
@given(instances())
def test_matrix_back_ends_agree_with_scip_on_random_instances(inst):
    outcomes = []
    for backend in ("SCIP", MATRIX_BACKEND, MATRIX_SCIP_BACKEND):
        try:
            plan = solve(inst, time_limit=10, backend=backend)
        except Infeasible:
            outcomes.append("infeasible")
            continue
        assert check_plan(inst, plan) == [], backend
        outcomes.append(plan)
    if "infeasible" in outcomes:
        assert outcomes == ["infeasible"] * 3
        return
    scip = outcomes[0]
    for other in outcomes[1:]:
        if scip.status == other.status == "OPTIMAL" and all(s.status == "OPTIMAL" for s in scip.stages + other.stages):
            assert _values(scip) == _values(other)
        else:
            assert scip.objective <= other.bound + 1e-6 and other.objective <= scip.bound + 1e-6


@settings(max_examples=examples(80))
@given(instances())
def test_spokes_per_host_gives_the_same_optimum_as_integer_spokes(inst):
    values = []
    for spokes_per_host in (False, True):
        model = build_model(inst, layout=Layout(spokes_per_host=spokes_per_host))
        result = solve_matrix(model.linear, model.linear.objectives["coverage"], "max", 10)
        values.append((result.status, None if result.values is None else round(result.objective)))
        if result.status == "OPTIMAL" and spokes_per_host:
            spokes = integral_spokes(inst, model, result.values)
            at_host = {}
            for (_, j), n in spokes.items():
                at_host[j] = at_host.get(j, 0) + n
            assert at_host == {
                j: round(result.values[c]) for j, c in model.columns.host_spokes.items() if round(result.values[c]) > 0
            }
    assert values[0] == values[1]


def test_matrix_back_ends_are_deterministic_across_worker_counts():
    from dataclasses import replace

    def timeless(plan):
        return replace(plan, solve_seconds=0.0, stages=tuple(replace(s, seconds=0.0) for s in plan.stages))

    inst = _two_hubs()
    for backend in (MATRIX_BACKEND, MATRIX_SCIP_BACKEND):
        one, two = (timeless(solve(inst, backend=backend, workers=w)) for w in (1, 2))
        assert one == two and one.status == "OPTIMAL"


@pytest.mark.parametrize("backend", ["AUTO", "SCIP", "CBC", MATRIX_BACKEND, MATRIX_SCIP_BACKEND])
@pytest.mark.parametrize("presolve", [False, True])
def test_every_hand_test_holds_on_every_back_end(backend, presolve, monkeypatch):
    # tests/test_hand_instances.py has hand-computed optima and runs with the default back end; here
    # they run again on each back end, with and without the presolve. (tests/test_families.py runs
    # every family on every back end itself.)
    import functools

    import tests.test_hand_instances as hand_tests

    monkeypatch.setattr(hand_tests, "solve", functools.partial(solve, backend=backend, presolve=presolve))
    cases = [getattr(hand_tests, name) for name in sorted(dir(hand_tests)) if name.startswith("test_")]
    assert len(cases) >= 3
    for test in cases:
        test()


def test_caseload_minimum_binds_on_pooled_hosts():
    """Hosts J and K (one place each) both reach only A (19 cases); caseload 10-12. Each host alone
    reaches 19 >= 10, so the presolve keeps both, but two spokes would need 20 cases: optimum one
    spoke, 12 cases. With caseload_min 9 two spokes fit: 19."""
    spec = dict(
        hubs=[hub()],
        hosts=[host("J"), host("K")],
        areas=[area("A", 19)],
        casework={("J", "A"): 10, ("K", "A"): 20},
        supervision={("H", "J"): 10, ("H", "K"): 10},
    )
    for backend in ("SCIP", MATRIX_BACKEND, MATRIX_SCIP_BACKEND):
        inst = instance(**spec)
        plan = solve(inst, backend=backend)
        assert check_plan(inst, plan) == [] and (plan.objective, plan.spokes_total) == (12, 1)
        loose = instance(**spec, rules=rules_with(caseload_min=9))
        assert solve(loose, backend=backend).objective == 19


def test_later_stage_finishes_when_highs_stops_with_a_solve_error():
    """Hypothesis found this: hubs H0, H1 (one spoke each), caseload 0-1, A2 (2 cases) reached by
    J0 and J2 in 2 minutes, A7 (1) by J1 in 1; police hosts in a statutory-aim authority, J2 with a
    drop-in. Coverage 2; host fit 5 = J2 (2 + 1 drop-in) and one of J0, J1 (2 each); travel then
    picks J1 (A7, 1 minute) with J2 (A2, 2 minutes): 3, not 4 (J0 and J2). HiGHS stopped on the travel stage
    with "Solve error"; the stage must still be solved (and proven), on every back end."""
    inst = instance(
        hubs=[
            hub("H0", min_spokes=0, max_spokes=1, manager_span=1),
            hub("H1", min_spokes=0, max_spokes=1, manager_span=1),
        ],
        hosts=[host("J0"), host("J1"), host("J2", drop_in=True)],
        areas=[area("A2", 2), area("A7", 1)],
        aims={AUTH_X: "statutory"},
        casework={("J0", "A2"): 2, ("J1", "A7"): 1, ("J2", "A2"): 2},
        supervision={("H0", "J2"): 0, ("H1", "J0"): 0, ("H1", "J1"): 0},
        rules=rules_with(caseload_min=0, caseload_max=1),
    )
    for backend in ("SCIP", MATRIX_BACKEND, MATRIX_SCIP_BACKEND):
        plan = solve(inst, time_limit=10, backend=backend)
        assert check_plan(inst, plan) == []
        assert [s.name for s in plan.stages] == ["coverage", "host_fit", "supervision", "travel"], backend
        assert (plan.objective, plan.host_fit, plan.travel_case_minutes) == (2, 5, 3), backend

"""Exact reductions (optimisation.presolve): what they remove by hand, and the same optima on random
instances with and without them, re-checked by the checker on the original instance."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from optimisation.checker import check_plan
from optimisation.presolve import reduce_instance
from optimisation.result import Infeasible
from optimisation.solve import MATRIX_BACKEND, MATRIX_SCIP_BACKEND, solve
from tests.instances import area, host, hub, instance
from tests.strategies import instances


def test_reductions_by_hand():
    """Caseload 10-12. Host P (3 places) reaches A (25): ⌊25 / 10⌋ = 2 places. Host Q reaches B (9):
    no spoke can reach 10 cases, so Q goes. Hub N (min 2) reaches only Q: it cannot open, so its
    pair goes. Hub M reaches P and Q. Host E has a spoke in post and reaches nothing: kept as is."""
    inst = instance(
        hubs=[hub("M", min_spokes=1, max_spokes=5), hub("N", min_spokes=2, max_spokes=5)],
        hosts=[host("P", max_spokes=3), host("Q", max_spokes=2), host("E", max_spokes=1)],
        areas=[area("A", 25), area("B", 9)],
        casework={("P", "A"): 10, ("Q", "B"): 10},
        supervision={("M", "P"): 10, ("M", "Q"): 10, ("N", "Q"): 10, ("M", "E"): 10},
        existing={("M", "E"): 1},
    )
    reduced = reduce_instance(inst)
    assert {h.host_id: h.max_spokes for h in reduced.hosts} == {"P": 2, "Q": 2, "E": 1}
    assert dict(reduced.supervision_minutes) == {("M", "P"): 10, ("M", "E"): 10}
    assert dict(reduced.casework_minutes) == {("P", "A"): 10}
    # E's spoke in post cannot meet the caseload minimum: still infeasible, diagnosed on the original.
    try:
        solve(inst)
    except Infeasible as error:
        assert error.reasons
    else:
        raise AssertionError("E's spoke in post has no cases: the plan must be infeasible")
    without_e = instance(hubs=inst.hubs, hosts=inst.hosts[:2], areas=inst.areas, casework=dict(inst.casework_minutes),
                         supervision={("M", "P"): 10, ("M", "Q"): 10, ("N", "Q"): 10})
    plan = solve(without_e)
    assert check_plan(without_e, plan) == [] and plan.objective == 24 and plan.status == "OPTIMAL"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_same_optimum_with_and_without_reductions(inst):
    results = []
    for presolve in (False, True):
        for backend in ("SCIP", MATRIX_BACKEND, MATRIX_SCIP_BACKEND):
            try:
                plan = solve(inst, time_limit=10, backend=backend, presolve=presolve)
            except Infeasible:
                results.append("infeasible")
                continue
            assert check_plan(inst, plan) == []
            proven = plan.status == "OPTIMAL" and all(s.status == "OPTIMAL" for s in plan.stages)
            results.append((plan.objective, plan.host_fit, plan.travel_case_minutes) if proven else "unproven")
    proven = [r for r in results if r != "unproven"]
    assert len(set(proven)) <= 1, results

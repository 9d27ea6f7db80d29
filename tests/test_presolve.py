"""Exact reductions (optimisation.presolve): what they remove by hand, and the same optima on random
instances with and without them, re-checked by the checker on the original instance."""

from __future__ import annotations

from hypothesis import given, settings

from optimisation.checker import check_plan
from optimisation.presolve import merge_areas, reduce_instance, split_cases
from optimisation.result import Infeasible
from optimisation.solve import MATRIX_BACKEND, MATRIX_SCIP_BACKEND, MERGE_MIN_SHARE, solve
from tests.instances import area, host, hub, instance
from tests.strategies import examples, instances


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
    without_e = instance(
        hubs=inst.hubs,
        hosts=inst.hosts[:2],
        areas=inst.areas,
        casework=dict(inst.casework_minutes),
        supervision={("M", "P"): 10, ("M", "Q"): 10, ("N", "Q"): 10},
    )
    plan = solve(without_e)
    assert check_plan(without_e, plan) == [] and plan.objective == 24 and plan.status == "OPTIMAL"


def proven_values(inst, settings: list[dict]) -> list:
    """(objective, host fit, travel) of every setting's plan proven optimal in all stages, "infeasible"
    where it raised Infeasible, "unproven" otherwise; every plan re-checked on `inst` by the checker."""
    results = []
    for options in settings:
        try:
            plan = solve(inst, time_limit=10, **options)
        except Infeasible:
            results.append("infeasible")
            continue
        assert check_plan(inst, plan) == []
        proven = plan.status == "OPTIMAL" and all(s.status == "OPTIMAL" for s in plan.stages)
        results.append((plan.objective, plan.host_fit, plan.travel_case_minutes) if proven else "unproven")
    return results


@settings(max_examples=examples(100))
@given(instances())
def test_same_optimum_with_and_without_reductions(inst):
    results = proven_values(
        inst,
        [
            {"backend": backend, "presolve": presolve}
            for presolve in (False, True)
            for backend in ("SCIP", MATRIX_BACKEND, MATRIX_SCIP_BACKEND)
        ],
    )
    proven = [r for r in results if r != "unproven"]
    assert len(set(proven)) <= 1, results


def test_merge_areas_by_hand():
    """A (3) and B (2) reach P and Q; C (4) reaches P only; D has no demand. A and B merge into A
    (demand 5), C stays: 3 of the 5 case columns are left (share 0.4). Cases of the merged A split
    back over A then B: P 4 -> A 3, B 1; Q 1 -> B 1 (A is full)."""
    inst = instance(
        hubs=[hub("M")],
        hosts=[host("P"), host("Q")],
        areas=[area("A", 3), area("B", 2), area("C", 4), area("D", 0)],
        casework={("P", "A"): 5, ("Q", "A"): 5, ("P", "B"): 9, ("Q", "B"): 9, ("P", "C"): 5, ("P", "D"): 5},
        supervision={("M", "P"): 10, ("M", "Q"): 10},
    )
    merged = merge_areas(inst)
    assert merged.members == {"A": ("A", "B"), "C": ("C",)}
    assert {a.area_id: a.demand for a in merged.instance.areas} == {"A": 5, "C": 4}
    assert set(merged.instance.casework_minutes) == {("P", "A"), ("Q", "A"), ("P", "C")}
    assert abs(merged.share - 0.4) < 1e-12
    demand = {a.area_id: a.demand for a in inst.areas}
    assert split_cases(merged, {("A", "P"): 4, ("A", "Q"): 1, ("C", "P"): 4}, demand) == {
        ("A", "P"): 3,
        ("B", "P"): 1,
        ("B", "Q"): 1,
        ("C", "P"): 4,
    }
    # Reduction drops the pair of D (no demand).
    assert ("P", "D") not in reduce_instance(inst).casework_minutes


def merged_optimum_instance():
    """Hosts P and Q (one place each), caseload 10-12. A (7) and B (7) reach both, C (6) only Q.
    Both spokes need 10 cases each: all 20 cases are covered only if the merged A+B (14) splits
    10 to P and 4 to Q. Travel then puts B's cases at Q first (B: P 20, Q 25 minutes, 5 more;
    A: P 10, Q 30, 20 more): 7·10 + 3·20 + 4·25 + 6·5 = 260 case-minutes."""
    return instance(
        hubs=[hub("M")],
        hosts=[host("P"), host("Q")],
        areas=[area("A", 7), area("B", 7), area("C", 6)],
        casework={("P", "A"): 10, ("P", "B"): 20, ("Q", "A"): 30, ("Q", "B"): 25, ("Q", "C"): 5},
        supervision={("M", "P"): 10, ("M", "Q"): 10},
    )


def test_merged_coverage_stage_gives_the_hand_optimum():
    inst = merged_optimum_instance()
    assert merge_areas(reduce_instance(inst)).share >= MERGE_MIN_SHARE  # AUTO merges here
    for backend in (MATRIX_BACKEND, MATRIX_SCIP_BACKEND):
        for merge in (None, True, False):
            plan = solve(inst, time_limit=10, backend=backend, merge=merge)
            assert check_plan(inst, plan) == []
            assert (plan.status, plan.objective, plan.travel_case_minutes) == ("OPTIMAL", 20, 260)
            assert [s.status for s in plan.stages] == ["OPTIMAL"] * 4  # coverage, host_fit, supervision, travel


@settings(max_examples=examples(100))
@given(instances())
def test_same_optimum_with_and_without_merged_areas(inst):
    """The merged coverage stage (then the later stages on the full model) against no merge, on
    both matrix back ends, every plan re-checked by the checker on the original instance."""
    results = proven_values(
        inst,
        [
            {"backend": backend, "merge": merge}
            for merge in (False, True)
            for backend in (MATRIX_BACKEND, MATRIX_SCIP_BACKEND)
        ],
    )
    proven = [r for r in results if r != "unproven"]
    assert len(set(proven)) <= 1, results

"""Decomposition by region (optimisation/regions.py, issue #15 item 2) and the anytime start (item 1).

Hand instance: three regions, each one hub and one host reaching one area (caseload 10-12):
  R1: host J1 (2 spokes at most) reaches A1 (24 cases): 1 spoke covers 12, 2 cover 24;
  R2: host J2 (1 spoke) reaches A2 (11 cases): 1 spoke covers 11;
  R3: host J3 (2 spokes) reaches A3 (20 cases): 1 spoke covers 12, 2 cover 20.
With 3 spokes in all the best split is R1 2 + R3 1 = 36 (R1 2 + R2 1 = 35, one each = 35,
R1 1 + R3 2 = 32, R2 1 + R3 2 = 31). Without a limit: 24 + 11 + 20 = 55 with 5 spokes.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings

from optimisation.checker import check_plan
from optimisation.greedy import greedy_plan
from optimisation.regions import (
    coupled_bound,
    plan,
    region_instances,
    regions,
    solve_by_region,
    solve_in_turn,
)
from optimisation.solve import solve
from tests.instances import area, host, hub, instance, rules_with
from tests.strategies import examples, instances


def three_regions(**rules):
    return instance(
        [hub("H1"), hub("H2"), hub("H3")],
        [host("J1", max_spokes=2), host("J2", max_spokes=1), host("J3", max_spokes=2)],
        [area("A1", 24), area("A2", 11), area("A3", 20)],
        {("J1", "A1"): 10, ("J2", "A2"): 10, ("J3", "A3"): 10},
        {("H1", "J1"): 30, ("H2", "J2"): 30, ("H3", "J3"): 30},
        rules=rules_with(**rules),
    )


def spokes_by_host(result):
    found = {}
    for s in result.spokes:
        found[s.host_id] = found.get(s.host_id, 0) + s.count
    return found


def test_regions_are_the_parts_the_rows_join():
    inst = three_regions(max_spokes=3)
    assert [r.hubs for r in regions(inst)] == [("H1",), ("H2",), ("H3",)]
    assert [r.areas for r in regions(inst)] == [("A1",), ("A2",), ("A3",)]
    # A host reaching two regions' areas joins them.
    joined = replace(inst, casework_minutes={**inst.casework_minutes, ("J1", "A2"): 20})
    assert [r.hubs for r in regions(joined)] == [("H1", "H2"), ("H3",)]


def test_without_binding_limits_each_region_is_solved_once_and_the_plan_is_optimal():
    inst = three_regions(max_spokes=10)
    result = solve_by_region(inst, solve_in_turn, time_limit=30)
    assert result.objective == 55 and result.status == "OPTIMAL" and result.bound == 55
    assert check_plan(inst, result) == []


def test_max_spokes_binding_gives_the_monolithic_optimum():
    inst = three_regions(max_spokes=3)
    result = solve_by_region(inst, solve_in_turn, time_limit=30)
    assert result.objective == 36 == solve(inst, time_limit=30).objective
    assert spokes_by_host(result) == {"J1": 2, "J3": 1}
    assert result.status == "OPTIMAL" and result.bound == 36 and result.gap == 0
    assert check_plan(inst, result) == []


def test_budget_binding_gives_the_monolithic_optimum():
    inst = three_regions(max_spokes=None, budget_per_year=150_000, spoke_cost_per_year=50_000)
    result = solve_by_region(inst, solve_in_turn, time_limit=30)
    assert result.objective == 36 == solve(inst, time_limit=30).objective
    assert result.status == "OPTIMAL" and check_plan(inst, result) == []


def test_the_coupled_bound_is_the_knapsack_over_the_regions_bounds():
    # Levels evaluated at 0, 1, 2 (R1), 0, 1 (R2), 0, 1, 2 (R3) as in the hand instance.
    curves = [{0: 0, 1: 12, 2: 24}, {0: 0, 1: 11}, {0: 0, 1: 12, 2: 20}]
    assert coupled_bound(curves, 3, None, 50_000) == 36
    assert coupled_bound(curves, None, 100_000, 50_000) == 24
    # A missing level is bounded by the next one up (valid, looser).
    assert coupled_bound([{0: 0, 2: 24}, {0: 0, 1: 11}, {0: 0, 1: 12, 2: 20}], 3, None, 1) == 24 + 11 + 12
    assert coupled_bound([{2: 24}, {1: 11}, {2: 20}], 1, None, 1) == 24 + 11 + 20


def test_plan_solves_a_one_region_instance_whole():
    inst = three_regions(max_spokes=3)
    one = region_instances(inst)[0]
    assert plan(one, time_limit=10).spokes == solve(one, time_limit=10).spokes
    assert plan(one, time_limit=10).objective == 24


def test_a_time_limit_of_about_zero_returns_the_greedy_start():
    inst = three_regions(max_spokes=3)
    start = greedy_plan(inst)
    result = solve(inst, time_limit=0.01)
    assert result.start_source == "greedy" and result.start_objective == start.objective
    assert result.objective == start.objective and result.backend.startswith("greedy start")
    assert result.status in ("FEASIBLE", "OPTIMAL") and result.bound >= result.objective
    assert result.stages[0].name == "coverage" and result.stages[1].bound is None
    assert check_plan(inst, result) == []


def test_a_solve_records_its_start_and_is_never_worse():
    inst = three_regions(max_spokes=3)
    result = solve(inst, time_limit=10)
    assert result.start_source == "greedy" and result.objective >= result.start_objective
    assert all(s.gap == 0 for s in result.stages if s.status == "OPTIMAL")


@settings(max_examples=examples(100))
@given(instances())
def test_the_lazy_greedy_start_is_valid_and_not_above_any_bound(inst):
    lazy = greedy_plan(inst, lazy=True)
    if lazy is None:
        return
    assert check_plan(inst, lazy) == []
    assert lazy.objective <= lazy.bound


@settings(max_examples=examples(40), deadline=None)
@given(instances())
def test_solve_by_region_is_valid_and_its_bound_holds(inst):
    try:
        whole = solve(inst, time_limit=10)
    except Exception:
        return
    if len(regions(inst)) < 2:
        return
    try:
        by_region = solve_by_region(inst, solve_in_turn, time_limit=20)
    except Exception as error:  # the master may find no combination only if the whole has none
        raise AssertionError(f"whole solved to {whole.objective} but regions failed: {error}") from error
    assert check_plan(inst, by_region) == []
    assert by_region.objective <= whole.bound + 1e-6
    assert whole.objective <= by_region.bound + 1e-6

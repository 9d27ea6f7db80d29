"""The greedy plan: valid whenever it returns, deterministic, and sensible on hand-sized instances;
its cheap coverage bound is never below what a valid plan covers."""

from __future__ import annotations

from hypothesis import given, settings

from optimisation.checker import check_plan
from optimisation.greedy import coverage_upper_bound, greedy_plan
from optimisation.measures import plan_cost_per_year
from optimisation.result import SpokePlacement
from tests.instances import AUTH_X, AUTH_Y, area, host, hub, instance, rules_with, two_host_base
from tests.strategies import examples, instances


def base(**changes):
    return instance(**two_host_base(**changes))


def valid_greedy(inst):
    plan = greedy_plan(inst)
    assert plan is not None
    assert check_plan(inst, plan) == []
    return plan


def test_reference_instance_reaches_the_hand_optimum():
    plan = valid_greedy(base())
    assert plan.objective == 24
    assert plan.spokes == (SpokePlacement("H", "J1", 1), SpokePlacement("H", "J2", 1))
    assert plan.status == "FEASIBLE" and plan.bound == 24.0 and plan.gap == 0.0
    assert all(isinstance(a.cases, int) for a in plan.assignments)


def test_same_instance_same_plan():
    inst = base(
        areas=[area("A1", 30), area("A2", 7, AUTH_Y)],
        hosts=[host("J1", max_spokes=3), host("J2", authority=AUTH_Y)],
        rules=rules_with(caseload_min=5),
    )
    assert greedy_plan(inst) == greedy_plan(inst)


def test_a_host_that_cannot_reach_caseload_min_gets_no_spoke():
    plan = valid_greedy(base(areas=[area("A1", 12), area("A2", 9, AUTH_Y)]))
    assert plan.spokes == (SpokePlacement("H", "J1", 1),)
    assert plan.objective == 12


def test_caseloads_are_pooled_per_host():
    inst = base(
        hosts=[host("J1", max_spokes=3), host("J2", authority=AUTH_Y)], areas=[area("A1", 33), area("A2", 0, AUTH_Y)]
    )
    plan = valid_greedy(inst)
    assert plan.spokes == (SpokePlacement("H", "J1", 3),)  # 12 + 12 + 9 = 33 >= 3 x 10
    assert plan.objective == 33


def test_another_spoke_at_a_host_only_if_the_host_keeps_caseload_min():
    inst = base(
        hosts=[host("J1", max_spokes=3), host("J2", authority=AUTH_Y)], areas=[area("A1", 29), area("A2", 0, AUTH_Y)]
    )
    plan = valid_greedy(inst)
    assert plan.spokes == (SpokePlacement("H", "J1", 2),)  # a third spoke needs 30 cases at J1
    assert plan.objective == 24


def test_existing_spokes_are_kept_even_if_a_better_spoke_exists():
    inst = base(
        areas=[area("A1", 12), area("A2", 10, AUTH_Y)], rules=rules_with(max_spokes=1), existing={("H", "J2"): 1}
    )
    plan = valid_greedy(inst)
    assert plan.spokes == (SpokePlacement("H", "J2", 1),)
    assert plan.objective == 10


def test_required_authority_is_served_before_bigger_demand_elsewhere():
    inst = base(areas=[area("A1", 12), area("A2", 10, AUTH_Y)], rules=rules_with(max_spokes=1), required=(AUTH_Y,))
    plan = valid_greedy(inst)
    assert plan.spokes == (SpokePlacement("H", "J2", 1),)


def test_unreachable_required_authority_gives_none():
    inst = base(required=(AUTH_Y,), supervision={("H", "J1"): 30})
    assert greedy_plan(inst) is None


def test_a_hub_opens_with_min_spokes_at_once():
    inst = base(hubs=[hub(min_spokes=2)], areas=[area("A1", 12), area("A2", 10, AUTH_Y)])
    plan = valid_greedy(inst)
    assert plan.spokes_total == 2 and plan.objective == 22


def test_a_hub_that_cannot_reach_min_spokes_stays_closed():
    inst = base(hubs=[hub(min_spokes=2)], areas=[area("A1", 12), area("A2", 9, AUTH_Y)])
    plan = valid_greedy(inst)
    assert plan.spokes == () and plan.objective == 0


def test_budget_limits_spokes_and_host_costs():
    rules = rules_with(spoke_cost_per_year=1000.0, budget_per_year=1600.0)
    inst = base(
        hosts=[host("J1", annual_cost=500.0), host("J2", authority=AUTH_Y, annual_cost=700.0)],
        areas=[area("A1", 11), area("A2", 12, AUTH_Y)],
        rules=rules,
    )
    plan = valid_greedy(inst)
    assert plan.spokes == (SpokePlacement("H", "J1", 1),), "J2 covers more but its host cost breaks the budget"
    assert plan_cost_per_year(inst, plan) == 1500.0


def test_no_demand_gives_an_empty_plan():
    plan = valid_greedy(base(areas=[area("A1", 0), area("A2", 0, AUTH_Y)]))
    assert plan.spokes == () and plan.assignments == () and plan.objective == 0 and plan.gap == 0.0


def test_coverage_bound_counts_only_reachable_demand_and_spoke_limits():
    assert coverage_upper_bound(base()) == 24
    assert coverage_upper_bound(base(supervision={("H", "J1"): 30})) == 12  # A2 only reachable from J2
    assert coverage_upper_bound(base(rules=rules_with(max_spokes=1))) == 12
    assert coverage_upper_bound(base(rules=rules_with(spoke_cost_per_year=100.0, budget_per_year=150.0))) == 12
    assert coverage_upper_bound(base(hubs=[hub(min_spokes=3, max_spokes=2)])) == 0  # the hub can never open
    assert (
        coverage_upper_bound(
            base(hosts=[host("J1", max_spokes=1), host("J2", authority=AUTH_X)], areas=[area("A1", 40), area("A2", 0)])
        )
        == 24
    )


@settings(max_examples=examples(300))
@given(instances())
def test_greedy_plan_is_valid_on_random_instances(inst):
    plan = greedy_plan(inst)
    if plan is None:
        return
    assert check_plan(inst, plan) == []
    assert plan.objective <= plan.bound
    assert 0.0 <= plan.gap <= 1.0
    assert greedy_plan(inst) == plan

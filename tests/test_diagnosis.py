"""Infeasible scenarios are explained by the smallest set of conflicting rules, in plain words."""

from __future__ import annotations

import pytest

from optimisation.checker import check_plan
from optimisation.diagnosis import diagnose, structural_problems
from optimisation.result import Infeasible
from optimisation.solve import solve
from tests.instances import AUTH_X, AUTH_Y, area, host, hub, instance, rules_with, two_host_base


def reasons(spec) -> tuple[str, ...]:
    with pytest.raises(Infeasible) as caught:
        solve(instance(**spec))
    return caught.value.reasons


def test_required_authority_against_budget_is_seen_without_a_solver():
    # The only host in X costs £500 a year; the budget is £400: a lower bound, no solve needed.
    spec = two_host_base(
        hosts=[host("J1", annual_cost=500), host("J2", authority=AUTH_Y)],
        rules=rules_with(budget_per_year=400),
        required=(AUTH_X,),
    )
    assert reasons(spec) == (
        "the budget is £400 a year but the plan costs at least £500: £0 for spokes already in post and a spoke "
        f"(£0) at the cheapest reachable host in each required authority not yet served ({AUTH_X} (Authority 1))",
    )


def test_required_authority_against_budget_through_hub_minimum():
    # One spoke in X costs £100 (within £150), but a used hub must run 2 spokes = £200: the
    # deletion filter names all three rules, and the host capacity (not in conflict) is not named.
    spec = two_host_base(
        hubs=[hub(min_spokes=2)], rules=rules_with(spoke_cost_per_year=100, budget_per_year=150), required=(AUTH_X,)
    )
    assert structural_problems(instance(**spec)) == []
    assert reasons(spec) == (
        f"authority {AUTH_X} (Authority 1) is required to host a spoke (its best reachable host has 12 cases of "
        "demand within 45 minutes)",
        "a hub that is used must run at least min_spokes = 2 spokes",
        "the budget is £150 a year (a spoke costs £100, plus each host's annual cost)",
    )


def test_required_authority_against_caseload_minimum():
    spec = two_host_base(areas=[area("A1", 6, AUTH_X), area("A2", 12, AUTH_Y)], required=(AUTH_X,))
    assert reasons(spec) == (
        f"authority {AUTH_X} (Authority 1) is required to host a spoke (its best reachable host has 6 cases of "
        "demand within 45 minutes)",
        "every spoke must carry at least caseload_min = 10 cases at a time",
    )


def test_two_required_authorities_against_max_spokes():
    spec = two_host_base(rules=rules_with(max_spokes=1), required=(AUTH_X, AUTH_Y))
    assert reasons(spec) == (
        "max_spokes is 1 but the plan needs at least 2 spokes: 0 already in post and one in each required "
        f"authority not yet served ({AUTH_X} (Authority 1), {AUTH_Y} (Authority 2))",
    )


def test_required_authority_against_max_spokes_through_hub_minimum():
    # One spoke would serve X within max_spokes = 1, but a used hub must run 2.
    spec = two_host_base(hubs=[hub(min_spokes=2)], rules=rules_with(max_spokes=1), required=(AUTH_X,))
    found = reasons(spec)
    assert found[1:] == (
        "a hub that is used must run at least min_spokes = 2 spokes",
        "at most max_spokes = 1 spokes in the plan",
    )
    assert "required to host a spoke" in found[0]


def test_hub_whose_minimum_exceeds_its_capacity_cannot_keep_existing_spokes():
    inst = instance(**two_host_base(hubs=[hub(min_spokes=6)], existing={("H", "J1"): 1}))
    assert structural_problems(inst) == [
        "hub H has existing spokes but its min_spokes 6 is above the most it can run, 5, so it cannot be used"
    ]


def test_no_demand_gives_an_empty_plan_unless_something_is_required():
    spec = two_host_base(areas=[area("A1", 0, AUTH_X), area("A2", 0, AUTH_Y)])
    inst = instance(**spec)
    plan = solve(inst)
    assert (plan.status, plan.objective, plan.spokes, plan.assignments) == ("OPTIMAL", 0, (), ())
    assert check_plan(inst, plan) == []
    found = reasons({**spec, "required": (AUTH_X,)})  # one spoke would carry 0 < 10 cases
    assert found[1] == "every spoke must carry at least caseload_min = 10 cases at a time"


def test_existing_spokes_against_hub_minimum_free_rules_are_not_blamed():
    # The hub keeps one existing spoke but needs 3 to run; only two hosts exist (1 place each).
    spec = two_host_base(hubs=[hub(min_spokes=3)], existing={("H", "J1"): 1}, rules=rules_with(budget_per_year=10**9))
    found = reasons(spec)
    assert found == (
        "hub H's 1 existing spoke(s) at host J1 must be kept",
        "a hub that is used must run at least min_spokes = 3 spokes",
    )
    assert not any("budget" in r for r in found)  # a rule not in conflict is not named


def test_structural_problems_need_no_solver():
    inst = instance(**two_host_base(existing={("H", "J1"): 2}, rules=rules_with(max_spokes=1)))
    problems = structural_problems(inst)
    assert "host J1 has 2 existing spokes but its max_spokes is 1" in problems
    assert "2 spokes are already in post but max_spokes is 1" in problems


def test_feasible_instance_has_no_diagnosis():
    assert diagnose(instance(**two_host_base())) == []

"""Infeasible scenarios are explained by the smallest set of conflicting rules, in plain words."""

from __future__ import annotations

import pytest

from optimisation.diagnosis import diagnose, structural_problems
from optimisation.instance import Rules
from optimisation.result import Infeasible
from optimisation.solve import solve
from tests.instances import AUTH_X, AUTH_Y, area, host, hub, instance, two_host_base


def reasons(spec) -> tuple[str, ...]:
    with pytest.raises(Infeasible) as caught:
        solve(instance(**spec))
    return caught.value.reasons


def test_required_authority_against_budget():
    spec = two_host_base(hosts=[host("J1", annual_cost=500), host("J2", authority=AUTH_Y)],
                         rules=Rules(budget_per_year=400), required=(AUTH_X,))
    assert reasons(spec) == (
        f"authority {AUTH_X} (Authority 1) is required to host a spoke (its best reachable host has 12 cases of "
        "demand within 45 minutes)",
        "the budget is £400 a year (a spoke costs £0, plus each host's annual cost)",
    )


def test_required_authority_against_caseload_minimum():
    spec = two_host_base(areas=[area("A1", 6, AUTH_X), area("A2", 12, AUTH_Y)], required=(AUTH_X,))
    assert reasons(spec) == (
        f"authority {AUTH_X} (Authority 1) is required to host a spoke (its best reachable host has 6 cases of "
        "demand within 45 minutes)",
        "every spoke must carry at least caseload_min = 10 cases at a time",
    )


def test_two_required_authorities_against_max_spokes():
    spec = two_host_base(rules=Rules(max_spokes=1), required=(AUTH_X, AUTH_Y))
    found = reasons(spec)
    assert len(found) == 3
    assert found[2] == "at most max_spokes = 1 spokes in the plan"
    assert all("required to host a spoke" in r for r in found[:2])


def test_existing_spokes_against_hub_minimum_free_rules_are_not_blamed():
    # The hub keeps one existing spoke but needs 3 to run; only two hosts exist (1 place each).
    spec = two_host_base(hubs=[hub(min_spokes=3)], existing={("H", "J1"): 1}, rules=Rules(budget_per_year=10**9))
    found = reasons(spec)
    assert found == ("hub H's 1 existing spoke(s) at host J1 must be kept",
                     "a hub that is used must run at least min_spokes = 3 spokes")
    assert not any("budget" in r for r in found)  # a rule not in conflict is not named


def test_structural_problems_need_no_solver():
    inst = instance(**two_host_base(existing={("H", "J1"): 2}, rules=Rules(max_spokes=1)))
    problems = structural_problems(inst)
    assert "host J1 has 2 existing spokes but its max_spokes is 1" in problems
    assert "2 spokes are already in post but max_spokes is 1" in problems


def test_feasible_instance_has_no_diagnosis():
    assert diagnose(instance(**two_host_base())) == []

"""The solver-free checker: for every hard rule, a valid plan passes and a minimally broken one is
reported with the rule, the ids and the numbers. Also the shared plan measures (cost, fit, travel)."""

from __future__ import annotations

import dataclasses

import pytest

from optimisation.checker import check_plan
from optimisation.measures import plan_cost_per_year, plan_host_fit, plan_travel, spokes_by_host
from optimisation.result import Assignment, PlanResult, SpokePlacement
from tests.instances import AUTH_X, AUTH_Y, area, host, host_fit_with, hub, instance, rules_with, two_host_base


def make_plan(
    spokes: list[tuple[str, str, int]],
    assignments: list[tuple[str, str, int]],
    objective: int | None = None,
    bound: float | None = None,
) -> PlanResult:
    covered = sum(cases for _, _, cases in assignments)
    objective = covered if objective is None else objective
    bound = float(objective) if bound is None else bound
    return PlanResult(
        status="FEASIBLE",
        objective=objective,
        bound=bound,
        gap=0.0,
        spokes=tuple(SpokePlacement(*s) for s in spokes),
        assignments=tuple(Assignment(*a) for a in assignments),
    )


def base(**changes):
    return instance(**two_host_base(**changes))


BOTH_SPOKES = [("H", "J1", 1), ("H", "J2", 1)]
BOTH_CASES = [("A1", "J1", 12), ("A2", "J2", 12)]


def test_the_reference_plan_is_valid():
    assert check_plan(base(), make_plan(BOTH_SPOKES, BOTH_CASES)) == []


def test_an_empty_plan_is_valid_when_nothing_is_required():
    assert check_plan(base(), make_plan([], [])) == []


@pytest.mark.parametrize(
    "spokes, assignments, expected",
    [
        ([("HX", "J1", 1)], [("A1", "J1", 12)], "spokes: unknown hub HX"),
        ([("H", "JX", 1)], [("A1", "J1", 12)], "spokes: unknown host JX"),
        ([("H", "J1", 1)], [("AX", "J1", 12)], "assignments: unknown area AX"),
        ([("H", "J1", 1)], [("A1", "JX", 12)], "assignments: unknown host JX"),
    ],
)
def test_unknown_ids_are_named(spokes, assignments, expected):
    assert check_plan(base(), make_plan(spokes, assignments)) == [expected]


def test_counts_and_cases_must_be_positive_whole_numbers():
    zero_spokes = check_plan(base(), make_plan([("H", "J1", 0)], []))
    assert zero_spokes == ["spokes: hub H at host J1 has count 0; expected a whole number of at least 1"]
    fractional = check_plan(base(), make_plan([("H", "J1", 1)], [("A1", "J1", 11.5)]))
    assert fractional == ["assignments: area A1 at host J1 has cases 11.5; expected a whole number of at least 1"]
    negative = check_plan(base(), make_plan([("H", "J1", 1)], [("A1", "J1", -1)]))
    assert "has cases -1" in negative[0]


def test_duplicate_keys_are_reported():
    doubled_spoke = check_plan(base(), make_plan([("H", "J1", 1), ("H", "J1", 1)], [("A1", "J1", 12)]))
    assert "spokes: hub H at host J1 is listed twice" in doubled_spoke
    doubled_cases = check_plan(base(), make_plan([("H", "J1", 1)], [("A1", "J1", 6), ("A1", "J1", 6)]))
    assert "assignments: area A1 at host J1 is listed twice" in doubled_cases


def test_spokes_only_within_supervision_reach():
    inst = base(supervision={("H", "J1"): 30})  # J2 is out of the hub's reach
    problems = check_plan(inst, make_plan(BOTH_SPOKES, BOTH_CASES))
    assert problems == ["supervision travel: host J2 is not within hub H's supervision limit of 90 minutes"]


def test_cases_only_within_casework_reach():
    inst = base(casework={("J1", "A1"): 10})  # J2 no longer reaches A2
    problems = check_plan(inst, make_plan(BOTH_SPOKES, BOTH_CASES))
    assert problems == ["casework travel: area A2 is not within 45 minutes of host J2"]


def test_caseload_max_per_host_scales_with_its_spokes():
    inst = base(
        hosts=[host("J1", max_spokes=2), host("J2", authority=AUTH_Y)], areas=[area("A1", 30), area("A2", 12, AUTH_Y)]
    )
    assert check_plan(inst, make_plan([("H", "J1", 2)], [("A1", "J1", 24)])) == []
    problems = check_plan(inst, make_plan([("H", "J1", 2)], [("A1", "J1", 25)]))
    assert problems == ["caseload: host J1: 25 cases for 2 spokes exceeds caseload_max 12 x 2 = 24"]


def test_caseload_min_per_host():
    assert check_plan(base(), make_plan([("H", "J1", 1)], [("A1", "J1", 10)])) == []
    problems = check_plan(base(), make_plan([("H", "J1", 1)], [("A1", "J1", 9)]))
    assert problems == ["caseload: host J1: 9 cases for 1 spokes is below caseload_min 10 x 1 = 10"]


def test_cases_at_a_host_without_spokes():
    problems = check_plan(base(), make_plan([("H", "J1", 1)], [("A1", "J1", 12), ("A2", "J2", 12)]))
    assert problems == ["caseload: host J2: 12 cases for 0 spokes exceeds caseload_max 12 x 0 = 0"]


def test_an_area_gets_no_more_than_its_demand():
    inst = base(areas=[area("A1", 11), area("A2", 12, AUTH_Y)])
    problems = check_plan(inst, make_plan(BOTH_SPOKES, BOTH_CASES))
    assert problems == ["demand: area A1 is assigned 12 cases but its demand is 11"]


def test_demand_is_summed_over_hosts():
    rules = rules_with(caseload_min=5, cross_border="any")  # J2 (Y) serves A1 (X): the rule is not tested here
    inst = base(casework={("J1", "A1"): 10, ("J2", "A1"): 20}, rules=rules)
    assert check_plan(inst, make_plan(BOTH_SPOKES, [("A1", "J1", 6), ("A1", "J2", 6)])) == []
    problems = check_plan(inst, make_plan(BOTH_SPOKES, [("A1", "J1", 7), ("A1", "J2", 6)]))
    assert problems == ["demand: area A1 is assigned 13 cases but its demand is 12"]


def test_a_used_hub_has_at_least_min_spokes():
    inst = base(hubs=[hub(min_spokes=3)])
    problems = check_plan(inst, make_plan(BOTH_SPOKES, BOTH_CASES))
    assert problems == [
        "hub size: hub H has 2 spokes; a used hub needs 3 to 5 (min(max_spokes 5, managers 1 x span 5))"
    ]
    assert check_plan(inst, make_plan([], [])) == [], "an unused hub has no minimum"


@pytest.mark.parametrize(
    "limits, capacity_text",
    [
        (dict(max_spokes=1), "1 to 1 (min(max_spokes 1, managers 1 x span 5))"),
        (dict(managers=1, manager_span=1), "1 to 1 (min(max_spokes 5, managers 1 x span 1))"),
    ],
)
def test_a_hub_has_at_most_its_capacity(limits, capacity_text):
    inst = base(hubs=[hub(**limits)])
    assert check_plan(inst, make_plan([("H", "J1", 1)], [("A1", "J1", 12)])) == []
    problems = check_plan(inst, make_plan(BOTH_SPOKES, BOTH_CASES))
    assert problems == [f"hub size: hub H has 2 spokes; a used hub needs {capacity_text}"]


def test_host_capacity_counts_spokes_from_every_hub():
    inst = base(
        hubs=[hub("H"), hub("G")],
        areas=[area("A1", 24), area("A2", 12, AUTH_Y)],
        supervision={("H", "J1"): 30, ("G", "J1"): 30, ("H", "J2"): 30, ("G", "J2"): 30},
    )
    spokes = [("G", "J1", 1), ("G", "J2", 1), ("H", "J1", 1), ("H", "J2", 1)]
    cases = [("A1", "J1", 24), ("A2", "J2", 12)]
    problems = check_plan(inst, make_plan(spokes, cases))
    assert "host capacity: host J1 has 2 spokes; its max_spokes is 1" in problems
    assert "host capacity: host J2 has 2 spokes; its max_spokes is 1" in problems


def test_budget_counts_spokes_and_each_used_host_once():
    rules = rules_with(spoke_cost_per_year=1000.0, budget_per_year=3000.0)
    hosts = [host("J1", annual_cost=500.0), host("J2", authority=AUTH_Y, annual_cost=500.0)]
    inst = base(hosts=hosts, rules=rules)
    plan = make_plan(BOTH_SPOKES, BOTH_CASES)
    assert plan_cost_per_year(inst, plan) == 3000.0
    assert check_plan(inst, plan) == []
    tight = base(hosts=hosts, rules=dataclasses.replace(rules, budget_per_year=2999.0))
    assert check_plan(tight, plan) == ["budget: the plan costs £3,000 a year, over the budget of £2,999"]


def test_max_spokes_overall():
    inst = base(rules=rules_with(max_spokes=1))
    assert check_plan(inst, make_plan([("H", "J1", 1)], [("A1", "J1", 12)])) == []
    problems = check_plan(inst, make_plan(BOTH_SPOKES, BOTH_CASES))
    assert problems == ["max_spokes: the plan has 2 spokes; at most 1 allowed"]


def test_required_authority_hosts_a_spoke():
    inst = base(required=(AUTH_Y,))
    assert check_plan(inst, make_plan(BOTH_SPOKES, BOTH_CASES)) == []
    problems = check_plan(inst, make_plan([("H", "J1", 1)], [("A1", "J1", 12)]))
    assert problems == [f"required authority: {AUTH_Y} (Authority 2) hosts no spoke"]


def test_a_spoke_serving_an_authority_from_outside_does_not_count_as_hosted_in_it():
    inst = base(
        required=(AUTH_Y,),
        casework={("J1", "A1"): 10, ("J1", "A2"): 10, ("J2", "A2"): 10},
        rules=rules_with(caseload_min=0, cross_border="any"),  # J1 (X) serving A2 (Y) breaks only this rule
    )
    problems = check_plan(inst, make_plan([("H", "J1", 1)], [("A2", "J1", 12)]))
    assert problems == [f"required authority: {AUTH_Y} (Authority 2) hosts no spoke"]


def test_existing_spokes_are_kept():
    inst = base(existing={("H", "J2"): 1})
    assert check_plan(inst, make_plan(BOTH_SPOKES, BOTH_CASES)) == []
    problems = check_plan(inst, make_plan([("H", "J1", 1)], [("A1", "J1", 12)]))
    assert problems == ["existing spokes: hub H has 1 spokes in post at host J2; the plan keeps 0"]


def test_objective_must_equal_the_assigned_cases():
    problems = check_plan(base(), make_plan(BOTH_SPOKES, BOTH_CASES, objective=25, bound=25.0))
    assert problems == ["objective: reported 25 covered cases but the assignments sum to 24"]


def test_bound_must_not_be_below_the_objective():
    assert check_plan(base(), make_plan(BOTH_SPOKES, BOTH_CASES, bound=30.0)) == []
    problems = check_plan(base(), make_plan(BOTH_SPOKES, BOTH_CASES, bound=23.5))
    assert problems == ["bound: proven bound 23.5 is below the objective 24"]


def test_several_violations_are_all_reported():
    inst = base(rules=rules_with(max_spokes=1), required=(AUTH_Y,), areas=[area("A1", 11), area("A2", 12, AUTH_Y)])
    problems = check_plan(inst, make_plan([("H", "J1", 1)], [("A1", "J1", 12)], objective=13))
    assert [p.split(":")[0] for p in problems] == ["demand", "required authority", "objective"]


def test_plan_measures_host_fit_and_travel():
    # J1: police (statutory) in a statutory authority, drop-in: 2 + 1 = 3 per case.
    # J2: outreach in a "both" authority: partial 1 - outreach 2 = -1 per case.
    inst = base(
        hosts=[host("J1", drop_in=True), host("J2", host_type="outreach", authority=AUTH_Y)],
        casework={("J1", "A1"): 10, ("J2", "A2"): 25},
        aims={AUTH_X: "statutory", AUTH_Y: "both"},
        rules=rules_with(host_fit=host_fit_with()),
    )
    plan = make_plan(BOTH_SPOKES, [("A1", "J1", 12), ("A2", "J2", 11)])
    assert check_plan(inst, plan) == []
    assert plan_host_fit(inst, plan) == 3 * 12 - 1 * 11
    assert plan_travel(inst, plan) == 10 * 12 + 25 * 11
    assert spokes_by_host(plan) == {"J1": 1, "J2": 1}
    assert plan_cost_per_year(inst, plan) == 0.0

"""Each constraint family shown binding (it changes the optimum) and violated (checker / infeasible).

The base instance (tests/instances.py two_host_base) has optimum 24: two spokes, 12 cases each.
Every solver result is re-verified by the solver-free checker.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from optimisation.checker import check_plan
from optimisation.instance import Rules
from optimisation.result import Assignment, Infeasible, PlanResult, SpokePlacement
from optimisation.solve import solve
from tests.instances import AUTH_X, AUTH_Y, area, host, hub, instance, two_host_base


def solved(**spec):
    inst = instance(**spec)
    plan = solve(inst, time_limit=20)
    assert check_plan(inst, plan) == []
    return plan


def plan_of(spokes, assignments, objective=None) -> PlanResult:
    assignments = tuple(Assignment(*a) for a in assignments)
    covered = sum(a.cases for a in assignments) if objective is None else objective
    return PlanResult("OPTIMAL", covered, float(covered), 0.0, tuple(SpokePlacement(*s) for s in spokes), assignments)


def test_base_optimum():
    plan = solved(**two_host_base())
    assert (plan.objective, plan.spokes_total, plan.status, plan.gap) == (24, 2, "OPTIMAL", 0.0)


# --- caseload -------------------------------------------------------------------------------

def test_caseload_max_binds():
    # A1 has 20 cases but J1 takes one spoke: at most 12 of them -> 12 + 12
    plan = solved(**two_host_base(areas=[area("A1", 20, AUTH_X), area("A2", 12, AUTH_Y)]))
    assert plan.objective == 24
    loose = solved(**two_host_base(areas=[area("A1", 20, AUTH_X), area("A2", 12, AUTH_Y)],
                                   rules=Rules(caseload_max=20)))
    assert loose.objective == 32


def test_caseload_min_binds():
    # A2 has only 9 cases: a spoke at J2 could not reach the minimum of 10, so A2 goes unserved
    spec = two_host_base(areas=[area("A1", 12, AUTH_X), area("A2", 9, AUTH_Y)])
    assert solved(**spec).objective == 12
    assert solved(**{**spec, "rules": Rules(caseload_min=9)}).objective == 21


def test_caseload_violations_are_reported():
    inst = instance(**two_host_base(areas=[area("A1", 20, AUTH_X), area("A2", 9, AUTH_Y)]))
    over = plan_of([("H", "J1", 1)], [("A1", "J1", 13)])
    assert any("exceeds caseload_max 12 x 1 = 12" in p for p in check_plan(inst, over))
    under = plan_of([("H", "J1", 1), ("H", "J2", 1)], [("A1", "J1", 12), ("A2", "J2", 9)])
    assert any("host J2: 9 cases for 1 spokes is below caseload_min 10" in p for p in check_plan(inst, under))
    no_spoke = plan_of([("H", "J1", 1)], [("A1", "J1", 12), ("A2", "J2", 1)])
    assert any("host J2: 1 cases for 0 spokes exceeds" in p for p in check_plan(inst, no_spoke))


# --- demand ----------------------------------------------------------------------------------

def test_demand_binds_and_is_checked():
    spec = two_host_base(areas=[area("A1", 11, AUTH_X), area("A2", 12, AUTH_Y)])
    assert solved(**spec).objective == 23
    bad = plan_of([("H", "J1", 1)], [("A1", "J1", 12)])
    assert any("area A1 is assigned 12 cases but its demand is 11" in p for p in check_plan(instance(**spec), bad))


# --- casework travel -------------------------------------------------------------------------

def test_casework_travel_binds_and_is_checked():
    spec = two_host_base(casework={("J1", "A1"): 10})  # A2 is out of every host's casework reach
    assert solved(**spec).objective == 12
    bad = plan_of([("H", "J1", 1), ("H", "J2", 1)], [("A1", "J1", 12), ("A2", "J2", 12)])
    assert any("casework travel: area A2 is not within 45 minutes of host J2" in p
               for p in check_plan(instance(**spec), bad))


# --- supervision travel ----------------------------------------------------------------------

def test_supervision_travel_binds_and_is_checked():
    spec = two_host_base(supervision={("H", "J1"): 30})  # J2 is beyond the hub's supervision limit
    assert solved(**spec).objective == 12
    bad = plan_of([("H", "J1", 1), ("H", "J2", 1)], [("A1", "J1", 12), ("A2", "J2", 12)])
    assert any("host J2 is not within hub H's supervision limit of 90 minutes" in p
               for p in check_plan(instance(**spec), bad))


# --- hub size --------------------------------------------------------------------------------

def test_hub_capacity_binds_through_max_and_through_managers():
    assert solved(**two_host_base(hubs=[hub(max_spokes=1)])).objective == 12
    assert solved(**two_host_base(hubs=[hub(managers=1, manager_span=1)])).objective == 12  # min(5, 1x1) = 1


def test_hub_minimum_binds():
    # Hub needs 3 spokes to open but only 2 hosts (1 spoke each) are reachable: it stays unused
    assert solved(**two_host_base(hubs=[hub(min_spokes=3)])).objective == 0
    assert solved(**two_host_base(hubs=[hub(min_spokes=2)])).objective == 24


def test_hub_size_violation_is_reported():
    inst = instance(**two_host_base(hubs=[hub(min_spokes=2)]))
    bad = plan_of([("H", "J1", 1)], [("A1", "J1", 12)])
    assert any("hub size: hub H has 1 spokes; a used hub needs 2 to 5" in p for p in check_plan(inst, bad))


# --- host capacity ---------------------------------------------------------------------------

def test_host_capacity_binds_and_is_checked():
    spec = two_host_base(hosts=[host("J1", max_spokes=1)], casework={("J1", "A1"): 5, ("J1", "A2"): 5},
                         supervision={("H", "J1"): 30})
    assert solved(**spec).objective == 12
    wider = {**spec, "hosts": [host("J1", max_spokes=2)]}
    assert solved(**wider).objective == 24
    bad = plan_of([("H", "J1", 2)], [("A1", "J1", 12), ("A2", "J1", 12)])
    assert any("host capacity: host J1 has 2 spokes; its max_spokes is 1" in p for p in check_plan(instance(**spec), bad))


# --- budget ----------------------------------------------------------------------------------

def test_budget_binds_on_spoke_cost():
    spec = two_host_base(rules=Rules(spoke_cost_per_year=100, budget_per_year=150))
    assert solved(**spec).objective == 12
    assert solved(**{**spec, "rules": Rules(spoke_cost_per_year=100, budget_per_year=200)}).objective == 24


def test_budget_binds_on_host_annual_cost():
    # Both areas are reachable from both hosts; J1 costs 500 a year to use, J2 is free but takes one spoke.
    spec = two_host_base(hosts=[host("J1", annual_cost=500, max_spokes=2), host("J2", authority=AUTH_Y)],
                         casework={("J1", "A1"): 5, ("J1", "A2"): 5, ("J2", "A1"): 5, ("J2", "A2"): 5},
                         rules=Rules(budget_per_year=400))
    plan = solved(**spec)
    assert plan.objective == 12 and {s.host_id for s in plan.spokes} == {"J2"}
    inst = instance(**spec)
    bad = plan_of([("H", "J1", 1)], [("A1", "J1", 12)])
    assert any("budget: the plan costs £500 a year, over the budget of £400" in p for p in check_plan(inst, bad))


# --- max_spokes ------------------------------------------------------------------------------

def test_max_spokes_binds_and_is_checked():
    spec = two_host_base(rules=Rules(max_spokes=1))
    assert solved(**spec).objective == 12
    bad = plan_of([("H", "J1", 1), ("H", "J2", 1)], [("A1", "J1", 12), ("A2", "J2", 12)])
    assert any("max_spokes: the plan has 2 spokes; at most 1 allowed" in p for p in check_plan(instance(**spec), bad))


# --- required authorities --------------------------------------------------------------------

def test_required_authority_binds():
    # One spoke allowed: J2 (authority Y) covers 12, J1 (authority X) only 10. Requiring X costs 2 cases.
    spec = two_host_base(areas=[area("A1", 10, AUTH_X), area("A2", 12, AUTH_Y)], rules=Rules(max_spokes=1))
    assert solved(**spec).objective == 12
    plan = solved(**{**spec, "required": (AUTH_X,)})
    assert plan.objective == 10 and [s.host_id for s in plan.spokes] == ["J1"]
    bad = plan_of([("H", "J2", 1)], [("A2", "J2", 12)])
    assert any(f"required authority: {AUTH_X} (Authority 1) hosts no spoke" in p
               for p in check_plan(instance(**{**spec, "required": (AUTH_X,)}), bad))


def test_required_authority_out_of_reach_is_infeasible():
    spec = two_host_base(supervision={("H", "J2"): 30}, required=(AUTH_X,))
    with pytest.raises(Infeasible) as caught:
        solve(instance(**spec))
    assert caught.value.reasons == (f"authority {AUTH_X} (Authority 1) is required but no host in it is within "
                                    "90 minutes of any hub (the supervision limit)",)


# --- existing spokes -------------------------------------------------------------------------

def test_existing_spokes_bind():
    spec = two_host_base(areas=[area("A1", 10, AUTH_X), area("A2", 12, AUTH_Y)], rules=Rules(max_spokes=1))
    assert solved(**spec).objective == 12
    plan = solved(**{**spec, "existing": {("H", "J1"): 1}})
    assert plan.objective == 10 and plan.spokes == (SpokePlacement("H", "J1", 1),)
    bad = plan_of([("H", "J2", 1)], [("A2", "J2", 12)])
    assert any("existing spokes: hub H has 1 spokes in post at host J1; the plan keeps 0" in p
               for p in check_plan(instance(**{**spec, "existing": {("H", "J1"): 1}}), bad))


def test_existing_spoke_out_of_reach_is_infeasible():
    spec = two_host_base(supervision={("H", "J1"): 30}, existing={("H", "J2"): 1})
    with pytest.raises(Infeasible) as caught:
        solve(instance(**spec))
    assert "hub H has 1 existing spoke(s) at host J2, which is not within its supervision limit of 90 minutes" \
        in caught.value.reasons[0]


# --- host status: locked and banned hosts (issue #18) ----------------------------------------

def test_locked_host_binds_and_is_checked():
    # One spoke allowed: J2 (12 cases) beats J1 (10). Locking J1 costs 2 cases.
    spec = two_host_base(areas=[area("A1", 10, AUTH_X), area("A2", 12, AUTH_Y)], rules=Rules(max_spokes=1))
    assert [s.host_id for s in solved(**spec).spokes] == ["J2"]
    locked = {**spec, "hosts": [host("J1", authority=AUTH_X, status="locked"), host("J2", authority=AUTH_Y)]}
    plan = solved(**locked)
    assert plan.objective == 10 and plan.spokes == (SpokePlacement("H", "J1", 1),)
    bad = plan_of([("H", "J2", 1)], [("A2", "J2", 12)])
    assert check_plan(instance(**locked), bad) == ["host status: host J1 is locked but the plan places no spoke there"]


def test_banned_host_binds_and_is_checked():
    spec = two_host_base()
    banned = {**spec, "hosts": [host("J1", authority=AUTH_X), host("J2", authority=AUTH_Y, status="banned")]}
    inst = instance(**banned)
    assert set(inst.supervision_minutes) == {("H", "J1")}  # the Instance takes a banned host out of reach
    plan = solved(**banned)
    assert plan.objective == 12 and plan.spokes == (SpokePlacement("H", "J1", 1),)
    bad = plan_of([("H", "J1", 1), ("H", "J2", 1)], [("A1", "J1", 12), ("A2", "J2", 12)])
    assert "host status: host J2 is banned but the plan places 1 spoke(s) there" in check_plan(inst, bad)


def test_locked_host_out_of_reach_is_infeasible():
    spec = two_host_base(supervision={("H", "J2"): 30},
                         hosts=[host("J1", authority=AUTH_X, status="locked"), host("J2", authority=AUTH_Y)])
    with pytest.raises(Infeasible) as caught:
        solve(instance(**spec))
    assert caught.value.reasons == ("host J1 (Host J1) is locked but no hub is within 90 minutes of it (the "
                                    "supervision limit), so it cannot have a spoke",)


def test_locked_host_without_enough_demand_is_explained():
    # J1 reaches 9 cases: a spoke there cannot carry caseload_min = 10, so locking it conflicts with the
    # caseload minimum (the presolve drops J1 from reach; the diagnosis runs on the original instance).
    spec = two_host_base(areas=[area("A1", 9, AUTH_X), area("A2", 12, AUTH_Y)],
                         hosts=[host("J1", authority=AUTH_X, status="locked"), host("J2", authority=AUTH_Y)])
    with pytest.raises(Infeasible) as caught:
        solve(instance(**spec))
    assert caught.value.reasons == (
        "host J1 (Host J1) is locked, so it must host at least one spoke (it has 9 cases of demand within 45 "
        "minutes; a spoke needs caseload_min = 10)",
        "every spoke must carry at least caseload_min = 10 cases at a time")


def test_two_locked_hosts_and_one_spoke_conflict():
    spec = two_host_base(rules=Rules(max_spokes=1), hosts=[host("J1", authority=AUTH_X, status="locked"),
                                                           host("J2", authority=AUTH_Y, status="locked")])
    with pytest.raises(Infeasible) as caught:
        solve(instance(**spec))
    assert caught.value.reasons == (
        "host J1 (Host J1) is locked, so it must host at least one spoke (it has 12 cases of demand within 45 "
        "minutes; a spoke needs caseload_min = 10)",
        "host J2 (Host J2) is locked, so it must host at least one spoke (it has 12 cases of demand within 45 "
        "minutes; a spoke needs caseload_min = 10)",
        "at most max_spokes = 1 spokes in the plan")


# --- objective priorities --------------------------------------------------------------------

def test_coverage_is_never_traded_for_host_fit():
    # Authority X is preventative: community host J1 fits it (score 2), police J2 does not (0),
    # but J2's area has 12 cases against J1's 10. One spoke: coverage wins.
    spec = two_host_base(hosts=[host("J1", "community", AUTH_X), host("J2", "police", AUTH_X)],
                         areas=[area("A1", 10, AUTH_X), area("A2", 12, AUTH_X)],
                         rules=Rules(max_spokes=1), aims={AUTH_X: "preventative"})
    plan = solved(**spec)
    assert plan.objective == 12 and [s.host_id for s in plan.spokes] == ["J2"] and plan.host_fit == 0


def test_host_fit_comes_before_travel_and_travel_breaks_ties():
    # Both hosts reach A1 (12 cases). J1 is a community centre 40 minutes away in a preventative
    # authority (fit 2 per case); J2 is police 5 minutes away (fit 0). Fit wins over travel.
    spec = dict(hubs=[hub()], hosts=[host("J1", "community"), host("J2", "police")], areas=[area("A1", 12)],
                casework={("J1", "A1"): 40, ("J2", "A1"): 5}, supervision={("H", "J1"): 10, ("H", "J2"): 10},
                rules=Rules(max_spokes=1), aims={AUTH_X: "preventative"})
    plan = solved(**spec)
    assert [s.host_id for s in plan.spokes] == ["J1"] and plan.host_fit == 24 and plan.travel_case_minutes == 480
    # With equal fit (authority aim "both": 1 per case for either), the nearer host wins.
    plan = solved(**{**spec, "aims": {AUTH_X: "both"}})
    assert [s.host_id for s in plan.spokes] == ["J2"] and plan.travel_case_minutes == 60
    # Travel before fit when the scenario says so.
    plan = solved(**{**spec, "rules": Rules(max_spokes=1, priorities=("coverage", "travel", "host_fit"))})
    assert [s.host_id for s in plan.spokes] == ["J2"]


def test_outreach_is_penalised_and_drop_in_preferred():
    # Same place, same travel; only the host's setting differs.
    base = dict(hubs=[hub()], areas=[area("A1", 12)], casework={("J1", "A1"): 10, ("J2", "A1"): 10},
                supervision={("H", "J1"): 10, ("H", "J2"): 10}, rules=Rules(max_spokes=1))
    outreach = solved(**base, hosts=[host("J1", "outreach"), host("J2", "community")])
    assert [s.host_id for s in outreach.spokes] == ["J2"]
    drop_in = solved(**base, hosts=[host("J1", "community"), host("J2", "community", drop_in=True)])
    assert [s.host_id for s in drop_in.spokes] == ["J2"]


def test_solve_is_deterministic():
    spec = two_host_base(hosts=[host("J1", max_spokes=2), host("J2", authority=AUTH_Y, max_spokes=2)],
                         casework={("J1", "A1"): 5, ("J1", "A2"): 7, ("J2", "A1"): 6, ("J2", "A2"): 5})
    first, second = solve(instance(**spec)), solve(instance(**spec))
    assert replace(first, solve_seconds=0, stages=()) == replace(second, solve_seconds=0, stages=())

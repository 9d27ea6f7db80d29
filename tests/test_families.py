"""Each constraint family, on every back end: shown binding (a hand instance whose optimum changes
because of it) and shown violated (its check_<family> in the solver-free checker names it).

Every test here runs on each back end — AUTO (the default), SCIPY_HIGHS, SCIP_MATRIX and the
pywraplp back ends SCIP and CBC — with and without the presolve: all solve the one formulation
(optimisation/model.py). The base instance (tests/instances.py two_host_base) has optimum 24: two
spokes, 12 cases each. Every solver result is re-verified by the checker.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from optimisation import checker
from optimisation.checker import (
    CHECKS,
    check_banned_host,
    check_budget,
    check_caseload,
    check_casework_travel,
    check_cross_border,
    check_demand,
    check_existing_spokes,
    check_host_capacity,
    check_hub_size,
    check_locked_host,
    check_max_spokes,
    check_plan,
    check_required_authority,
    check_supervision_travel,
    check_team_mix,
)
from optimisation.model import Layout, build_model, rule_groups
from optimisation.result import Assignment, Infeasible, PlanResult, SpokePlacement, TeamPlacement
from tests.instances import AUTH_X, AUTH_Y, area, host, hub, instance, rules_with, team_role, two_host_base


@pytest.fixture
def solve(solve_on_each_backend):
    """solve() on this test's back end, with or without the presolve (tests/conftest.py)."""
    return solve_on_each_backend


@pytest.fixture
def solved(solve):
    def run(**spec):
        inst = instance(**spec)
        plan = solve(inst)
        assert check_plan(inst, plan) == []
        if solve.backend != "AUTO":
            assert plan.backend == solve.backend
        return plan

    return run


def plan_of(spokes, assignments, objective=None, team=()) -> PlanResult:
    assignments = tuple(Assignment(*a) for a in assignments)
    covered = sum(a.cases for a in assignments) if objective is None else objective
    return PlanResult(
        "OPTIMAL",
        covered,
        float(covered),
        0.0,
        tuple(SpokePlacement(*s) for s in spokes),
        assignments,
        team=tuple(team),
    )


def test_base_optimum(solved):
    plan = solved(**two_host_base())
    assert (plan.objective, plan.spokes_total, plan.status, plan.gap) == (24, 2, "OPTIMAL", 0.0)


# --- caseload -------------------------------------------------------------------------------


def test_caseload_max_binds(solved):
    # A1 has 20 cases but J1 takes one spoke: at most 12 of them -> 12 + 12
    plan = solved(**two_host_base(areas=[area("A1", 20, AUTH_X), area("A2", 12, AUTH_Y)]))
    assert plan.objective == 24
    loose = solved(
        **two_host_base(areas=[area("A1", 20, AUTH_X), area("A2", 12, AUTH_Y)], rules=rules_with(caseload_max=20))
    )
    assert loose.objective == 32


def test_caseload_min_binds(solved):
    # A2 has only 9 cases: a spoke at J2 could not reach the minimum of 10, so A2 goes unserved
    spec = two_host_base(areas=[area("A1", 12, AUTH_X), area("A2", 9, AUTH_Y)])
    assert solved(**spec).objective == 12
    assert solved(**{**spec, "rules": rules_with(caseload_min=9)}).objective == 21


def test_caseload_minimum_binds_on_pooled_hosts(solved):
    """Hosts J and K (one place each) both reach only A (19 cases); caseload 10-12. Each host alone
    reaches 19 >= 10 (the presolve keeps both), but two spokes would need 20 cases: one spoke, 12."""
    spec = dict(
        hubs=[hub()],
        hosts=[host("J"), host("K")],
        areas=[area("A", 19)],
        casework={("J", "A"): 10, ("K", "A"): 20},
        supervision={("H", "J"): 10, ("H", "K"): 10},
    )
    plan = solved(**spec)
    assert (plan.objective, plan.spokes_total) == (12, 1)
    assert solved(**spec, rules=rules_with(caseload_min=9)).objective == 19


def test_caseload_violations_are_reported():
    inst = instance(**two_host_base(areas=[area("A1", 20, AUTH_X), area("A2", 9, AUTH_Y)]))
    over = plan_of([("H", "J1", 1)], [("A1", "J1", 13)])
    assert check_caseload(inst, over) == ["caseload: host J1: 13 cases for 1 spokes exceeds caseload_max 12 x 1 = 12"]
    assert any("exceeds caseload_max 12 x 1 = 12" in p for p in check_plan(inst, over))
    under = plan_of([("H", "J1", 1), ("H", "J2", 1)], [("A1", "J1", 12), ("A2", "J2", 9)])
    assert check_caseload(inst, under) == ["caseload: host J2: 9 cases for 1 spokes is below caseload_min 10 x 1 = 10"]
    assert any("host J2: 9 cases for 1 spokes is below caseload_min 10" in p for p in check_plan(inst, under))
    no_spoke = plan_of([("H", "J1", 1)], [("A1", "J1", 12), ("A2", "J2", 1)])
    assert any("host J2: 1 cases for 0 spokes exceeds" in p for p in check_caseload(inst, no_spoke))


# --- demand ----------------------------------------------------------------------------------


def test_demand_binds_and_is_checked(solved):
    spec = two_host_base(areas=[area("A1", 11, AUTH_X), area("A2", 12, AUTH_Y)])
    assert solved(**spec).objective == 23
    bad = plan_of([("H", "J1", 1)], [("A1", "J1", 12)])
    assert check_demand(instance(**spec), bad) == ["demand: area A1 is assigned 12 cases but its demand is 11"]
    assert any("area A1 is assigned 12 cases but its demand is 11" in p for p in check_plan(instance(**spec), bad))


def test_demand_row_binds_across_hosts(solved):
    # A1 (15 cases) is reached by J1 and J2 (one spoke each, 12 most): without the demand row the two
    # spokes could claim 24 of its 15 cases. With it: 15, and each host needs 10 -> only one spoke's 12.
    # J2 (authority Y) serves A1 (X): cross_border any, so the home-authority rule does not bind here.
    spec = two_host_base(
        areas=[area("A1", 15, AUTH_X)],
        casework={("J1", "A1"): 10, ("J2", "A1"): 10},
        rules=rules_with(cross_border="any"),
    )
    plan = solved(**spec)
    assert (plan.objective, plan.spokes_total) == (12, 1)
    assert solved(**{**spec, "areas": [area("A1", 20, AUTH_X)]}).objective == 20
    bad = plan_of([("H", "J1", 1), ("H", "J2", 1)], [("A1", "J1", 10), ("A1", "J2", 10)])
    assert check_demand(instance(**spec), bad) == ["demand: area A1 is assigned 20 cases but its demand is 15"]


# --- casework travel -------------------------------------------------------------------------


def test_casework_travel_binds_and_is_checked(solved):
    spec = two_host_base(casework={("J1", "A1"): 10})  # A2 is out of every host's casework reach
    assert solved(**spec).objective == 12
    bad = plan_of([("H", "J1", 1), ("H", "J2", 1)], [("A1", "J1", 12), ("A2", "J2", 12)])
    assert check_casework_travel(instance(**spec), bad) == [
        "casework travel: area A2 is not within 45 minutes of host J2"
    ]
    assert any(
        "casework travel: area A2 is not within 45 minutes of host J2" in p for p in check_plan(instance(**spec), bad)
    )


# --- supervision travel ----------------------------------------------------------------------


def test_supervision_travel_binds_and_is_checked(solved):
    spec = two_host_base(supervision={("H", "J1"): 30})  # J2 is beyond the hub's supervision limit
    assert solved(**spec).objective == 12
    bad = plan_of([("H", "J1", 1), ("H", "J2", 1)], [("A1", "J1", 12), ("A2", "J2", 12)])
    assert check_supervision_travel(instance(**spec), bad) == [
        "supervision travel: host J2 is not within hub H's supervision limit of 90 minutes"
    ]
    assert any(
        "host J2 is not within hub H's supervision limit of 90 minutes" in p for p in check_plan(instance(**spec), bad)
    )


# --- hub size --------------------------------------------------------------------------------


def test_hub_capacity_binds_through_max_and_through_managers(solved):
    assert solved(**two_host_base(hubs=[hub(max_spokes=1)])).objective == 12
    assert solved(**two_host_base(hubs=[hub(managers=1, manager_span=1)])).objective == 12  # min(5, 1x1) = 1


def test_hub_minimum_binds(solved):
    # Hub needs 3 spokes to open but only 2 hosts (1 spoke each) are reachable: it stays unused
    assert solved(**two_host_base(hubs=[hub(min_spokes=3)])).objective == 0
    assert solved(**two_host_base(hubs=[hub(min_spokes=2)])).objective == 24


def test_hub_size_violation_is_reported():
    inst = instance(**two_host_base(hubs=[hub(min_spokes=2)]))
    bad = plan_of([("H", "J1", 1)], [("A1", "J1", 12)])
    expected = "hub size: hub H has 1 spokes; a used hub needs 2 to 5 (min(max_spokes 5, managers 1 x span 5))"
    assert check_hub_size(inst, bad) == [expected]
    assert any("hub size: hub H has 1 spokes; a used hub needs 2 to 5" in p for p in check_plan(inst, bad))
    too_many = plan_of([("H", "J1", 1), ("H", "J2", 1)], [("A1", "J1", 12), ("A2", "J2", 12)])
    assert check_hub_size(instance(**two_host_base(hubs=[hub(managers=1, manager_span=1)])), too_many) == [
        "hub size: hub H has 2 spokes; a used hub needs 1 to 1 (min(max_spokes 5, managers 1 x span 1))"
    ]


# --- host capacity ---------------------------------------------------------------------------


def test_host_capacity_binds_and_is_checked(solved):
    spec = two_host_base(  # J1 (X) serves A2 (Y): cross_border any, the home-authority rule is not tested here
        hosts=[host("J1", max_spokes=1)],
        casework={("J1", "A1"): 5, ("J1", "A2"): 5},
        supervision={("H", "J1"): 30},
        rules=rules_with(cross_border="any"),
    )
    assert solved(**spec).objective == 12
    wider = {**spec, "hosts": [host("J1", max_spokes=2)]}
    assert solved(**wider).objective == 24
    bad = plan_of([("H", "J1", 2)], [("A1", "J1", 12), ("A2", "J1", 12)])
    assert check_host_capacity(instance(**spec), bad) == ["host capacity: host J1 has 2 spokes; its max_spokes is 1"]
    assert any(
        "host capacity: host J1 has 2 spokes; its max_spokes is 1" in p for p in check_plan(instance(**spec), bad)
    )


# --- linking rows (a tightening, not a rule) -------------------------------------------------


def test_linking_rows_never_change_the_optimum(solve):
    # x <= demand x o is implied by caseload_max with S = 0: the same optima with and without it.
    spec = two_host_base(
        hosts=[host("J1", max_spokes=2), host("J2", authority=AUTH_Y)],
        casework={("J1", "A1"): 5, ("J1", "A2"): 20, ("J2", "A2"): 5},
    )
    inst = instance(**spec)
    with_rows, without = solve(inst), solve(inst, link_rows=False)
    assert check_plan(inst, with_rows) == [] == check_plan(inst, without)
    assert (with_rows.objective, with_rows.travel_case_minutes) == (24, 120)
    assert (without.objective, without.travel_case_minutes) == (24, 120)


# --- budget ----------------------------------------------------------------------------------


def test_budget_binds_on_spoke_cost(solved):
    spec = two_host_base(rules=rules_with(spoke_cost_per_year=100, budget_per_year=150))
    assert solved(**spec).objective == 12
    assert solved(**{**spec, "rules": rules_with(spoke_cost_per_year=100, budget_per_year=200)}).objective == 24


def test_budget_binds_on_host_annual_cost(solved):
    # Both areas are reachable from both hosts; J1 costs 500 a year to use, J2 is free but takes one spoke.
    spec = two_host_base(
        hosts=[host("J1", annual_cost=500, max_spokes=2), host("J2", authority=AUTH_Y)],
        casework={("J1", "A1"): 5, ("J1", "A2"): 5, ("J2", "A1"): 5, ("J2", "A2"): 5},
        rules=rules_with(budget_per_year=400),
    )
    plan = solved(**spec)
    assert plan.objective == 12 and {s.host_id for s in plan.spokes} == {"J2"}
    inst = instance(**spec)
    bad = plan_of([("H", "J1", 1)], [("A1", "J1", 12)])
    assert check_budget(inst, bad) == ["budget: the plan costs £500 a year, over the budget of £400"]
    assert any("budget: the plan costs £500 a year, over the budget of £400" in p for p in check_plan(inst, bad))


# --- max_spokes ------------------------------------------------------------------------------


def test_max_spokes_binds_and_is_checked(solved):
    spec = two_host_base(rules=rules_with(max_spokes=1))
    assert solved(**spec).objective == 12
    bad = plan_of([("H", "J1", 1), ("H", "J2", 1)], [("A1", "J1", 12), ("A2", "J2", 12)])
    assert check_max_spokes(instance(**spec), bad) == ["max_spokes: the plan has 2 spokes; at most 1 allowed"]
    assert any("max_spokes: the plan has 2 spokes; at most 1 allowed" in p for p in check_plan(instance(**spec), bad))


# --- required authorities --------------------------------------------------------------------


def test_required_authority_binds(solved):
    # One spoke allowed: J2 (authority Y) covers 12, J1 (authority X) only 10. Requiring X costs 2 cases.
    spec = two_host_base(areas=[area("A1", 10, AUTH_X), area("A2", 12, AUTH_Y)], rules=rules_with(max_spokes=1))
    assert solved(**spec).objective == 12
    plan = solved(**{**spec, "required": (AUTH_X,)})
    assert plan.objective == 10 and [s.host_id for s in plan.spokes] == ["J1"]
    bad = plan_of([("H", "J2", 1)], [("A2", "J2", 12)])
    required = instance(**{**spec, "required": (AUTH_X,)})
    assert check_required_authority(required, bad) == [f"required authority: {AUTH_X} (Authority 1) hosts no spoke"]
    assert any(f"required authority: {AUTH_X} (Authority 1) hosts no spoke" in p for p in check_plan(required, bad))


def test_required_authority_out_of_reach_is_infeasible(solve):
    spec = two_host_base(supervision={("H", "J2"): 30}, required=(AUTH_X,))
    with pytest.raises(Infeasible) as caught:
        solve(instance(**spec))
    assert caught.value.reasons == (
        f"authority {AUTH_X} (Authority 1) is required but no host in it is within "
        "90 minutes of any hub (the supervision limit)",
    )


# --- existing spokes -------------------------------------------------------------------------


def test_existing_spokes_bind(solved):
    spec = two_host_base(areas=[area("A1", 10, AUTH_X), area("A2", 12, AUTH_Y)], rules=rules_with(max_spokes=1))
    assert solved(**spec).objective == 12
    plan = solved(**{**spec, "existing": {("H", "J1"): 1}})
    assert plan.objective == 10 and plan.spokes == (SpokePlacement("H", "J1", 1),)
    bad = plan_of([("H", "J2", 1)], [("A2", "J2", 12)])
    existing = instance(**{**spec, "existing": {("H", "J1"): 1}})
    assert check_existing_spokes(existing, bad) == [
        "existing spokes: hub H has 1 spokes in post at host J1; the plan keeps 0"
    ]
    assert any(
        "existing spokes: hub H has 1 spokes in post at host J1; the plan keeps 0" in p
        for p in check_plan(existing, bad)
    )


def test_existing_spoke_out_of_reach_is_infeasible(solve):
    spec = two_host_base(supervision={("H", "J1"): 30}, existing={("H", "J2"): 1})
    with pytest.raises(Infeasible) as caught:
        solve(instance(**spec))
    assert (
        "hub H has 1 existing spoke(s) at host J2, which is not within its supervision limit of 90 minutes"
        in caught.value.reasons[0]
    )


# --- team mix (service models) ---------------------------------------------------------------

CLINICIAN = team_role("clinician", "Clinician", per_team=1, workers_per_role=2, cost_per_year=100)


def team_spec(roles=(CLINICIAN,)) -> dict:
    """One hub, host J1 (4 places) reaching A1 (48 cases); caseload 10-12; a spoke costs 100, budget
    500; each hub team needs one clinician (100) per 2 workers. Without roles: 4 spokes (400), 48
    cases. With them: w workers cost 100 w + 100 ceil(w / 2): w = 3 costs 500, w = 4 costs 600 -> 36."""
    return dict(
        hubs=[hub()],
        hosts=[host("J1", max_spokes=4)],
        areas=[area("A1", 48)],
        casework={("J1", "A1"): 10},
        supervision={("H", "J1"): 10},
        rules=rules_with(spoke_cost_per_year=100, budget_per_year=500, team_roles=roles),
    )


def test_team_mix_binds_and_is_checked(solved):
    assert solved(**team_spec(roles=())).objective == 48
    plan = solved(**team_spec())
    assert (plan.objective, plan.spokes_total) == (36, 3)
    assert plan.team == (TeamPlacement("H", "clinician", 2),)
    inst = instance(**team_spec())
    short = plan_of([("H", "J1", 3)], [("A1", "J1", 36)], team=(TeamPlacement("H", "clinician", 1),))
    assert check_team_mix(inst, short) == [
        "team mix: hub H has 3 workers and 1 Clinician; it needs 2 (at least 1 per team and one per 2 workers)"
    ]
    assert check_plan(inst, short) == check_team_mix(inst, short)


# --- host status: locked and banned hosts (hosts.csv status, issue #18) -------------------------


def test_locked_host_binds_and_is_checked(solved):
    # One spoke allowed: J2 (12 cases) beats J1 (10). Locking J1 costs 2 cases.
    spec = two_host_base(areas=[area("A1", 10, AUTH_X), area("A2", 12, AUTH_Y)], rules=rules_with(max_spokes=1))
    assert [s.host_id for s in solved(**spec).spokes] == ["J2"]
    locked = {**spec, "hosts": [host("J1", authority=AUTH_X, status="locked"), host("J2", authority=AUTH_Y)]}
    plan = solved(**locked)
    assert plan.objective == 10 and plan.spokes == (SpokePlacement("H", "J1", 1),)
    bad = plan_of([("H", "J2", 1)], [("A2", "J2", 12)])
    assert check_locked_host(instance(**locked), bad) == [
        "host status: host J1 is locked but the plan places no spoke there"
    ]
    assert check_plan(instance(**locked), bad) == check_locked_host(instance(**locked), bad)


def test_banned_host_binds_and_is_checked(solved):
    # Without the ban both hosts take a spoke (24 cases); banning J2 leaves J1's 12.
    banned = two_host_base(hosts=[host("J1", authority=AUTH_X), host("J2", authority=AUTH_Y, status="banned")])
    inst = instance(**banned)
    assert set(inst.supervision_minutes) == {("H", "J1")}  # the Instance takes a banned host out of reach
    plan = solved(**banned)
    assert plan.objective == 12 and plan.spokes == (SpokePlacement("H", "J1", 1),)
    bad = plan_of([("H", "J1", 1), ("H", "J2", 1)], [("A1", "J1", 12), ("A2", "J2", 12)])
    assert check_banned_host(inst, bad) == ["host status: host J2 is banned but the plan places 1 spoke(s) there"]
    assert "host status: host J2 is banned but the plan places 1 spoke(s) there" in check_plan(inst, bad)


def test_locked_host_out_of_reach_is_infeasible(solve):
    spec = two_host_base(
        supervision={("H", "J2"): 30},
        hosts=[host("J1", authority=AUTH_X, status="locked"), host("J2", authority=AUTH_Y)],
    )
    with pytest.raises(Infeasible) as caught:
        solve(instance(**spec))
    assert caught.value.reasons == (
        "host J1 (Host J1) is locked but no hub is within 90 minutes of it (the "
        "supervision limit), so it cannot have a spoke",
    )


def test_locked_host_without_enough_demand_is_explained(solve):
    # J1 reaches 9 cases: a spoke there cannot carry caseload_min = 10, so locking it conflicts with the
    # caseload minimum (the presolve drops J1 from reach; the diagnosis runs on the original instance).
    spec = two_host_base(
        areas=[area("A1", 9, AUTH_X), area("A2", 12, AUTH_Y)],
        hosts=[host("J1", authority=AUTH_X, status="locked"), host("J2", authority=AUTH_Y)],
    )
    with pytest.raises(Infeasible) as caught:
        solve(instance(**spec))
    assert caught.value.reasons == (
        "host J1 (Host J1) is locked, so it must host at least one spoke (it has 9 cases of demand within 45 "
        "minutes; a spoke needs caseload_min = 10)",
        "every spoke must carry at least caseload_min = 10 cases at a time",
    )


def test_two_locked_hosts_and_one_spoke_conflict(solve):
    spec = two_host_base(
        rules=rules_with(max_spokes=1),
        hosts=[host("J1", authority=AUTH_X, status="locked"), host("J2", authority=AUTH_Y, status="locked")],
    )
    with pytest.raises(Infeasible) as caught:
        solve(instance(**spec))
    assert caught.value.reasons == (
        "host J1 (Host J1) is locked, so it must host at least one spoke (it has 12 cases of demand within 45 "
        "minutes; a spoke needs caseload_min = 10)",
        "host J2 (Host J2) is locked, so it must host at least one spoke (it has 12 cases of demand within 45 "
        "minutes; a spoke needs caseload_min = 10)",
        "at most max_spokes = 1 spokes in the plan",
    )


# --- objective priorities --------------------------------------------------------------------


def test_coverage_is_never_traded_for_host_fit(solved):
    # Authority X is preventative: community host J1 fits it (score 2), police J2 does not (0),
    # but J2's area has 12 cases against J1's 10. One spoke: coverage wins.
    spec = two_host_base(
        hosts=[host("J1", "community", AUTH_X), host("J2", "police", AUTH_X)],
        areas=[area("A1", 10, AUTH_X), area("A2", 12, AUTH_X)],
        rules=rules_with(max_spokes=1),
        aims={AUTH_X: "preventative"},
    )
    plan = solved(**spec)
    assert plan.objective == 12 and [s.host_id for s in plan.spokes] == ["J2"] and plan.host_fit == 0


def test_host_fit_comes_before_travel_and_travel_breaks_ties(solved):
    # Both hosts reach A1 (12 cases). J1 is a community centre 40 minutes away in a preventative
    # authority (fit 2 per case); J2 is police 5 minutes away (fit 0). Fit wins over travel.
    spec = dict(
        hubs=[hub()],
        hosts=[host("J1", "community"), host("J2", "police")],
        areas=[area("A1", 12)],
        casework={("J1", "A1"): 40, ("J2", "A1"): 5},
        supervision={("H", "J1"): 10, ("H", "J2"): 10},
        rules=rules_with(max_spokes=1),
        aims={AUTH_X: "preventative"},
    )
    plan = solved(**spec)
    assert [s.host_id for s in plan.spokes] == ["J1"] and plan.host_fit == 24 and plan.travel_case_minutes == 480
    # With equal fit (authority aim "both": 1 per case for either), the nearer host wins.
    plan = solved(**{**spec, "aims": {AUTH_X: "both"}})
    assert [s.host_id for s in plan.spokes] == ["J2"] and plan.travel_case_minutes == 60
    # Travel before fit when the scenario says so.
    plan = solved(**{**spec, "rules": rules_with(max_spokes=1, priorities=("coverage", "travel", "host_fit"))})
    assert [s.host_id for s in plan.spokes] == ["J2"]


def test_outreach_is_penalised_and_drop_in_preferred(solved):
    # Same place, same travel; only the host's setting differs.
    base = dict(
        hubs=[hub()],
        areas=[area("A1", 12)],
        casework={("J1", "A1"): 10, ("J2", "A1"): 10},
        supervision={("H", "J1"): 10, ("H", "J2"): 10},
        rules=rules_with(max_spokes=1),
    )
    outreach = solved(**base, hosts=[host("J1", "outreach"), host("J2", "community")])
    assert [s.host_id for s in outreach.spokes] == ["J2"]
    drop_in = solved(**base, hosts=[host("J1", "community"), host("J2", "community", drop_in=True)])
    assert [s.host_id for s in drop_in.spokes] == ["J2"]


def test_solve_is_deterministic(solve):
    spec = two_host_base(
        hosts=[host("J1", max_spokes=2), host("J2", authority=AUTH_Y, max_spokes=2)],
        casework={("J1", "A1"): 5, ("J1", "A2"): 7, ("J2", "A1"): 6, ("J2", "A2"): 5},
    )
    first, second = solve(instance(**spec)), solve(instance(**spec))
    assert replace(first, solve_seconds=0, stages=()) == replace(second, solve_seconds=0, stages=())


# --- the families in the model, and their checks ---------------------------------------------

# Each rule family of the model, with the check that names its violations (optimisation/families.py).
FAMILY_CHECKS = {
    "caseload": check_caseload,
    "demand": check_demand,
    "hub_size": check_hub_size,
    "host_capacity": check_host_capacity,
    "budget": check_budget,
    "max_spokes": check_max_spokes,
    "required_authority": check_required_authority,
    "existing_spokes": check_existing_spokes,
    "locked_host": check_locked_host,
    "team_mix": check_team_mix,
}
LAYOUT_FAMILIES = {"host_spokes", "open_host_link"}  # tightening / reformulation rows, not rules


def full_instance():
    """Every family present: a budget, a spoke limit, a required authority, a spoke in post, a locked
    host, a role, and a pair the home-authority rule forbids (police J1 in X and A2 in Y; community J2
    in Y may serve A1 in X)."""
    spec = two_host_base(
        required=(AUTH_Y,),
        existing={("H", "J1"): 1},
        hosts=[host("J1", authority=AUTH_X), host("J2", "community", authority=AUTH_Y, status="locked")],
        casework={("J1", "A1"): 10, ("J2", "A1"): 20, ("J2", "A2"): 10, ("J1", "A2"): 15},
        rules=rules_with(spoke_cost_per_year=100, budget_per_year=1000, max_spokes=2, team_roles=(CLINICIAN,)),
    )
    return instance(**spec)


@pytest.mark.parametrize("spokes_per_host", [False, True])
def test_every_family_has_rows_and_a_check(spokes_per_host):
    inst = full_instance()
    m = build_model(inst, layout=Layout(spokes_per_host=spokes_per_host)).linear
    families = set(m.row_family)
    assert families - LAYOUT_FAMILIES == set(FAMILY_CHECKS)
    assert ("host_spokes" in families) == spokes_per_host and "open_host_link" in families
    assert set(FAMILY_CHECKS.values()) <= set(CHECKS)
    assert {check_supervision_travel, check_casework_travel} <= set(CHECKS)  # travel: in the columns
    assert check_banned_host in CHECKS  # a ban: no columns (the Instance drops the host's pairs)
    assert check_cross_border in CHECKS  # the home-authority rule: no columns (the Instance moves its pairs)
    assert all(
        name.startswith("check_")
        for name in dir(checker)
        if callable(getattr(checker, name))
        and getattr(getattr(checker, name), "__module__", "") == checker.__name__
        and not name.startswith("_")
    )


def test_relaxing_a_rule_group_drops_exactly_its_rows():
    inst = full_instance()
    full = build_model(inst).linear
    groups = rule_groups(inst)
    assert groups == [
        "required:E06000002",
        "existing:H:J1",
        "locked:J2",
        "caseload_min",
        "hub_min",
        "host_capacity",
        "cross_border",
        "budget",
        "max_spokes",
    ]
    for group in groups:
        relaxed = build_model(inst, relax=frozenset({group})).linear
        if group == "cross_border":  # no rows: kept by reach, so relaxed its pair (J1, A2) is back as a column
            assert relaxed.columns == full.columns + 1 and build_model(inst).columns.cases.keys() == {
                ("A1", "J1"),
                ("A1", "J2"),
                ("A2", "J2"),
            }
            continue
        dropped = [r for r, g in enumerate(full.row_group) if g == group]
        assert dropped, group
        assert group not in relaxed.row_group
        if group == "host_capacity":  # its relaxed form keeps "a host with a spoke is open" (S_j <= M o_j)
            assert relaxed.rows == full.rows and relaxed.rows_of("host_capacity") == full.rows_of("host_capacity")
        else:
            assert relaxed.rows == full.rows - len(dropped)

"""The team-mix constraint family (optimisation/team.py): binding, violated, hand-computed, random.

Hand instance (No Wrong Door style): one hub H (1-10 workers), host J1 (up to 8 workers) reaching
area A1 with 48 cases at a time; caseload 4-6 per hub worker at £36,000; each hub team in use needs
1 communications worker (£40,000), 1 clinician per 6 hub workers (at least 1, £58,000) and 1 police
officer per 4 (at least 1, £0: seconded by the police, seed 004).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimisation.checker import check_plan
from optimisation.greedy import greedy_plan
from optimisation.measures import plan_cost_per_year
from optimisation.model import build_model
from optimisation.result import Assignment, Infeasible, PlanResult, SpokePlacement, TeamPlacement
from optimisation.solve import solve
from optimisation.team import minimum_team
from tests.instances import area, host, hub, instance, rules_with, team_role
from tests.strategies import examples, instances

COMMS = team_role("communications_worker", "Communications worker", per_team=1, cost_per_year=40_000)
CLINICIAN = team_role("clinician", "Clinician", per_team=1, workers_per_role=6, cost_per_year=58_000)
POLICE = team_role("police_officer", "Police officer", per_team=1, workers_per_role=4, cost_per_year=0)
ROLES = (COMMS, CLINICIAN, POLICE)


def nwd_instance(budget: float | None, roles=ROLES, demand: int = 48):
    rules = rules_with(
        caseload_min=4,
        caseload_max=6,
        cases_per_spoke_per_year=21,
        spoke_cost_per_year=36_000,
        budget_per_year=budget,
        team_roles=roles,
    )
    return instance(
        [hub("H", min_spokes=1, max_spokes=10, manager_span=10)],
        [host("J1", max_spokes=8)],
        [area("A1", demand)],
        {("J1", "A1"): 10},
        {("H", "J1"): 20},
        rules=rules,
    )


def solved(inst):
    plan = solve(inst, time_limit=20)
    assert check_plan(inst, plan) == []
    return plan


def test_hand_computed_optimum_with_team():
    # Budget £330,000: w workers cost 36,000 w + 40,000 + 58,000 ceil(w / 6).
    # w = 6: 216,000 + 40,000 + 58,000 = 314,000 fits; w = 7: 252,000 + 40,000 + 116,000 = 408,000 does not.
    plan = solved(nwd_instance(330_000))
    assert (plan.status, plan.objective, plan.spokes_total) == ("OPTIMAL", 36, 6)
    assert plan.team == (
        TeamPlacement("H", "clinician", 1),
        TeamPlacement("H", "communications_worker", 1),
        TeamPlacement("H", "police_officer", 2),
    )  # ceil(6 / 4) = 2 officers
    assert plan_cost_per_year(nwd_instance(330_000), plan) == 314_000


def test_team_mix_binds():
    # Without support roles the same budget buys 8 workers (the host's most): all 48 cases.
    assert solved(nwd_instance(330_000, roles=())).objective == 48
    # With them, 36 (above). The ratio row itself binds: at £360,000, one clinician for any team
    # size would allow w = 7 (252,000 + 40,000 + 58,000 = 350,000), covering 42; one per 6 workers
    # makes the 7th worker need a second clinician (408,000), so 36.
    flat = replace(CLINICIAN, workers_per_role=None)
    assert solved(nwd_instance(360_000, roles=(COMMS, flat, POLICE))).objective == 42
    assert solved(nwd_instance(360_000)).objective == 36


def test_team_rows_exist_per_role_and_hub():
    model = build_model(nwd_instance(330_000))
    m, team = model.linear, model.columns.team
    names = sorted(m.row_names()[r] for r in m.rows_of("team_mix"))
    assert "team_ratio[clinician,H]" in names and "team_min[communications_worker,H]" in names
    assert set(team) == {("communications_worker", "H"), ("clinician", "H"), ("police_officer", "H")}
    # the budget row carries the team's costs
    (budget,) = m.rows_of("budget")
    assert m.coefficient(budget, team[("clinician", "H")]) == 58_000
    assert m.coefficient(budget, team[("police_officer", "H")]) == 0


def plan_of(workers: int, team: tuple[TeamPlacement, ...]) -> PlanResult:
    cases = workers * 6
    return PlanResult(
        "OPTIMAL",
        cases,
        float(cases),
        0.0,
        (SpokePlacement("H", "J1", workers),),
        (Assignment("A1", "J1", cases),),
        team=team,
    )


def test_checker_rejects_too_few_clinicians():
    inst = nwd_instance(None)
    good = plan_of(7, minimum_team(inst, (SpokePlacement("H", "J1", 7),)))
    assert check_plan(inst, good) == []
    assert dict((t.role, t.count) for t in good.team) == {
        "clinician": 2,
        "communications_worker": 1,
        "police_officer": 2,
    }
    short = plan_of(
        7,
        (
            TeamPlacement("H", "clinician", 1),
            TeamPlacement("H", "communications_worker", 1),
            TeamPlacement("H", "police_officer", 2),
        ),
    )
    assert check_plan(inst, short) == [
        "team mix: hub H has 7 workers and 1 Clinician; it needs 2 (at least 1 per team and one per 6 workers)"
    ]
    none = plan_of(2, ())
    assert len(check_plan(inst, none)) == 3  # every role missing


def test_checker_rejects_team_without_workers_and_unknown_roles():
    inst = nwd_instance(None)
    plan = PlanResult(
        "OPTIMAL", 0, 0.0, 0.0, (), (), team=(TeamPlacement("H", "clinician", 1), TeamPlacement("H", "chef", 1))
    )
    problems = check_plan(inst, plan)
    assert "team: unknown role 'chef' at hub H" in problems
    assert "team: hub H has 1 Clinician but no workers" in problems


def test_checker_counts_team_cost_in_budget():
    inst = nwd_instance(313_999)
    plan = plan_of(6, minimum_team(inst, (SpokePlacement("H", "J1", 6),)))
    assert check_plan(inst, plan) == ["budget: the plan costs £314,000 a year, over the budget of £313,999"]


def test_no_roles_no_team():
    plan = solved(nwd_instance(None, roles=()))
    assert plan.team == ()


@st.composite
def instances_with_teams(draw):
    inst = draw(instances(max_hubs=3, max_hosts=6, max_areas=8))
    roles = tuple(
        team_role(
            f"r{k}",
            f"Role {k}",
            per_team=draw(st.integers(0, 2)),
            workers_per_role=draw(st.sampled_from([None, 1, 2, 3])),
            cost_per_year=float(draw(st.sampled_from([0, 50, 100]))),
        )
        for k in range(draw(st.integers(1, 3)))
    )
    roles = tuple(r if r.per_team or r.workers_per_role else replace(r, per_team=1) for r in roles)
    return replace(inst, rules=replace(inst.rules, team_roles=roles))


@settings(max_examples=examples(60))
@given(instances_with_teams())
def test_random_instances_with_teams_pass_the_checker(inst):
    greedy = greedy_plan(inst)  # the warm start pays for support roles too
    if greedy is not None:
        assert check_plan(inst, greedy) == []
    try:
        plan = solve(inst, time_limit=10)
    except Infeasible as error:
        assert error.reasons
        assert greedy is None, "solver says infeasible but the greedy plan is valid"
        return
    assert check_plan(inst, plan) == []
    assert plan.team == minimum_team(inst, plan.spokes)
    if greedy is not None:
        assert plan.objective >= greedy.objective


def test_greedy_pays_for_the_team():
    # Hand instance at £330,000: greedy must stop at 6 workers too (the 7th needs a second clinician).
    greedy = greedy_plan(nwd_instance(330_000))
    assert greedy is not None and greedy.spokes_total == 6 and check_plan(nwd_instance(330_000), greedy) == []


def test_infeasible_budget_names_the_team_costs():
    # A required authority forces a worker, but one worker's team alone (£36,000 + £98,000) is over £100,000.
    inst = nwd_instance(100_000)
    inst = replace(
        inst, authorities=tuple(replace(a, required=a.authority_code == "E06000001") for a in inst.authorities)
    )
    with pytest.raises(Infeasible) as caught:
        solve(inst, time_limit=20)
    text = " ".join(caught.value.reasons)
    assert "the budget is £100,000 a year" in text
    assert "support roles (a communications worker £40,000, a clinician £58,000)" in text


def test_every_back_end_has_the_team_family_and_auto_keeps_pywraplp_scip():
    """The team-mix family is part of the one formulation every back end solves: the same hand
    optimum (6 workers, 36 cases, £314,000) on each. AUTO solves a service model with support roles
    with SCIP through pywraplp, as its published plans were made; without roles, a matrix back end."""
    inst = nwd_instance(330_000)
    assert solved(inst).backend == "SCIP"
    assert solve(nwd_instance(330_000, roles=()), time_limit=20).backend in ("SCIPY_HIGHS", "SCIP_MATRIX")
    for backend in ("SCIPY_HIGHS", "SCIP_MATRIX", "SCIP", "CBC"):
        plan = solve(inst, backend=backend, time_limit=20)
        assert check_plan(inst, plan) == [] and plan.backend == backend
        assert (plan.status, plan.objective, plan.spokes_total) == ("OPTIMAL", 36, 6)
        assert plan_cost_per_year(inst, plan) == 314_000

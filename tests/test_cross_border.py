"""The home-authority rule (scenario.yaml cross_border, issue #14 item 3): hand instances with known
optima, the checker, the diagnosis and the classification of every host setting.

The instance of most tests: one hub H; host J1 in authority X; areas A1 (12 cases, X) and A2 (12 cases,
Y); J1 reaches both (10 minutes) and may run two spokes. J1 can carry 12 cases per spoke (caseload
10-12), so with both areas it runs two spokes and covers 24; without A2 one spoke and 12.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from optimisation.checker import check_casework_travel, check_cross_border, check_plan
from optimisation.diagnosis import diagnose
from optimisation.instance import CROSS_BORDER, HOST_TYPE_BORDER, HOST_TYPES
from optimisation.measures import own_authority_fit, plan_host_fit
from optimisation.model import build_model, objective_terms, rule_groups
from optimisation.result import Assignment, Infeasible, PlanResult, SpokePlacement
from optimisation.rules import CrossBorder
from optimisation.solve import solve
from tests.instances import AUTH_X, AUTH_Y, area, host, hub, instance, rules_with


def next_door(host_type: str, cross_border: str, **changes):
    spec = dict(
        hubs=[hub()],
        hosts=[host("J1", host_type, authority=AUTH_X, max_spokes=2)],
        areas=[area("A1", 12, AUTH_X), area("A2", 12, AUTH_Y)],
        casework={("J1", "A1"): 10, ("J1", "A2"): 10},
        supervision={("H", "J1"): 30},
        rules=rules_with(cross_border=cross_border),
    )
    spec.update(changes)
    return instance(**spec)


def plan_of(spokes, assignments) -> PlanResult:
    cases = sum(n for _, _, n in assignments)
    return PlanResult(
        status="OPTIMAL",
        objective=cases,
        bound=float(cases),
        gap=0.0,
        spokes=tuple(SpokePlacement(h, j, n) for h, j, n in spokes),
        assignments=tuple(Assignment(i, j, n) for i, j, n in assignments),
    )


def test_every_host_setting_is_classed_once():
    assert set(HOST_TYPE_BORDER) == set(HOST_TYPES)
    assert set(HOST_TYPE_BORDER.values()) == {"home", "any"}
    assert {t for t, kind in HOST_TYPE_BORDER.items() if kind == "home"} == {"police", "social_care", "multi_agency"}
    assert CROSS_BORDER[0] == "statutory_home"


@pytest.mark.parametrize(
    "host_type, cross_border, covered, spokes",
    [
        # A statutory host next door cannot take the other authority's cases (default) ...
        ("social_care", "statutory_home", 12, 1),
        ("police", "statutory_home", 12, 1),
        ("multi_agency", "statutory_home", 12, 1),
        # ... a community, voluntary or outreach host can ...
        ("community", "statutory_home", 24, 2),
        ("voluntary", "statutory_home", 24, 2),
        ("outreach", "statutory_home", 24, 2),
        # ... under none no host can, under any every host can (the rule before issue #14).
        ("community", "none", 12, 1),
        ("social_care", "any", 24, 2),
    ],
)
@pytest.mark.parametrize("backend", ["SCIPY_HIGHS", "SCIP_MATRIX", "CBC"])
def test_cross_border_binds(host_type, cross_border, covered, spokes, backend):
    inst = next_door(host_type, cross_border)
    plan = solve(inst, time_limit=10, backend=backend)
    assert (plan.objective, plan.spokes_total) == (covered, spokes)
    assert check_plan(inst, plan) == []
    assert (covered == 24) == any(a.area_id == "A2" for a in plan.assignments)


def test_forbidden_pairs_are_out_of_reach_and_come_back_when_relaxed():
    inst = next_door("social_care", "statutory_home")
    assert dict(inst.casework_minutes) == {("J1", "A1"): 10}
    assert dict(inst.cross_border_minutes) == {("J1", "A2"): 10}
    assert "cross_border" in rule_groups(inst)
    lifted = CrossBorder.lifted(inst)
    assert dict(lifted.casework_minutes) == {("J1", "A1"): 10, ("J1", "A2"): 10} and not lifted.cross_border_minutes
    assert "cross_border" not in rule_groups(lifted)
    assert set(build_model(inst, relax=frozenset({"cross_border"})).columns.cases) == {("A1", "J1"), ("A2", "J1")}
    assert set(build_model(inst).columns.cases) == {("A1", "J1")}
    # the same instance with a narrower set of casework pairs (as the presolve builds) keeps the rule
    narrowed = replace(inst, casework_minutes={("J1", "A1"): 10})
    assert dict(narrowed.cross_border_minutes) == {("J1", "A2"): 10}


def test_checker_rejects_a_plan_serving_across_the_border():
    inst = next_door("social_care", "statutory_home")
    bad = plan_of([("H", "J1", 2)], [("A1", "J1", 12), ("A2", "J1", 12)])
    expected = (
        f"cross border: host J1 (social_care, authority {AUTH_X}) serves 12 case(s) of area A2 in authority "
        f"{AUTH_Y}, but cross_border is statutory_home: multi agency, police, social care hosts take cases "
        "only from their own authority's areas"
    )
    assert check_cross_border(inst, bad) == [expected]
    assert check_plan(inst, bad) == [expected]  # within travel reach: not a casework travel problem
    assert check_casework_travel(inst, bad) == []
    # the same plan is valid at a community host, and anywhere under `any`
    assert check_plan(next_door("community", "statutory_home"), bad) == []
    assert check_plan(next_door("social_care", "any"), bad) == []
    none = check_cross_border(next_door("community", "none"), bad)
    assert none == [
        f"cross border: host J1 (community, authority {AUTH_X}) serves 12 case(s) of area A2 in authority "
        f"{AUTH_Y}, but cross_border is none: no host serves another authority's areas"
    ]


def test_diagnosis_names_the_rule_when_a_required_authority_needs_it():
    # Authority Y is required; its only host J2 (police, Y) reaches only A1 (X, 12 cases). Under
    # statutory_home J2 has no case, so its spoke cannot meet caseload_min 10: no plan. The rules in
    # conflict are Y's requirement, the caseload minimum and the home-authority rule.
    inst = instance(
        hubs=[hub()],
        hosts=[host("J1", authority=AUTH_X), host("J2", "police", authority=AUTH_Y)],
        areas=[area("A1", 24, AUTH_X)],
        casework={("J1", "A1"): 10, ("J2", "A1"): 10},
        supervision={("H", "J1"): 30, ("H", "J2"): 30},
        required=(AUTH_Y,),
    )
    with pytest.raises(Infeasible):
        solve(inst, time_limit=10)
    assert set(diagnose(inst, time_limit=30)) == {
        f"authority {AUTH_Y} (Authority 2) is required to host a spoke (its best reachable host has 0 cases of "
        "demand within 45 minutes)",
        "every spoke must carry at least caseload_min = 10 cases at a time",
        "the home-authority rule (cross_border: statutory_home): multi agency, police, social care hosts take "
        "cases only from their own authority's areas, which takes 1 host-area pair within 45 minutes out of reach",
    }
    # a community host in Y would be allowed to serve A1: then a plan exists
    allowed = replace(inst, hosts=(host("J1", authority=AUTH_X), host("J2", "community", authority=AUTH_Y)))
    assert solve(allowed, time_limit=10).objective == 24


def test_diagnosis_names_the_rule_when_existing_spokes_need_it():
    inst = instance(
        hubs=[hub()],
        hosts=[host("J1", "social_care", authority=AUTH_Y)],
        areas=[area("A1", 12, AUTH_X)],
        casework={("J1", "A1"): 10},
        supervision={("H", "J1"): 30},
        existing={("H", "J1"): 1},
    )
    reasons = diagnose(inst, time_limit=30)
    assert "hub H's 1 existing spoke(s) at host J1 must be kept" in reasons
    assert any(r.startswith("the home-authority rule (cross_border: statutory_home)") for r in reasons)


def test_a_bad_cross_border_value_is_exit_2_with_file_line_and_key(tmp_path, capsys):
    from flows.cli import main
    from tests.scenario_files import VALID, write_scenario

    directory = write_scenario(
        tmp_path / "scn", {"scenario.yaml": VALID["scenario.yaml"] + "cross_border: neighbours\n"}
    )
    code = main(["validate", str(directory)])
    captured = capsys.readouterr()
    assert code == 2
    assert (
        f"error: {directory}/scenario.yaml:4: cross_border: expected one of 'statutory_home', 'any' or 'none', "
        "got 'neighbours'" in captured.err
    )
    assert "Traceback" not in captured.err + captured.out
    for setting in CROSS_BORDER:  # every value is accepted
        directory = write_scenario(
            tmp_path / setting, {"scenario.yaml": VALID["scenario.yaml"] + f"cross_border: {setting}\n"}
        )
        assert main(["validate", str(directory)]) == 0


# --- host fit by the young person's authority (issue #14 item 4) --------------------------------


@pytest.mark.parametrize("backend", ["SCIPY_HIGHS", "SCIP_MATRIX", "CBC"])
def test_host_fit_scores_a_case_by_its_own_authoritys_aim(backend):
    # Authority X is statutory, Y preventative. Area A2 (Y, 12 cases) is reached by police J1 and
    # community J2, both in X; one spoke at most (cross_border any, so the police host may serve it).
    # Scored by the host's authority (before #14): J1 matches X (2 a case), J2 does not (0): J1 chosen.
    # Scored by the area's authority: police against a preventative aim is 0, community a match, 2 a
    # case: J2 is chosen, host fit 2 x 12 = 24.
    inst = instance(
        hubs=[hub()],
        hosts=[host("J1", "police", authority=AUTH_X), host("J2", "community", authority=AUTH_X)],
        areas=[area("A2", 12, AUTH_Y)],
        casework={("J1", "A2"): 10, ("J2", "A2"): 10},
        supervision={("H", "J1"): 30, ("H", "J2"): 30},
        aims={AUTH_X: "statutory", AUTH_Y: "preventative"},
        rules=rules_with(cross_border="any", max_spokes=1),
    )
    plan = solve(inst, time_limit=10, backend=backend)
    assert [(s.host_id, s.count) for s in plan.spokes] == [("J2", 1)]
    assert (plan.objective, plan.host_fit) == (12, 24)
    at_police = plan_of([("H", "J1", 1)], [("A2", "J1", 12)])
    assert plan_host_fit(inst, at_police) == 0
    assert own_authority_fit(inst) == {"J1": 2, "J2": 0}  # the report's per-host column: own authority
    # the objective's coefficients are per (area, host) pair
    model = build_model(inst)
    coefficient = dict(zip(model.columns.cases, objective_terms(inst, model.columns)["host_fit"][1]))
    assert coefficient == {("A2", "J1"): 0, ("A2", "J2"): 2}


# --- every solve path sees the same reach ---------------------------------------------------------


@pytest.mark.parametrize(
    "host_type, cross_border, covered",
    [
        ("social_care", "statutory_home", 12),
        ("social_care", "any", 24),
        ("community", "statutory_home", 24),
        ("community", "none", 12),
    ],
)
def test_the_region_split_the_greedy_plan_and_the_programme_model_keep_the_rule(host_type, cross_border, covered):
    from optimisation.greedy import greedy_plan
    from optimisation.phased import solve_programme
    from optimisation.programme import Programme, central_scenario, single_phase
    from optimisation.regions import plan as plan_by_region

    inst = next_door(host_type, cross_border)
    regional = plan_by_region(inst, time_limit=10)
    assert regional.objective == covered and check_plan(inst, regional) == []
    greedy = greedy_plan(inst)
    assert greedy is not None and greedy.objective <= covered and check_plan(inst, greedy) == []
    programme = Programme((single_phase(),), (central_scenario(inst),), robust="worst_case", phased=False)
    result = solve_programme(inst, programme, time_limit=10)
    (period,) = result.periods
    (assignment,) = period.assignments.values()
    assert sum(assignment.values()) == covered
    assert (("A2", "J1") in assignment) == (covered == 24)

"""Issue #14, hub side: one hub per host, supervision travel as a priority (and the re-hub step that
makes every plan's hub assignment supervision-optimal), managers and supervision visits costed.

Each new family on every back end, shown binding on a hand instance with a hand-computed optimum and
shown violated (the checker names it); the re-hub checked against brute force on random instances;
the diagnosis's wording; the bad-input rule for spokes in post of two hubs at one host.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimisation.checker import CHECKS, check_budget, check_one_hub_per_host, check_plan
from optimisation.diagnosis import diagnose
from optimisation.measures import cost_breakdown, longest_supervision_trip, plan_cost_per_year, plan_supervision
from optimisation.model import build_model, rule_groups
from optimisation.rehub import rehub
from optimisation.result import Assignment, Infeasible, PlanResult, SpokePlacement
from optimisation.solve import solve as solve_with
from optimisation.team import minimum_team
from scoping.scenario.settings import ScenarioRules, default_settings
from tests.instances import area, host, hub, instance, rules_with
from tests.scenario_files import VALID, write_scenario
from tests.strategies import examples, instances


@pytest.fixture
def solve(solve_on_each_backend):
    """solve() on this test's back end (tests/conftest.py), its plan checked by the solver-free checker."""

    def run(inst, **options):
        plan = solve_on_each_backend(inst, **options)
        assert check_plan(inst, plan) == []
        return plan

    return run


def plan_of(spokes, assignments) -> PlanResult:
    assignments = tuple(Assignment(*a) for a in assignments)
    covered = sum(a.cases for a in assignments)
    return PlanResult("OPTIMAL", covered, float(covered), 0.0, tuple(SpokePlacement(*s) for s in spokes), assignments)


# ---------------------------------------------------------------------------------------------------
# One hub per host.
# ---------------------------------------------------------------------------------------------------


def shared_host_instance(shared: bool):
    """Hubs H1 and H2 can run one spoke each (max_spokes 1); the only host J takes two; area A has 24
    cases 10 minutes from J. Shared, both hubs place a spoke at J: 2 spokes, 24 cases. One hub per
    host: one hub's single spoke, 12 cases (caseload_max 12)."""
    return instance(
        hubs=[hub("H1", max_spokes=1), hub("H2", max_spokes=1)],
        hosts=[host("J", max_spokes=2)],
        areas=[area("A", 24)],
        casework={("J", "A"): 10},
        supervision={("H1", "J"): 20, ("H2", "J"): 30},
        rules=rules_with(shared_hosts=shared),
    )


def test_one_hub_per_host_binds(solve):
    shared = solve(shared_host_instance(True))
    assert shared.objective == 24 and {s.hub_id for s in shared.spokes} == {"H1", "H2"}
    one = solve(shared_host_instance(False))
    # 12 cases; of the two single-spoke plans the one from H1 (20 minutes, not 30) by the supervision priority.
    assert one.objective == 12
    assert [(s.hub_id, s.host_id, s.count) for s in one.spokes] == [("H1", "J", 1)]
    assert one.supervision_spoke_minutes == 20


def test_one_hub_per_host_violated_is_named_by_the_checker():
    inst = shared_host_instance(False)
    plan = plan_of([("H1", "J", 1), ("H2", "J", 1)], [("A", "J", 24)])
    assert check_one_hub_per_host(inst, plan) == [
        "one hub per host: host J has spokes of 2 hubs (H1, H2); one hub per host unless scenario.yaml sets "
        "shared_hosts: true"
    ]
    assert check_one_hub_per_host in CHECKS and check_plan(inst, plan) == check_one_hub_per_host(inst, plan)
    assert check_plan(shared_host_instance(True), plan) == []


def test_one_hub_rows_only_where_the_rule_can_bind():
    """w columns only at hosts two hubs reach that can take two spokes; none with shared_hosts."""
    model = build_model(shared_host_instance(False)).linear
    assert model.rows_of("one_hub_per_host") and "one_hub_per_host" in rule_groups(shared_host_instance(False))
    assert not build_model(shared_host_instance(True)).linear.rows_of("one_hub_per_host")
    single = instance(
        hubs=[hub("H1"), hub("H2")],
        hosts=[host("J", max_spokes=1)],
        areas=[area("A", 12)],
        casework={("J", "A"): 10},
        supervision={("H1", "J"): 20, ("H2", "J"): 30},
    )
    assert not build_model(single).linear.rows_of("one_hub_per_host")


def test_diagnosis_names_one_hub_per_host():
    """H1 has a spoke in post at J (room for two); H2 must run min_spokes 2 and reaches only J and the
    locked host K (one place): its second spoke would share J with H1. Without one hub per host H2
    places one spoke at K and one at J."""
    inst = instance(
        hubs=[hub("H1", min_spokes=1), hub("H2", min_spokes=2)],
        hosts=[host("J", max_spokes=2), host("K", max_spokes=1, status="locked")],
        areas=[area("A", 40)],
        casework={("J", "A"): 10, ("K", "A"): 10},
        supervision={("H1", "J"): 10, ("H2", "J"): 10, ("H2", "K"): 10},
        existing={("H1", "J"): 1},
        rules=rules_with(caseload_min=0),
    )
    with pytest.raises(Infeasible) as error:
        solve_with(inst, time_limit=20)
    reasons = error.value.reasons
    assert any(r.startswith("each host's spokes must all come from one hub") for r in reasons), reasons
    assert diagnose(replace(inst, rules=replace(inst.rules, shared_hosts=True))) == []


# ---------------------------------------------------------------------------------------------------
# Supervision priority and the re-hub.
# ---------------------------------------------------------------------------------------------------


def criss_cross_instance(priorities: tuple[str, ...]):
    """Hubs H1, H2 (one spoke each, min 1); hosts J1, J2 (one place each) with 12 cases each within
    reach. Supervision: H1-J1 10, H1-J2 50, H2-J1 40, H2-J2 15. Both spokes are needed (24 cases);
    H1-J1 + H2-J2 = 25 spoke-minutes, the criss-cross H1-J2 + H2-J1 = 90."""
    return instance(
        hubs=[hub("H1", max_spokes=1), hub("H2", max_spokes=1)],
        hosts=[host("J1"), host("J2")],
        areas=[area("A1", 12), area("A2", 12)],
        casework={("J1", "A1"): 10, ("J2", "A2"): 10},
        supervision={("H1", "J1"): 10, ("H1", "J2"): 50, ("H2", "J1"): 40, ("H2", "J2"): 15},
        rules=rules_with(priorities=priorities),
    )


@pytest.mark.parametrize(
    "priorities",
    [("coverage", "host_fit", "supervision", "travel"), ("coverage", "travel"), ("coverage", "supervision")],
)
def test_supervision_optimal_whatever_the_priorities(solve, priorities):
    plan = solve(criss_cross_instance(priorities))
    assert plan.objective == 24
    assert sorted((s.hub_id, s.host_id) for s in plan.spokes) == [("H1", "J1"), ("H2", "J2")]
    assert plan.supervision_spoke_minutes == 25
    assert [s.name for s in plan.stages] == list(priorities)


def test_rehub_undoes_a_criss_cross():
    inst = criss_cross_instance(("coverage", "travel"))
    crossed = plan_of([("H1", "J2", 1), ("H2", "J1", 1)], [("A1", "J1", 12), ("A2", "J2", 12)])
    assert check_plan(inst, crossed) == [] and plan_supervision(inst, crossed) == 90
    better = rehub(inst, crossed)
    assert sorted((s.hub_id, s.host_id) for s in better.spokes) == [("H1", "J1"), ("H2", "J2")]
    assert better.supervision_spoke_minutes == 25 and better.assignments == crossed.assignments
    assert longest_supervision_trip(inst, better) == ("H2", "J2", 15)


def test_priorities_are_validated():
    base = default_settings().model_dump()
    assert ScenarioRules.model_validate({**base, "priorities": ["coverage", "supervision"]}).priorities == (
        "coverage",
        "supervision",
    )
    assert default_settings().priorities == ("coverage", "host_fit", "supervision", "travel")
    for bad in (["supervision", "coverage"], ["coverage", "supervision", "supervision"], ["coverage", "walking"]):
        with pytest.raises(ValueError):
            ScenarioRules.model_validate({**base, "priorities": bad})


def reassignments(inst, plan) -> list[PlanResult]:
    """Every valid plan with `plan`'s cases and spokes per host, each host's spokes one of the plan's
    hubs (all of them kept in use): brute force over the hub choice per host, judged by check_plan."""
    at_host: dict[str, int] = {}
    for s in plan.spokes:
        at_host[s.host_id] = at_host.get(s.host_id, 0) + s.count
    hubs = sorted({s.hub_id for s in plan.spokes})
    hosts = sorted(at_host)
    options = [[h for h in hubs if (h, j) in inst.supervision_minutes] for j in hosts]
    valid = []
    for choice in itertools.product(*options):
        spokes = tuple(sorted(SpokePlacement(h, j, at_host[j]) for h, j in zip(choice, hosts)))
        if {s.hub_id for s in spokes} != set(hubs):
            continue  # the plan's hubs stay in use
        spoke_map = {(s.hub_id, s.host_id): s.count for s in spokes}
        candidate = replace(plan, spokes=spokes, team=minimum_team(inst, spoke_map))
        if check_plan(inst, candidate) == []:
            valid.append(candidate)
    return valid


@st.composite
def supervised_everywhere(draw):
    """Random instances where every hub reaches every host (random minutes), so a plan's hosts can
    usually be reassigned among its hubs: 2-3 hubs (min 0-1, max 1-3 spokes), 2-4 hosts (1-2 places),
    one area of 10-24 cases per host in its reach, random budgets with manager and visit costs."""
    n_hubs, n_hosts = draw(st.integers(2, 3)), draw(st.integers(2, 4))
    hubs = []
    for k in range(n_hubs):
        most = draw(st.integers(1, 3))
        base = hub(f"H{k}", min_spokes=draw(st.integers(0, 1)), max_spokes=most, manager_span=draw(st.integers(1, 3)))
        hubs.append(replace(base, manager_cost_per_year=float(draw(st.sampled_from([0, 0, 50])))))
    hosts = [host(f"J{j}", max_spokes=draw(st.integers(1, 2))) for j in range(n_hosts)]
    areas = [area(f"A{j}", draw(st.integers(10, 24))) for j in range(n_hosts)]
    return instance(
        hubs=hubs,
        hosts=hosts,
        areas=areas,
        casework={(f"J{j}", f"A{j}"): 10 for j in range(n_hosts)},
        supervision={(h.hub_id, j.host_id): draw(st.integers(0, 90)) for h in hubs for j in hosts},
        rules=rules_with(
            spoke_cost_per_year=100.0,
            budget_per_year=draw(st.sampled_from([None, 400.0, 800.0])),
            staff_cost_per_minute=float(draw(st.sampled_from([0, 0.1]))),
        ),
    )


@settings(max_examples=examples(60))
@given(
    st.one_of(
        instances(max_hubs=3, max_hosts=4, max_areas=4, max_hub_spokes=3, max_host_spokes=2), supervised_everywhere()
    ),
    st.sampled_from([("coverage", "host_fit", "supervision", "travel"), ("coverage", "host_fit", "travel")]),
)
def test_plans_are_supervision_optimal_for_their_spokes_per_host(inst, priorities):
    """Property (issue #14): no reassignment of a plan's hosts to its hubs (one hub per host) has
    fewer spoke-minutes, whether supervision is a priority or not (the re-hub step). Brute force
    over every hub choice per host, on random instances."""
    inst = replace(inst, rules=replace(inst.rules, priorities=priorities))
    if inst.rules.shared_hosts:
        inst = replace(inst, rules=replace(inst.rules, shared_hosts=False))
        if any(
            len({h for (h, j2) in inst.existing_spokes if j2 == j}) > 1 for (_, j) in inst.existing_spokes
        ):  # scoping would refuse it
            return
    try:
        plan = solve_with(inst, time_limit=10)
    except Infeasible:
        return
    assert check_plan(inst, plan) == []
    assert plan.supervision_spoke_minutes == plan_supervision(inst, plan)
    others = reassignments(inst, plan)
    best = min((plan_supervision(inst, p) for p in others), default=plan.supervision_spoke_minutes)
    assert plan.supervision_spoke_minutes <= best
    if others:  # the re-hub itself, from the worst valid assignment: it finds the best
        worst = max(others, key=lambda p: plan_supervision(inst, p))
        rehubbed = rehub(inst, worst)
        assert check_plan(inst, rehubbed) == [] and rehubbed.assignments == worst.assignments
        assert plan_supervision(inst, rehubbed) == best


# ---------------------------------------------------------------------------------------------------
# Managers and supervision visits in the cost and the budget.
# ---------------------------------------------------------------------------------------------------


def managed_instance(budget: float | None, manager_cost: float):
    """One hub (max 4 spokes, manager_span 2, managers 2) at 0 minutes from hosts J1..J4 (one place
    each), each with its own area of 12 cases. Spoke £100, managers £manager_cost each.
    Budget 500 with managers at £100: 3 spokes cost 300 + 2 managers 200 = 500; 4 spokes 400 + 200 =
    600 > 500; so 3 spokes, 36 cases (without manager costs 4 spokes fit: 48)."""
    hosts = [host(f"J{k}") for k in range(1, 5)]
    base = hub("H", max_spokes=4, managers=2, manager_span=2)
    return instance(
        hubs=[replace(base, manager_cost_per_year=manager_cost)],
        hosts=hosts,
        areas=[area(f"A{k}", 12) for k in range(1, 5)],
        casework={(f"J{k}", f"A{k}"): 10 for k in range(1, 5)},
        supervision={("H", f"J{k}"): 0 for k in range(1, 5)},
        rules=rules_with(spoke_cost_per_year=100.0, budget_per_year=budget),
    )


def test_managers_bind_the_budget(solve):
    assert solve(managed_instance(500.0, 0.0)).objective == 48
    plan = solve(managed_instance(500.0, 100.0))
    assert plan.objective == 36 and plan.spokes_total == 3
    assert cost_breakdown(managed_instance(500.0, 100.0), plan) == {
        "spokes": 300.0,
        "hosts": 0.0,
        "managers": 200.0,  # ceil(3 / 2) = 2 managers
        "supervision_travel": 0.0,
        "support_roles": 0.0,
    }


def test_managers_over_budget_are_named_by_the_checker():
    inst = managed_instance(500.0, 100.0)
    four = plan_of([("H", f"J{k}", 1) for k in range(1, 5)], [(f"A{k}", f"J{k}", 12) for k in range(1, 5)])
    assert plan_cost_per_year(inst, four) == 600.0
    assert check_budget(inst, four) == ["budget: the plan costs £600 a year, over the budget of £500"]


def test_supervision_visits_cost_and_bind_the_budget(solve):
    """Visits 12 a year, there and back, £0.5 a minute: a spoke 10 minutes from its hub costs
    12 x 2 x 10 x 0.5 = £120 a year. Spokes £100, budget £500: J1 and J2 at 10 minutes (220 each) and
    J3 at 40 (100 + 480 = 580): the best is J1 and J2, 440, 24 cases; a third spoke does not fit."""
    inst = instance(
        hubs=[hub("H", max_spokes=3)],
        hosts=[host("J1"), host("J2"), host("J3")],
        areas=[area("A1", 12), area("A2", 12), area("A3", 12)],
        casework={("J1", "A1"): 10, ("J2", "A2"): 10, ("J3", "A3"): 10},
        supervision={("H", "J1"): 10, ("H", "J2"): 10, ("H", "J3"): 40},
        rules=rules_with(spoke_cost_per_year=100.0, budget_per_year=500.0, staff_cost_per_minute=0.5),
    )
    plan = solve(inst)
    assert plan.objective == 24 and sorted(s.host_id for s in plan.spokes) == ["J1", "J2"]
    assert math.isclose(cost_breakdown(inst, plan)["supervision_travel"], 240.0)
    three = plan_of([("H", f"J{k}", 1) for k in range(1, 4)], [(f"A{k}", f"J{k}", 12) for k in range(1, 4)])
    assert check_budget(inst, three) == ["budget: the plan costs £1,020 a year, over the budget of £500"]


def test_staff_cost_per_minute_is_derived_from_the_spoke_cost():
    """ASSUMPTION (settings): 220 days x 7.5 hours x 60 minutes = 99,000 working minutes a year."""
    settings_ = ScenarioRules.model_validate({**default_settings().model_dump(), "spoke_cost_per_year": 49_500})
    assert settings_.staff_minute_cost == 0.5 and settings_.manager_cost == 49_500


# ---------------------------------------------------------------------------------------------------
# Bad input: spokes in post of two hubs at one host.
# ---------------------------------------------------------------------------------------------------

TWO_HUBS = "hub_id,name,easting,northing,min_spokes,max_spokes\nHUB1,North hub,420000,560000,1,3\nHUB2,South hub,420500,560000,1,3\n"
IN_POST = "hub_id,host_id,count\nHUB1,HOST1,1\nHUB2,HOST1,1\n"


def test_spokes_in_post_of_two_hubs_at_one_host_exit_2(tmp_path, capsys):
    from flows.cli import main

    directory = write_scenario(tmp_path / "scn", {"hubs.csv": TWO_HUBS, "existing_spokes.csv": IN_POST})
    code = main(["validate", str(directory)])
    captured = capsys.readouterr()
    assert code == 2
    assert (
        f"error: {directory}/existing_spokes.csv:3: hub_id: host HOST1 already has spokes in post of hub HUB1 "
        "(line 2); one hub per host" in captured.err
    )
    assert "Traceback" not in captured.err + captured.out
    shared = write_scenario(
        tmp_path / "shared",
        {
            "hubs.csv": TWO_HUBS,
            "existing_spokes.csv": IN_POST,
            "scenario.yaml": VALID["scenario.yaml"] + "shared_hosts: true\n",
        },
    )
    assert main(["validate", str(shared)]) == 0, capsys.readouterr().err


def test_mileage_is_costed_per_km_when_given():
    """mileage_cost_per_km £0.5, km 10 (Instance.supervision_km), 12 visits there and back: 12 x 2 x
    10 x 0.5 = £120 a spoke a year; with staff at £0.1 a minute and 20 minutes, 12 x 2 x 20 x 0.1 = £48
    more; no mileage without the setting."""
    base = instance(
        hubs=[hub("H")],
        hosts=[host("J1")],
        areas=[area("A1", 12)],
        casework={("J1", "A1"): 10},
        supervision={("H", "J1"): 20},
        rules=rules_with(mileage_cost_per_km=0.5, staff_cost_per_minute=0.1),
    )
    inst = replace(base, supervision_km={("H", "J1"): 10.0})
    plan = plan_of([("H", "J1", 1)], [("A1", "J1", 12)])
    assert math.isclose(cost_breakdown(inst, plan)["supervision_travel"], 168.0)
    no_mileage = replace(inst, rules=replace(inst.rules, mileage_cost_per_km=None))
    assert math.isclose(cost_breakdown(no_mileage, plan)["supervision_travel"], 48.0)


def test_supervision_km_are_straight_line_times_the_detour(tmp_path):
    """HUB1 (420000, 560000) to HOST1 (421000, 560000): 1 km straight, 1.3 km by road (DETOUR); built
    only when scenario.yaml sets mileage_cost_per_km."""
    from scoping.scenario.build import build_instance
    from scoping.scenario.loader import load_scenario

    plain = build_instance(load_scenario(write_scenario(tmp_path / "plain"))).instance
    assert dict(plain.supervision_km) == {}
    scenario = write_scenario(
        tmp_path / "miles", {"scenario.yaml": VALID["scenario.yaml"] + "mileage_cost_per_km: 0.28\n"}
    )
    inst = build_instance(load_scenario(scenario)).instance
    assert math.isclose(inst.supervision_km[("HUB1", "HOST1")], 1.3)
    assert math.isclose(inst.supervision_km[("HUB1", "HOST2")], 2.6)

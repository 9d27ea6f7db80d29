"""Phased roll-out (issue #8): hand-computed optima, each cross-phase family binding and violated,
the phased checker, infeasible phase rules, and property tests on random phased instances."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimisation.backends import PywraplpSession
from optimisation.phased import build_programme_model, solve_programme
from optimisation.phased_checker import block_plan, check_programme, hubs_started
from optimisation.programme import Phase, Programme, block_instance, central_scenario
from optimisation.result import Infeasible
from optimisation.solve import solve
from tests.instances import AUTH_Y, area, host, hub, instance, rules_with, team_role
from tests.strategies import examples, instances


def programme(inst, *phases, r=0.1, funded_years=1):
    return Programme(tuple(phases), (central_scenario(inst),), funded_years=funded_years, discount_rate=r)


def two_hubs():
    """Hub A reaches host JA (2 spokes) serving A1 (24 cases); hub B reaches JB (1 spoke) serving B1 (12)."""
    return instance([hub("A", min_spokes=1), hub("B", min_spokes=1)],
                    [host("JA", max_spokes=2), host("JB", authority=AUTH_Y)],
                    [area("A1", 24), area("B1", 12, AUTH_Y)],
                    {("JA", "A1"): 10, ("JB", "B1"): 10}, {("A", "JA"): 20, ("B", "JB"): 20})


def test_phase_weights_are_discounted_years():
    # Seed 000/002: phases from 2014, 2015, 2016, the last funded three years (2016-2018); r = 3.5%.
    inst = two_hubs()
    prog = programme(inst, Phase("p1", 2014), Phase("p2", 2015), Phase("p3", 2016), r=0.035, funded_years=3)
    assert [y for y, _ in prog.years()] == [2014, 2015, 2016, 2017, 2018]
    assert prog.phase_weight(0) == pytest.approx(1.0)
    assert prog.phase_weight(1) == pytest.approx(1 / 1.035)
    assert prog.phase_weight(2) == pytest.approx(1.035 ** -2 + 1.035 ** -3 + 1.035 ** -4)  # 2.706896
    assert prog.phase_weight(2) == pytest.approx(2.706896, abs=1e-6)


def test_discount_starts_the_hub_with_more_reachable_demand_first():
    # Phase 1 (2014) may run one hub, phase 2 (2015) both; r = 10%, so w1 = 1, w2 = 1/1.1.
    # Start A first: 24 + 36/1.1 = 56.727; start B first: 12 + 36/1.1 = 44.727. Optimum: A first.
    inst = two_hubs()
    prog = programme(inst, Phase("one", 2014, max_hubs=1), Phase("two", 2015, max_hubs=2))
    result = solve_programme(inst, prog)
    assert result.status == "OPTIMAL"
    assert result.objective == pytest.approx(24 + 36 / 1.1)
    assert hubs_started(result.phases) == [["A"], ["B"]]
    assert result.phases[0].spokes == {("A", "JA"): 2}
    assert result.phases[1].spokes == {("A", "JA"): 2, ("B", "JB"): 1}
    assert check_programme(inst, prog, result) == []


def test_phase_hubs_binding_and_violated():
    inst = two_hubs()
    prog = programme(inst, Phase("one", 2014, max_hubs=1), Phase("two", 2015, max_hubs=2))
    # Binding: without the phase-1 hub limit both hubs start at once: 36 + 36/1.1.
    free = programme(inst, Phase("one", 2014), Phase("two", 2015, max_hubs=2))
    assert solve_programme(inst, free).objective == pytest.approx(36 + 36 / 1.1)
    # Violated: a plan running both hubs in phase one is rejected.
    both = solve_programme(inst, free)
    problems = check_programme(inst, prog, both)
    assert any("phase one: 2 hubs run (A, B); the phase allows at most 1" in p for p in problems)


def one_spoke_two_hosts():
    """One hub, one spoke a phase. J1 (free) serves A1 (10 cases); J2 (£5,000 a year) serves A2 (12)."""
    return instance([hub("H", min_spokes=1)],
                    [host("J1"), host("J2", annual_cost=5000)],
                    [area("A1", 10), area("A2", 12)],
                    {("J1", "A1"): 10, ("J2", "A2"): 10}, {("H", "J1"): 20, ("H", "J2"): 20})


def budgets():
    inst = one_spoke_two_hosts()
    inst = replace(inst, rules=replace(inst.rules, spoke_cost_per_year=50000, max_spokes=1))
    # Phase one's budget (£50,000) affords a spoke at J1 only; phase two's (£55,000) also J2.
    prog = programme(inst, Phase("one", 2014, budget_per_year=50000), Phase("two", 2015, budget_per_year=55000))
    return inst, prog


def test_keep_placements_binding():
    # With keep-placements the phase-one spoke at J1 stays and max_spokes 1 leaves no room: 10 + 10/1.1.
    inst, prog = budgets()
    result = solve_programme(inst, prog)
    assert result.objective == pytest.approx(10 + 10 / 1.1)
    assert result.phases[1].spokes == {("H", "J1"): 1}
    # Without it, phase two would move the spoke to J2 (12 cases): 10 + 12/1.1.
    relaxed = build_programme_model(inst, prog, relax=frozenset({"keep_placements"}))
    session = PywraplpSession(relaxed.linear, "SCIP")
    session.set_objective(relaxed.objectives["coverage"], "max")
    assert session.solution(session.solve()).objective == pytest.approx(10 + 12 / 1.1)


def test_checker_rejects_a_plan_that_drops_an_earlier_placement():
    inst, prog = budgets()
    result = solve_programme(inst, prog)
    moved = replace(result, phases=(result.phases[0], replace(result.phases[1], spokes={("H", "J2"): 1},
                                                               assignments={"central": {("A2", "J2"): 12}})),
                    objective=10 + 12 / 1.1, bound=10 + 12 / 1.1)
    problems = check_programme(inst, prog, moved)
    assert problems == ["phase two: hub H had 1 spokes at host J1 in phase one but keeps 0; earlier placements must stay"]


def test_phase_budget_binding_and_violated():
    inst, prog = budgets()
    # Binding: with phase one's budget raised to £55,000 the spoke starts at J2: 12 + 12/1.1.
    rich = replace(prog, phases=(replace(prog.phases[0], budget_per_year=55000), prog.phases[1]))
    assert solve_programme(inst, rich).objective == pytest.approx(12 + 12 / 1.1)
    # Violated: that plan breaks the real phase-one budget.
    problems = check_programme(inst, prog, solve_programme(inst, rich))
    assert any(p.startswith("phase one: budget: the plan costs £55,000 a year, over the budget of £50,000") for p in problems)


def test_checker_rejects_a_misreported_objective():
    inst = two_hubs()
    prog = programme(inst, Phase("one", 2014, max_hubs=1), Phase("two", 2015))
    result = solve_programme(inst, prog)
    assert any(p.startswith("objective: reported") for p in check_programme(inst, prog, replace(result, objective=60.0)))


def test_required_authority_holds_in_the_final_phase_only():
    # Authority Y (only host JB) is required: phase one may start A alone; the final phase must host in Y.
    inst = replace(two_hubs(), authorities=tuple(replace(a, required=a.authority_code == AUTH_Y)
                                                 for a in two_hubs().authorities))
    prog = programme(inst, Phase("one", 2014, max_hubs=1), Phase("two", 2015, max_hubs=1))
    result = solve_programme(inst, prog)
    assert result.phases[0].spokes == {("B", "JB"): 1}  # phase two may run one hub, which must be B: keep it
    assert check_programme(inst, prog, result) == []
    assert not block_instance(inst, prog, 0, prog.scenarios[0]).authorities[1].required
    assert block_instance(inst, prog, 1, prog.scenarios[0]).authorities[1].required


def test_locked_host_holds_in_the_final_phase_only():
    # Issue #18, as a required authority: without the lock phase two keeps A alone (max one hub); with JB
    # locked the final phase must place a spoke at JB, so B is the one hub from the start.
    prog_of = lambda inst: programme(inst, Phase("one", 2014, max_hubs=1), Phase("two", 2015, max_hubs=1))  # noqa: E731
    free = solve_programme(two_hubs(), prog_of(two_hubs()))
    assert free.phases[1].spokes == {("A", "JA"): 2}
    inst = replace(two_hubs(), hosts=tuple(replace(h, status="locked" if h.host_id == "JB" else h.status)
                                           for h in two_hubs().hosts))
    prog = prog_of(inst)
    result = solve_programme(inst, prog)
    assert result.phases[0].spokes == result.phases[1].spokes == {("B", "JB"): 1}
    assert check_programme(inst, prog, result) == []
    assert check_programme(inst, prog, free) == ["phase two: host status: host JB is locked but the "
                                                 "plan places no spoke there"]
    assert block_instance(inst, prog, 0, prog.scenarios[0]).hosts[1].status == "candidate"
    assert block_instance(inst, prog, 1, prog.scenarios[0]).hosts[1].status == "locked"


def test_infeasible_phase_rule_is_explained():
    # A spoke is already in post at hub A, but phase one may run no hub.
    inst = replace(two_hubs(), existing_spokes={("A", "JA"): 1})
    prog = programme(inst, Phase("one", 2014, max_hubs=0), Phase("two", 2015, max_hubs=2))
    with pytest.raises(Infeasible) as error:
        solve_programme(inst, prog)
    assert set(error.value.reasons) == {
        "hub A's 1 existing spoke(s) at host JA must be kept in every phase",
        "phase one (from 2014) may run at most 0 hubs"}


# --- property tests --------------------------------------------------------------------------


@st.composite
def phased(draw):
    inst = draw(instances(max_hubs=3, max_hosts=4, max_areas=5, max_hub_spokes=3, max_host_spokes=2))
    n = draw(st.integers(1, 3))
    hubs = sorted(draw(st.lists(st.integers(0, len(inst.hubs)), min_size=n, max_size=n)))  # non-decreasing
    base = inst.rules.budget_per_year
    phases = []
    for t in range(n):
        budget = None if base is None else base * (t + 1) / n
        phases.append(Phase(f"p{t}", 2014 + t * draw(st.integers(1, 2)), max_hubs=hubs[t], budget_per_year=budget))
    return inst, Programme(tuple(phases), (central_scenario(inst),), funded_years=draw(st.integers(1, 3)),
                           discount_rate=draw(st.sampled_from([0.0, 0.035, 0.2])))


@settings(max_examples=examples(60))
@given(phased())
def test_random_phased_plans_pass_the_checker_and_beat_baselines(case):
    inst, prog = case
    last = len(prog.phases) - 1
    final = block_instance(inst, prog, last, prog.scenarios[0])
    try:
        result = solve_programme(inst, prog, time_limit=10)
    except Infeasible as error:
        assert error.reasons
        if not inst.existing_spokes and (prog.phases[-1].max_hubs or 0) >= len(inst.hubs):
            # Empty early phases are always possible and the final hub limit does not bind: the conflict is
            # the final phase's one-snapshot rules.
            with pytest.raises(Infeasible):
                solve(final, time_limit=10)
        return
    assert check_programme(inst, prog, result) == []
    assert result.objective <= result.bound + 1e-6
    if result.status != "OPTIMAL":
        return
    # Baselines: phased plans built from one-snapshot optima, compared when the checker accepts them.
    # 1: nothing before the final phase, then the final phase's optimum (valid unless a phase hub limit
    #    or existing spokes forbid it); 2: phase one's optimum kept unchanged through every phase.
    def as_phases(per_phase):
        phases = tuple(replace(p, spokes={(s.hub_id, s.host_id): s.count for s in plan.spokes} if plan else {},
                               assignments={"central": {(a.area_id, a.host_id): a.cases for a in plan.assignments}
                                            if plan else {}}) for p, plan in zip(result.phases, per_phase))
        value = sum(prog.phase_weight(t) * (plan.objective if plan else 0) for t, plan in enumerate(per_phase))
        return replace(result, phases=phases, objective=value, bound=value)

    baselines = []
    try:
        late = solve(final, time_limit=10)
        baselines.append(as_phases([None] * last + [late]))
    except Infeasible:
        pass
    try:
        early = solve(block_instance(inst, prog, 0, prog.scenarios[0]), time_limit=10)
        baselines.append(as_phases([early] * len(prog.phases)))
    except Infeasible:
        pass
    for baseline in baselines:
        if check_programme(inst, prog, baseline) == []:
            assert result.objective >= baseline.objective - 1e-6


def test_block_plan_reuses_the_single_period_checker():
    # A block's plan is checked by optimisation.checker: a caseload below the minimum is named.
    inst = two_hubs()
    prog = programme(inst, Phase("one", 2014), Phase("two", 2015))
    result = solve_programme(inst, prog)
    short = replace(result, phases=(replace(result.phases[0], assignments={"central": {("A1", "JA"): 15, ("B1", "JB"): 12}}),
                                    result.phases[1]))
    problems = check_programme(inst, prog, short)
    assert any(p.startswith("phase one: caseload: host JA: 15 cases for 2 spokes is below caseload_min") for p in problems)
    assert block_plan({("A", "JA"): 2}, {("A1", "JA"): 24}).objective == 24


def test_structural_conflict_names_its_phase():
    # The spoke already in post costs £50,000 a year; phase one's budget is £40,000.
    inst = replace(two_hubs(), existing_spokes={("A", "JA"): 1})
    inst = replace(inst, rules=replace(inst.rules, spoke_cost_per_year=50000))
    prog = programme(inst, Phase("one", 2014, budget_per_year=40000), Phase("two", 2015, budget_per_year=200000))
    with pytest.raises(Infeasible) as error:
        solve_programme(inst, prog)
    assert error.value.reasons == ("phase one (from 2014): the spokes already in post cost £50,000 a year, over the "
                                   "budget of £40,000",)


def test_rollout_and_robustness_tables_disclose_small_counts():
    from reporting.views.rollout import rollout_view

    document = {
        "programme": {"objective": "discounted coverage"},
        "phases": [{"name": "one", "start_year": 2014, "end_year": 2014, "weight": 1.0, "hubs_started": ["A"],
                    "hubs_running": ["A"], "spokes_total": 1, "cost_per_year": 0.0, "budget_per_year": None,
                    "coverage": {"demand_total": 40, "demand_covered": 3}}],
        "coverage_by_year": [{"year": 2014, "phase": "one", "demand_total": 40, "demand_covered": 3, "spokes_total": 1}],
        "robustness": {"scenarios": [{"name": "low", "weight": 0.5, "demand_total": 4, "covered_robust": 12,
                                      "covered_central_plan": 0, "central_plan_meets_caseload_min": False}]},
    }
    view = rollout_view(document, threshold=5)
    assert view["years"][0]["covered"] == "c" and view["years"][0]["share"] is None  # 3 of 40: hidden, and its share
    assert view["years"][0]["demand"] == "40" and view["phases"][0]["covered"] == "c"
    assert view["chart"]["bars"][0]["hidden"] and view["chart"]["bars"][0]["width"] == 0
    # demand 4 is hidden; 0 covered of 4 would reveal the unmet 4, so it is hidden too.
    assert (view["scenarios"][0]["demand"], view["scenarios"][0]["robust"], view["scenarios"][0]["central"]) == ("c", "12", "c")


def test_rollout_tables_do_not_reveal_small_unmet_need_or_hidden_totals():
    from reporting.views.rollout import rollout_view

    document = {
        "programme": {"objective": "discounted coverage"}, "coverage": {"demand_covered": 24},
        "phases": [{"name": "one", "start_year": 2014, "end_year": 2015, "weight": 1.9, "hubs_started": ["A"],
                    "hubs_running": ["A"], "spokes_total": 2, "cost_per_year": 0.0, "budget_per_year": None,
                    "coverage": {"demand_total": 26, "demand_covered": 24}}],
        "coverage_by_year": [{"year": 2014, "phase": "one", "demand_total": 26, "demand_covered": 24, "spokes_total": 2},
                             {"year": 2015, "phase": "one", "demand_total": 26, "demand_covered": 24, "spokes_total": 2}],
        "robustness": {"scenarios": [{"name": "high", "weight": 0.5, "demand_total": 40, "covered_robust": 24,
                                      "covered_central_plan": 36, "central_plan_meets_caseload_min": True}]},
    }
    # 24 of 26 leaves 2 unmet: covered is hidden (and the share); 36 of 40 leaves 4: hidden too.
    view = rollout_view(document, threshold=5)
    assert [(y["demand"], y["covered"], y["share"]) for y in view["years"]] == [("26", "c", None)] * 2
    assert (view["scenarios"][0]["robust"], view["scenarios"][0]["central"]) == ("24", "c")
    # When the main coverage table hides its total covered, the same figure stays hidden here.
    document["coverage_by_year"][0]["demand_total"] = document["phases"][0]["coverage"]["demand_total"] = 60
    view = rollout_view({**document, "coverage_by_year": document["coverage_by_year"][:1]}, 5, frozenset({"covered"}))
    assert view["years"][0]["covered"] == "c" and view["phases"][0]["covered"] == "c"
    assert rollout_view({**document, "coverage_by_year": document["coverage_by_year"][:1]}, 5)["years"][0]["covered"] == "24"


def test_phase_budgets_pay_for_the_service_models_support_team():
    """A service model's team (optimisation/team.py) is costed in every phase's budget.

    One No Wrong Door style hub H (1-10 workers, host J1 up to 8, area A1 with 48 cases), workers
    £36,000, caseload 4-6; each team in use needs 1 communications worker (£40,000) and 1 clinician
    per 6 workers (£58,000). Phase one's budget £330,000: w = 6 costs 216,000 + 40,000 + 58,000 =
    314,000, w = 7 needs a second clinician (408,000), so 6 workers and 36 cases; phase two's
    £500,000 allows w = 8 (288,000 + 40,000 + 116,000 = 444,000): 48 cases. r = 10%:
    objective 36 + 48 / 1.1. Without the team the first phase would buy 8 workers (288,000).
    """
    from optimisation.result import TeamPlacement

    comms = team_role("communications_worker", "Communications worker", per_team=1, cost_per_year=40_000)
    clinician = team_role("clinician", "Clinician", per_team=1, workers_per_role=6, cost_per_year=58_000)
    rules = rules_with(caseload_min=4, caseload_max=6, spoke_cost_per_year=36_000, team_roles=(comms, clinician))
    inst = instance([hub("H", min_spokes=1, max_spokes=10, manager_span=10)], [host("J1", max_spokes=8)],
                    [area("A1", 48)], {("J1", "A1"): 10}, {("H", "J1"): 20}, rules=rules)
    prog = programme(inst, Phase("one", 2014, budget_per_year=330_000), Phase("two", 2015, budget_per_year=500_000))
    result = solve_programme(inst, prog)
    assert result.status == "OPTIMAL"
    assert result.objective == pytest.approx(36 + 48 / 1.1)
    assert [p.spokes for p in result.phases] == [{("H", "J1"): 6}, {("H", "J1"): 8}]
    assert result.phases[0].team == (TeamPlacement("H", "clinician", 1), TeamPlacement("H", "communications_worker", 1))
    assert result.phases[1].team == (TeamPlacement("H", "clinician", 2), TeamPlacement("H", "communications_worker", 1))
    assert check_programme(inst, prog, result) == []
    # Violated: phase one's placements with phase two's 8 workers break its budget once the team is paid.
    over = replace(result, phases=(replace(result.phases[0], spokes={("H", "J1"): 8}, team=result.phases[1].team,
                                           assignments=result.phases[1].assignments), result.phases[1]))
    problems = check_programme(inst, prog, over)
    assert any(p.startswith("phase one: budget") for p in problems), problems

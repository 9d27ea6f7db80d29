"""Programme of services (issue #17): hand-computed optima (which hub opens first), each programme
family binding and violated, the funding window under close and continue, compare planning both,
the programme checker, infeasible phase rules, and property tests on random programmes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimisation.backends import PywraplpSession
from optimisation.phased import build_programme_model, solve_programme
from optimisation.phased_checker import block_plan, check_programme, period_spokes
from optimisation.programme import (
    Period,
    Phase,
    Programme,
    block_instance,
    central_scenario,
)
from optimisation.result import Infeasible
from optimisation.robust import plan_programme
from tests.instances import AUTH_Y, area, host, hub, instance, rules_with, team_role
from tests.strategies import examples, instances


def programme(inst, *phases, r=0.1, funded_years=3, after_funding="continue"):
    return Programme(
        tuple(phases),
        (central_scenario(inst),),
        funded_years=funded_years,
        discount_rate=r,
        after_funding=after_funding,
    )


def two_hubs():
    """Hub A reaches host JA (2 spokes) serving A1 (24 cases); hub B reaches JB (1 spoke) serving B1 (12)."""
    return instance(
        [hub("A", min_spokes=1), hub("B", min_spokes=1)],
        [host("JA", max_spokes=2), host("JB", authority=AUTH_Y)],
        [area("A1", 24), area("B1", 12, AUTH_Y)],
        {("JA", "A1"): 10, ("JB", "B1"): 10},
        {("A", "JA"): 20, ("B", "JB"): 20},
    )


def opened(result):
    return [(s.phase, s.hub_id) for s in sorted(result.services, key=lambda s: (s.t, s.hub_id))]


def test_periods_follow_the_seed_programme():
    # Seed 000: phases from 2014, 2015, 2016; seed 002: each service funded three years; r = 3.5%.
    inst = two_hubs()
    phases = (Phase("p1", 2014, 3), Phase("p2", 2015, 5), Phase("p3", 2016, 8))
    close = programme(inst, *phases, r=0.035, after_funding="close")
    assert close.periods() == (
        Period(2014, 2014, (0,)),
        Period(2015, 2015, (0, 1)),
        Period(2016, 2016, (0, 1, 2)),
        Period(2017, 2017, (1, 2)),
        Period(2018, 2018, (2,)),
    )
    keep = programme(inst, *phases, r=0.035, after_funding="continue")
    assert keep.periods() == (Period(2014, 2014, (0,)), Period(2015, 2015, (0, 1)), Period(2016, 2018, (0, 1, 2)))
    assert close.full_period == keep.full_period == 2
    assert keep.period_weight(2) == pytest.approx(1.035**-2 + 1.035**-3 + 1.035**-4)  # 2.706896
    assert [close.funded_until(t) for t in range(3)] == [2016, 2017, 2018]


def test_discount_opens_the_hub_with_more_reachable_demand_first():
    # One new service in 2014, one in 2015, each funded 2 years, then continued (to 2016); r = 10%.
    # A first: 24 + 36 (1/1.1 + 1/1.21) = 86.479; B first: 12 + 36 (1/1.1 + 1/1.21) = 74.479. Optimum: A first.
    inst = two_hubs()
    prog = programme(inst, Phase("one", 2014, 1), Phase("two", 2015, 1), funded_years=2)
    result = solve_programme(inst, prog)
    assert result.status == "OPTIMAL"
    assert result.objective == pytest.approx(24 + 36 / 1.1 + 36 / 1.21)
    assert opened(result) == [("one", "A"), ("two", "B")]
    assert [p.spokes for p in result.periods] == [{("A", "JA"): 2}, {("A", "JA"): 2, ("B", "JB"): 1}]
    assert check_programme(inst, prog, result) == []


def window(after_funding):
    """Phase one (2014) and phase two (2017) open one service each, funded 3 years (seed 002): the
    programme runs 2014-2019; r = 10%."""
    inst = two_hubs()
    return inst, programme(inst, Phase("one", 2014, 1), Phase("two", 2017, 1), after_funding=after_funding)


def test_funding_window_binds_under_close():
    # close: the phase-one service runs 2014-2016 and closes; phase two's runs 2017-2019.
    # A first: 24 (1 + 1/1.1 + 1/1.21) + 12 (1.1^-3 + 1.1^-4 + 1.1^-5); B first: 12 (...) + 24 (...). A first.
    inst, prog = window("close")
    result = solve_programme(inst, prog)
    early, late = sum(1.1**-k for k in range(3)), sum(1.1**-k for k in range(3, 6))
    assert result.objective == pytest.approx(24 * early + 12 * late)
    assert opened(result) == [("one", "A"), ("two", "B")]
    assert [(p.label, p.spokes) for p in result.periods] == [
        ("2014-2016", {("A", "JA"): 2}),
        ("2017-2019", {("B", "JB"): 1}),
    ]
    assert check_programme(inst, prog, result) == []
    # continue: A keeps running from 2017, so the later years cover 36: binding, the close plan covers less.
    keep_inst, keep = window("continue")
    kept = solve_programme(keep_inst, keep)
    assert kept.objective == pytest.approx(24 * early + 36 * late)
    assert kept.periods[1].spokes == {("A", "JA"): 2, ("B", "JB"): 1}
    # Violated: the continue plan's later years run A's spokes after its funding ends, which close forbids.
    problems = check_programme(inst, prog, replace(kept, objective=result.objective))
    assert problems == [
        "period 2017-2019: runs the services of phases one, two, but with services funded 3 years, "
        "then close, the period 2017-2019 runs those of two"
    ]


def test_compare_plans_both():
    inst, prog = window("compare")
    solved = plan_programme(inst, prog, time_limit=20)
    assert solved.programme.after_funding == "close" and solved.alternative.programme.after_funding == "continue"
    assert [p.label for p in solved.result.periods] == ["2014-2016", "2017-2019"]
    assert solved.alternative.result.periods[1].spokes == {("A", "JA"): 2, ("B", "JB"): 1}
    assert solved.alternative.result.objective > solved.result.objective
    for each in (solved, solved.alternative):
        assert check_programme(inst, each.programme, each.result) == []


def test_new_services_binding_and_violated():
    inst = two_hubs()
    prog = programme(inst, Phase("one", 2014, 1), Phase("two", 2015, 1), funded_years=2)
    # Binding: with two services in phase one both open at once: 36 (1 + 1/1.1 + 1/1.21).
    both = programme(inst, Phase("one", 2014, 2), Phase("two", 2015, 1), funded_years=2)
    relaxed = build_programme_model(inst, both, relax=frozenset({"phase_services:two"}))
    session = PywraplpSession(relaxed.linear, "SCIP")
    session.set_objective(relaxed.objectives["coverage"], "max")
    assert session.solution(session.solve()).objective == pytest.approx(36 * (1 + 1 / 1.1 + 1 / 1.21))
    # Violated: a plan opening both hubs in phase one is rejected for the programme funding one.
    result = solve_programme(inst, prog)
    moved = replace(result, services=tuple(replace(s, phase="one", t=0) for s in result.services))
    problems = check_programme(inst, prog, moved)
    assert "phase one: opens 2 new services; the phase funds 1" in problems
    assert "phase two: opens 0 new services; the phase funds 1" in problems


def test_one_service_per_hub_is_checked():
    inst = two_hubs()
    prog = programme(inst, Phase("one", 2014, 1), Phase("two", 2015, 1), funded_years=2)
    result = solve_programme(inst, prog)
    twice = replace(result, services=(result.services[0], replace(result.services[0], phase="two", t=1)))
    assert "hub A: opens 2 services; a hub opens at most one" in check_programme(inst, prog, twice)


def one_hub_two_hosts():
    """Hubs H and G; J1 (free) serves A1 (10 cases); J2 (£5,000 a year) serves A2 (12). Spokes £50,000."""
    inst = instance(
        [hub("H", min_spokes=1, max_spokes=1), hub("G", min_spokes=1, max_spokes=1)],
        [host("J1"), host("J2", annual_cost=5000)],
        [area("A1", 10), area("A2", 12)],
        {("J1", "A1"): 10, ("J2", "A2"): 10},
        {("H", "J1"): 20, ("H", "J2"): 20, ("G", "J1"): 20},
    )
    return replace(inst, rules=replace(inst.rules, spoke_cost_per_year=50000))


def test_phase_budget_binding_and_violated():
    # One service in 2014, funded one year. Phase one's £50,000 buys a spoke at J1 only (10 cases).
    inst = one_hub_two_hosts()
    prog = programme(inst, Phase("one", 2014, 1, budget_per_year=50000), funded_years=1)
    assert solve_programme(inst, prog).objective == pytest.approx(10)
    # Binding: £55,000 also pays J2's annual cost: 12 cases.
    rich = programme(inst, Phase("one", 2014, 1, budget_per_year=55000), funded_years=1)
    richer = solve_programme(inst, rich)
    assert richer.objective == pytest.approx(12)
    # Violated: that plan breaks the £50,000 phase budget.
    problems = check_programme(inst, prog, richer)
    assert any(p.startswith("phase one's new services: budget: the plan costs £55,000 a year") for p in problems), (
        problems
    )


def test_scenario_budget_holds_every_year_for_every_live_service():
    # Hubs H (J1 or J2) and G (J1 only), one spoke each, £50,000 a spoke, J2 £5,000 a year; a budget of
    # £100,000 a year for every live service. Continued, both services run in 2015 and J1 holds one
    # spoke, so H must sit at J2: £105,000, over the budget: infeasible. Closed after one funded year
    # they never run together: H at J2 (12 cases) in 2014, G at J1 (10) in 2015: 12 + 10/1.1.
    inst = replace(one_hub_two_hosts(), rules=replace(one_hub_two_hosts().rules, budget_per_year=100000))
    keep = programme(inst, Phase("one", 2014, 1), Phase("two", 2015, 1), funded_years=1)
    with pytest.raises(Infeasible) as error:
        solve_programme(inst, keep)
    assert any("budget" in reason for reason in error.value.reasons), error.value.reasons
    close = replace(keep, after_funding="close")
    result = solve_programme(inst, close)
    assert opened(result) == [("one", "H"), ("two", "G")]
    assert result.objective == pytest.approx(12 + 10 / 1.1)  # H at J2 in 2014, G at J1 in 2015
    assert check_programme(inst, close, result) == []


def test_checker_rejects_a_misreported_objective():
    inst = two_hubs()
    prog = programme(inst, Phase("one", 2014, 1), Phase("two", 2015, 1))
    result = solve_programme(inst, prog)
    assert any(
        p.startswith("objective: reported") for p in check_programme(inst, prog, replace(result, objective=60.0))
    )


def test_required_authority_holds_once_every_phase_has_opened():
    # Authority Y (only host JB) is required from 2015 (the full roll-out): phase one may open A.
    inst = replace(
        two_hubs(), authorities=tuple(replace(a, required=a.authority_code == AUTH_Y) for a in two_hubs().authorities)
    )
    prog = programme(inst, Phase("one", 2014, 1), Phase("two", 2015, 1), funded_years=1, after_funding="close")
    result = solve_programme(inst, prog)
    assert opened(result) == [("one", "A"), ("two", "B")]
    assert check_programme(inst, prog, result) == []
    assert not block_instance(inst, prog, 0, prog.scenarios[0]).authorities[1].required
    assert block_instance(inst, prog, 1, prog.scenarios[0]).authorities[1].required
    # Violated: B first and A last leaves Y without a spoke in 2015.
    swapped = replace(
        result, services=tuple(replace(s, phase="two" if s.t == 0 else "one", t=1 - s.t) for s in result.services)
    )
    swapped = replace(
        swapped, periods=tuple(replace(p, spokes=period_spokes(swapped.services, p.live)) for p in result.periods)
    )
    assert any("required authority" in p for p in check_programme(inst, prog, swapped))


def test_existing_spokes_belong_to_the_first_phase():
    # A spoke is in post at hub B: B's service is running, so it is phase one's (though A covers more).
    inst = replace(two_hubs(), existing_spokes={("B", "JB"): 1})
    prog = programme(inst, Phase("one", 2014, 1), Phase("two", 2015, 1), funded_years=1, after_funding="close")
    result = solve_programme(inst, prog)
    assert opened(result) == [("one", "B"), ("two", "A")]
    assert check_programme(inst, prog, result) == []
    # Infeasible: phase one may open no service but one is already running... stated in plain words.
    crowded = programme(inst, Phase("one", 2014, 2), Phase("two", 2015, 1), funded_years=1)
    with pytest.raises(Infeasible) as error:
        solve_programme(inst, crowded)
    assert any(
        reason.startswith("phase two (from 2015) opens 1 new service")
        or reason.startswith("phase one (from 2014) opens 2 new services")
        for reason in error.value.reasons
    )


def test_more_services_than_hubs_is_explained():
    inst = two_hubs()
    prog = programme(inst, Phase("one", 2014, 1), Phase("two", 2015, 2))
    with pytest.raises(Infeasible) as error:
        solve_programme(inst, prog)
    assert error.value.reasons and all("opens" in reason for reason in error.value.reasons), error.value.reasons


def test_block_plan_reuses_the_single_period_checker():
    # A period's plan is checked by optimisation.checker: a caseload below the minimum is named.
    inst = two_hubs()
    prog = programme(inst, Phase("one", 2014, 1), Phase("two", 2015, 1), funded_years=1, after_funding="close")
    result = solve_programme(inst, prog)
    short = replace(
        result, periods=(replace(result.periods[0], assignments={"central": {("A1", "JA"): 15}}), result.periods[1])
    )
    problems = check_programme(inst, prog, short)
    assert any(p.startswith("2014: caseload: host JA: 15 cases for 2 spokes is below caseload_min") for p in problems)
    assert block_plan({("A", "JA"): 2}, {("A1", "JA"): 24}).objective == 24


def test_phase_budgets_pay_for_the_service_models_support_team():
    """A service model's team (optimisation/team.py) is costed in its phase's budget.

    One No Wrong Door style hub H (1-10 workers, host J1 up to 8, area A1 with 48 cases), workers
    £36,000, caseload 4-6; each team in use needs 1 communications worker (£40,000) and 1 clinician
    per 6 workers (£58,000). Phase one's budget £330,000: w = 6 costs 216,000 + 40,000 + 58,000 =
    314,000, w = 7 needs a second clinician (408,000), so 6 workers and 36 cases. Without the team
    the phase would buy 8 workers (288,000).
    """
    from optimisation.result import TeamPlacement

    comms = team_role("communications_worker", "Communications worker", per_team=1, cost_per_year=40_000)
    clinician = team_role("clinician", "Clinician", per_team=1, workers_per_role=6, cost_per_year=58_000)
    rules = rules_with(caseload_min=4, caseload_max=6, spoke_cost_per_year=36_000, team_roles=(comms, clinician))
    inst = instance(
        [hub("H", min_spokes=1, max_spokes=10, manager_span=10)],
        [host("J1", max_spokes=8)],
        [area("A1", 48)],
        {("J1", "A1"): 10},
        {("H", "J1"): 20},
        rules=rules,
    )
    prog = programme(inst, Phase("one", 2014, 1, budget_per_year=330_000), funded_years=1)
    result = solve_programme(inst, prog)
    assert result.status == "OPTIMAL" and result.objective == pytest.approx(36)
    assert result.services[0].spokes == {("H", "J1"): 6}
    assert result.services[0].team == (
        TeamPlacement("H", "clinician", 1),
        TeamPlacement("H", "communications_worker", 1),
    )
    assert check_programme(inst, prog, result) == []
    eight = TeamPlacement("H", "clinician", 2), TeamPlacement("H", "communications_worker", 1)
    over = replace(
        result,
        services=(replace(result.services[0], spokes={("H", "J1"): 8}, team=eight),),
        periods=(
            replace(
                result.periods[0], spokes={("H", "J1"): 8}, team=eight, assignments={"central": {("A1", "J1"): 48}}
            ),
        ),
    )
    problems = check_programme(inst, prog, replace(over, objective=48, bound=48))
    assert any(p.startswith("phase one's new services: budget") for p in problems), problems


# --- property tests --------------------------------------------------------------------------


@st.composite
def programmes(draw):
    inst = draw(instances(max_hubs=3, max_hosts=4, max_areas=5, max_hub_spokes=3, max_host_spokes=2))
    n = draw(st.integers(1, min(3, len(inst.hubs))))
    counts = [1] * n
    for _ in range(len(inst.hubs) - n):
        if draw(st.booleans()):
            counts[draw(st.integers(0, n - 1))] += 1
    base = inst.rules.budget_per_year
    phases, year = [], 2014
    for t in range(n):
        budget = None if base is None or draw(st.booleans()) else base * (t + 1) / n
        phases.append(Phase(f"p{t}", year, counts[t], budget_per_year=budget))
        year += draw(st.integers(1, 2))
    return inst, Programme(
        tuple(phases),
        (central_scenario(inst),),
        funded_years=draw(st.integers(1, 3)),
        discount_rate=draw(st.sampled_from([0.0, 0.035, 0.2])),
        after_funding=draw(st.sampled_from(["continue", "close"])),
    )


@settings(max_examples=examples(60))
@given(programmes())
def test_random_programmes_pass_the_checker(case):
    inst, prog = case
    try:
        result = solve_programme(inst, prog, time_limit=10)
    except Infeasible as error:
        assert error.reasons
        return
    assert check_programme(inst, prog, result) == []
    assert result.objective <= result.bound + 1e-6
    assert sorted(s.hub_id for s in result.services) == sorted({s.hub_id for s in result.services})
    assert [sum(1 for s in result.services if s.t == t) for t in range(len(prog.phases))] == [
        p.new_services for p in prog.phases
    ]
    if result.status != "OPTIMAL":
        return
    # Baseline: the same services with their spokes, every case re-assigned, cannot beat the optimum,
    # and a plan that swaps the first two phases' services (when the counts allow) is no better.
    if len(prog.phases) > 1 and prog.phases[0].new_services == prog.phases[1].new_services:
        swapped = tuple(
            replace(s, t=1 - s.t, phase=prog.phases[1 - s.t].name) if s.t < 2 else s for s in result.services
        )
        from optimisation.phased import reassign

        periods = tuple(replace(p, spokes=period_spokes(swapped, p.live)) for p in result.periods)
        other = reassign(inst, prog, replace(result, services=swapped, periods=periods))
        if other is not None and check_programme(inst, prog, other) == []:
            assert result.objective >= other.objective - 1e-6


def audited_counts(document: dict, totals: dict, threshold: int = 5, caseload=(1, 12), hidden_totals=()):
    """The counts of a hand programme document as the public pack's audit decides them: the coverage
    tables' totals (demand = covered + unmet, demand and covered protected) and the roll-out tables
    (reporting/published/rollout.py); `hidden_totals`: totals the coverage tables hide."""
    from reporting.disclosure import suppress
    from reporting.published.plan import PublishedCounts
    from reporting.published.rollout import rollout_problem, rollout_tables

    total = {column: ("authority", "TOTAL", column) for column in ("demand", "covered", "unmet")}
    values = {total[column]: value for column, value in totals.items()}
    tables = rollout_tables(document)
    keys, relations, bounds, unpublished = rollout_problem(tables, values, caseload)
    relations.append((total["demand"], [total["covered"], total["unmet"]]))
    protected = frozenset((total["demand"], total["covered"]))
    hidden = suppress(values, relations, threshold, protected, bounds, unpublished) | {total[c] for c in hidden_totals}
    return PublishedCounts(values, hidden, threshold, rollout=tables, rollout_keys=keys)


def test_rollout_tables_disclose_small_counts():
    from reporting.views.rollout import rollout_view

    year = {
        "year": 2014,
        "services_live": ["A"],
        "services_by_phase": {"one": 1},
        "spokes_total": 1,
        "demand_total": 40,
        "demand_covered": 3,
        "cost": 0.0,
    }
    full = {**year, "year": 2015, "spokes_total": 3, "demand_covered": 30}
    document = {
        "programme": {"objective": "discounted coverage", "full_roll_out_years": "2015"},
        "coverage": {"demand_covered": 30},
        "phases": [
            {
                "name": "one",
                "start_year": 2014,
                "new_services": 1,
                "funded_until": 2016,
                "services_opened": ["A"],
                "spokes_total": 1,
                "cost_per_year": 0.0,
                "budget_per_year": None,
            }
        ],
        "services": [
            {
                "hub_id": "A",
                "phase": "one",
                "start_year": 2014,
                "runs_until": 2014,
                "funded_until": 2016,
                "spokes_total": 1,
                "cost_per_year": 0.0,
            }
        ],
        "coverage_by_year": [year, full],
        "robustness": {
            "scenarios": [
                {
                    "name": "low",
                    "weight": 0.5,
                    "demand_total": 30,
                    "covered_robust": 27,
                    "covered_central_plan": 30,
                    "central_plan_meets_caseload_min": False,
                }
            ]
        },
    }
    totals = {"demand": 40, "covered": 30, "unmet": 10}
    counts = audited_counts(document, totals)
    view = rollout_view(document, counts)
    assert view["years"][0]["covered"] == "c" and view["years"][0]["share"] is None  # 3 of 40: hidden, and its share
    assert view["years"][0]["demand"] == "40" and view["years"][0]["services"] == 1
    assert view["years"][1]["covered"] == "30" and view["years"][1]["share"] == "75%"
    assert view["chart"]["bars"][0]["hidden"] and view["chart"]["bars"][0]["width"] == 0
    assert view["services_chart"]["bars"][0]["segments"][0]["count"] == 1
    # 3 covered with 1 spoke at caseload 1..12: a reader knows 1..12, as wide as 'c' promises
    assert ("year", "plan", 2014, "covered") in counts.hidden
    # 27 covered of 30 would give the unmet 3 away: the audit hides the 27 (demand scenarios are in it too)
    assert (view["scenarios"][0]["demand"], view["scenarios"][0]["robust"], view["scenarios"][0]["central"]) == (
        "30",
        "c",
        "30",
    )
    assert ("scenario", "low", "robust_unmet") in counts.hidden
    # The full roll-out year's covered cases are the coverage tables' total: one figure, one key, so when
    # those tables hide it, it is hidden here too (and a year with the same number but not the same
    # cases is not).
    assert counts.rollout_key("plan", 2015, "covered") == ("authority", "TOTAL", "covered")
    hidden = audited_counts(document, totals, hidden_totals=("covered",))
    assert rollout_view(document, hidden)["years"][1]["covered"] == "c"
    # a table the audit was not given cannot be shown
    from reporting.published.plan import PublishedCounts

    with pytest.raises(ValueError, match="not audited"):
        rollout_view(document, PublishedCounts(counts.values, counts.hidden, 5))

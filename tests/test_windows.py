"""Improvement by windows (optimisation/windows.py, issue #15): a connected instance re-optimised a
window of nearby hosts at a time, from the greedy start.

Hand instance TRAP (caseload 10-12, one spoke per host, hub H runs up to 5): host J1 reaches A1 (12
cases, 20 min) and A2 (12 cases, 5 min); J2 reaches only A2 (5 min). The greedy plan fills J1's spoke
from its nearest area, A2, and then J2 has nothing left to carry, so it covers 12. The optimum is 24:
J1 takes A1 and J2 takes A2. A window holding both hosts finds it; windows holding one host each
cannot (J2's window may serve only what J2 serves now plus the unmet demand it owns: A2 has none).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from optimisation import windows
from optimisation.checker import check_plan
from optimisation.greedy import greedy_plan
from optimisation.presolve import reduce_instance
from optimisation.regions import solve_in_turn
from optimisation.result import Assignment, Infeasible, PlanResult, SpokePlacement
from optimisation.solve import lexicographic_key, solve, with_measures
from tests.instances import area, host, hub, instance, rules_with
from tests.strategies import examples, instances


def trap(**rules) -> object:
    return instance(
        [hub("H", min_spokes=1, max_spokes=5)],
        [host("J1", max_spokes=1), host("J2", max_spokes=1)],
        [area("A1", 12), area("A2", 12)],
        {("J1", "A1"): 20, ("J1", "A2"): 5, ("J2", "A2"): 5},
        {("H", "J1"): 30, ("H", "J2"): 30},
        rules=rules_with(**rules),
    )


def cases_by_host(plan: PlanResult) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for a in plan.assignments:
        found.setdefault(a.host_id, {})[a.area_id] = a.cases
    return found


def test_the_greedy_falls_into_the_trap():
    start = greedy_plan(trap())
    assert start is not None and start.objective == 12
    assert cases_by_host(start) == {"J1": {"A2": 12}}


def test_a_window_holding_both_hosts_reaches_the_optimum(monkeypatch):
    inst = trap()
    monkeypatch.setattr(windows, "CASE_COLUMNS_PER_WINDOW", 10)  # one window of 3 pairs
    plan = windows.solve_by_window(inst, solve_in_turn, time_limit=20)
    assert check_plan(inst, plan) == []
    assert plan.objective == 24 and plan.start_objective == 12 and plan.start_source == "greedy"
    assert cases_by_host(plan) == {"J1": {"A1": 12}, "J2": {"A2": 12}}
    assert plan.bound == 24 and plan.status == "OPTIMAL" and plan.gap == 0.0
    assert plan.backend.startswith("windows")
    assert [s.name for s in plan.stages] == list(inst.rules.priorities)
    assert plan.stages[0].bound == 24 and all(s.bound is None for s in plan.stages[1:])


def test_windows_of_one_host_each_cannot_leave_the_trap(monkeypatch):
    """The control: with a window per host the rows divided among windows keep J2 from taking A2's
    cases (J1 serves them now, and J2's window owns no unmet demand), so the start stays."""
    inst = trap()
    monkeypatch.setattr(windows, "CASE_COLUMNS_PER_WINDOW", 1)
    assert windows.host_windows(inst, 1, 0) == [("J1",), ("J2",)]
    plan = windows.solve_by_window(inst, solve_in_turn, time_limit=20)
    assert plan.objective == 12 and plan.status == "FEASIBLE" and plan.bound == 24
    assert plan.gap == 0.5


def test_the_relaxation_bound_is_the_linear_optimum():
    # LP: J1 and J2 each carry up to 12 (one spoke each): 24 of 24 demand.
    assert windows.relaxation_bound(trap()) == 24
    # max_spokes 1: the LP carries 12 with one spoke in all, whatever the split.
    assert windows.relaxation_bound(trap(max_spokes=1)) == 12


def spread_instance():
    """Six hosts on a line 10 km apart, each reaching its own area (one pair each), one hub."""
    hosts = [replace(host(f"J{k}"), easting=10_000.0 * k) for k in range(6)]
    return instance(
        [hub("H", min_spokes=1, max_spokes=8)],
        hosts,
        [area(f"A{k}", 12) for k in range(6)],
        {(f"J{k}", f"A{k}"): 10 for k in range(6)},
        {("H", f"J{k}"): 30 for k in range(6)},
    )


def test_windows_are_groups_of_neighbouring_hosts_of_about_the_size_asked():
    inst = spread_instance()
    # Weights 1 each: 6 > 2 splits after the host where the running total first reaches half (3),
    # then each 3 > 2 after the host reaching 1.5 (the second): [J0 J1] [J2] [J3 J4] [J5].
    assert windows.host_windows(inst, 2, 0) == [("J0", "J1"), ("J2",), ("J3", "J4"), ("J5",)]
    assert windows.host_windows(inst, 3, 0) == [("J0", "J1", "J2"), ("J3", "J4", "J5")]
    assert windows.host_windows(inst, 6, 0) == [("J0", "J1", "J2", "J3", "J4", "J5")]
    # Another round cuts along another direction; on a line every direction gives the same groups
    # of neighbours, and a host with no pair is in no window.
    no_pairs = replace(inst, casework_minutes={p: m for p, m in inst.casework_minutes.items() if p[0] != "J5"})
    assert windows.host_windows(no_pairs, 3, 1) == [("J0", "J1", "J2"), ("J3", "J4")]


def two_spoke_plan(inst, hosts=("J0", "J3")) -> PlanResult:
    """Hub H's spokes at `hosts`, one each, each carrying its own area's 12 cases."""
    plan = PlanResult(
        "FEASIBLE",
        12 * len(hosts),
        float(12 * len(hosts)),
        0.0,
        tuple(SpokePlacement("H", j, 1) for j in hosts),
        tuple(Assignment(f"A{j[1:]}", j, 12) for j in hosts),
    )
    return with_measures(inst, plan)


def test_a_hub_in_use_in_two_windows_keeps_its_minimum_in_post():
    """Hub H (min 2) runs one spoke at J0 and one at J3. In parallel windows each could drop its spoke
    counting on the other's: each window keeps its part of the minimum (one spoke) in post instead."""
    inst = replace(spread_instance(), hubs=(hub("H", min_spokes=2, max_spokes=8),))
    start = two_spoke_plan(inst)
    assert check_plan(inst, start) == []
    subs = windows.window_instances(inst, start, [("J0", "J1", "J2"), ("J3", "J4", "J5")])
    assert [dict(sub.existing_spokes) for sub, _ in subs] == [{("H", "J0"): 1}, {("H", "J3"): 1}]
    assert [sub.hubs[0].min_spokes for sub, _ in subs] == [0, 0]
    # The hub's spare capacity (min(max_spokes 8, 1 manager x span 5) - 2 = 3) is divided by the unmet
    # demand each window owns (A1, A2: 24; A4, A5: 24): 1.5 each, the remainder to the first: 2 and 1.
    assert [sub.hubs[0].max_spokes for sub, _ in subs] == [1 + 2, 1 + 1]


def test_a_hub_in_use_in_one_window_only_may_close_there_and_open_elsewhere_with_its_minimum():
    """H (min 2) runs its two spokes at J0 and J1, both in the first window, which may close it; the
    second window may then open it only with at least its minimum, so the two never leave it at 1."""
    inst = replace(spread_instance(), hubs=(hub("H", min_spokes=2, max_spokes=8),))
    start = two_spoke_plan(inst, ("J0", "J1"))
    subs = windows.window_instances(inst, start, [("J0", "J1", "J2"), ("J3", "J4", "J5")])
    assert [dict(sub.existing_spokes) for sub, _ in subs] == [{}, {}]
    # Spare 5 - 2 = 3 by owned unmet demand 12 (A2) and 36 (A3-A5): 0.75 and 2.25 -> 0 + 1 and 2.
    assert [(sub.hubs[0].min_spokes, sub.hubs[0].max_spokes) for sub, _ in subs] == [(2, 2 + 1), (2, 2)]


def test_a_required_authority_stays_required_in_one_window_only():
    """Both windows host a spoke in the required authority; if neither kept the rule, both could
    drop theirs. The window of its first host with a spoke (J0) keeps it."""
    inst = spread_instance()
    code = inst.hosts[0].authority_code  # every host's
    inst = replace(inst, authorities=tuple(replace(a, required=a.authority_code == code) for a in inst.authorities))
    plan = two_spoke_plan(inst)  # spokes at J0 and J3: either window alone keeps the authority served
    assert check_plan(inst, plan) == []
    subs = windows.window_instances(inst, plan, [("J0", "J1", "J2"), ("J3", "J4", "J5")])
    required = [[a.authority_code for a in sub.authorities if a.required] for sub, _ in subs]
    assert required[0] == [code] and code not in required[1]


def random_groups(draw, inst) -> list[tuple[str, ...]]:
    """A random division of the hosts with pairs into 1-4 windows (any division must be safe)."""
    with_pairs = sorted({j for (j, _) in inst.casework_minutes})
    count = draw(st.integers(1, 4))
    labels = [draw(st.integers(0, count - 1)) for _ in with_pairs]
    groups = [tuple(j for j, label in zip(with_pairs, labels) if label == k) for k in range(count)]
    return [g for g in groups if g]


@st.composite
def incumbents(draw):
    """A random instance, a valid plan of it (the greedy's, else the solver's) and random windows."""
    inst = draw(instances())
    start = greedy_plan(inst)
    if start is None or draw(st.booleans()):
        try:
            start = solve(inst, time_limit=10)
        except Infeasible:
            start = None
    if start is not None:  # a weaker incumbent leaves the windows room: some hosts' spokes dropped, if still valid
        dropped = draw(st.sets(st.sampled_from(sorted({s.host_id for s in start.spokes}) or ["-"])))
        thinner = replace(
            start,
            spokes=tuple(s for s in start.spokes if s.host_id not in dropped),
            assignments=tuple(a for a in start.assignments if a.host_id not in dropped),
        )
        thinner = with_measures(inst, replace(thinner, objective=sum(a.cases for a in thinner.assignments)))
        start = thinner if not check_plan(inst, thinner) else with_measures(inst, start)
    return inst, start, random_groups(draw, inst)


@settings(max_examples=examples(100), deadline=None)
@given(incumbents(), st.data())
def test_any_plans_of_the_windows_together_keep_every_rule(case, data):
    """The rows joining windows are divided among them, so each window's part of the incumbent is a
    plan of its sub-instance, and any valid plans of the windows (their optima, or their parts kept:
    each window's choice drawn at random) put together pass the solver-free checker on the whole."""
    inst, start, groups = case
    if start is None or not groups:
        event("no start plan or no host with a pair")
        return
    event(f"{len(groups)} windows")
    subs = windows.window_instances(inst, start, groups)
    chosen: list[PlanResult | None] = []
    optima: list[PlanResult | None] = []
    for sub, part in subs:
        part = with_measures(sub, part)
        assert check_plan(sub, part) == [], "the incumbent's part is not a plan of its window"
        if not windows.can_improve(sub):  # nothing to decide: solve_by_window keeps the part
            chosen.append(None)
            optima.append(None)
            continue
        try:
            best = solve(sub, time_limit=10, start=part)
        except Infeasible:
            raise AssertionError("a window with a valid start was called infeasible") from None
        assert check_plan(sub, best) == []
        assert lexicographic_key(sub, best) >= lexicographic_key(sub, part)
        if best.objective > part.objective:
            event("a window covers more than its part")
        other = greedy_plan(sub)  # another valid plan of the window, often far from the part
        options = [None, best] + ([other] if other is not None else [])
        pick = options[data.draw(st.integers(0, len(options) - 1))]
        if (
            pick is other
            and other is not None
            and (other.spokes != part.spokes or other.assignments != part.assignments)
        ):
            event("a window's plan other than its part and its optimum")
        chosen.append(pick)
        optima.append(best)
    combined = with_measures(inst, windows.combine(start, groups, chosen))
    assert check_plan(inst, combined) == []
    improved = with_measures(inst, windows.combine(start, groups, optima))
    assert check_plan(inst, improved) == []
    assert lexicographic_key(inst, improved) >= lexicographic_key(inst, start)


@settings(max_examples=examples(40), deadline=None)
@given(instances(max_hubs=3, max_hosts=6, max_areas=8), st.integers(1, 30))
def test_plans_by_window_are_valid_never_worse_than_the_start_and_within_the_bound(inst, size):
    try:
        optimum = solve(inst, time_limit=10)
    except Infeasible:
        return
    start = greedy_plan(reduce_instance(inst))
    original = windows.CASE_COLUMNS_PER_WINDOW
    windows.CASE_COLUMNS_PER_WINDOW = size
    try:
        plan = windows.solve_by_window(inst, solve_in_turn, time_limit=20)
    finally:
        windows.CASE_COLUMNS_PER_WINDOW = original
    assert check_plan(inst, plan) == []
    if start is not None:
        assert plan.objective >= start.objective
    assert plan.objective <= plan.bound
    if optimum.status == "OPTIMAL":  # the bound is proven: never below the optimum
        assert plan.bound >= optimum.objective
        assert windows.relaxation_bound(reduce_instance(inst)) >= optimum.objective


def test_large_instances_are_planned_by_window_and_small_ones_whole(monkeypatch):
    inst = trap()
    assert not windows.planned_by_window(inst)
    monkeypatch.setattr(windows, "WINDOW_MIN_CASE_COLUMNS", 2)
    assert windows.planned_by_window(inst)  # 3 pairs with demand
    assert not windows.planned_by_window(replace(inst, areas=(area("A1", 0), area("A2", 12))))  # 2 pairs


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_spokeplan_plan_by_windows(tmp_path, capsys, monkeypatch):
    """`spokeplan plan inputs/demo` as a user runs it, with the demo planned by windows (the size
    threshold lowered to 0 in this process): exit 0, checked plan files whose stages say what was
    proven, and a summary that says how the plan was made. The demo's whole-model optimum (the same
    command without windows) bounds what windows can reach. (Windows on Dask: tests/test_dask.py.)"""
    from flows.cli import main

    def plan(out):
        code = main(["plan", "inputs/demo", "--out", str(out), "--time-limit", "20"])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        return json.loads((out / "internal" / "plan.json").read_text()), captured.out

    whole, _ = plan(tmp_path / "whole")
    monkeypatch.setattr(windows, "WINDOW_MIN_CASE_COLUMNS", 0)
    by_window, summary = plan(tmp_path / "windows")
    assert by_window["start_source"] == "greedy" and by_window["start_objective"] <= by_window["objective"]
    assert by_window["objective"] <= whole["objective"] and whole["status"] == "OPTIMAL"
    stages = by_window["stages"]
    assert [s["name"] for s in stages] == ["coverage", "host_fit", "supervision", "travel"]
    assert stages[0]["bound"] >= by_window["objective"] and all(s["bound"] is None for s in stages[1:])
    print(summary)
    assert "windows" in summary

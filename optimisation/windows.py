"""Plans by window (issue #15 item 2): a large instance improved a window of nearby hosts at a time
from the anytime start (a large-neighbourhood search).

England's reach graph is one region (optimisation.regions finds one part), and a whole-country MIP
at postcode-sector level finds little in a minute (SCIP added 2 cases to the greedy's 3,082 in
54 s: benchmarks/README.md). optimisation.regions.plan sends an instance with more than
WINDOW_MIN_CASE_COLUMNS host-area pairs with demand here (:func:`solve_by_window`).

**Windows** (:func:`host_windows`). The hosts are cut into groups of about CASE_COLUMNS_PER_WINDOW
host-area pairs by recursive bisection at the weighted median, across each group's longer side;
each round turns the axes (0°, 45°, 90°, 135°, then 22.5° further), so boundaries move. In the window
of group W the spokes at W's hosts are free and the rest of the incumbent plan is fixed.

**Independent windows** (:func:`window_instances`). The rows that join windows are divided among
the windows of a round, so each window's sub-instance is an ordinary Instance and any valid plans
of the windows, put together, keep every rule (tests/test_windows.py checks random divisions and
random window plans with the solver-free checker):

* area i: window W may serve the cases its hosts serve now, plus the area's unmet demand if W owns
  the area (the window of its nearest host in reach);
* hub h, capacity: in W it may run the spokes it runs in W now plus W's share of its spare capacity
  (shared by the unmet demand the windows it reaches own; none owning any: all to the window running
  most of its spokes);
* hub h, minimum: a hub in use in one window at most keeps its minimum in every window (each runs
  none of its spokes or at least the minimum, so together none or at least the minimum); a hub in
  use in several windows (or at a host in no window) has its minimum divided among the windows
  using it, each keeping its part as spokes in post;
* max_spokes: W may use its spokes now plus a share of the spare (by owned unmet demand);
* budget: W may spend what its part costs on its own plus a share of the spare (a part's cost on its
  own is at least its share of the whole plan's: managers are ⌈spokes / span⌉ per hub);
* a required authority with no spoke at a host in no window stays required in one window only (that
  of its first host, by id, with a spoke);
* spokes in post, locked hosts, one hub per host, the home-authority rule: per host or pair, so per
  window.

Each window is solved by optimisation.solve.solve from the incumbent's part, and its plan replaces
the part only if lexicographically better. Coverage rounds solve coverage only, and only the windows
with demand their part does not serve; then whole cases and the later priorities are settled for the
whole plan (optimisation.integral, then optimisation.rehub); then a polish round solves every
priority in as many windows as the time left allows. Each combined plan is checked by the
solver-free checker before it is kept (a safety net: it holds by construction); the plan returned
is never worse than the greedy start.

**The bound** is the linear relaxation of the coverage model (areas with the same reachable hosts
merged: exact for coverage, optimisation.presolve.merge_areas), or the greedy's cheap bound if lower:
proven, reported as the coverage stage's bound; later stages are reported unproven.

**Runners.** Windows, shares and each window's time limit depend on the instance, the plan and the
limit only, not on how the windows are run (``solve_many``: in turn, or as Dask tasks by
flows.plan_flow). Whether another round starts depends on the clock, as does a window stopped at
its time limit: plans are the same on every runner when every window is proven optimal.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from optimisation.checker import check_plan
from optimisation.diagnosis import structural_problems
from optimisation.greedy import coverage_upper_bound, greedy_plan
from optimisation.instance import Instance
from optimisation.integral import integral_assignment
from optimisation.measures import plan_cost_per_year
from optimisation.model import Layout, build_model
from optimisation.presolve import merge_areas, reduce_instance
from optimisation.rehub import rehub
from optimisation.result import Assignment, Infeasible, PlanResult
from optimisation.rules import Budget, SpokeLimit
from optimisation.solve import RESERVE_SHARE, coverage_proven_stages, lexicographic_key, solve, with_measures

# Case columns (host-area pairs with demand, after the exact presolve) per window: a window's MIP
# is then solved, or nearly, in a few seconds by HiGHS (measured: benchmarks/README.md, issue #15).
CASE_COLUMNS_PER_WINDOW = 15_000
ROUNDS = 8  # coverage rounds at most, each cutting along other directions, so every boundary moves
# Each window's time limit, as a share of the whole limit (3 s of 60: measured, most windows of
# ~15,000 case columns are proven optimal in under a second, the largest in 2-3 s), between the
# bounds below.
WINDOW_SHARE = 0.05
# ... at least this long (optimisation.solve starts the solver only with a second or more to run it)
# and at most this long: a longer limit buys more rounds instead.
WINDOW_MIN_SECONDS = 1.5
WINDOW_MAX_SECONDS = 3.0
WINDOW_FIRST_ROUND_SHARE = 0.25  # the first round starts if this share of the limit is left
MIN_POLISH_SECONDS = 1.0  # the polish round (every priority) gives each window it solves at least this
POLISH_MARGIN = 0.7  # of the time left, what the polish windows share (a solve can run past its limit)
# Instances with more host-area pairs with demand than this are planned by windows
# (optimisation.regions.plan). Measured (benchmarks/README.md, issue #15, 60 s, seed 1): windows cover
# more than the whole model on every England instance from medium up (46,882 pairs with demand and
# more: medium district 1,597 vs 1,482, medium sector 1,573 vs 1,478, national district 3,202 vs
# 3,120, national sector 3,200 vs 3,084), while the small ones (about 6,500 pairs; the shipped demos
# have fewer) are solved whole and proven optimal in seconds (small sector: 467 in 2.6 s, which
# windows also reach in 20 s without a proof).
WINDOW_MIN_CASE_COLUMNS = 20_000

# solve_many(instances, seconds, starts): each instance solved from its start plan, `seconds` each.
SolveFrom = Callable[[list[Instance], float, list[PlanResult]], list["PlanResult | None"]]


def host_windows(inst: Instance, size: int, round_number: int) -> list[tuple[str, ...]]:
    """The hosts in groups by place of about `size` case columns each (host-area pairs in reach):
    recursive bisection at the weighted median, cutting each group across its longer side.
    Rounds cut along other directions (0°, 45°, 90°, 135°, then 22.5° further), so boundaries move."""
    pairs: dict[str, int] = defaultdict(int)
    for host_id, _ in inst.casework_minutes:
        pairs[host_id] += 1
    hosts = sorted((h for h in inst.hosts if pairs[h.host_id] > 0), key=lambda h: h.host_id)
    angle = math.pi / 4 * (round_number % 4) + math.pi / 8 * ((round_number // 4) % 2)
    turn = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    points = np.array([(h.easting, h.northing) for h in hosts], dtype=float).reshape(-1, 2) @ turn.T
    weights = np.array([pairs[h.host_id] for h in hosts], dtype=float)
    groups: list[np.ndarray] = []

    def split(members: np.ndarray) -> None:
        if weights[members].sum() <= size or len(members) < 2:
            groups.append(members)
            return
        spread = points[members].max(0) - points[members].min(0)
        axis = int(np.argmax(spread))
        order = members[np.lexsort((members, points[members, axis]))]
        cumulative = np.cumsum(weights[order])
        cut = int(np.searchsorted(cumulative, cumulative[-1] / 2)) + 1
        cut = min(max(cut, 1), len(order) - 1)
        split(order[:cut])
        split(order[cut:])

    if hosts:
        split(np.arange(len(hosts)))
    return [tuple(sorted(hosts[i].host_id for i in group)) for group in groups]


def _part(plan: PlanResult, hosts: set[str]) -> PlanResult:
    """The plan's spokes and cases at `hosts` only."""
    assignments = tuple(a for a in plan.assignments if a.host_id in hosts)
    return replace(
        plan,
        objective=sum(a.cases for a in assignments),
        spokes=tuple(s for s in plan.spokes if s.host_id in hosts),
        assignments=assignments,
        team=(),
        stages=(),
    )


def window_instances(
    inst: Instance, plan: PlanResult, groups: Sequence[tuple[str, ...]]
) -> list[tuple[Instance, PlanResult]]:
    """Each window's sub-instance and the incumbent's part as its start (module docstring)."""
    window_of = {host_id: k for k, group in enumerate(groups) for host_id in group}  # else -1: fixed
    area_hosts: dict[str, list[tuple[int, str]]] = defaultdict(list)
    pairs_at: dict[str, list[tuple[tuple[str, str], int]]] = defaultdict(list)
    for (host_id, area_id), minutes in inst.casework_minutes.items():
        area_hosts[area_id].append((minutes, host_id))
        pairs_at[host_id].append(((host_id, area_id), minutes))
    hub_hosts: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for (hub_id, host_id), minutes in inst.supervision_minutes.items():
        hub_hosts[hub_id].append((minutes, host_id))

    def owner(reach: list[tuple[int, str]]) -> int:
        """The window of the nearest host in reach (ties: lowest host id) that is in a window."""
        return window_of[min((m, j) for m, j in reach if j in window_of)[1]]

    served_in: dict[tuple[str, int], int] = defaultdict(int)  # (area, window) -> cases now
    served: dict[str, int] = defaultdict(int)
    for a in plan.assignments:
        served_in[(a.area_id, window_of.get(a.host_id, -1))] += a.cases
        served[a.area_id] += a.cases
    runs_in: dict[tuple[str, int], int] = defaultdict(int)  # (hub, window) -> spokes now
    runs: dict[str, int] = defaultdict(int)
    spokes_in: dict[int, int] = defaultdict(int)
    for s in plan.spokes:
        runs_in[(s.hub_id, window_of.get(s.host_id, -1))] += s.count
        runs[s.hub_id] += s.count
        spokes_in[window_of.get(s.host_id, -1)] += s.count
    windows_of_area = {
        area_id: {window_of[j] for _, j in reach if j in window_of} for area_id, reach in area_hosts.items()
    }
    unmet = {a.area_id: a.demand - served[a.area_id] for a in inst.areas if windows_of_area.get(a.area_id)}
    area_owner = {area_id: owner(area_hosts[area_id]) for area_id in unmet}
    owned_unmet: dict[int, int] = defaultdict(int)
    for area_id, left in unmet.items():
        owned_unmet[area_owner[area_id]] += left
    spoke_share = _shares(_spare_spokes(inst, plan), [owned_unmet[k] for k in range(len(groups))])
    # Hubs: each hub's spare capacity divided among the windows it reaches, by the unmet demand they
    # own (none owning any: all of it to the window running most of its spokes, ties the first).
    hub_windows = {
        hub_id: sorted({window_of[j] for _, j in reach if j in window_of}) for hub_id, reach in hub_hosts.items()
    }
    spare_in: dict[tuple[str, int], int] = {}
    for hub in inst.hubs:
        reached = hub_windows.get(hub.hub_id, [])
        if not reached:
            continue
        weights = [owned_unmet[k] for k in reached]
        if sum(weights) == 0:
            top = max(reached, key=lambda k: (runs_in[(hub.hub_id, k)], -k))
            weights = [int(k == top) for k in reached]
        for k, share in zip(reached, _shares(max(0, hub.capacity - runs[hub.hub_id]), weights)):
            spare_in[(hub.hub_id, k)] = share
    # ... and its minimum: a hub in use in one window at most keeps it in each window alone (each may
    # run none or at least the minimum); a hub in use in several windows (or at a host in none) has it
    # divided among the windows using it (earlier windows first), each keeping its part in post, so
    # together they never fall below it.
    using = {hub_id: {k for (h, k), n in runs_in.items() if h == hub_id and n > 0} for hub_id in runs}
    minimum_in: dict[tuple[str, int], int] = {}
    for hub in inst.hubs:
        used_in = sorted(using.get(hub.hub_id, set()))
        if len(used_in) > 1 or (used_in and used_in[0] == -1):
            left = hub.min_spokes - runs_in.get((hub.hub_id, -1), 0)
            for k in (k for k in used_in if k >= 0):
                minimum_in[(hub.hub_id, k)] = max(0, min(left, runs_in[(hub.hub_id, k)]))
                left -= minimum_in[(hub.hub_id, k)]
    pinned = {hub_id for (hub_id, _) in minimum_in}
    parts = [_part(plan, set(group)) for group in groups]
    budget = Budget.of(inst.rules)
    spare_budget = 0.0
    if budget.limit is not None:  # the parts' costs on their own, and the fixed rest's
        own_costs = [plan_cost_per_year(inst, part) for part in parts]
        rest = _part(plan, {s.host_id for s in plan.spokes if s.host_id not in window_of})
        spare_budget = max(0.0, budget.limit - sum(own_costs) - plan_cost_per_year(inst, rest))
    # A required authority with no spoke at a fixed host stays required in one window only: the
    # window of its first host (by id) with a spoke, so two windows never both count on the other.
    responsible: dict[str, int] = {}
    for s in sorted(plan.spokes, key=lambda s: s.host_id):
        code = inst.host(s.host_id).authority_code
        responsible.setdefault(code, window_of.get(s.host_id, -1))
    result = []
    for k, group in enumerate(groups):
        hosts = set(group)
        demand = {
            area_id: served_in[(area_id, k)] + (unmet[area_id] if area_owner[area_id] == k else 0)
            for area_id in unmet
            if k in windows_of_area[area_id]
        }
        hubs, kept = [], {}
        for hub in inst.hubs:
            if k not in hub_windows.get(hub.hub_id, []):
                continue
            here = runs_in[(hub.hub_id, k)]
            most = here + spare_in[(hub.hub_id, k)]
            if most <= 0:
                continue
            if hub.hub_id not in pinned:  # in use in one window at most: its own minimum in each
                least = hub.min_spokes
            else:  # in use in several: this window keeps its part of the minimum in post (maybe none)
                least = 0
                keep = minimum_in.get((hub.hub_id, k), 0)
                for s in sorted(parts[k].spokes, key=lambda s: (-s.count, s.host_id)):
                    if keep > 0 and s.hub_id == hub.hub_id:
                        kept[(s.hub_id, s.host_id)] = min(keep, s.count)
                        keep -= kept[(s.hub_id, s.host_id)]
            if least > most:  # it cannot reach its minimum here (e.g. fewer places than its minimum)
                continue
            hubs.append(replace(hub, min_spokes=least, max_spokes=most))
        hub_ids = {h.hub_id for h in hubs}
        rules = inst.rules
        if SpokeLimit.of(rules).maximum is not None:
            rules = replace(rules, max_spokes=spokes_in[k] + spoke_share[k])
        if budget.limit is not None:
            rules = replace(rules, budget_per_year=own_costs[k] + spare_budget * _weight(owned_unmet, k))
        authorities = tuple(
            replace(a, required=False) if a.required and responsible.get(a.authority_code, k) != k else a
            for a in inst.authorities
        )
        existing = {p: n for p, n in inst.existing_spokes.items() if p[1] in hosts}
        for pair, n in kept.items():
            existing[pair] = max(n, existing.get(pair, 0))
        sub = Instance(
            tuple(hubs),
            tuple(h for h in inst.hosts if h.host_id in hosts),
            tuple(replace(a, demand=demand[a.area_id]) for a in inst.areas if a.area_id in demand),
            authorities,
            rules,
            {p: m for j in group for p, m in pairs_at[j] if p[1] in demand},
            {p: m for p, m in inst.supervision_minutes.items() if p[0] in hub_ids and p[1] in hosts},
            existing,
            supervision_km={p: km for p, km in inst.supervision_km.items() if p[0] in hub_ids and p[1] in hosts},
        )
        result.append((sub, parts[k]))
    return result


def _spare_spokes(inst: Instance, plan: PlanResult) -> int:
    limit = SpokeLimit.of(inst.rules).maximum
    return 0 if limit is None else max(0, limit - plan.spokes_total)


def _weight(owned: dict[int, int], k: int) -> float:
    total = sum(owned.values())
    return owned[k] / total if total else 0.0


def _shares(spare: int, weights: list[int]) -> list[int]:
    """`spare` whole units split in proportion to `weights` (largest remainders, ties by index)."""
    total = sum(weights)
    if spare <= 0 or total <= 0:
        return [0] * len(weights)
    exact = [spare * w / total for w in weights]
    shares = [math.floor(e) for e in exact]
    order = sorted(range(len(weights)), key=lambda k: (-(exact[k] - shares[k]), k))
    for k in order[: spare - sum(shares)]:
        shares[k] += 1
    return shares


def combine(plan: PlanResult, groups: Sequence[tuple[str, ...]], solved: Sequence[PlanResult | None]) -> PlanResult:
    """The incumbent with each solved window's part replaced by the window's plan (windows hold
    disjoint hosts, so no spoke or case row appears twice)."""
    changed = {host_id for group, part in zip(groups, solved) if part is not None for host_id in group}
    spokes = [s for s in plan.spokes if s.host_id not in changed]
    cases = [a for a in plan.assignments if a.host_id not in changed]
    for part in solved:
        if part is not None:
            spokes += part.spokes
            cases += part.assignments
    return replace(
        plan,
        objective=sum(a.cases for a in cases),
        spokes=tuple(sorted(spokes)),
        assignments=tuple(sorted(a for a in cases if a.cases > 0)),
    )


def relaxation_bound(inst: Instance) -> float:
    """The linear relaxation's optimum of the coverage stage (areas of equal reachable hosts merged,
    which is exact for coverage), rounded down to whole cases: a proven bound on covered cases.
    `inst` should be the exactly reduced instance (optimisation.presolve.reduce_instance)."""
    linear = build_model(merge_areas(inst).instance, layout=Layout(spokes_per_host=True, link_rows=False)).linear
    lower, upper, _ = linear.column_arrays()
    row_lower, row_upper = linear.row_arrays()
    constraints = LinearConstraint(linear.matrix(), row_lower, row_upper)
    result = milp(-linear.objectives["coverage"], constraints=constraints, bounds=Bounds(lower, upper))  # no integers
    if result.status != 0:
        return math.inf
    return float(math.floor(-result.fun + 1e-6))


def _window_round(
    inst: Instance,
    reduced: Instance,
    plan: PlanResult,
    round_number: int,
    solve_many: SolveFrom,
    seconds: float,
    *,
    polish_time: float | None = None,
    most: int | None = None,
) -> tuple[PlanResult, bool]:
    """One round: the windows of `round_number` solved from the plan's parts, each window's plan kept
    where it is lexicographically better than its part, and the combined plan kept if it passes the
    checker and is better; returns it and whether any window was solved.

    A coverage round solves, with coverage as the only priority and `seconds` each, the windows
    whose areas have demand their part does not serve yet. A polish round (`polish_time` given)
    solves, with every priority, at most `most` windows (those serving most cases first), sharing
    `polish_time` equally, at most `seconds` each."""
    polish = polish_time is not None
    groups = host_windows(reduced, CASE_COLUMNS_PER_WINDOW, round_number)
    windows = window_instances(reduced, plan, groups)
    jobs = [k for k, (sub, part) in enumerate(windows) if can_improve(sub) and (polish or _unserved(sub, part) > 0)]
    if polish_time is not None:
        jobs = sorted(jobs, key=lambda k: (-windows[k][1].objective, k))[:most]
        seconds = min(seconds, polish_time / max(1, len(jobs)))
    if not jobs:
        return plan, False
    subs = [windows[k][0] if polish else _coverage_only(windows[k][0]) for k in jobs]
    solved = solve_many(subs, seconds, [windows[k][1] for k in jobs])
    results: list[PlanResult | None] = [None] * len(groups)
    for k, sub, result in zip(jobs, subs, solved):
        part = with_measures(sub, windows[k][1])
        if result is not None and lexicographic_key(sub, result) > lexicographic_key(sub, part):
            results[k] = result
    candidate = with_measures(inst, combine(plan, groups, results))
    if check_plan(inst, candidate) or lexicographic_key(inst, candidate) < lexicographic_key(inst, plan):
        return plan, True
    return candidate, True


def can_improve(sub: Instance) -> bool:
    """Whether a window has anything to decide: a hub, and demand its hosts reach."""
    demand = {a.area_id: a.demand for a in sub.areas}
    return bool(sub.hubs) and any(demand[area_id] > 0 for (_, area_id) in sub.casework_minutes)


def _unserved(sub: Instance, part: PlanResult) -> int:
    """Demand of the window's areas within its hosts' reach that its part does not serve."""
    reached = {area_id for (_, area_id) in sub.casework_minutes}
    return sum(a.demand for a in sub.areas if a.area_id in reached) - part.objective


def _coverage_only(sub: Instance) -> Instance:
    return replace(sub, rules=replace(sub.rules, priorities=("coverage",)))


def _settled(inst: Instance, reduced: Instance, plan: PlanResult) -> PlanResult:
    """The plan's spokes with the later priorities settled for the whole plan: whole cases by
    optimisation.integral (coverage first, then host fit and travel in their order, for these
    spokes), then the supervision-optimal hub assignment (optimisation.rehub). Kept where valid and
    no worse."""
    spokes = {(s.hub_id, s.host_id): s.count for s in plan.spokes}
    cases = integral_assignment(replace(inst, casework_minutes=reduced.casework_minutes), spokes, plan.objective)
    assigned = with_measures(
        inst,
        replace(
            plan,
            objective=sum(cases.values()),
            assignments=tuple(sorted(Assignment(i, j, n) for (i, j), n in cases.items() if n > 0)),
        ),
    )
    if not check_plan(inst, assigned) and lexicographic_key(inst, assigned) >= lexicographic_key(inst, plan):
        plan = assigned
    return rehub(inst, plan)


def planned_by_window(inst: Instance) -> bool:
    """Whether optimisation.regions.plan plans `inst` by windows: more than WINDOW_MIN_CASE_COLUMNS
    host-area pairs with demand, and no service-model support roles (their team costs are per hub)."""
    if inst.rules.team_roles:
        return False
    demand = {a.area_id: a.demand for a in inst.areas}
    return sum(1 for (_, area_id) in inst.casework_minutes if demand[area_id] > 0) > WINDOW_MIN_CASE_COLUMNS


def solve_by_window(inst: Instance, solve_many: SolveFrom, *, time_limit: float = 60.0) -> PlanResult:
    """The plan of `inst` improved window by window from the greedy start (module docstring).

    `solve_many(instances, seconds, starts)` solves each window's sub-instance from its start plan
    (optimisation.solve.solve, `seconds` each) and returns its plan, or None. A round starts only if
    the time left holds the previous round's duration again (the first: WINDOW_FIRST_ROUND_SHARE of the
    limit); the plan returned is never worse than the start, and is checked."""
    started = time.perf_counter()
    problems = structural_problems(inst)
    if problems:
        raise Infeasible(problems)
    reduced = reduce_instance(inst)
    greedy = greedy_plan(reduced)
    if greedy is None:  # the greedy's simple rules found no plan: the whole model may
        return solve(inst, time_limit=time_limit)
    start = with_measures(inst, greedy)
    bound = float(min(coverage_upper_bound(reduced), relaxation_bound(reduced)))
    plan, rounds_run, polished, last_round = start, 0, False, time_limit * WINDOW_FIRST_ROUND_SHARE
    seconds = min(WINDOW_MAX_SECONDS, max(WINDOW_MIN_SECONDS, time_limit * WINDOW_SHARE))
    for round_number in range(ROUNDS):
        left = time_limit * (1 - RESERVE_SHARE) - (time.perf_counter() - started)
        if left < last_round or plan.objective >= bound:  # out of time, or coverage proven optimal
            break
        round_started = time.perf_counter()
        plan, _ = _window_round(inst, reduced, plan, round_number, solve_many, seconds)
        rounds_run += 1
        last_round = time.perf_counter() - round_started
    settle_started = time.perf_counter()
    plan = _settled(inst, reduced, plan)
    settle_seconds = time.perf_counter() - settle_started
    # The polish: one more round with every priority in the windows (coverage held by its stages):
    # as many windows as the time left allows at MIN_POLISH_SECONDS each (after settling again, with a
    # margin for windows running past their limit), those serving most cases first; each window
    # gets an equal share of that time, at most the coverage rounds' limit.
    left = POLISH_MARGIN * (time_limit * (1 - RESERVE_SHARE) - (time.perf_counter() - started) - settle_seconds)
    most = int(left // MIN_POLISH_SECONDS)
    if len(inst.rules.priorities) > 1 and most >= 1:
        plan, polished = _window_round(inst, reduced, plan, ROUNDS, solve_many, seconds, polish_time=left, most=most)
        if polished:
            plan = _settled(inst, reduced, plan)
    optimal = plan.objective >= bound
    bound = max(bound, float(plan.objective))
    total = time.perf_counter() - started
    status = "OPTIMAL" if optimal else "FEASIBLE"
    stages = coverage_proven_stages(inst, plan, bound, status, total)
    return replace(
        plan,
        status=status,
        bound=bound,
        gap=(bound - plan.objective) / max(bound, 1.0),
        backend=(
            f"windows: {rounds_run} coverage round(s){' and a polish' if polished else ''}, "
            f"each window about {CASE_COLUMNS_PER_WINDOW:,} case columns"
        ),
        stages=stages,
        start_objective=start.objective,
        start_source="greedy",
        solve_seconds=total,
    )

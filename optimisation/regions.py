"""Decomposition by region (issue #15 item 2): independent parts of the model solved apart.

Entry point :func:`plan`: a large instance (more than optimisation.windows.WINDOW_MIN_CASE_COLUMNS
host-area pairs with demand, e.g. England by postcode sector, whose reach graph is one region) is
planned by windows (optimisation.windows); otherwise an instance of one region is solved whole and
one of several regions as below.

**Regions.** The rows of the one formulation (optimisation.model.build_model) are taken as they
are: two columns are in the same region when some row other than a coupling row (the families in
COUPLING_FAMILIES: ``max_spokes`` and ``budget``, one row each over every spoke) holds both. So a
region is a connected part of the reach graph (hub -> host within supervision reach, host -> area
within casework reach) joined further by any family whose rows span it (a required authority, a
family added later): no rule is restated here, and a new family that spans regions merges them.
Each region becomes a sub-instance (:func:`region_instances`: its hubs, hosts, areas, pairs and
existing spokes; the same rules).

**Coordination of the coupling rows** (:func:`solve_by_region`):

1. Each region is solved with the global limits (max_spokes S, budget B) as its own: a relaxation
   of the whole (each region may use all of S and B), which separates by region. If the regions'
   plans together keep S and B, they are a plan of the whole and lexicographically optimal (the
   relaxation's optimum is the sum of the regions' optima, priority by priority).
2. Otherwise each region r gets a menu: its lexicographically best plan P_r(s) with at most s spokes
   (rules.max_spokes = s), for s = 0 .. s_r (s_r: the spokes of its step-1 plan; every level when
   s_r ≤ MENU_LEVELS, else MENU_LEVELS levels spread evenly). A master problem (scipy.optimize.milp)
   picks one menu plan per region keeping Σ spokes ≤ S and Σ cost ≤ B, lexicographically best
   (coverage, then the later priorities, each held). The plan is feasible (regions share no row
   but S and B).

**The bound** (why it is valid): let UB_r(s) be the solver's proven coverage bound of region r with
at most s spokes, and ŪB_r(s) = UB_r(t) for the smallest evaluated level t ≥ s (coverage never falls
as s grows; the step-1 level t = s_r bounds every s, being solved with S). Any plan of the whole,
restricted to region r, is a plan of region r with some s_r' spokes and cost ≥ s_r' × spoke_cost
(rules.Budget: host and support-role costs are never negative), so its coverage is at most
max Σ_r ŪB_r(s_r') over Σ s_r' ≤ S and spoke_cost × Σ s_r' ≤ B: a knapsack solved exactly by
dynamic programming (:func:`coupled_bound`). The master's plan is optimal when it reaches that bound.

Deterministic: regions, levels and time limits depend on the instance and the limits only, not on
how the solves are run (``solve_many``: in turn here, or as Dask tasks by flows.plan_flow).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from optimisation.diagnosis import structural_problems
from optimisation.instance import Instance
from optimisation.measures import plan_cost_per_year
from optimisation.model import build_model
from optimisation.result import Infeasible, PlanResult, StageResult
from optimisation.rules import TOLERANCE, Budget, SpokeLimit
from optimisation.solve import NoPlanFound, solve
from optimisation.windows import planned_by_window, solve_by_window

COUPLING_FAMILIES = ("max_spokes", "budget")  # the rows that join every region (module docstring)
MENU_LEVELS = 24  # most spoke levels per region in a menu (every level up to this many spokes)
RELAXED_SHARE = 0.4  # of the time limit, for the step-1 solves (all regions together)

# solve_many(instances, seconds, starts=None): each instance solved (`seconds` each), from its start
# plan if starts are given (optimisation.windows); a plan, or None if it has none.
SolveMany = Callable[..., list["PlanResult | None"]]


@dataclass(frozen=True)
class Region:
    """The ids of one region's hubs, hosts and areas (each sorted)."""

    hubs: tuple[str, ...]
    hosts: tuple[str, ...]
    areas: tuple[str, ...]


def reach_parts(inst: Instance) -> int:
    """How many connected parts the reach graph has (hubs, hosts and areas joined by their pairs in
    reach): a quick look before the model is built. Regions (below) are never more than these."""
    ids: dict[tuple[str, str], int] = {}
    ends = [(("hub", h), ("host", j)) for h, j in inst.supervision_minutes]
    ends += [(("host", j), ("area", i)) for j, i in inst.casework_minutes]
    rows = [ids.setdefault(a, len(ids)) for a, _ in ends]
    cols = [ids.setdefault(b, len(ids)) for _, b in ends]
    if not ids:
        return 0
    count, label = connected_components(
        coo_matrix((np.ones(len(rows)), (np.array(rows), np.array(cols))), shape=(len(ids),) * 2), directed=False
    )
    hub_parts = {label[k] for (kind, _), k in ids.items() if kind == "hub"}
    return len(hub_parts)


def regions(inst: Instance) -> list[Region]:
    """The regions of `inst` (module docstring), ordered by their first hub id."""
    model = build_model(inst)
    linear, c = model.linear, model.columns
    coupling = np.isin(np.array(linear.row_family, dtype=object), COUPLING_FAMILIES)
    matrix = linear.matrix().tocoo()
    keep = ~coupling[matrix.row]
    rows, cols = matrix.row[keep], matrix.col[keep]
    n_cols, n_rows = linear.columns, linear.rows
    # Columns and rows as the nodes of one graph: a row joins the columns it holds.
    graph = coo_matrix((np.ones(len(rows)), (cols, n_cols + rows)), shape=(n_cols + n_rows,) * 2)
    _, label = connected_components(graph, directed=False)
    members: dict[int, tuple[set, set, set]] = {}
    for hub_id, col in c.hub_used.items():
        members.setdefault(label[col], (set(), set(), set()))[0].add(hub_id)
    for host_id, col in c.host_open.items():
        members.setdefault(label[col], (set(), set(), set()))[1].add(host_id)
    for (area_id, _), col in c.cases.items():
        members.setdefault(label[col], (set(), set(), set()))[2].add(area_id)
    found = [Region(tuple(sorted(h)), tuple(sorted(j)), tuple(sorted(a))) for h, j, a in members.values() if h and j]
    return sorted(found, key=lambda r: r.hubs[0])


def region_instance(inst: Instance, region: Region) -> Instance:
    """`inst` restricted to one region: its records, pairs and spokes in post; the same rules."""
    hubs, hosts, areas = set(region.hubs), set(region.hosts), set(region.areas)
    codes = {h.authority_code for h in inst.hosts if h.host_id in hosts}
    # A required authority binds only the region holding its hosts (its row joins them all).
    authorities = tuple(a if a.authority_code in codes else replace(a, required=False) for a in inst.authorities)
    return Instance(
        tuple(h for h in inst.hubs if h.hub_id in hubs),
        tuple(h for h in inst.hosts if h.host_id in hosts),
        tuple(a for a in inst.areas if a.area_id in areas),
        authorities,
        inst.rules,
        {pair: m for pair, m in inst.casework_minutes.items() if pair[0] in hosts and pair[1] in areas},
        {pair: m for pair, m in inst.supervision_minutes.items() if pair[0] in hubs and pair[1] in hosts},
        {pair: n for pair, n in inst.existing_spokes.items() if pair[0] in hubs},
    )


def region_instances(inst: Instance) -> list[Instance]:
    return [region_instance(inst, region) for region in regions(inst)]


def with_spoke_limit(inst: Instance, limit: int) -> Instance:
    return replace(inst, rules=replace(inst.rules, max_spokes=limit))


def menu_levels(most: int) -> list[int]:
    """Spoke levels 0..most: all of them up to MENU_LEVELS, else MENU_LEVELS spread evenly (with most)."""
    if most <= MENU_LEVELS:
        return list(range(most + 1))
    return sorted({round(k * most / (MENU_LEVELS - 1)) for k in range(MENU_LEVELS)})


def coupled_bound(
    curves: list[dict[int, float]], spoke_limit: int | None, budget: float | None, spoke_cost: float
) -> float:
    """max Σ_r ŪB_r(s_r) over Σ s_r ≤ the spoke limit and spoke_cost × Σ s_r ≤ budget (module
    docstring): `curves[r]` maps evaluated levels to bounds, the highest level bounding every s."""
    most = sum(max(curve) for curve in curves)
    limit = most if spoke_limit is None else min(most, spoke_limit)
    if budget is not None and spoke_cost > 0:
        limit = min(limit, int(math.floor((budget + 1e-6) / spoke_cost)))
    best = np.zeros(limit + 1)  # best[t]: most coverage with t spokes in the regions so far
    for curve in curves:
        levels = sorted(curve)
        step_up = np.array([curve[next(t for t in levels if t >= s)] for s in range(levels[-1] + 1)])
        merged = np.full(limit + 1, -np.inf)
        for s, value in enumerate(step_up[: limit + 1]):
            merged[s:] = np.maximum(merged[s:], best[: limit + 1 - s] + value)
        best = merged
    return float(best.max())


def _master(choices: list[list[PlanResult]], inst: Instance, priorities: tuple[str, ...]) -> list[PlanResult]:
    """One menu plan per region, Σ spokes ≤ S and Σ cost ≤ B, lexicographically best (scipy milp)."""
    flat = [(r, plan) for r, menu in enumerate(choices) for plan in menu]
    n = len(flat)
    rows, lower, upper = [], [], []
    for r in range(len(choices)):
        rows.append([1.0 if k == r else 0.0 for k, _ in flat])
        lower.append(1.0)
        upper.append(1.0)
    limit = SpokeLimit.of(inst.rules).maximum
    if limit is not None:
        rows.append([float(p.spokes_total) for _, p in flat])
        lower.append(-np.inf)
        upper.append(float(limit))
    budget = Budget.of(inst.rules)
    if budget.limit is not None:
        rows.append([plan_cost_per_year(inst, p) for _, p in flat])
        lower.append(-np.inf)
        upper.append(budget.limit + TOLERANCE)
    value = {
        "coverage": [float(p.objective) for _, p in flat],
        "host_fit": [float(p.host_fit) for _, p in flat],
        "supervision": [-float(p.supervision_spoke_minutes) for _, p in flat],  # issue #14
        "travel": [-float(p.travel_case_minutes) for _, p in flat],
    }
    chosen = None
    for name in priorities:
        objective = -np.array(value[name])
        result = milp(
            objective,
            constraints=LinearConstraint(np.array(rows), lower, upper),
            integrality=np.ones(n, dtype=int),
            bounds=Bounds(0, 1),
            options={"disp": False},
        )
        if result.x is None:
            break
        chosen = np.round(result.x)
        best = float(np.dot(value[name], chosen))
        rows.append(list(value[name]))
        lower.append(best - 1e-6 * max(1.0, abs(best)))
        upper.append(np.inf)
    if chosen is None:
        raise Infeasible(["no combination of the regions' plans keeps max_spokes and budget_per_year"])
    return [plan for (_, plan), pick in zip(flat, chosen) if pick > 0.5]


def combine(inst: Instance, plans: list[PlanResult], bound: float, later_bounds: bool) -> PlanResult:
    """The regions' plans as one plan of `inst`, with the coupled coverage bound."""
    covered = sum(p.objective for p in plans)
    bound = max(float(covered), bound)
    status = "OPTIMAL" if covered >= bound - 1e-9 else "FEASIBLE"
    stages = []
    for k, name in enumerate(inst.rules.priorities):
        parts = [p.stages[k] if k < len(p.stages) else None for p in plans]
        value = sum(s.value for s in parts if s is not None) if k else float(covered)
        stage_bound: float | None
        if k == 0:
            stage_bound, stage_status = float(bound), status
        else:
            known = [s for s in parts if s is not None]
            bounds = [s.bound for s in known if s.bound is not None]
            proven = later_bounds and len(bounds) == len(parts)
            stage_bound = float(sum(bounds)) if proven else None
            stage_status = "OPTIMAL" if proven and all(s.status == "OPTIMAL" for s in known) else "FEASIBLE"
        stages.append(
            StageResult(
                name,
                plans[0].stages[k].sense if plans and k < len(plans[0].stages) else "max",
                value,
                stage_bound,
                stage_status,
                sum(s.seconds for s in parts if s is not None),
            )
        )
    starts = [p.start_objective for p in plans]
    return PlanResult(
        status=status,
        objective=covered,
        bound=bound,
        gap=(bound - covered) / max(bound, 1.0),
        spokes=tuple(sorted(s for p in plans for s in p.spokes)),
        assignments=tuple(sorted(a for p in plans for a in p.assignments)),
        host_fit=sum(p.host_fit for p in plans),
        travel_case_minutes=sum(p.travel_case_minutes for p in plans),
        supervision_spoke_minutes=sum(p.supervision_spoke_minutes for p in plans),
        backend=f"regions ({len(plans)}): " + ", ".join(sorted({p.backend for p in plans})),
        stages=tuple(stages),
        team=tuple(sorted(t for p in plans for t in p.team)),
        start_objective=None if None in starts else sum(s for s in starts if s is not None),
        start_source="greedy per region",
    )


def solve_by_region(inst: Instance, solve_many: SolveMany, *, time_limit: float = 60.0) -> PlanResult:
    """The plan of `inst` from its regions solved apart and coordinated (module docstring).

    `solve_many(instances, seconds)` solves each instance (optimisation.solve.solve, `seconds` each)
    and returns its plan, or None if the solver proved it infeasible or found no plan."""
    started = time.perf_counter()
    problems = structural_problems(inst)
    if problems:
        raise Infeasible(problems)
    parts = region_instances(inst)
    solved = solve_many(parts, time_limit * RELAXED_SHARE / max(1, len(parts)))
    relaxed = [p for p in solved if p is not None]
    if len(relaxed) < len(solved):
        raise Infeasible(["a region has no plan that meets its own rules"])
    limit, budget = SpokeLimit.of(inst.rules).maximum, Budget.of(inst.rules)
    total = sum(p.spokes_total for p in relaxed)
    cost = sum(plan_cost_per_year(inst, p) for p in relaxed)
    curves = [{p.spokes_total: p.bound} for p in relaxed]
    if (limit is None or total <= limit) and budget.allows(cost):
        bound = coupled_bound(curves, limit, budget.limit, budget.spoke_cost)
        plan = combine(inst, list(relaxed), bound, later_bounds=True)
        return replace(plan, solve_seconds=time.perf_counter() - started)
    jobs = [(r, s) for r, p in enumerate(relaxed) for s in menu_levels(p.spokes_total) if s < p.spokes_total]
    # Each job's limit depends on the limits only (never on the clock): the same plans on any runner.
    seconds = time_limit * (1 - RELAXED_SHARE) / max(1, len(jobs))
    menu_plans = solve_many([with_spoke_limit(parts[r], s) for r, s in jobs], seconds)
    menus: list[list[PlanResult]] = [[p] for p in relaxed]
    for (r, s), menu_plan in zip(jobs, menu_plans):
        # A level without a plan (proven infeasible, or none found in time) is bounded by the next
        # level up, which stays valid.
        if menu_plan is not None:
            menus[r].append(menu_plan)
            curves[r][s] = menu_plan.bound
    bound = coupled_bound(curves, limit, budget.limit, budget.spoke_cost)
    chosen = _master(menus, inst, inst.rules.priorities)
    plan = combine(inst, chosen, bound, later_bounds=False)
    return replace(plan, solve_seconds=time.perf_counter() - started)


def solve_or_none(
    inst: Instance, seconds: float, workers: int = 1, start: PlanResult | None = None
) -> PlanResult | None:
    """One region's or window's plan (optimisation.solve.solve, from `start` if given; a large region
    by windows, in this process), or None if it has none (proven or in time)."""
    try:
        if start is None and planned_by_window(inst):
            return solve_by_window(inst, solve_in_turn, time_limit=seconds)
        return solve(inst, time_limit=seconds, workers=workers, start=start)
    except (Infeasible, NoPlanFound):
        return None


def solve_in_turn(
    instances: list[Instance], seconds: float, starts: list[PlanResult] | None = None
) -> list[PlanResult | None]:
    """The local runner: each region (or window, from its start) solved in turn in this process."""
    return [
        solve_or_none(inst, seconds, start=None if starts is None else starts[k]) for k, inst in enumerate(instances)
    ]


def plan(
    inst: Instance, *, time_limit: float = 60.0, workers: int = 1, solve_many: SolveMany = solve_in_turn
) -> PlanResult:
    """The plan of `inst`: by windows when it is large (optimisation.windows: more than
    WINDOW_MIN_CASE_COLUMNS case columns; windows never straddle regions, being groups of nearby
    hosts, and their shares keep the coupling rows); else solved whole when its reach graph is one
    part (optimisation.solve.solve), else by region (solve_by_region). `solve_many` runs the
    windows' or regions' solves."""
    if planned_by_window(inst):
        return solve_by_window(inst, solve_many, time_limit=time_limit)
    if reach_parts(inst) <= 1 or len(regions(inst)) <= 1:
        return solve(inst, time_limit=time_limit, workers=workers)
    return solve_by_region(inst, solve_many, time_limit=time_limit)

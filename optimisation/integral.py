"""Whole numbers after the MIP: whole cases per (area, host) and whole spokes per (hub, host).

Both are linear programmes (GLOP) over a network matrix with whole-number data, whose simplex
vertices are whole: for fixed spokes the cases form a transportation problem
(:func:`integral_assignment`), and for fixed spokes per host and hubs used the spokes per hub form
a bipartite network (:func:`integral_spokes`, for the spokes-per-host layout). They state the rules
they keep with the same rule objects as the model's families and the checker (optimisation/rules.py).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import ortools.linear_solver.pywraplp as pywraplp  # not `from ... import`: mypy would look in the typed package

from optimisation.instance import Instance
from optimisation.measures import pair_fit
from optimisation.model import Model
from optimisation.rules import Caseload, ExistingSpokes, HubSize, TeamMix

INTEGRALITY_TOLERANCE = 1e-5


def integral_assignment(
    inst: Instance, spokes: dict[tuple[str, str], int], coverage_target: int
) -> dict[tuple[str, str], int]:
    """Whole cases per (area, host) for fixed spokes, lexicographically optimal like the MIP.

    With S_j fixed the rows are: Σ_j x_ij ≤ d_i and the caseload rule's load range for S_j spokes,
    cmin·S_j ≤ Σ_i x_ij ≤ cmax·S_j — a network (transportation) matrix with integer right-hand
    sides, so simplex vertices are integral. First maximise Σx; then, with Σx fixed (still a
    network), minimise one cost per pair that orders the later priorities: cost_ij = W·(-fit_ij) +
    minutes_ij when host fit comes before travel (W larger than any total travel), or
    W·minutes_ij - fit_ij the other way round (fit_ij: host j's fit for area i's authority).
    """
    rules = inst.rules
    caseload = Caseload.of(rules)
    at_host: dict[str, int] = defaultdict(int)
    for (_, host_id), count in spokes.items():
        at_host[host_id] += count
    demand = {a.area_id: a.demand for a in inst.areas}
    pairs = sorted(
        (area, host) for (host, area) in inst.casework_minutes if at_host.get(host, 0) > 0 and demand[area] > 0
    )
    if not pairs:
        return {}
    lp = pywraplp.Solver.CreateSolver("GLOP")
    x = {pair: lp.NumVar(0, demand[pair[0]], f"x[{pair[0]},{pair[1]}]") for pair in pairs}
    by_area: dict[str, list] = defaultdict(list)
    by_host: dict[str, list] = defaultdict(list)
    for (area, host), var in x.items():
        by_area[area].append(var)
        by_host[host].append(var)
    for area, vars_ in by_area.items():
        lp.Add(lp.Sum(vars_) <= demand[area])
    for host, vars_ in by_host.items():
        least, most = caseload.load_range(at_host[host])
        lp.Add(lp.Sum(vars_) <= most)
        lp.Add(lp.Sum(vars_) >= least)
    total = lp.Sum(list(x.values()))
    lp.Maximize(total)
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        raise RuntimeError("the assignment for the chosen spokes has no solution; this is a bug")
    covered = int(round(lp.Objective().Value()))
    if covered < coverage_target:
        raise RuntimeError(f"integral assignment covers {covered} < {coverage_target}; this is a bug")
    score = pair_fit(inst)
    scores = {pair: score(*pair) for pair in pairs}  # per (area, host): the area's authority's aim (#14)
    # Supervision (issue #14) depends on the spokes only, fixed here: the cases' order ignores it.
    order = [p for p in rules.priorities if p in ("host_fit", "travel")]
    max_minutes = max((inst.casework_minutes[(h, a)] for (a, h) in pairs), default=0)
    fit_values = list(scores.values())
    fit_range = (max(fit_values) - min(fit_values)) if fit_values else 0
    costs = {}
    for area, host in pairs:
        minutes = inst.casework_minutes[(host, area)]
        if order and order[0] == "host_fit":
            weight = max_minutes * covered + 1
            costs[(area, host)] = -weight * scores[(area, host)] + (minutes if "travel" in order else 0)
        elif order and order[0] == "travel":
            weight = fit_range * covered + 1
            costs[(area, host)] = weight * minutes - (scores[(area, host)] if "host_fit" in order else 0)
        else:
            costs[(area, host)] = 0
    if any(costs.values()):  # else (no later priorities) the coverage vertex is already the answer
        lp.Add(total == covered)
        lp.Minimize(lp.Sum([costs[p] * x[p] for p in pairs if costs[p]]))
        if lp.Solve() != pywraplp.Solver.OPTIMAL:
            raise RuntimeError("the assignment cost stage failed; this is a bug")
    result = {}
    for pair, var in x.items():
        value = var.solution_value()
        whole = int(round(value))
        if abs(value - whole) > INTEGRALITY_TOLERANCE:
            raise RuntimeError(f"assignment {pair} = {value} is not integral; this is a bug")
        if whole > 0:
            result[pair] = whole
    return result


def integral_spokes(inst: Instance, model: Model, values: np.ndarray) -> dict[tuple[str, str], int]:
    """Whole spokes per (hub, host) of a solution of `model`.

    With integer y they are the solution's. With the spokes-per-host layout (continuous y) they are
    found for the solution's spokes per host S_j and hubs used u_h: the rows Σ_h y_hj = S_j, the hub
    size rule min_h·u_h ≤ Σ_j y_hj ≤ cap_h·u_h (with support roles, also Σ_j y_hj ≤
    workers_per_role_r × n_rh of the solution's team, so the team it paid for suffices) and
    existing ≤ y_hj ≤ bound are a bipartite network with whole-number data, so a simplex vertex
    (GLOP) is whole. Among them the one with least supervision minutes is taken (the supervision
    priority, issue #14, never worse than the solution's), which makes the result deterministic.
    With one hub per host, a host with w columns keeps its chosen hub's pair only; a host without
    them takes at most one spoke (families.one_hub_per_host), whole at a vertex. Managers paid for
    in the budget (m[h]) cap a hub at span × m[h] spokes, as the support roles do.
    """
    c = model.columns
    if not c.host_spokes:
        return {key: int(round(values[col])) for key, col in c.spokes.items() if round(values[col]) > 0}
    at_host = {j: int(round(values[col])) for j, col in c.host_spokes.items()}
    used = {h: int(round(values[col])) for h, col in c.hub_used.items()}
    sizes = {h.hub_id: HubSize.of(h) for h in inst.hubs}
    most = {h: size.maximum for h, size in sizes.items()}
    for role in TeamMix.of(inst.rules).roles:
        if role.workers_per_role:
            for hub_id in most:
                staff = int(round(values[c.team[(role.role_id, hub_id)]]))
                most[hub_id] = min(most[hub_id], role.workers_per_role * staff)
    for hub_id, col in c.managers.items():  # managers paid for in the budget (issue #14)
        most[hub_id] = min(most[hub_id], inst.hub(hub_id).manager_span * int(round(values[col])))
    existing = ExistingSpokes.of(inst)
    upper = model.linear.upper
    # One hub per host (issue #14): a host with w columns keeps the pair of its chosen hub only.
    chosen = {j for (h, j), col in c.hub_host.items() if values[col] > 0.5}
    pairs = [
        (h, j)
        for (h, j) in c.spokes
        if at_host[j] > 0
        and used[h] > 0
        and ((h, j) not in c.hub_host or j not in chosen or values[c.hub_host[(h, j)]] > 0.5)
    ]
    lp = pywraplp.Solver.CreateSolver("GLOP")
    y = {(h, j): lp.NumVar(existing.at_least(h, j), upper[c.spokes[(h, j)]], f"y[{h},{j}]") for (h, j) in pairs}
    by_host: dict[str, list] = {}
    by_hub: dict[str, list] = {}
    for (h, j), var in y.items():
        by_host.setdefault(j, []).append(var)
        by_hub.setdefault(h, []).append(var)
    for j, count in at_host.items():
        if count > 0:
            lp.Add(lp.Sum(by_host.get(j, [])) == count)
    for h, is_used in used.items():
        if is_used:
            total = lp.Sum(by_hub.get(h, []))
            lp.Add(total <= most[h])
            lp.Add(total >= sizes[h].minimum)
    lp.Minimize(lp.Sum([inst.supervision_minutes[pair] * var for pair, var in y.items()]))
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        raise RuntimeError("no whole spokes per hub for the chosen spokes per host; this is a bug")
    result = {}
    for pair, var in y.items():
        value = var.solution_value()
        whole = int(round(value))
        if abs(value - whole) > 1e-6:
            raise RuntimeError(f"spokes {pair} = {value} are not whole; this is a bug")
        if whole > 0:
            result[pair] = whole
    return result

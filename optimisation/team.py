"""Constraint family "team mix": the support roles each hub team in use needs (service models).

A service model (scoping/scenario/service_model.py) may give every hub team support roles beside its
workers: No Wrong Door (seed 004_f40eeb87fbc65795.txt) has a communications worker, a clinician and
police officers with the hub workers. For each role r (``Rules.team_roles``) and hub h, an integer
variable ``n[r, h]`` counts that role's staff in hub h's team, with w_h = Σ_j y[h, j] the hub's
workers and u_h its used indicator:

    n[r, h] x workers_per_role_r  >=  w_h          (one per workers_per_role_r workers, rounded up)
    n[r, h]                       >=  per_team_r x u_h   (at least per_team_r in a team in use)
    n[r, h]                       <=  N_r,h x u_h        (none in a team not in use)

with N_r,h = max(per_team_r, ceil(capacity_h / workers_per_role_r)), the most hub h can ever need.
Their cost, Σ_{r,h} cost_r x n[r, h], is added to the budget row (spoke costs + host costs + team
costs <= budget_per_year), so the optimiser places workers knowing what their team costs.

Because costs are non-negative, the cheapest team meeting these rows is n[r, h] = needed_r(w_h) =
max(per_team_r, ceil(w_h / workers_per_role_r)) for a used hub: :func:`minimum_team` publishes that
team for the chosen workers (it costs no more than the solver's team, so the budget still holds),
which also makes the published team independent of how the solver broke ties.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.linear_solver import pywraplp

from optimisation.instance import Instance
from optimisation.result import SpokePlacement, TeamPlacement


def add_team_mix(solver: pywraplp.Solver, inst: Instance, v, budget_rows: list) -> tuple[dict, list]:
    """The team-mix rows (see the module docstring); returns (n[(role, hub)] variables, rows)."""
    team: dict[tuple[str, str], pywraplp.Variable] = {}
    rows = []
    for hub in inst.hubs:
        workers = [var for (h, _), var in v.spokes.items() if h == hub.hub_id]
        total = solver.Sum(workers) if workers else 0
        used = v.hub_used[hub.hub_id]
        for role in inst.rules.team_roles:
            most = role.needed(hub.capacity) if hub.capacity > 0 else role.per_team
            var = solver.IntVar(0, max(most, role.per_team), f"n[{role.role_id},{hub.hub_id}]")
            team[(role.role_id, hub.hub_id)] = var
            if role.workers_per_role:
                rows.append(solver.Add(role.workers_per_role * var >= total, f"team_ratio[{role.role_id},{hub.hub_id}]"))
            if role.per_team:
                rows.append(solver.Add(var >= role.per_team * used, f"team_min[{role.role_id},{hub.hub_id}]"))
            rows.append(solver.Add(var <= max(most, role.per_team) * used, f"team_unused[{role.role_id},{hub.hub_id}]"))
            if role.cost_per_year:
                for row in budget_rows:
                    row.SetCoefficient(var, role.cost_per_year)
    return team, rows


def workers_by_hub(spokes) -> dict[str, int]:
    """Workers (spokes) per hub, from placements or a {(hub, host): count} mapping."""
    totals: dict[str, int] = defaultdict(int)
    items = spokes.items() if isinstance(spokes, dict) else [((s.hub_id, s.host_id), s.count) for s in spokes]
    for (hub_id, _), count in items:
        totals[hub_id] += count
    return dict(totals)


def minimum_team(inst: Instance, spokes: dict[tuple[str, str], int] | tuple[SpokePlacement, ...]) -> tuple[TeamPlacement, ...]:
    """The cheapest team for the chosen workers: needed_r(w_h) of each role at each used hub."""
    per_hub = workers_by_hub(spokes)
    team = []
    for hub_id, workers in sorted(per_hub.items()):
        for role in inst.rules.team_roles:
            count = role.needed(workers)
            if count > 0:
                team.append(TeamPlacement(hub_id, role.role_id, count))
    return tuple(sorted(team))


def team_cost_per_year(inst: Instance, team: tuple[TeamPlacement, ...]) -> float:
    """Σ count x cost_per_year of the role, over the plan's team (roles unknown to the rules cost 0)."""
    costs = {r.role_id: r.cost_per_year for r in inst.rules.team_roles}
    return sum(costs.get(t.role, 0.0) * t.count for t in team)

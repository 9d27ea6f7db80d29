"""Constraint family "team mix": the support roles each hub team in use needs (service models).

A service model (scoping/scenario/service_model.py) may give every hub team support roles beside its
workers: No Wrong Door (seed 004_f40eeb87fbc65795.txt) has a communications worker, a clinician and
police officers with the hub workers. For each role r (``Rules.team_roles``, rules.TeamMix) and hub
h, an integer column ``n[r, h]`` counts that role's staff in hub h's team, with w_h = Σ_j y[h, j]
the hub's workers and u_h its used indicator:

    n[r, h] x workers_per_role_r  >=  w_h          (one per workers_per_role_r workers, rounded up)
    n[r, h]                       >=  per_team_r x u_h   (at least per_team_r in a team in use)
    n[r, h]                       <=  N_r,h x u_h        (none in a team not in use)

with N_r,h = max(per_team_r, ceil(capacity_h / workers_per_role_r)), the most hub h can ever need.
Their cost, Σ_{r,h} cost_r x n[r, h], is in the budget row (optimisation.families.budget: spoke
costs + host costs + team costs <= budget_per_year), so the optimiser places workers knowing what
their team costs. Like every family, these rows are part of the one formulation every back end
solves (optimisation/formulation.py), and of every phase of the phased model.

Because costs are non-negative, the cheapest team meeting these rows is n[r, h] = needed_r(w_h) =
max(per_team_r, ceil(w_h / workers_per_role_r)) for a used hub: :func:`minimum_team` publishes that
team for the chosen workers (it costs no more than the solver's team, so the budget still holds),
which also makes the published team independent of how the solver broke ties.
"""

from __future__ import annotations

from optimisation.formulation import INF, Columns, LinearModel
from optimisation.instance import Instance
from optimisation.measures import workers_by_hub
from optimisation.result import SpokePlacement, TeamPlacement
from optimisation.rules import TeamMix


def team_columns(m: LinearModel, inst: Instance, c: Columns, *, tag: str = "") -> None:
    """n[r, h] integer, 0 ≤ n[r, h] ≤ N_r,h, for every hub and role (none without roles)."""
    mix = TeamMix.of(inst.rules)
    if not mix.roles:
        return
    keys = [(role.role_id, hub.hub_id) for hub in inst.hubs for role in mix.roles]
    most: list[float] = [mix.most(role, hub) for hub in inst.hubs for role in mix.roles]
    c.team.update(m.add_columns("n", keys, [0] * len(keys), most, True, tag))


def team_mix(m: LinearModel, inst: Instance, c: Columns) -> None:
    """The team-mix rows (see the module docstring), per hub and role."""
    mix = TeamMix.of(inst.rules)
    for hub in inst.hubs:
        workers = c.spokes_of[hub.hub_id]
        used = c.hub_used[hub.hub_id]
        for role in mix.roles:
            n = c.team[(role.role_id, hub.hub_id)]
            key = f"{role.role_id},{hub.hub_id}"
            if role.workers_per_role:
                m.add_row(
                    "team_mix",
                    [n] + workers,
                    [float(role.workers_per_role)] + [-1.0] * len(workers),
                    0.0,
                    INF,
                    name=f"team_ratio[{key}]",
                )
            if role.per_team:
                m.add_row("team_mix", [n, used], [1.0, -float(role.per_team)], 0.0, INF, name=f"team_min[{key}]")
            m.add_row("team_mix", [n, used], [1.0, -float(mix.most(role, hub))], -INF, 0.0, name=f"team_unused[{key}]")


def minimum_team(
    inst: Instance, spokes: dict[tuple[str, str], int] | tuple[SpokePlacement, ...]
) -> tuple[TeamPlacement, ...]:
    """The cheapest team for the chosen workers: needed_r(w_h) of each role at each used hub."""
    mix = TeamMix.of(inst.rules)
    team = []
    for hub_id, workers in sorted(workers_by_hub(spokes).items()):
        for role in mix.roles:
            count = mix.needed(role, workers)
            if count > 0:
                team.append(TeamPlacement(hub_id, role.role_id, count))
    return tuple(sorted(team))

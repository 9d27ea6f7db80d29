"""The constraint families of the allocation model, one function each.

Notation (all indices run only over pairs the instance allows):

* ``y[h, j]`` integer — spokes employed by hub h and based at host j;
* ``S_j = Σ_h y[h, j]`` — spokes at host j;
* ``u[h]`` binary — hub h is used; ``o[j]`` binary — host j is open (has a spoke);
* ``x[i, j]`` continuous ≥ 0 — cases of area i served from host j.

Each function adds its rows to an OR-Tools ``pywraplp.Solver`` and returns them (so tests and the
diagnosis can see which rows a family owns). Each family can be left out by name when the
assembler is asked to relax it (see :mod:`optimisation.model`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ortools.linear_solver import pywraplp

from optimisation.instance import Instance


@dataclass
class Variables:
    """The model's decision variables, keyed by ids."""

    spokes: dict[tuple[str, str], pywraplp.Variable] = field(default_factory=dict)  # y[hub, host]
    hub_used: dict[str, pywraplp.Variable] = field(default_factory=dict)  # u[hub]
    host_open: dict[str, pywraplp.Variable] = field(default_factory=dict)  # o[host]
    cases: dict[tuple[str, str], pywraplp.Variable] = field(default_factory=dict)  # x[area, host]

    def spokes_at(self, host_id: str) -> list[pywraplp.Variable]:
        return [v for (h, j), v in self.spokes.items() if j == host_id]


def _impossible_row(solver: pywraplp.Solver, at_least: float, name: str) -> pywraplp.Constraint:
    """0 >= at_least: a rule no plan can meet (kept as a row so the diagnosis can name it)."""
    return solver.Constraint(at_least, solver.infinity(), name)


def add_variables(solver: pywraplp.Solver, inst: Instance) -> Variables:
    """Casework and supervision travel limits (families 3 and 4) live here, in the variables.

    Supervision travel: ``y[h, j]`` exists only if host j is within hub h's supervision limit
    (the pair is in ``instance.supervision_minutes``). Casework travel: ``x[i, j]`` exists only if
    area i is within ``casework_minutes`` of host j (the pair is in ``instance.casework_minutes``)
    and host j can have a spoke at all. A pair that does not exist cannot carry spokes or cases.
    """
    return add_case_variables(solver, inst, add_placement_variables(solver, inst))


def add_placement_variables(solver: pywraplp.Solver, inst: Instance, tag: str = "") -> Variables:
    """y[h, j], u[h], o[j] (supervision travel: y only for pairs within the hub's limit).

    `tag` names a copy of them (a phase of optimisation.phased: "y[h,j,phase]")."""
    suffix = f",{tag}" if tag else ""
    v = Variables()
    hosts_reachable = {host for (_, host) in inst.supervision_minutes}
    for host in inst.hosts:
        if host.host_id in hosts_reachable:
            v.host_open[host.host_id] = solver.BoolVar(f"o[{host.host_id}{suffix}]")
    for hub in inst.hubs:
        v.hub_used[hub.hub_id] = solver.BoolVar(f"u[{hub.hub_id}{suffix}]")
    host_max = {h.host_id: h.max_spokes for h in inst.hosts}
    hub_capacity = {h.hub_id: h.capacity for h in inst.hubs}
    for (hub_id, host_id) in sorted(inst.supervision_minutes):
        upper = max(min(host_max[host_id], hub_capacity[hub_id]), inst.existing_spokes.get((hub_id, host_id), 0))
        v.spokes[(hub_id, host_id)] = solver.IntVar(0, upper, f"y[{hub_id},{host_id}{suffix}]")
    return v


def add_case_variables(solver: pywraplp.Solver, inst: Instance, placements: Variables, tag: str = "") -> Variables:
    """x[i, j] over `placements` (casework travel: only pairs within casework_minutes, at hosts that
    can have a spoke, for areas with demand). `tag` names a copy (a phase × demand-scenario block)."""
    suffix = f",{tag}" if tag else ""
    v = Variables(spokes=placements.spokes, hub_used=placements.hub_used, host_open=placements.host_open)
    demand = {a.area_id: a.demand for a in inst.areas}
    for (host_id, area_id) in sorted(inst.casework_minutes):
        if host_id in v.host_open and demand[area_id] > 0:
            v.cases[(area_id, host_id)] = solver.NumVar(0, demand[area_id], f"x[{area_id},{host_id}{suffix}]")
    return v


def add_caseload(solver: pywraplp.Solver, inst: Instance, v: Variables, *, with_minimum: bool = True) -> list:
    """Caseload: caseload_min × S_j ≤ Σ_i x[i, j] ≤ caseload_max × S_j for every host j.

    Each spoke carries between caseload_min and caseload_max cases at a time (seed 001: 10-12),
    summed over the areas its host serves. `with_minimum=False` drops the lower bound (diagnosis).
    """
    rows = []
    rules = inst.rules
    cases_at: dict[str, list] = defaultdict(list)
    for (area_id, host_id), var in v.cases.items():
        cases_at[host_id].append(var)
    for host_id in v.host_open:
        spokes = v.spokes_at(host_id)
        load = solver.Sum(cases_at[host_id]) if cases_at[host_id] else 0
        rows.append(solver.Add(load <= rules.caseload_max * solver.Sum(spokes), f"caseload_max[{host_id}]"))
        if with_minimum and rules.caseload_min > 0:
            rows.append(solver.Add(load >= rules.caseload_min * solver.Sum(spokes), f"caseload_min[{host_id}]"))
    return rows


def add_demand(solver: pywraplp.Solver, inst: Instance, v: Variables) -> list:
    """Demand: Σ_j x[i, j] ≤ demand_i — an area is never assigned more cases than it has."""
    by_area: dict[str, list] = defaultdict(list)
    for (area_id, _), var in v.cases.items():
        by_area[area_id].append(var)
    demand = {a.area_id: a.demand for a in inst.areas}
    return [solver.Add(solver.Sum(vars_) <= demand[area_id], f"demand[{area_id}]")
            for area_id, vars_ in sorted(by_area.items()) if len(vars_) > 1]  # one var: its bound suffices


def add_open_host_link(solver: pywraplp.Solver, inst: Instance, v: Variables) -> list:
    """Linking (tightening) rows: x[i, j] ≤ demand_i × o[j] — no cases from a closed host.

    Implied by caseload_max with S_j = 0, but they make the LP relaxation far tighter (measured:
    see benchmarks/backends.py), so the solver proves optimality sooner.
    """
    demand = {a.area_id: a.demand for a in inst.areas}
    return [solver.Add(var <= demand[area_id] * v.host_open[host_id], f"link[{area_id},{host_id}]")
            for (area_id, host_id), var in v.cases.items()]


def add_hub_size(solver: pywraplp.Solver, inst: Instance, v: Variables, *, with_minimum: bool = True) -> list:
    """Hub size: min_spokes × u_h ≤ Σ_j y[h, j] ≤ min(max_spokes, managers × manager_span) × u_h.

    A used hub runs between its minimum and its supervisable maximum (seed 000: two to five
    spokes per hub); an unused hub has none. `with_minimum=False` drops the lower bound (diagnosis).
    """
    rows = []
    for hub in inst.hubs:
        spokes = [var for (h, _), var in v.spokes.items() if h == hub.hub_id]
        total = solver.Sum(spokes) if spokes else 0
        rows.append(solver.Add(total <= hub.capacity * v.hub_used[hub.hub_id], f"hub_max[{hub.hub_id}]"))
        if with_minimum and hub.min_spokes > 0:
            rows.append(solver.Add(total >= hub.min_spokes * v.hub_used[hub.hub_id], f"hub_min[{hub.hub_id}]"))
    return rows


def add_host_capacity(solver: pywraplp.Solver, inst: Instance, v: Variables) -> list:
    """Host capacity: Σ_h y[h, j] ≤ max_spokes_j × o[j] — and a host with spokes is open."""
    host_max = {h.host_id: h.max_spokes for h in inst.hosts}
    return [solver.Add(solver.Sum(v.spokes_at(host_id)) <= host_max[host_id] * open_var, f"host_max[{host_id}]")
            for host_id, open_var in v.host_open.items()]


def add_budget(solver: pywraplp.Solver, inst: Instance, v: Variables) -> list:
    """Budget: spoke_cost_per_year × Σ y + Σ_j annual_cost_j × o[j] ≤ budget_per_year."""
    rules = inst.rules
    if rules.budget_per_year is None:
        return []
    annual = {h.host_id: h.annual_cost for h in inst.hosts}
    cost = rules.spoke_cost_per_year * solver.Sum(list(v.spokes.values())) + solver.Sum(
        [annual[j] * o for j, o in v.host_open.items() if annual[j] > 0])
    return [solver.Add(cost <= rules.budget_per_year, "budget")]


def add_max_spokes(solver: pywraplp.Solver, inst: Instance, v: Variables) -> list:
    """Most spokes overall: Σ_{h,j} y[h, j] ≤ max_spokes."""
    if inst.rules.max_spokes is None:
        return []
    return [solver.Add(solver.Sum(list(v.spokes.values())) <= inst.rules.max_spokes, "max_spokes")]


def add_required_authority(solver: pywraplp.Solver, inst: Instance, v: Variables, authority_code: str) -> list:
    """Required authority a: Σ_{j in a} S_j ≥ 1 — at least one spoke hosted in it."""
    spokes = [var for (_, host_id), var in v.spokes.items() if inst.host(host_id).authority_code == authority_code]
    if not spokes:  # no host of this authority is within any hub's supervision reach
        return [_impossible_row(solver, 1, f"required[{authority_code}]")]
    return [solver.Add(solver.Sum(spokes) >= 1, f"required[{authority_code}]")]


def add_locked_host(solver: pywraplp.Solver, inst: Instance, v: Variables, host_id: str) -> list:
    """Locked host j (hosts.csv status, issue #18): S_j = Σ_h y[h, j] ≥ 1 — it hosts at least one spoke.

    A banned host needs no row: scoping leaves it out of every hub's supervision reach, so it has no
    y column. (To be re-expressed as a family of the issue #13 layout.)"""
    spokes = v.spokes_at(host_id)
    if not spokes:  # no hub can supervise it (or presolve found it cannot carry caseload_min)
        return [_impossible_row(solver, 1, f"locked[{host_id}]")]
    return [solver.Add(solver.Sum(spokes) >= 1, f"locked[{host_id}]")]


def add_existing_spoke(solver: pywraplp.Solver, inst: Instance, v: Variables, hub_id: str, host_id: str) -> list:
    """Existing spokes are kept: y[h, j] ≥ count already in post (the pair must be in reach)."""
    count = inst.existing_spokes[(hub_id, host_id)]
    var = v.spokes.get((hub_id, host_id))
    if var is None:  # out of supervision reach: no variable can hold it
        return [_impossible_row(solver, count, f"existing[{hub_id},{host_id}]")]
    return [solver.Add(var >= count, f"existing[{hub_id},{host_id}]")]

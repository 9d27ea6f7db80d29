"""The assembler: builds the allocation MIP as a checklist of constraint families.

`build_model(instance, relax=...)` adds every family of DESIGN.md "Semantics" unless its rule
group is named in `relax` (the diagnosis relaxes groups one at a time to find the rules in
conflict). The three objective expressions are built here too; `optimisation.solve` optimises
them lexicographically.

Formulation (chosen by measurement, see benchmarks/backends.py): integer spokes per hub-host
pair, binary hub-used and host-open indicators, and *continuous* cases per area-host pair. For
fixed spokes the assignment is a transportation problem with integer data, so an integral optimal
assignment always exists; `optimisation.solve` extracts one.

`optimisation.matrix` lays out the same families as one sparse matrix for the default back ends
(faster to build, and with integer spokes per host instead of per hub-host pair where SCIP solves
it); tests/test_matrix_backend.py checks both layouts give the same optima.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.linear_solver import pywraplp

from optimisation import families
from optimisation.families import Variables
from optimisation.instance import Instance, host_fit_score
from optimisation.team import add_team_mix

# Rule groups the diagnosis may relax. Per-item groups are "required:<code>",
# "existing:<hub>:<host>" and "locked:<host>" (issue #18).
RELAXABLE_GROUPS = ("caseload_min", "hub_min", "host_capacity", "budget", "max_spokes")


@dataclass
class Model:
    solver: pywraplp.Solver
    variables: Variables
    rows: dict[str, list] = field(default_factory=dict)  # family or rule group -> its rows
    objectives: dict[str, object] = field(default_factory=dict)  # coverage, host_fit, travel
    team: dict = field(default_factory=dict)  # n[(role, hub)]: support roles (optimisation/team.py)
    backend: str = ""


def rule_groups(inst: Instance) -> list[str]:
    """Every relaxable rule group of this instance, in a stable order."""
    groups = [f"required:{a.authority_code}" for a in inst.authorities if a.required]
    groups += [f"existing:{hub}:{host}" for (hub, host) in sorted(inst.existing_spokes)]
    groups += [f"locked:{h.host_id}" for h in inst.hosts if h.status == "locked"]
    groups += ["caseload_min", "hub_min", "host_capacity"]
    if inst.rules.budget_per_year is not None:
        groups.append("budget")
    if inst.rules.max_spokes is not None:
        groups.append("max_spokes")
    return groups


def create_solver(backend: str) -> pywraplp.Solver:
    solver = pywraplp.Solver.CreateSolver(backend)
    if solver is None:
        raise RuntimeError(f"OR-Tools back end {backend!r} is not available in this build")
    return solver


def build_model(inst: Instance, *, backend: str = "SCIP", relax: frozenset[str] = frozenset(),
                link_rows: bool = True) -> Model:
    """The allocation model with every constraint family, less the rule groups in `relax`."""
    solver = create_solver(backend)
    v = families.add_variables(solver, inst)  # casework + supervision travel limits
    model = Model(solver, v, backend=backend)
    rows = model.rows
    rows["caseload"] = families.add_caseload(solver, inst, v, with_minimum="caseload_min" not in relax)
    rows["demand"] = families.add_demand(solver, inst, v)
    rows["hub_size"] = families.add_hub_size(solver, inst, v, with_minimum="hub_min" not in relax)
    if "host_capacity" in relax:
        big = sum(h.capacity for h in inst.hubs) + sum(inst.existing_spokes.values())
        rows["host_capacity"] = [solver.Add(solver.Sum(v.spokes_at(j)) <= big * o) for j, o in v.host_open.items()]
    else:
        rows["host_capacity"] = families.add_host_capacity(solver, inst, v)
    if link_rows:
        rows["open_host_link"] = families.add_open_host_link(solver, inst, v)
    if "budget" not in relax:
        rows["budget"] = families.add_budget(solver, inst, v)
    if "max_spokes" not in relax:
        rows["max_spokes"] = families.add_max_spokes(solver, inst, v)
    if inst.rules.team_roles:  # service-model support roles, their costs inside the budget row
        model.team, rows["team_mix"] = add_team_mix(solver, inst, v, rows.get("budget", []))
    for authority in inst.authorities:
        group = f"required:{authority.authority_code}"
        if authority.required and group not in relax:
            rows[group] = families.add_required_authority(solver, inst, v, authority.authority_code)
    for (hub_id, host_id) in sorted(inst.existing_spokes):
        group = f"existing:{hub_id}:{host_id}"
        if group not in relax:
            rows[group] = families.add_existing_spoke(solver, inst, v, hub_id, host_id)
    for host in inst.hosts:  # issue #18
        if host.status == "locked" and f"locked:{host.host_id}" not in relax:
            rows[f"locked:{host.host_id}"] = families.add_locked_host(solver, inst, v, host.host_id)
    model.objectives = objective_expressions(inst, model)
    return model


def fit_scores(inst: Instance) -> dict[str, int]:
    authorities = {a.authority_code: a for a in inst.authorities}
    return {h.host_id: host_fit_score(h, authorities.get(h.authority_code), inst.rules.host_fit) for h in inst.hosts}


def objective_expressions(inst: Instance, model: Model) -> dict[str, object]:
    """Priority 1 coverage Σx; priority 2 host fit Σ score_j·x; priority 3 travel Σ minutes·x."""
    solver, v = model.solver, model.variables
    scores = fit_scores(inst)
    cases = sorted(v.cases.items())
    return {
        "coverage": solver.Sum([var for _, var in cases]),
        "host_fit": solver.Sum([scores[host] * var for (area, host), var in cases if scores[host]]),
        "travel": solver.Sum([inst.casework_minutes[(host, area)] * var for (area, host), var in cases
                              if inst.casework_minutes[(host, area)]]),
    }

"""The phased and robust allocation model: the single-period families, once per block, plus the
families that tie blocks together (see :mod:`optimisation.programme` for blocks and weights).

Variables, per phase t and demand scenario s:

* ``y[h, j, t]`` integer, ``u[h, t]`` binary, ``o[j, t]`` binary — placements of phase t, **shared
  by every demand scenario** (spokes, hubs and hosts are decided once per phase);
* ``x[i, j, t, s]`` continuous — cases of area i served from host j in phase t under scenario s
  (assignments adapt to the demand that materialises).

Per block (t, s), on :func:`optimisation.programme.block_instance`: the existing families
``add_caseload``, ``add_demand`` and ``add_open_host_link``. Per phase t: ``add_hub_size``,
``add_host_capacity``, ``add_budget`` (the phase's budget), ``add_max_spokes``, existing spokes
(every phase) and required authorities (final phase). Between phases: :func:`add_keep_placements`
and :func:`add_phase_hubs` below. The caseload minimum therefore holds **in every demand
scenario**: a spoke in post must find at least ``caseload_min`` cases whichever demand estimate
comes true (a plan that would leave a worker under-used when demand is low is not robust).

Objective, lexicographic as in :mod:`optimisation.solve`:

1. coverage: with C_{t,s} = Σ x[·, ·, t, s] and D_s = Σ_t w_t C_{t,s} (discounted coverage),
   ``worst_case``: maximise z subject to z ≤ D_s for every s; ``expected``: maximise Σ_s p_s D_s;
2. host fit: maximise Σ_s p_s Σ_t w_t fit_{t,s}; 3. travel: minimise Σ_s p_s Σ_t w_t travel_{t,s}.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

from ortools.linear_solver import pywraplp

from optimisation import families
from optimisation.diagnosis import describe_group, structural_problems
from optimisation.families import Variables
from optimisation.instance import Instance
from optimisation.model import Model, create_solver, objective_expressions, rule_groups
from optimisation.programme import Programme, block_instance
from optimisation.result import Infeasible, StageResult
from optimisation.solve import SENSES, configure_solver, integral_assignment
from optimisation.team import add_team_mix, minimum_team

FEASIBILITY_SECONDS = 10.0


@dataclass
class ProgrammeModel:
    solver: pywraplp.Solver
    placements: list[Variables]  # per phase: spokes, hub_used, host_open (cases empty)
    blocks: dict[tuple[int, str], Variables]  # (phase, scenario) -> the phase's placements + own cases
    instances: dict[tuple[int, str], Instance]
    rows: dict[str, list] = field(default_factory=dict)
    objectives: dict[str, object] = field(default_factory=dict)
    discounted: dict[str, object] = field(default_factory=dict)  # scenario -> D_s expression
    weights: list[float] = field(default_factory=list)  # w_t per phase
    scenario_names: list[str] = field(default_factory=list)


def add_keep_placements(solver: pywraplp.Solver, earlier: Variables, later: Variables, tag: str) -> list:
    """Keep earlier placements: y[h, j, t] ≥ y[h, j, t-1] for every pair, and u[h, t] ≥ u[h, t-1].

    A spoke placed in an earlier phase stays in every later one, and a hub once started keeps
    running (seed 002: each service is funded for three years from its start).
    """
    rows = [solver.Add(later.spokes[pair] >= var, f"keep[{pair[0]},{pair[1]},{tag}]")
            for pair, var in sorted(earlier.spokes.items())]
    rows += [solver.Add(later.hub_used[hub] >= var, f"keep_hub[{hub},{tag}]")
             for hub, var in sorted(earlier.hub_used.items())]
    return rows


def add_phase_hubs(solver: pywraplp.Solver, placements: Variables, max_hubs: int | None, tag: str) -> list:
    """Hubs running per phase: Σ_h u[h, t] ≤ max_hubs_t (seed 000: 3, then 5, then 8 services).

    With keep-placements, hubs started in phase t = Σ_h (u[h, t] - u[h, t-1]).
    """
    if max_hubs is None:
        return []
    return [solver.Add(solver.Sum(list(placements.hub_used.values())) <= max_hubs, f"phase_hubs[{tag}]")]


def add_phase_budget(solver: pywraplp.Solver, phase_inst: Instance, placements: Variables) -> list:
    """Per-phase budget: spoke_cost × Σ_{h,j} y[h, j, t] + Σ_j annual_cost_j × o[j, t] ≤ budget_t.

    The single-period budget family on the phase's placements, with budget_t the phase's
    `budget_per_year` (else the scenario's).
    """
    return families.add_budget(solver, phase_inst, placements)


def programme_groups(inst: Instance, programme: Programme) -> list[str]:
    """Relaxable rule groups: the single-period ones and each phase's own limits."""
    groups = rule_groups(inst)
    for phase in programme.phases:
        if phase.max_hubs is not None:
            groups.append(f"phase_hubs:{phase.name}")
        if phase.budget_per_year is not None:
            groups.append(f"phase_budget:{phase.name}")
        if phase.max_spokes is not None:
            groups.append(f"phase_spokes:{phase.name}")
    if len(programme.phases) > 1:
        groups.append("keep_placements")
    return groups


def build_programme_model(inst: Instance, programme: Programme, *, backend: str = "SCIP",
                          relax: frozenset[str] = frozenset()) -> ProgrammeModel:
    """Every family per block and phase, and the cross-phase families, less the groups in `relax`."""
    solver = create_solver(backend)
    model = ProgrammeModel(solver, [], {}, {})
    rows = model.rows
    weights = programme.scenario_weights()
    for t, phase in enumerate(programme.phases):
        tag = phase.name
        phase_inst = block_instance(inst, programme, t, programme.scenarios[0])
        if "budget" in relax and phase.budget_per_year is None or f"phase_budget:{phase.name}" in relax:
            phase_inst = replace(phase_inst, rules=replace(phase_inst.rules, budget_per_year=None))
        if "max_spokes" in relax and phase.max_spokes is None or f"phase_spokes:{phase.name}" in relax:
            phase_inst = replace(phase_inst, rules=replace(phase_inst.rules, max_spokes=None))
        p = families.add_placement_variables(solver, phase_inst, tag)
        model.placements.append(p)
        rows[f"hub_size@{tag}"] = families.add_hub_size(solver, phase_inst, p, with_minimum="hub_min" not in relax)
        if "host_capacity" not in relax:
            rows[f"host_capacity@{tag}"] = families.add_host_capacity(solver, phase_inst, p)
        else:
            big = sum(h.capacity for h in inst.hubs) + sum(inst.existing_spokes.values())
            rows[f"host_capacity@{tag}"] = [solver.Add(solver.Sum(p.spokes_at(j)) <= big * o) for j, o in p.host_open.items()]
        rows[f"budget@{tag}"] = add_phase_budget(solver, phase_inst, p)
        if phase_inst.rules.team_roles:  # a service model's support roles, their costs in the phase's budget
            _, rows[f"team_mix@{tag}"] = add_team_mix(solver, phase_inst, p, rows[f"budget@{tag}"])
        rows[f"max_spokes@{tag}"] = families.add_max_spokes(solver, phase_inst, p)
        for authority in phase_inst.authorities:
            if authority.required and f"required:{authority.authority_code}" not in relax:
                rows[f"required:{authority.authority_code}@{tag}"] = families.add_required_authority(
                    solver, phase_inst, p, authority.authority_code)
        for host in phase_inst.hosts:  # locked hosts (issue #18): the final phase only, as required authorities
            if host.status == "locked" and f"locked:{host.host_id}" not in relax:
                rows[f"locked:{host.host_id}@{tag}"] = families.add_locked_host(solver, phase_inst, p, host.host_id)
        for (hub_id, host_id) in sorted(inst.existing_spokes):
            if f"existing:{hub_id}:{host_id}" not in relax:
                rows[f"existing:{hub_id}:{host_id}@{tag}"] = families.add_existing_spoke(solver, phase_inst, p, hub_id, host_id)
        if f"phase_hubs:{phase.name}" not in relax:
            rows[f"phase_hubs@{tag}"] = add_phase_hubs(solver, p, phase.max_hubs, tag)
        if t > 0 and "keep_placements" not in relax:
            rows[f"keep@{tag}"] = add_keep_placements(solver, model.placements[t - 1], p, tag)
        for scenario in programme.scenarios:
            block_tag = f"{tag}/{scenario.name}"
            b_inst = block_instance(inst, programme, t, scenario)
            b = families.add_case_variables(solver, b_inst, p, block_tag)
            model.blocks[(t, scenario.name)] = b
            model.instances[(t, scenario.name)] = b_inst
            rows[f"caseload@{block_tag}"] = families.add_caseload(solver, b_inst, b, with_minimum="caseload_min" not in relax)
            rows[f"demand@{block_tag}"] = families.add_demand(solver, b_inst, b)
            rows[f"link@{block_tag}"] = families.add_open_host_link(solver, b_inst, b)
    # Objective expressions, reusing the single-period ones per block.
    per_block = {key: objective_expressions(model.instances[key], Model(solver, v)) for key, v in model.blocks.items()}
    discounted = {s.name: solver.Sum([programme.phase_weight(t) * per_block[(t, s.name)]["coverage"]
                                      for t in range(len(programme.phases))]) for s in programme.scenarios}
    model.discounted = discounted
    model.weights = [programme.phase_weight(t) for t in range(len(programme.phases))]
    model.scenario_names = [s.name for s in programme.scenarios]
    if programme.robust == "worst_case" and len(programme.scenarios) > 1:
        z = solver.NumVar(0, solver.infinity(), "worst_case_coverage")
        rows["worst_case"] = [solver.Add(z <= d, f"worst_case[{name}]") for name, d in discounted.items()]
        model.objectives["coverage"] = z
    else:
        model.objectives["coverage"] = solver.Sum([weights[name] * d for name, d in discounted.items()])
    for name in ("host_fit", "travel"):
        model.objectives[name] = solver.Sum([weights[s] * programme.phase_weight(t) * per_block[(t, s)][name]
                                             for (t, s) in model.blocks])
    return model


@dataclass(frozen=True)
class PhasePlan:
    """Placements of one phase and the whole-case assignment under each demand scenario."""

    name: str
    start_year: int
    spokes: dict  # (hub, host) -> count (> 0)
    assignments: dict  # scenario -> {(area, host): cases}
    team: tuple = ()  # the cheapest support team for these placements (optimisation.team.minimum_team)


@dataclass(frozen=True)
class ProgrammeResult:
    status: str  # stage 1 ("OPTIMAL" | "FEASIBLE")
    objective: float  # stage 1 value after the integral assignment (discounted worst-case / expected cases)
    bound: float  # stage 1 proven bound
    phases: tuple[PhasePlan, ...]
    stages: tuple[StageResult, ...]
    backend: str = ""
    solve_seconds: float = 0.0


def discounted_coverage(programme: Programme, phases: tuple[PhasePlan, ...], scenario: str) -> float:
    """D_s = Σ_t w_t × covered cases of phase t under scenario s."""
    return sum(programme.phase_weight(t) * sum(p.assignments[scenario].values()) for t, p in enumerate(phases))


def programme_objective(programme: Programme, phases: tuple[PhasePlan, ...]) -> float:
    """Stage 1 of a programme plan: min_s D_s (worst_case) or Σ_s p_s D_s (expected)."""
    values = {s.name: discounted_coverage(programme, phases, s.name) for s in programme.scenarios}
    if programme.robust == "worst_case":
        return min(values.values())
    weights = programme.scenario_weights()
    return sum(weights[name] * value for name, value in values.items())


def _feasible(inst: Instance, programme: Programme, relax: frozenset[str], backend: str, seconds: float) -> bool:
    model = build_programme_model(inst, programme, backend=backend, relax=relax)
    model.solver.SetTimeLimit(max(100, int(seconds * 1000)))
    model.solver.Minimize(0)
    return model.solver.Solve() in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE)


def describe_programme_group(inst: Instance, programme: Programme, group: str) -> str:
    """A rule group in plain words: the phase groups here, the single-period ones by diagnosis."""
    kind, _, name = group.partition(":")
    phase = next((p for p in programme.phases if p.name == name), None)
    if kind == "phase_hubs" and phase:
        return f"phase {name} (from {phase.start_year}) may run at most {phase.max_hubs} hubs"
    if kind == "phase_budget" and phase:
        return f"phase {name} (from {phase.start_year}) has a budget of £{phase.budget_per_year:,.0f} a year"
    if kind == "phase_spokes" and phase:
        return f"phase {name} (from {phase.start_year}) may have at most {phase.max_spokes} spokes"
    if group == "keep_placements":
        return "spokes placed in an earlier phase stay in every later phase"
    several = programme.phased and len(programme.phases) > 1
    if group.startswith("existing:") and several:
        return describe_group(inst, group) + " in every phase"
    if group.startswith(("required:", "locked:")) and several:
        return describe_group(inst, group) + " by the final phase"
    if group == "caseload_min" and programme.robust_declared:
        return describe_group(inst, group) + " in every demand scenario (" + ", ".join(
            s.name for s in programme.scenarios) + ")"
    return describe_group(inst, group)


def diagnose_programme(inst: Instance, programme: Programme, *, backend: str = "SCIP",
                       time_limit: float = 60.0) -> list[str]:
    """The smallest set of conflicting rule groups (deletion filter, as optimisation.diagnosis)."""
    groups = programme_groups(inst, programme)
    seconds = min(FEASIBILITY_SECONDS, time_limit / (len(groups) + 2))
    if not _feasible(inst, programme, frozenset(groups), backend, seconds):
        return ["the plan is infeasible even with every relaxable rule removed; check the travel limits"]
    kept: list[str] = []
    dropped: set[str] = set()
    for group in groups:
        if _feasible(inst, programme, frozenset(dropped | {group}), backend, seconds):
            kept.append(group)
        else:
            dropped.add(group)
    return [describe_programme_group(inst, programme, g) for g in kept]


def _placement_hint(model: ProgrammeModel, hint: ProgrammeResult) -> tuple[list, list]:
    """Solution hint from another plan: its placements per phase (y, u, o) and, for every block it
    has an assignment for, its cases (x); with every block given, z too (a complete start)."""
    variables, values = [], []
    complete = True
    for t, (p, phase) in enumerate(zip(model.placements, hint.phases)):
        running = {h for (h, _), n in phase.spokes.items() if n}
        open_hosts = {j for (_, j), n in phase.spokes.items() if n}
        for pair, var in sorted(p.spokes.items()):
            variables.append(var)
            values.append(float(phase.spokes.get(pair, 0)))
        for hub, var in sorted(p.hub_used.items()):
            variables.append(var)
            values.append(1.0 if hub in running else 0.0)
        for host, var in sorted(p.host_open.items()):
            variables.append(var)
            values.append(1.0 if host in open_hosts else 0.0)
        for (bt, scenario), block in sorted(model.blocks.items()):
            if bt != t:
                continue
            if scenario not in phase.assignments:
                complete = False
                continue
            cases = phase.assignments[scenario]
            for pair, var in sorted(block.cases.items()):
                variables.append(var)
                values.append(float(cases.get(pair, 0)))
    coverage = model.objectives.get("coverage")
    if complete and isinstance(coverage, pywraplp.Variable):  # worst_case: z = min_s D_s
        variables.append(coverage)
        values.append(min(sum(w * sum(phase.assignments[s].values()) for w, phase in zip(model.weights, hint.phases))
                          for s in model.scenario_names))
    return variables, values


def reassign(inst: Instance, programme: Programme, plan: ProgrammeResult) -> ProgrammeResult | None:
    """`plan`'s placements with whole cases re-assigned in every block of `programme`
    (optimisation.solve.integral_assignment); None if they break a rule in some block (e.g. the
    caseload minimum under low demand), judged by the single-period checker."""
    from optimisation.checker import check_plan
    from optimisation.phased_checker import block_plan

    phases = []
    for t, phase in enumerate(plan.phases):
        assignments = {}
        for scenario in programme.scenarios:
            b_inst = block_instance(inst, programme, t, scenario)
            try:
                assignments[scenario.name] = integral_assignment(b_inst, phase.spokes, 0) if phase.spokes else {}
            except RuntimeError:
                return None
            if check_plan(b_inst, block_plan(phase.spokes, assignments[scenario.name], team=phase.team)):
                return None
        phases.append(replace(phase, assignments=assignments))
    value = programme_objective(programme, tuple(phases))
    return ProgrammeResult("FEASIBLE", value, value, tuple(phases), (), plan.backend, 0.0)


def solve_programme(inst: Instance, programme: Programme, *, time_limit: float = 60.0, workers: int = 1,
                    backend: str = "SCIP", hint: ProgrammeResult | None = None,
                    upper_bound: float | None = None) -> ProgrammeResult:
    """The lexicographically optimal phased/robust plan (or the best found in `time_limit` s).

    `hint` (e.g. the central plan, solved first) warm-starts stage 1 with its placements.
    `upper_bound` is a proven bound on stage 1 known beforehand, added as the valid row
    "stage 1 ≤ upper_bound": for worst_case, z ≤ D_central ≤ the central plan's proven bound, so a
    robust plan reaching it is proven optimal at once.
    """
    from optimisation.solve import NoPlanFound

    started = time.perf_counter()
    for t, phase in enumerate(programme.phases):
        problems = structural_problems(block_instance(inst, programme, t, programme.scenarios[0]))  # demand-free
        if problems:
            prefix = f"phase {phase.name} (from {phase.start_year}): " if programme.phased and len(programme.phases) > 1 else ""
            raise Infeasible([prefix + p for p in problems])
    model = build_programme_model(inst, programme, backend=backend)
    solver = model.solver
    if hint is not None and len(hint.phases) == len(programme.phases):
        solver.SetHint(*_placement_hint(model, hint))
    if upper_bound is not None:
        model.rows["known_bound"] = [solver.Add(model.objectives["coverage"] <= upper_bound,
                                                "known_bound")]
    stages: list[StageResult] = []
    values: list[tuple] | None = None
    status1, bound1 = "FEASIBLE", 0.0
    for position, name in enumerate(inst.rules.priorities):
        remaining = time_limit * 0.93 - (time.perf_counter() - started)
        if position > 0 and remaining < 0.05 * time_limit:
            break
        expression = model.objectives[name]
        solver.Objective().Clear()
        (solver.Maximize if SENSES[name] == "max" else solver.Minimize)(expression)
        share = remaining if position == len(inst.rules.priorities) - 1 else remaining * (0.8 if position == 0 else 0.5)
        configure_solver(solver, share, workers, backend)
        stage_start = time.perf_counter()
        status = solver.Solve()
        seconds = time.perf_counter() - stage_start
        if position == 0 and status == pywraplp.Solver.INFEASIBLE:
            left = max(1.0, time_limit - (time.perf_counter() - started))
            raise Infeasible(diagnose_programme(inst, programme, backend=backend, time_limit=left))
        if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            if position == 0:
                raise NoPlanFound(f"no plan was found within {time_limit:g} s (solver status {status}); "
                                  "allow more time with --time-limit")
            break
        value, bound = solver.Objective().Value(), solver.Objective().BestBound()
        state = "OPTIMAL" if status == pywraplp.Solver.OPTIMAL else "FEASIBLE"
        if position == 0 and upper_bound is not None and value >= upper_bound - 1e-6 * max(1.0, upper_bound):
            state = "OPTIMAL"  # the known proven bound is reached
            value = bound = min(value, upper_bound)
        if position == 0:
            status1, bound1 = state, (value if state == "OPTIMAL" else max(value, bound))
            bound = bound1
        stages.append(StageResult(name, SENSES[name], float(value), float(bound), state, seconds))
        values = [(var, var.solution_value()) for var in solver.variables()]
        solution = {var.index(): value for var, value in values}
        slack = 1e-6 * max(1.0, abs(value))
        solver.Add(expression >= value - slack if SENSES[name] == "max" else expression <= value + slack, f"hold[{name}]")
        solver.SetHint([v for v, _ in values], [x for _, x in values])
    assert values is not None
    phases = []
    for t, phase in enumerate(programme.phases):
        spokes = {pair: int(round(solution[var.index()])) for pair, var in model.placements[t].spokes.items()}
        spokes = {pair: n for pair, n in spokes.items() if n > 0}
        assignments = {}
        for scenario in programme.scenarios:
            b = model.blocks[(t, scenario.name)]
            target = int(math.floor(sum(solution[var.index()] for var in b.cases.values()) + 1e-6))
            assignments[scenario.name] = integral_assignment(model.instances[(t, scenario.name)], spokes, target)
        phases.append(PhasePlan(phase.name, phase.start_year, spokes, assignments, minimum_team(inst, spokes)))
    phases_t = tuple(phases)
    objective = programme_objective(programme, phases_t)
    return ProgrammeResult(status1, objective, max(bound1, objective), phases_t, tuple(stages), backend,
                           time.perf_counter() - started)

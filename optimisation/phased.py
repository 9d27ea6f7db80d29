"""The phased and robust allocation model: the single-period families, once per block, plus the
families that tie blocks together (see :mod:`optimisation.programme` for blocks and weights).

Columns (optimisation/formulation.py), per phase t and demand scenario s, each set tagged:

* ``y[h, j, t]`` integer, ``u[h, t]`` binary, ``o[j, t]`` binary (and ``n[r, h, t]`` for a service
  model's support roles) — placements of phase t, **shared by every demand scenario** (spokes, hubs
  and hosts are decided once per phase);
* ``x[i, j, t/s]`` continuous — cases of area i served from host j in phase t under scenario s
  (assignments adapt to the demand that materialises).

Every family is the one of :mod:`optimisation.families` (and :mod:`optimisation.team`), emitted
over that phase's or block's columns. Per block (t, s), on
:func:`optimisation.programme.block_instance`: ``caseload``, ``demand`` and ``open_host_link``. Per
phase t: ``hub_size``, ``host_capacity``, ``budget`` (the phase's budget, with its support roles),
``team_mix``, ``max_spokes``, existing spokes (every phase) and required authorities (final phase).
Between phases: :func:`keep_placements` and :func:`phase_hubs` below. The caseload minimum therefore
holds **in every demand scenario**: a spoke in post must find at least ``caseload_min`` cases
whichever demand estimate comes true (a plan that would leave a worker under-used when demand is
low is not robust). A phase's own budget or spoke limit is its own rule group
("phase_budget:<phase>", "phase_spokes:<phase>"); else the scenario's ("budget", "max_spokes").

Objective, lexicographic as in :mod:`optimisation.solve`:

1. coverage: with C_{t,s} = Σ x[·, ·, t, s] and D_s = Σ_t w_t C_{t,s} (discounted coverage),
   ``worst_case``: maximise z subject to z ≤ D_s for every s; ``expected``: maximise Σ_s p_s D_s;
2. host fit: maximise Σ_s p_s Σ_t w_t fit_{t,s}; 3. travel: minimise Σ_s p_s Σ_t w_t travel_{t,s}.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np

from optimisation import families
from optimisation.backends import PywraplpSession
from optimisation.checker import check_plan
from optimisation.diagnosis import describe_group, structural_problems
from optimisation.formulation import INF, Columns, LinearModel, case_columns, placement_columns
from optimisation.instance import Instance
from optimisation.integral import integral_assignment
from optimisation.model import objective_terms, rule_groups
from optimisation.phased_checker import block_plan
from optimisation.programme import Programme, block_instance
from optimisation.result import Infeasible, StageResult
from optimisation.solve import SENSES, NoPlanFound
from optimisation.team import minimum_team, team_columns, team_mix

FEASIBILITY_SECONDS = 10.0


@dataclass
class ProgrammeModel:
    linear: LinearModel
    placements: list[Columns]  # per phase: spokes, hub_used, host_open, team (no cases)
    blocks: dict[tuple[int, str], Columns]  # (phase, scenario) -> the phase's placements + own cases
    instances: dict[tuple[int, str], Instance]
    objectives: dict[str, np.ndarray] = field(default_factory=dict)  # one coefficient per column
    worst_case: int | None = None  # the column z (robust worst_case), else None
    weights: list[float] = field(default_factory=list)  # w_t per phase
    scenario_names: list[str] = field(default_factory=list)


def keep_placements(m: LinearModel, earlier: Columns, later: Columns, tag: str) -> None:
    """Keep earlier placements: y[h, j, t] ≥ y[h, j, t-1] for every pair, and u[h, t] ≥ u[h, t-1].

    A spoke placed in an earlier phase stays in every later one, and a hub once started keeps
    running (seed 002: each service is funded for three years from its start). Rule group
    "keep_placements"."""
    for pair, col in sorted(earlier.spokes.items()):
        m.add_row("keep_placements", [later.spokes[pair], col], [1.0, -1.0], 0.0, INF, group="keep_placements",
                  name=f"keep[{pair[0]},{pair[1]},{tag}]")
    for hub, col in sorted(earlier.hub_used.items()):
        m.add_row("keep_placements", [later.hub_used[hub], col], [1.0, -1.0], 0.0, INF, group="keep_placements",
                  name=f"keep_hub[{hub},{tag}]")


def phase_hubs(m: LinearModel, placements: Columns, max_hubs: int | None, phase_name: str, tag: str) -> None:
    """Hubs running per phase: Σ_h u[h, t] ≤ max_hubs_t (seed 000: 3, then 5, then 8 services).

    With keep-placements, hubs started in phase t = Σ_h (u[h, t] - u[h, t-1]). Rule group
    "phase_hubs:<phase>"."""
    if max_hubs is None:
        return
    cols = list(placements.hub_used.values())
    m.add_row("phase_hubs", cols, [1.0] * len(cols), -INF, float(max_hubs), group=f"phase_hubs:{phase_name}",
              name=f"phase_hubs[{tag}]")


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


def build_programme_model(inst: Instance, programme: Programme, *,
                          relax: frozenset[str] = frozenset()) -> ProgrammeModel:
    """Every family per block and phase, and the cross-phase families, less the groups in `relax`."""
    m = LinearModel(relax)
    model = ProgrammeModel(m, [], {}, {})
    weights = programme.scenario_weights()
    for t, phase in enumerate(programme.phases):
        tag = phase.name
        phase_inst = block_instance(inst, programme, t, programme.scenarios[0])
        p = placement_columns(m, phase_inst, tag=tag)  # supervision travel
        team_columns(m, phase_inst, p, tag=tag)
        model.placements.append(p)
        families.hub_size(m, phase_inst, p)
        families.host_capacity(m, phase_inst, p)
        own_budget, own_limit = phase.budget_per_year is not None, phase.max_spokes is not None
        families.budget(m, phase_inst, p, group=f"phase_budget:{phase.name}" if own_budget else "budget")
        team_mix(m, phase_inst, p)
        families.max_spokes(m, phase_inst, p, group=f"phase_spokes:{phase.name}" if own_limit else "max_spokes")
        families.required_authorities(m, phase_inst, p)  # required only in the final phase (block_instance)
        families.locked_hosts(m, phase_inst, p)  # locked only in the final phase (block_instance)
        families.existing_spokes(m, phase_inst, p)
        phase_hubs(m, p, phase.max_hubs, phase.name, tag)
        if t > 0:
            keep_placements(m, model.placements[t - 1], p, tag)
        for scenario in programme.scenarios:
            block_tag = f"{tag}/{scenario.name}"
            b_inst = block_instance(inst, programme, t, scenario)
            b = case_columns(m, b_inst, p, tag=block_tag)  # casework travel
            model.blocks[(t, scenario.name)] = b
            model.instances[(t, scenario.name)] = b_inst
            families.caseload(m, b_inst, b)
            families.demand(m, b_inst, b)
            families.open_host_link(m, b_inst, b)
    model.weights = [programme.phase_weight(t) for t in range(len(programme.phases))]
    model.scenario_names = [s.name for s in programme.scenarios]
    per_block = {key: objective_terms(model.instances[key], b) for key, b in model.blocks.items()}
    if programme.robust == "worst_case" and len(programme.scenarios) > 1:
        (z,) = m.add_columns("worst_case_coverage", [None], [0.0], [INF], False).values()
        model.worst_case = z
        for s in programme.scenarios:  # z ≤ D_s = Σ_t w_t C_{t,s}
            cols, vals = [z], [1.0]
            for t in range(len(programme.phases)):
                block_cols, _ = per_block[(t, s.name)]["coverage"]
                cols += block_cols
                vals += [-model.weights[t]] * len(block_cols)
            m.add_row("worst_case", cols, vals, -INF, 0.0, name=f"worst_case[{s.name}]")
        model.objectives["coverage"] = m.vector([z], [1.0])
    else:  # Σ_s p_s D_s
        model.objectives["coverage"] = _weighted(m, programme, per_block, "coverage", weights)
    for name in ("host_fit", "travel"):
        model.objectives[name] = _weighted(m, programme, per_block, name, weights)
    return model


def _weighted(m: LinearModel, programme: Programme, per_block: dict, name: str,
              weights: dict[str, float]) -> np.ndarray:
    """Σ_{t,s} p_s w_t × objective `name` of block (t, s), as one vector (each case column is one block's)."""
    cols: list[int] = []
    vals: list[float] = []
    for (t, s), terms in per_block.items():
        weight = weights[s] * programme.phase_weight(t)
        block_cols, block_vals = terms[name]
        cols += block_cols
        vals += [weight * value for value in block_vals]
    return m.vector(cols, vals)


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
    return PywraplpSession(build_programme_model(inst, programme, relax=relax).linear, backend).feasible(seconds)


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


def _placement_hint(model: ProgrammeModel, hint: ProgrammeResult) -> tuple[list[int], list[float]]:
    """Solution hint from another plan, as (columns, values): its placements per phase (y, u, o)
    and, for every block it has an assignment for, its cases (x); with every block given, z too
    (a complete start)."""
    columns, values = [], []
    complete = True
    for t, (p, phase) in enumerate(zip(model.placements, hint.phases)):
        running = {h for (h, _), n in phase.spokes.items() if n}
        open_hosts = {j for (_, j), n in phase.spokes.items() if n}
        for pair, col in sorted(p.spokes.items()):
            columns.append(col)
            values.append(float(phase.spokes.get(pair, 0)))
        for hub, col in sorted(p.hub_used.items()):
            columns.append(col)
            values.append(1.0 if hub in running else 0.0)
        for host, col in sorted(p.host_open.items()):
            columns.append(col)
            values.append(1.0 if host in open_hosts else 0.0)
        for (bt, scenario), block in sorted(model.blocks.items()):
            if bt != t:
                continue
            if scenario not in phase.assignments:
                complete = False
                continue
            cases = phase.assignments[scenario]
            for pair, col in sorted(block.cases.items()):
                columns.append(col)
                values.append(float(cases.get(pair, 0)))
    if complete and model.worst_case is not None:  # worst_case: z = min_s D_s
        columns.append(model.worst_case)
        values.append(min(sum(w * sum(phase.assignments[s].values()) for w, phase in zip(model.weights, hint.phases))
                          for s in model.scenario_names))
    return columns, values


def reassign(inst: Instance, programme: Programme, plan: ProgrammeResult) -> ProgrammeResult | None:
    """`plan`'s placements with whole cases re-assigned in every block of `programme`
    (optimisation.integral.integral_assignment); None if they break a rule in some block (e.g. the
    caseload minimum under low demand), judged by the single-period checker."""
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
    started = time.perf_counter()
    for t, phase in enumerate(programme.phases):
        problems = structural_problems(block_instance(inst, programme, t, programme.scenarios[0]))  # demand-free
        if problems:
            prefix = f"phase {phase.name} (from {phase.start_year}): " if programme.phased and len(programme.phases) > 1 else ""
            raise Infeasible([prefix + p for p in problems])
    model = build_programme_model(inst, programme)
    session = PywraplpSession(model.linear, backend)
    if hint is not None and len(hint.phases) == len(programme.phases):
        columns, values = _placement_hint(model, hint)
        session.hint(values, columns)
    if upper_bound is not None:
        session.add_row(model.objectives["coverage"], -math.inf, upper_bound, "known_bound")
    stages: list[StageResult] = []
    solution: np.ndarray | None = None
    status1, bound1 = "FEASIBLE", 0.0
    for position, name in enumerate(inst.rules.priorities):
        remaining = time_limit * 0.93 - (time.perf_counter() - started)
        if position > 0 and remaining < 0.05 * time_limit:
            break
        objective = model.objectives[name]
        session.set_objective(objective, SENSES[name])
        share = remaining if position == len(inst.rules.priorities) - 1 else remaining * (0.8 if position == 0 else 0.5)
        session.configure(share, workers)
        stage_start = time.perf_counter()
        result = session.solution(session.solve())
        seconds = time.perf_counter() - stage_start
        if position == 0 and result.status == "INFEASIBLE":
            left = max(1.0, time_limit - (time.perf_counter() - started))
            raise Infeasible(diagnose_programme(inst, programme, backend=backend, time_limit=left))
        if result.values is None:
            if position == 0:
                raise NoPlanFound(f"no plan was found within {time_limit:g} s (solver status {session.status_code}); "
                                  "allow more time with --time-limit")
            break
        value, bound = result.objective, result.bound
        state = result.status
        if position == 0 and upper_bound is not None and value >= upper_bound - 1e-6 * max(1.0, upper_bound):
            state = "OPTIMAL"  # the known proven bound is reached
            value = bound = min(value, upper_bound)
        if position == 0:
            status1, bound1 = state, (value if state == "OPTIMAL" else max(value, bound))
            bound = bound1
        stages.append(StageResult(name, SENSES[name], float(value), float(bound), state, seconds))
        solution = result.values
        slack = 1e-6 * max(1.0, abs(value))
        low, high = (value - slack, math.inf) if SENSES[name] == "max" else (-math.inf, value + slack)
        session.add_row(objective, low, high, f"hold[{name}]")
        session.hint(solution)
    assert solution is not None
    phases = []
    for t, phase in enumerate(programme.phases):
        spokes = {pair: int(round(solution[col])) for pair, col in model.placements[t].spokes.items()}
        spokes = {pair: n for pair, n in spokes.items() if n > 0}
        assignments = {}
        for scenario in programme.scenarios:
            b = model.blocks[(t, scenario.name)]
            target = int(math.floor(sum(float(solution[col]) for col in b.cases.values()) + 1e-6))
            assignments[scenario.name] = integral_assignment(model.instances[(t, scenario.name)], spokes, target)
        phases.append(PhasePlan(phase.name, phase.start_year, spokes, assignments, minimum_team(inst, spokes)))
    phases_t = tuple(phases)
    value = programme_objective(programme, phases_t)
    return ProgrammeResult(status1, value, max(bound1, value), phases_t, tuple(stages), backend,
                           time.perf_counter() - started)

"""The programme model (phased roll-out of services and/or robust plans): the single-period
families, once per phase's new services, per period and per block, plus the families that tie them
together (see :mod:`optimisation.programme` for services, periods, blocks and weights).

Columns (optimisation/formulation.py), each set tagged:

* per phase t (its new services, "cohort" t): ``y[h, j, t]`` integer — spokes of the service hub h
  opens in phase t, at host j; ``u[h, t]`` binary — hub h opens its service in phase t; ``o[j, t]``
  binary; (``n[r, h, t]`` support roles of a service model);
* per period p (the years with the same live services): ``Y[h, j, p]``, ``U[h, p]``, ``O[j, p]``,
  (``N[r, h, p]``) — the live services' placements, **shared by every demand scenario**;
* per block (p, s): ``x[i, j, p/s]`` continuous — cases of area i served from host j in period p
  under demand scenario s (assignments adapt to the demand that materialises).

Every rule is a family of :mod:`optimisation.families` (and :mod:`optimisation.team`), emitted over
that phase's, period's or block's columns:

* per phase t, on :func:`optimisation.programme.cohort_instance`: ``hub_size`` (a service runs
  min_spokes..capacity spokes), ``host_capacity``, ``budget`` (the phase's own budget a year for
  its new services, rule group "phase_budget:<phase>"), ``team_mix``, ``existing_spokes`` (the
  first phase: services already running belong to it);
* per period p, on :func:`optimisation.programme.block_instance`: ``hub_size``, ``host_capacity``,
  ``budget`` (the scenario's budget a year for every live service), ``team_mix``, ``max_spokes``,
  ``required_authorities`` and ``locked_hosts`` (full roll-out period only);
* per block (p, s): ``caseload``, ``demand``, ``open_host_link``. The caseload minimum therefore
  holds **in every year and every demand scenario**.

Between them, the programme's own families (below): :func:`new_services`,
:func:`one_service_per_hub`, :func:`live_services`; and ``one_hub_per_host`` (issue #14) over every
phase's new services with one w[h, j] per pair (a host keeps one hub for the whole programme, so in
every period; measured on inputs/demo_phased: per-period w left the coverage stage unproven in the
default time limit, shared w proves it); a plan without phases has it per period.

Objective, lexicographic as in :mod:`optimisation.solve`:

1. coverage: with C_{p,s} = Σ x[·, ·, p, s] and D_s = Σ_p w_p C_{p,s} (discounted coverage),
   ``worst_case``: maximise z subject to z ≤ D_s for every s; ``expected``: maximise Σ_s p_s D_s;
2. host fit: maximise Σ_s p_s Σ_p w_p fit_{p,s}; supervision (issue #14): minimise Σ_s p_s Σ_p w_p
   spoke-minutes_p (the period's placements, the same in every scenario); 3. travel: minimise
   Σ_s p_s Σ_p w_p travel_{p,s} (in the order of rules.priorities).
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
from optimisation.formulation import (
    INF,
    Columns,
    LinearModel,
    case_columns,
    placement_columns,
)
from optimisation.instance import Instance
from optimisation.integral import integral_assignment
from optimisation.model import objective_terms, rule_groups
from optimisation.phased_checker import block_plan, period_spokes
from optimisation.programme import Programme, block_instance, cohort_instance
from optimisation.result import Infeasible, StageResult
from optimisation.rules import CrossBorder
from optimisation.solve import SENSES, NoPlanFound
from optimisation.team import minimum_team, team_columns, team_mix

FEASIBILITY_SECONDS = 10.0


@dataclass
class ProgrammeModel:
    linear: LinearModel
    cohorts: list[Columns]  # per phase: its new services' spokes, opened hubs, hosts, team (phased only)
    placements: list[Columns]  # per period: the live spokes, hubs, hosts, team (no cases)
    blocks: dict[tuple[int, str], Columns]  # (period, scenario) -> the period's placements + own cases
    instances: dict[tuple[int, str], Instance]
    objectives: dict[str, np.ndarray] = field(default_factory=dict)  # one coefficient per column
    worst_case: int | None = None  # the column z (robust worst_case), else None
    weights: list[float] = field(default_factory=list)  # w_p per period
    scenario_names: list[str] = field(default_factory=list)


def new_services(m: LinearModel, cohort: Columns, count: int, phase_name: str) -> None:
    """New services per phase: Σ_h u[h, t] = new_services_t — phase t opens exactly that many
    services (seed 000: three, then five, then eight). Rule group "phase_services:<phase>"."""
    cols = list(cohort.hub_used.values())
    m.add_row(
        "new_services",
        cols,
        [1.0] * len(cols),
        float(count),
        float(count),
        group=f"phase_services:{phase_name}",
        name=f"new_services[{phase_name}]",
    )


def one_service_per_hub(m: LinearModel, cohorts: list[Columns]) -> None:
    """A hub opens at most one service in the programme: Σ_t u[h, t] ≤ 1 for every hub h (a service
    is a hub with its spokes, funded from its own start)."""
    for hub_id in cohorts[0].hub_used:
        cols = [c.hub_used[hub_id] for c in cohorts]
        m.add_row("one_service_per_hub", cols, [1.0] * len(cols), -INF, 1.0, name=f"one_service[{hub_id}]")


def live_services(m: LinearModel, cohorts: list[Columns], period: Columns, live: tuple[int, ...], tag: str) -> None:
    """The period's placements are those of its live services:

        Y[h, j, p] = Σ_{t live in p} y[h, j, t],   U[h, p] = Σ_{t live in p} u[h, t]

    for every pair and hub (a service keeps its spokes for its whole life; which phases are live in
    a period follows from funded_years and after_funding, optimisation.programme.Programme.periods)."""
    for pair, col in sorted(period.spokes.items()):
        cols = [col] + [cohorts[t].spokes[pair] for t in live]
        m.add_row("live_services", cols, [1.0] + [-1.0] * len(live), 0.0, 0.0, name=f"live[{pair[0]},{pair[1]},{tag}]")
    for hub_id, col in sorted(period.hub_used.items()):
        cols = [col] + [cohorts[t].hub_used[hub_id] for t in live]
        m.add_row("live_services", cols, [1.0] + [-1.0] * len(live), 0.0, 0.0, name=f"live_hub[{hub_id},{tag}]")


def programme_groups(inst: Instance, programme: Programme) -> list[str]:
    """Relaxable rule groups: the single-period ones and each phase's own rules."""
    groups = rule_groups(inst)
    for phase in programme.phases:
        if phase.new_services is not None:
            groups.append(f"phase_services:{phase.name}")
        if phase.budget_per_year is not None:
            groups.append(f"phase_budget:{phase.name}")
    return groups


def build_programme_model(
    inst: Instance, programme: Programme, *, relax: frozenset[str] = frozenset()
) -> ProgrammeModel:
    """Every family per phase, period and block, and the programme's own families, less the groups in `relax`."""
    if "cross_border" in relax:  # kept by reach (rules.CrossBorder): relaxed, its pairs come back
        inst = CrossBorder.lifted(inst)
    m = LinearModel(relax)
    model = ProgrammeModel(m, [], [], {}, {})
    weights = programme.scenario_weights()
    if programme.phased:
        for t, phase in enumerate(programme.phases):
            c_inst = cohort_instance(inst, programme, t)
            c = placement_columns(m, c_inst, tag=phase.name)  # supervision travel
            team_columns(m, c_inst, c, tag=phase.name)
            model.cohorts.append(c)
            families.hub_size(m, c_inst, c)
            families.host_capacity(m, c_inst, c)
            families.budget(m, c_inst, c, group=f"phase_budget:{phase.name}")  # none without the phase's own
            team_mix(m, c_inst, c)
            families.existing_spokes(m, c_inst, c)  # the first phase only (cohort_instance)
            if phase.new_services is not None:
                new_services(m, c, phase.new_services, phase.name)
        one_service_per_hub(m, model.cohorts)
        # Issue #14: one hub per host over the whole programme, one w per pair shared by every phase's
        # new services (so in every period; a host does not change hub when a service closes).
        families.one_hub_per_host(m, inst, model.cohorts[0], model.cohorts[1:])
    periods = programme.periods()
    for p, period in enumerate(periods):
        tag = period.label
        p_inst = block_instance(inst, programme, p, programme.scenarios[0])
        c = placement_columns(m, p_inst, tag=tag)  # supervision travel
        team_columns(m, p_inst, c, tag=tag)
        model.placements.append(c)
        if programme.phased:
            live_services(m, model.cohorts, c, period.live, tag)
        families.hub_size(m, p_inst, c)
        families.host_capacity(m, p_inst, c)
        families.budget(m, p_inst, c)
        team_mix(m, p_inst, c)
        families.max_spokes(m, p_inst, c)
        families.required_authorities(m, p_inst, c)  # the full roll-out period only (block_instance)
        families.locked_hosts(m, p_inst, c)  # the full roll-out period only (block_instance)
        families.existing_spokes(m, p_inst, c)  # a plan without phases only (block_instance)
        if not programme.phased:  # issue #14, unless shared_hosts (phased: over the cohorts, below)
            families.one_hub_per_host(m, p_inst, c)
        for scenario in programme.scenarios:
            block_tag = f"{tag}/{scenario.name}"
            b_inst = block_instance(inst, programme, p, scenario)
            b = case_columns(m, b_inst, c, tag=block_tag)  # casework travel
            model.blocks[(p, scenario.name)] = b
            model.instances[(p, scenario.name)] = b_inst
            families.caseload(m, b_inst, b)
            families.demand(m, b_inst, b)
            families.open_host_link(m, b_inst, b)
    model.weights = [programme.period_weight(p) for p in range(len(periods))]
    model.scenario_names = [s.name for s in programme.scenarios]
    per_block = {key: objective_terms(model.instances[key], b) for key, b in model.blocks.items()}
    if programme.robust == "worst_case" and len(programme.scenarios) > 1:
        (z,) = m.add_columns("worst_case_coverage", [None], [0.0], [INF], False).values()
        model.worst_case = z
        for s in programme.scenarios:  # z ≤ D_s = Σ_p w_p C_{p,s}
            cols, vals = [z], [1.0]
            for p in range(len(periods)):
                block_cols, _ = per_block[(p, s.name)]["coverage"]
                cols += block_cols
                vals += [-model.weights[p]] * len(block_cols)
            m.add_row("worst_case", cols, vals, -INF, 0.0, name=f"worst_case[{s.name}]")
        model.objectives["coverage"] = m.vector([z], [1.0])
    else:  # Σ_s p_s D_s
        model.objectives["coverage"] = _weighted(m, programme, per_block, "coverage", weights)
    for name in ("host_fit", "supervision", "travel"):
        model.objectives[name] = _weighted(m, programme, per_block, name, weights)
    return model


def _weighted(
    m: LinearModel, programme: Programme, per_block: dict, name: str, weights: dict[str, float]
) -> np.ndarray:
    """Σ_{p,s} p_s w_p × objective `name` of block (p, s), as one vector (each case column is one block's)."""
    cols: list[int] = []
    vals: list[float] = []
    for (p, s), terms in per_block.items():
        weight = weights[s] * programme.period_weight(p)
        block_cols, block_vals = terms[name]
        cols += block_cols
        vals += [weight * value for value in block_vals]
    # Summed, not assigned: the supervision terms (issue #14) are the period's spoke columns, shared
    # by its scenario blocks, so one column appears once per scenario (weights p_s summing to 1).
    vector = np.zeros(m.columns)
    if cols:
        np.add.at(vector, np.asarray(cols, dtype=np.int64), vals)
    return vector


@dataclass(frozen=True)
class ServicePlan:
    """One new service: hub `hub_id` opened in phase `phase` (index `t`) with its spokes for its life."""

    hub_id: str
    phase: str
    t: int
    spokes: dict  # (hub, host) -> count (> 0), hub == hub_id
    team: tuple = ()  # the cheapest support team for these spokes (optimisation.team.minimum_team)


@dataclass(frozen=True)
class PeriodPlan:
    """The live services' placements in one period and the whole-case assignment per demand scenario."""

    first_year: int
    last_year: int
    live: tuple[int, ...]  # phases whose services run
    spokes: dict  # (hub, host) -> count (> 0): Σ of the live services' spokes
    assignments: dict  # scenario -> {(area, host): cases}
    team: tuple = ()

    @property
    def label(self) -> str:
        return str(self.first_year) if self.first_year == self.last_year else f"{self.first_year}-{self.last_year}"


@dataclass(frozen=True)
class ProgrammeResult:
    status: str  # stage 1 ("OPTIMAL" | "FEASIBLE")
    objective: float  # stage 1 value after the integral assignment (discounted worst-case / expected cases)
    bound: float  # stage 1 proven bound
    services: tuple[ServicePlan, ...]  # empty for a plan without phases
    periods: tuple[PeriodPlan, ...]
    stages: tuple[StageResult, ...]
    backend: str = ""
    solve_seconds: float = 0.0


def discounted_coverage(programme: Programme, periods: tuple[PeriodPlan, ...], scenario: str) -> float:
    """D_s = Σ_p w_p × covered cases of period p under scenario s."""
    return sum(
        programme.period_weight(p) * sum(period.assignments[scenario].values()) for p, period in enumerate(periods)
    )


def programme_objective(programme: Programme, periods: tuple[PeriodPlan, ...]) -> float:
    """Stage 1 of a programme plan: min_s D_s (worst_case) or Σ_s p_s D_s (expected)."""
    values = {s.name: discounted_coverage(programme, periods, s.name) for s in programme.scenarios}
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
    if kind == "phase_services" and phase:
        return (
            f"phase {name} (from {phase.start_year}) opens {phase.new_services} new "
            f"service{'' if phase.new_services == 1 else 's'} (a hub opens at most one service)"
        )
    if kind == "phase_budget" and phase:
        return (
            f"phase {name} (from {phase.start_year}) has a budget of £{phase.budget_per_year:,.0f} a year "
            "for its new services"
        )
    several = programme.phased
    if group.startswith("existing:") and several:
        return describe_group(inst, group) + f" (a service of the first phase, {programme.phases[0].name})"
    if group.startswith(("required:", "locked:")) and several:
        return describe_group(inst, group) + f" once every phase has opened ({programme.phases[-1].start_year})"
    if group == "budget" and several:
        return describe_group(inst, group) + " in every year, for every service running"
    if group == "caseload_min" and programme.robust_declared:
        return (
            describe_group(inst, group)
            + " in every demand scenario ("
            + ", ".join(s.name for s in programme.scenarios)
            + ")"
        )
    return describe_group(inst, group)


def diagnose_programme(
    inst: Instance, programme: Programme, *, backend: str = "SCIP", time_limit: float = 60.0
) -> list[str]:
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


def _hint_placements(columns: list[int], values: list[float], c: Columns, spokes: dict) -> None:
    hubs = {h for (h, _), n in spokes.items() if n}
    hosts = {j for (_, j), n in spokes.items() if n}
    for pair, col in sorted(c.spokes.items()):
        columns.append(col)
        values.append(float(spokes.get(pair, 0)))
    for hub, col in sorted(c.hub_used.items()):
        columns.append(col)
        values.append(1.0 if hub in hubs else 0.0)
    for host, col in sorted(c.host_open.items()):
        columns.append(col)
        values.append(1.0 if host in hosts else 0.0)


def _placement_hint(model: ProgrammeModel, hint: ProgrammeResult) -> tuple[list[int], list[float]]:
    """Solution hint from another plan, as (columns, values): its services per phase (y, u, o), its
    placements per period (Y, U, O) and, for every block it has an assignment for, its cases (x);
    with every block given, z too (a complete start)."""
    columns: list[int] = []
    values: list[float] = []
    complete = True
    for t, c in enumerate(model.cohorts):
        spokes: dict = {}
        for service in hint.services:
            if service.t == t:
                spokes.update(service.spokes)
        _hint_placements(columns, values, c, spokes)
    for p, (c, period) in enumerate(zip(model.placements, hint.periods)):
        _hint_placements(columns, values, c, period.spokes)
        for (bp, scenario), block in sorted(model.blocks.items()):
            if bp != p:
                continue
            if scenario not in period.assignments:
                complete = False
                continue
            cases = period.assignments[scenario]
            for pair, col in sorted(block.cases.items()):
                columns.append(col)
                values.append(float(cases.get(pair, 0)))
    if complete and model.worst_case is not None:  # worst_case: z = min_s D_s
        columns.append(model.worst_case)
        values.append(
            min(
                sum(w * sum(period.assignments[s].values()) for w, period in zip(model.weights, hint.periods))
                for s in model.scenario_names
            )
        )
    return columns, values


def reassign(inst: Instance, programme: Programme, plan: ProgrammeResult) -> ProgrammeResult | None:
    """`plan`'s placements with whole cases re-assigned in every block of `programme`
    (optimisation.integral.integral_assignment); None if they break a rule in some block (e.g. the
    caseload minimum under low demand), judged by the single-period checker."""
    periods = []
    for p, period in enumerate(plan.periods):
        assignments = {}
        for scenario in programme.scenarios:
            b_inst = block_instance(inst, programme, p, scenario)
            try:
                assignments[scenario.name] = integral_assignment(b_inst, period.spokes, 0) if period.spokes else {}
            except RuntimeError:
                return None
            if check_plan(b_inst, block_plan(period.spokes, assignments[scenario.name], team=period.team)):
                return None
        periods.append(replace(period, assignments=assignments))
    value = programme_objective(programme, tuple(periods))
    return ProgrammeResult("FEASIBLE", value, value, plan.services, tuple(periods), (), plan.backend, 0.0)


def solve_programme(
    inst: Instance,
    programme: Programme,
    *,
    time_limit: float = 60.0,
    workers: int = 1,
    backend: str = "SCIP",
    hint: ProgrammeResult | None = None,
    upper_bound: float | None = None,
) -> ProgrammeResult:
    """The lexicographically optimal programme (or the best found in `time_limit` s).

    `hint` (e.g. the central plan, solved first) warm-starts stage 1 with its placements.
    `upper_bound` is a proven bound on stage 1 known beforehand, added as the valid row
    "stage 1 ≤ upper_bound": for worst_case, z ≤ D_central ≤ the central plan's proven bound, so a
    robust plan reaching it is proven optimal at once.
    """
    started = time.perf_counter()
    problems = structural_problems(block_instance(inst, programme, programme.full_period, programme.scenarios[0]))
    if problems:  # demand-free; the full roll-out period holds every rule
        raise Infeasible(problems)
    model = build_programme_model(inst, programme)
    session = PywraplpSession(model.linear, backend)
    if hint is not None and len(hint.periods) == len(model.placements):
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
                raise NoPlanFound(
                    f"no plan was found within {time_limit:g} s (solver status {session.status_code}); "
                    "allow more time with --time-limit"
                )
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
    services = []
    for t, c in enumerate(model.cohorts):
        spokes = {pair: int(round(solution[col])) for pair, col in c.spokes.items()}
        for hub_id, col in c.hub_used.items():
            own = {pair: n for pair, n in spokes.items() if pair[0] == hub_id and n > 0}
            if own or round(solution[col]) == 1:  # opened (a hub with min_spokes 0 may open with none)
                services.append(ServicePlan(hub_id, programme.phases[t].name, t, own, minimum_team(inst, own)))
    periods = []
    for p, period in enumerate(programme.periods()):
        if programme.phased:
            spokes = period_spokes(services, period.live)
        else:
            spokes = {pair: int(round(solution[col])) for pair, col in model.placements[p].spokes.items()}
            spokes = {pair: n for pair, n in spokes.items() if n > 0}
        assignments = {}
        for scenario in programme.scenarios:
            b = model.blocks[(p, scenario.name)]
            target = int(math.floor(sum(float(solution[col]) for col in b.cases.values()) + 1e-6))
            assignments[scenario.name] = integral_assignment(model.instances[(p, scenario.name)], spokes, target)
        periods.append(
            PeriodPlan(
                period.first_year, period.last_year, period.live, spokes, assignments, minimum_team(inst, spokes)
            )
        )
    periods_t = tuple(periods)
    value = programme_objective(programme, periods_t)
    return ProgrammeResult(
        status1,
        value,
        max(bound1, value),
        tuple(services),
        periods_t,
        tuple(stages),
        backend,
        time.perf_counter() - started,
    )

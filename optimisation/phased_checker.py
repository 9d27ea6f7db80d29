"""The solver-free checker of programme (phased) and robust plans.

Per block (period p, demand scenario s) it runs the single-period :func:`optimisation.checker.check_plan`
on the block's instance (:func:`optimisation.programme.block_instance`: the scenario's demand,
required authorities and locked hosts in the full roll-out period), with the period's placements
and the scenario's assignments: so caseload (minimum and maximum, in **every** year and demand
scenario), demand, travel, hub size, host capacity, the scenario's budget a year, max_spokes,
required authorities and team mix are re-verified per block exactly as for a one-snapshot plan. Per
phase, each service's rules that belong to its phase (the phase's own budget for its new services,
spokes already in post in the first phase) are re-verified by the single-period ``check_budget``
and ``check_existing_spokes`` on :func:`optimisation.programme.cohort_instance`. The families the
programme model adds (optimisation/phased.py) each have their check here:

* :func:`check_new_services` — phase t opens exactly ``new_services_t`` services;
* :func:`check_one_service_per_hub` — no hub opens two services;
* :func:`check_live_services` — a period's spokes are the sum of its live services' spokes (which
  services are live follows from funded_years and after_funding);
* :func:`check_programme_objective` — the reported objective equals the recomputed discounted
  worst-case / expected coverage, and the bound is not below it.

It imports no solver and nothing from the model.
"""

from __future__ import annotations

from collections import Counter

from optimisation.checker import check_budget, check_existing_spokes, check_plan
from optimisation.programme import Programme, block_instance, cohort_instance
from optimisation.result import Assignment, PlanResult, SpokePlacement
from optimisation.rules import TOLERANCE


def block_plan(spokes: dict, assignments: dict, status: str = "OPTIMAL", team: tuple = ()) -> PlanResult:
    """A one-snapshot PlanResult of one block's placements, assignments and support team
    (objective = Σ cases)."""
    covered = sum(assignments.values())
    return PlanResult(
        status=status,
        objective=covered,
        bound=float(covered),
        gap=0.0,
        spokes=tuple(sorted(SpokePlacement(h, j, n) for (h, j), n in spokes.items())),
        assignments=tuple(sorted(Assignment(i, j, c) for (i, j), c in assignments.items() if c)),
        team=tuple(team),
    )


def period_spokes(services, live: tuple[int, ...]) -> dict:
    """Y[h, j, p] = Σ of the spokes of the services of the live phases."""
    total: Counter = Counter()
    for service in services:
        if service.t in live:
            total.update(service.spokes)
    return {pair: n for pair, n in sorted(total.items()) if n > 0}


def _weighted(programme: Programme, periods, scenario: str) -> float:
    return sum(
        programme.period_weight(p) * sum(period.assignments[scenario].values()) for p, period in enumerate(periods)
    )


def check_new_services(programme: Programme, services) -> list[str]:
    """Phase t opens exactly new_services_t services: |{services of phase t}| = new_services_t."""
    opened = Counter(s.t for s in services)
    return [
        f"phase {phase.name}: opens {opened.get(t, 0)} new services; the phase funds {phase.new_services}"
        for t, phase in enumerate(programme.phases)
        if phase.new_services is not None and opened.get(t, 0) != phase.new_services
    ]


def check_one_service_per_hub(services) -> list[str]:
    """A hub opens at most one service, and a service's spokes are its own hub's."""
    problems = [
        f"hub {hub}: opens {n} services; a hub opens at most one"
        for hub, n in sorted(Counter(s.hub_id for s in services).items())
        if n > 1
    ]
    problems += [
        f"service of hub {s.hub_id}: has spokes of hub {h} at host {j}"
        for s in services
        for (h, j) in sorted(s.spokes)
        if h != s.hub_id
    ]
    return problems


def _phase_names(programme: Programme, live) -> str:
    return ", ".join(programme.phases[t].name for t in live) or "none"


def check_live_services(programme: Programme, services, periods) -> list[str]:
    """Period p runs exactly its live services' spokes: Y[h, j, p] = Σ_{t live in p} y[h, j, t]."""
    problems = []
    for period, expected in zip(periods, programme.periods()):
        if (period.first_year, period.last_year, tuple(period.live)) != (
            expected.first_year,
            expected.last_year,
            expected.live,
        ):
            problems.append(
                f"period {period.first_year}-{period.last_year}: runs the services of phases "
                f"{_phase_names(programme, period.live)}, but with services funded {programme.funded_years} years, then "
                f"{programme.after_funding}, the period {expected.label} runs those of {_phase_names(programme, expected.live)}"
            )
            continue
        live = period_spokes(services, expected.live)
        if dict(period.spokes) != live:
            problems.append(
                f"period {expected.label}: runs spokes {dict(period.spokes)} but its live services "
                f"have {live} (funded {programme.funded_years} years, then {programme.after_funding})"
            )
    return problems


def check_service_rules(instance, programme: Programme, services) -> list[str]:
    """Each phase's new services within the phase's own budget, and spokes in post kept by the first
    phase's services: the single-period checks on the phase's instance."""
    problems = []
    for t, phase in enumerate(programme.phases):
        spokes: dict = {}
        team: tuple = ()
        for service in services:
            if service.t == t:
                spokes.update(service.spokes)
                team += tuple(service.team)
        plan = block_plan(spokes, {}, team=team)
        c_inst = cohort_instance(instance, programme, t)
        problems += [
            f"phase {phase.name}'s new services: {p}"
            for p in check_budget(c_inst, plan) + check_existing_spokes(c_inst, plan)
        ]
    return problems


def check_programme_objective(programme: Programme, result) -> list[str]:
    """The reported objective is the plan's discounted worst-case / expected coverage; the bound is not below it."""
    periods = result.periods
    values = {s.name: _weighted(programme, periods, s.name) for s in programme.scenarios}
    if programme.robust == "worst_case":
        expected = min(values.values())
    else:
        weights = programme.scenario_weights()
        expected = sum(weights[name] * value for name, value in values.items())
    problems = []
    if abs(result.objective - expected) > TOLERANCE * max(1.0, abs(expected)):
        problems.append(
            f"objective: reported {result.objective} but the plan's "
            f"{'worst-case' if programme.robust == 'worst_case' else 'expected'} discounted coverage is "
            f"{expected}"
        )
    if result.bound + TOLERANCE * max(1.0, abs(expected)) < result.objective:
        problems.append(f"bound: proven bound {result.bound} is below the objective {result.objective}")
    return problems


def check_programme(instance, programme: Programme, result) -> list[str]:
    """Every violated rule of a programme / robust plan, in plain words; empty if the plan is valid."""
    problems: list[str] = []
    periods = result.periods
    expected = programme.periods()
    if len(periods) != len(expected):
        return [
            f"periods: the plan has {len(periods)} periods; the programme has {len(expected)} "
            f"({', '.join(p.label for p in expected)})"
        ]
    if programme.phased:
        problems += check_new_services(programme, result.services)
        problems += check_one_service_per_hub(result.services)
        problems += check_service_rules(instance, programme, result.services)
        problems += check_live_services(programme, result.services, periods)
    for p, period in enumerate(periods):
        label = f"{expected[p].label}" if programme.phased else "plan"
        for scenario in programme.scenarios:
            if scenario.name not in period.assignments:
                problems.append(f"{label}: no assignment for demand scenario {scenario.name}")
                continue
            inst = block_instance(instance, programme, p, scenario)
            where = f"{label}, demand scenario {scenario.name}: " if programme.robust_declared else f"{label}: "
            problems += [
                where + v
                for v in check_plan(
                    inst, block_plan(period.spokes, period.assignments[scenario.name], team=period.team)
                )
            ]
    if problems:
        return problems
    return check_programme_objective(programme, result)

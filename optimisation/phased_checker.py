"""The solver-free checker of phased and robust plans.

Per block (phase t, demand scenario s) it runs the single-period :func:`optimisation.checker.check_plan`
on the block's instance (:func:`optimisation.programme.block_instance`: the scenario's demand, the
phase's budget and spoke limit, required authorities in the final phase), with the phase's
placements and the scenario's assignments: so caseload (minimum and maximum, in **every** demand
scenario), demand, travel, hub size, host capacity, budget, max_spokes, existing spokes, required
authorities and team mix are re-verified per block exactly as for a one-snapshot plan. The families
the phased model adds between blocks (optimisation/phased.py) each have their check here:

* :func:`check_phase_hubs` — hubs running in phase t (hubs with a spoke) ≤ the phase's ``max_hubs``;
* :func:`check_keep_placements` — count[h, j, t] ≥ count[h, j, t-1] for every pair;
* :func:`check_programme_objective` — the reported objective equals the recomputed discounted
  worst-case / expected coverage, and the bound is not below it.

It imports no solver and nothing from the model.
"""

from __future__ import annotations

from optimisation.checker import check_plan
from optimisation.programme import Programme, block_instance
from optimisation.result import Assignment, PlanResult, SpokePlacement
from optimisation.rules import TOLERANCE


def block_plan(spokes: dict, assignments: dict, status: str = "OPTIMAL", team: tuple = ()) -> PlanResult:
    """A one-snapshot PlanResult of one block's placements, assignments and support team
    (objective = Σ cases)."""
    covered = sum(assignments.values())
    return PlanResult(status=status, objective=covered, bound=float(covered), gap=0.0,
                      spokes=tuple(sorted(SpokePlacement(h, j, n) for (h, j), n in spokes.items())),
                      assignments=tuple(sorted(Assignment(i, j, c) for (i, j), c in assignments.items() if c)),
                      team=tuple(team))


def _weighted(programme: Programme, phases, scenario: str) -> float:
    return sum(programme.phase_weight(t) * sum(phase.assignments[scenario].values()) for t, phase in enumerate(phases))


def check_phase_hubs(programme: Programme, t: int, plan_phase) -> list[str]:
    """Hubs running in phase t (hubs with a spoke) ≤ the phase's max_hubs."""
    phase = programme.phases[t]
    hubs_running = sorted({h for (h, _), n in plan_phase.spokes.items() if n > 0})
    if phase.max_hubs is not None and len(hubs_running) > phase.max_hubs:
        return [f"phase {phase.name}: {len(hubs_running)} hubs run ({', '.join(hubs_running)}); the phase allows "
                f"at most {phase.max_hubs}"]
    return []


def check_keep_placements(programme: Programme, t: int, phases) -> list[str]:
    """Every spoke of phase t-1 is still in post in phase t: count[h, j, t] ≥ count[h, j, t-1]."""
    if t == 0:
        return []
    problems = []
    label, before, now = f"phase {programme.phases[t].name}", phases[t - 1].spokes, phases[t].spokes
    for pair, count in sorted(before.items()):
        if now.get(pair, 0) < count:
            problems.append(f"{label}: hub {pair[0]} had {count} spokes at host {pair[1]} in phase "
                            f"{programme.phases[t - 1].name} but keeps {now.get(pair, 0)}; "
                            "earlier placements must stay")
    return problems


def check_programme_objective(programme: Programme, result) -> list[str]:
    """The reported objective is the plan's discounted worst-case / expected coverage; the bound is not below it."""
    phases = result.phases
    values = {s.name: _weighted(programme, phases, s.name) for s in programme.scenarios}
    if programme.robust == "worst_case":
        expected = min(values.values())
    else:
        weights = programme.scenario_weights()
        expected = sum(weights[name] * value for name, value in values.items())
    problems = []
    if abs(result.objective - expected) > TOLERANCE * max(1.0, abs(expected)):
        problems.append(f"objective: reported {result.objective} but the plan's "
                        f"{'worst-case' if programme.robust == 'worst_case' else 'expected'} discounted coverage is "
                        f"{expected}")
    if result.bound + TOLERANCE * max(1.0, abs(expected)) < result.objective:
        problems.append(f"bound: proven bound {result.bound} is below the objective {result.objective}")
    return problems


def check_programme(instance, programme: Programme, result) -> list[str]:
    """Every violated rule of a phased/robust plan, in plain words; empty if the plan is valid."""
    problems: list[str] = []
    phases = result.phases
    if len(phases) != len(programme.phases):
        return [f"phases: the plan has {len(phases)} phases; the scenario declares {len(programme.phases)}"]
    for t, (phase, plan_phase) in enumerate(zip(programme.phases, phases)):
        label = f"phase {phase.name}"
        for scenario in programme.scenarios:
            if scenario.name not in plan_phase.assignments:
                problems.append(f"{label}: no assignment for demand scenario {scenario.name}")
                continue
            inst = block_instance(instance, programme, t, scenario)
            where = f"{label}, demand scenario {scenario.name}: " if programme.robust_declared else f"{label}: "
            problems += [where + p for p in check_plan(inst, block_plan(plan_phase.spokes, plan_phase.assignments[scenario.name],
                                                                  team=plan_phase.team))]
        problems += check_phase_hubs(programme, t, plan_phase)
        problems += check_keep_placements(programme, t, phases)
    if problems:
        return problems
    return check_programme_objective(programme, result)


def hubs_started(phases) -> list[list[str]]:
    """Hubs that start in each phase: running in phase t and not in phase t-1."""
    seen: set[str] = set()
    started = []
    for phase in phases:
        running = {h for (h, _), n in phase.spokes.items() if n > 0}
        started.append(sorted(running - seen))
        seen |= running
    return started


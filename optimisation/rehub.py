"""Re-hub: the supervision-optimal hub assignment for a plan's spokes per host (issue #14).

Whatever the order of the objective priorities (scenario.yaml `priorities`), a plan's hub
assignment must be supervision-optimal for its spokes per host: no reassignment of its hosts to
its hubs has fewer spoke-minutes hub -> host. :func:`rehub` keeps the plan's spokes per host S_j,
its cases (so coverage, host fit and casework travel are unchanged) and its set of used hubs, and
chooses the spokes per hub and host y[h, j] that

    minimise   Σ_{h,j} minutes_hj × y[h, j]
    subject to Σ_h y[h, j] = S_j                              (every host keeps its spokes)
               min_spokes_h ≤ Σ_j y[h, j] ≤ capacity_h           (hub size, for the plan's hubs)
               y[h, j] ≥ spokes in post                          (existing spokes kept)
               y[h, j] ≤ S_j × w[h, j], Σ_h w[h, j] ≤ 1          (one hub per host, unless shared_hosts)
               y[h, j] only within the hub's supervision limit   (supervision travel)
               budget row with the managers and visits, span_h × m[h] ≥ Σ_j y[h, j] (when budgeted)

a small assignment MIP (scipy.optimize.milp, HiGHS: the back end of small instances). The result is
re-checked by the solver-free checker (team mix and every other rule) and kept only if it is valid
and has fewer spoke-minutes than the plan: the better of the plan and its re-hub is returned.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from optimisation.checker import check_plan
from optimisation.instance import Instance
from optimisation.measures import plan_supervision, spokes_by_host, workers_by_hub
from optimisation.result import PlanResult, SpokePlacement
from optimisation.rules import TOLERANCE, Budget, ExistingSpokes, HubSize, OneHubPerHost
from optimisation.team import minimum_team

REHUB_SECONDS = 10.0  # the assignment MIP's time limit (small: one column per pair of the plan's hubs and hosts)


def rehub_spokes(inst: Instance, plan: PlanResult) -> dict[tuple[str, str], int] | None:
    """The supervision-optimal spokes per (hub, host) for `plan`'s spokes per host and used hubs
    (module docstring), or None if the MIP finds none."""
    at_host = spokes_by_host(plan)
    used = sorted(h for h, n in workers_by_hub(plan.spokes).items() if n > 0)
    if not at_host or not used:
        return None
    pairs = sorted((h, j) for (h, j) in inst.supervision_minutes if h in used and at_host.get(j, 0) > 0)
    shared = OneHubPerHost.of(inst.rules).shared
    existing = ExistingSpokes.of(inst)
    budget = Budget.of(inst.rules)
    n_y = len(pairs)
    w_of = {} if shared else {pair: n_y + k for k, pair in enumerate(pairs)}
    costed = [h for h in used if budget.limit is not None and inst.hub(h).manager_cost_per_year > 0]
    m_of = {h: n_y + len(w_of) + k for k, h in enumerate(costed)}
    n = n_y + len(w_of) + len(m_of)
    lower = np.zeros(n)
    upper = np.zeros(n)
    for k, (h, j) in enumerate(pairs):
        lower[k], upper[k] = existing.at_least(h, j), at_host[j]
    for col in w_of.values():
        upper[col] = 1.0
    for h, col in m_of.items():
        upper[col] = inst.hub(h).managers_needed(HubSize.of(inst.hub(h)).maximum)
    rows: list[np.ndarray] = []
    row_low: list[float] = []
    row_high: list[float] = []

    def add(coefficients: dict[int, float], low: float, high: float) -> None:
        row = np.zeros(n)
        for col, value in coefficients.items():
            row[col] += value
        rows.append(row)
        row_low.append(low)
        row_high.append(high)

    for j, count in sorted(at_host.items()):
        add({k: 1.0 for k, (_, jj) in enumerate(pairs) if jj == j}, count, count)
        if not shared:
            add({w_of[pair]: 1.0 for pair in pairs if pair[1] == j}, -np.inf, 1.0)
    for h in used:
        size = HubSize.of(inst.hub(h))
        add({k: 1.0 for k, (hh, _) in enumerate(pairs) if hh == h}, size.minimum, size.maximum)
    for k, pair in enumerate(pairs):
        if not shared:
            add({k: 1.0, w_of[pair]: -float(at_host[pair[1]])}, -np.inf, 0.0)
    for h, col in m_of.items():
        add(
            {col: float(inst.hub(h).manager_span), **{k: -1.0 for k, (hh, _) in enumerate(pairs) if hh == h}}, 0, np.inf
        )
    if budget.limit is not None:
        fixed = budget.placement_cost(plan.spokes_total, [inst.host(j) for j in at_host])
        fixed += sum(  # support roles of the plan's hub sizes: the checker re-checks the new sizes
            r.cost_per_year * t.count for t in plan.team for r in inst.rules.team_roles if r.role_id == t.role
        )
        terms = {k: budget.supervision_cost(inst, h, j) for k, (h, j) in enumerate(pairs)}
        terms.update({col: inst.hub(h).manager_cost_per_year for h, col in m_of.items()})
        add(terms, -np.inf, budget.limit - fixed + TOLERANCE)
    objective = np.zeros(n)
    for k, pair in enumerate(pairs):
        objective[k] = inst.supervision_minutes[pair]
    if not pairs:
        return None
    result = milp(
        objective,
        constraints=LinearConstraint(np.array(rows), row_low, row_high),
        integrality=np.ones(n, dtype=int),
        bounds=Bounds(lower, upper),
        options={"disp": False, "time_limit": REHUB_SECONDS},
    )
    if result.x is None:
        return None
    values = np.round(result.x).astype(int)
    return {pair: int(values[k]) for k, pair in enumerate(pairs) if values[k] > 0}


def rehub(inst: Instance, plan: PlanResult) -> PlanResult:
    """The better of `plan` and its supervision-optimal re-hub (module docstring): the same cases and
    spokes per host, fewer spoke-minutes hub -> host if a valid reassignment has them."""
    spokes = rehub_spokes(inst, plan)
    if spokes is None:
        return plan
    placements = tuple(sorted(SpokePlacement(h, j, c) for (h, j), c in spokes.items()))
    candidate = replace(plan, spokes=placements, team=minimum_team(inst, spokes))
    minutes = plan_supervision(inst, candidate)
    if minutes >= plan_supervision(inst, plan) or check_plan(inst, candidate):
        return replace(plan, supervision_spoke_minutes=plan_supervision(inst, plan))
    stages = tuple(replace(s, value=float(minutes)) if s.name == "supervision" else s for s in plan.stages)
    return replace(candidate, supervision_spoke_minutes=minutes, stages=stages)

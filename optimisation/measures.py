"""Plan measures, one definition each: what reports, the checker and the objective read of a plan.

Solver-free. Spokes by host and by authority, workers by hub, cost per year and its breakdown
(rules.Budget's cost plus the support roles), host fit (objective priority 2, per area-host pair: the
young person's authority's aim against the host's setting), supervision spoke-minutes (issue #14)
and casework travel.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from optimisation.instance import Instance, host_fit_score
from optimisation.result import PlanResult, TeamPlacement
from optimisation.rules import Budget


def spokes_by_host(plan: PlanResult) -> dict[str, int]:
    """Spokes based at each host (S_j), for hosts with any."""
    totals: dict[str, int] = defaultdict(int)
    for spoke in plan.spokes:
        totals[spoke.host_id] += spoke.count
    return dict(totals)


def spokes_by_authority(instance: Instance, plan: PlanResult) -> dict[str, int]:
    """Spokes hosted in each authority (a host's authority), for authorities hosting any."""
    hosts = {h.host_id: h for h in instance.hosts}
    totals: dict[str, int] = defaultdict(int)
    for host_id, count in spokes_by_host(plan).items():
        totals[hosts[host_id].authority_code] += count
    return dict(totals)


def workers_by_hub(spokes) -> dict[str, int]:
    """Workers (spokes) per hub, from placements or a {(hub, host): count} mapping."""
    totals: dict[str, int] = defaultdict(int)
    items = spokes.items() if isinstance(spokes, dict) else [((s.hub_id, s.host_id), s.count) for s in spokes]
    for (hub_id, _), count in items:
        totals[hub_id] += count
    return dict(totals)


def team_cost_per_year(inst: Instance, team: tuple[TeamPlacement, ...]) -> float:
    """Σ count x cost_per_year of the role, over the plan's team (roles unknown to the rules cost 0)."""
    costs = {r.role_id: r.cost_per_year for r in inst.rules.team_roles}
    return sum(costs.get(t.role, 0.0) * t.count for t in team)


def cost_breakdown(instance: Instance, plan: PlanResult) -> dict[str, float]:
    """The plan's cost a year by part (rules.Budget, the one definition): spokes (spoke_cost ×
    spokes), hosts (annual_cost of every host with a spoke), managers (manager_cost_h ×
    ⌈spokes_h / manager_span_h⌉ per hub, issue #14), supervision_travel (visits × 2 × (minutes ×
    staff cost a minute + km × mileage) per spoke) and support_roles (service models)."""
    rule = Budget.of(instance.rules)
    hosts = {h.host_id: h for h in instance.hosts}
    used = [hosts[host_id] for host_id, count in spokes_by_host(plan).items() if count > 0]
    return {
        "spokes": rule.spoke_cost * plan.spokes_total,
        "hosts": sum(rule.host_cost(host) for host in used),
        "managers": sum(
            rule.manager_cost(instance.hub(hub_id), count) for hub_id, count in workers_by_hub(plan.spokes).items()
        ),
        "supervision_travel": sum(s.count * rule.supervision_cost(instance, s.hub_id, s.host_id) for s in plan.spokes),
        "support_roles": team_cost_per_year(instance, plan.team),
    }


def plan_cost_per_year(instance: Instance, plan: PlanResult) -> float:
    """spoke_cost_per_year x spokes + annual_cost of every host with at least one spoke + the hubs'
    managers + the supervision visits + Σ count x cost_per_year of the plan's support roles
    (service models; none for CSE): the sum of :func:`cost_breakdown`."""
    return sum(cost_breakdown(instance, plan).values())


def managers_by_hub(instance: Instance, plan: PlanResult) -> dict[str, int]:
    """Managers each used hub needs: ⌈spokes_h / manager_span_h⌉ (issue #14)."""
    return {h: instance.hub(h).managers_needed(n) for h, n in sorted(workers_by_hub(plan.spokes).items()) if n > 0}


def plan_supervision(instance: Instance, plan: PlanResult) -> int:
    """Objective priority "supervision" (issue #14): spoke-minutes hub -> host, Σ minutes_hj × y_hj
    (a pair out of reach counts 0 minutes; the checker rejects it on its own)."""
    return sum(instance.supervision_minutes.get((s.hub_id, s.host_id), 0) * s.count for s in plan.spokes)


def longest_supervision_trip(instance: Instance, plan: PlanResult) -> tuple[str, str, int] | None:
    """The plan's longest supervision trip (hub, host, minutes); ties: first by hub, host. None without spokes."""
    trips = sorted(
        (-instance.supervision_minutes.get((s.hub_id, s.host_id), 0), s.hub_id, s.host_id) for s in plan.spokes
    )
    if not trips:
        return None
    minutes, hub_id, host_id = trips[0]
    return hub_id, host_id, -minutes


def pair_fit(inst: Instance) -> Callable[[str, str], int]:
    """Host fit per case of area i served at host j, as a function of (area_id, host_id): the aim of
    the *area's* authority (the young person's) against the host's setting (issue #14 item 4;
    optimisation.instance.host_fit_score). Scores are worked out once per (host, authority)."""
    hosts = {h.host_id: h for h in inst.hosts}
    area_authority = {a.area_id: a.authority_code for a in inst.areas}
    cache: dict[tuple[str, str], int] = {}

    def score(area_id: str, host_id: str) -> int:
        key = (host_id, area_authority[area_id])
        if key not in cache:
            cache[key] = host_fit_score(hosts[host_id], inst.authority(key[1]), inst.rules.host_fit)
        return cache[key]

    return score


def fit_scores(inst: Instance) -> dict[tuple[str, str], int]:
    """Host fit per case for every casework pair within reach, keyed (area_id, host_id) (:func:`pair_fit`)."""
    score = pair_fit(inst)
    return {(area_id, host_id): score(area_id, host_id) for (host_id, area_id) in inst.casework_minutes}


def own_authority_fit(inst: Instance) -> dict[str, int]:
    """Host fit per case of each host for young people of its own authority (the report's hosts tables)."""
    return {h.host_id: host_fit_score(h, inst.authority(h.authority_code), inst.rules.host_fit) for h in inst.hosts}


def plan_host_fit(instance: Instance, plan: PlanResult) -> int:
    """Objective priority 2: Σ over assignments of fit(area's authority, host) x cases (:func:`pair_fit`)."""
    score = pair_fit(instance)
    return sum(score(a.area_id, a.host_id) * a.cases for a in plan.assignments)


def plan_travel(instance: Instance, plan: PlanResult) -> int:
    """Objective priority 3: sum over assignments of casework minutes x cases."""
    return sum(instance.casework_minutes[(a.host_id, a.area_id)] * a.cases for a in plan.assignments)

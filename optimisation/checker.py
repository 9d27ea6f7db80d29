"""A solver-free checker: re-verifies every hard rule of a plan against its instance.

It imports no solver and shares no code with the model, so a modelling mistake cannot hide
itself. Every plan is checked before any file is written; every solver test runs it.
`check_plan` returns one plain-English line per violation (an empty list means the plan is valid).

The plan measures used by reports and tests live here too, so there is one definition of each:
cost per year, host fit and casework travel.
"""

from __future__ import annotations

import math
from collections import defaultdict

from optimisation.instance import Instance, host_fit_score
from optimisation.result import PlanResult

TOLERANCE = 1e-6


def spokes_by_host(plan: PlanResult) -> dict[str, int]:
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


def plan_cost_per_year(instance: Instance, plan: PlanResult) -> float:
    """spoke_cost_per_year x spokes + annual_cost of every host with at least one spoke
    + Σ count x cost_per_year of the plan's support roles (service models; none for CSE)."""
    hosts = {h.host_id: h for h in instance.hosts}
    used = [host_id for host_id, count in spokes_by_host(plan).items() if count > 0]
    role_cost = {r.role_id: r.cost_per_year for r in instance.rules.team_roles}
    team = sum(role_cost.get(t.role, 0.0) * t.count for t in plan.team)
    return instance.rules.spoke_cost_per_year * plan.spokes_total + sum(hosts[h].annual_cost for h in used) + team


def plan_host_fit(instance: Instance, plan: PlanResult) -> int:
    """Objective priority 2: sum over assignments of host_fit_score(host) x cases."""
    hosts = {h.host_id: h for h in instance.hosts}
    authorities = {a.authority_code: a for a in instance.authorities}
    return sum(host_fit_score(hosts[a.host_id], authorities.get(hosts[a.host_id].authority_code),
                              instance.rules.host_fit) * a.cases for a in plan.assignments)


def plan_travel(instance: Instance, plan: PlanResult) -> int:
    """Objective priority 3: sum over assignments of casework minutes x cases."""
    return sum(instance.casework_minutes[(a.host_id, a.area_id)] * a.cases for a in plan.assignments)


def _team_problems(instance: Instance, plan: PlanResult, per_hub: dict[str, int]) -> list[str]:
    """Team mix, re-derived from the rules (shares no code with optimisation/team.py)."""
    roles = {r.role_id: r for r in instance.rules.team_roles}
    hub_ids = {h.hub_id for h in instance.hubs}
    problems: list[str] = []
    staffed: dict[tuple[str, str], int] = {}
    for entry in plan.team:
        if entry.role not in roles:
            problems.append(f"team: unknown role {entry.role!r} at hub {entry.hub_id}")
        elif entry.hub_id not in hub_ids:
            problems.append(f"team: unknown hub {entry.hub_id}")
        elif not isinstance(entry.count, int) or entry.count < 1:
            problems.append(f"team: hub {entry.hub_id} has {entry.count!r} of {entry.role}; expected a whole number of at least 1")
        elif (entry.hub_id, entry.role) in staffed:
            problems.append(f"team: {entry.role} at hub {entry.hub_id} is listed twice")
        else:
            staffed[(entry.hub_id, entry.role)] = entry.count
    for (hub_id, role_id), count in sorted(staffed.items()):
        if per_hub.get(hub_id, 0) == 0:
            problems.append(f"team: hub {hub_id} has {count} {roles[role_id].name} but no workers")
    for hub_id, workers in sorted(per_hub.items()):
        if workers <= 0:
            continue
        for role in instance.rules.team_roles:
            have = staffed.get((hub_id, role.role_id), 0)
            need = role.per_team
            if role.workers_per_role:
                need = max(need, math.ceil(workers / role.workers_per_role))
            if have < need:
                rule = f"at least {role.per_team} per team" + (
                    f" and one per {role.workers_per_role} workers" if role.workers_per_role else "")
                problems.append(f"team mix: hub {hub_id} has {workers} workers and {have} {role.name}; "
                                f"it needs {need} ({rule})")
    return problems


def check_plan(instance: Instance, plan: PlanResult) -> list[str]:
    """Every violated hard rule of `plan`, in plain words; empty if the plan is valid."""
    rules = instance.rules
    hubs = {h.hub_id: h for h in instance.hubs}
    hosts = {h.host_id: h for h in instance.hosts}
    areas = {a.area_id: a for a in instance.areas}
    problems: list[str] = []

    # Identities and whole numbers.
    seen_spokes: set[tuple[str, str]] = set()
    for spoke in plan.spokes:
        key = (spoke.hub_id, spoke.host_id)
        if spoke.hub_id not in hubs:
            problems.append(f"spokes: unknown hub {spoke.hub_id}")
        if spoke.host_id not in hosts:
            problems.append(f"spokes: unknown host {spoke.host_id}")
        if not isinstance(spoke.count, int) or spoke.count < 1:
            problems.append(f"spokes: hub {spoke.hub_id} at host {spoke.host_id} has count {spoke.count!r}; "
                            "expected a whole number of at least 1")
        if key in seen_spokes:
            problems.append(f"spokes: hub {spoke.hub_id} at host {spoke.host_id} is listed twice")
        seen_spokes.add(key)
    seen_assignments: set[tuple[str, str]] = set()
    for assignment in plan.assignments:
        key = (assignment.area_id, assignment.host_id)
        if assignment.area_id not in areas:
            problems.append(f"assignments: unknown area {assignment.area_id}")
        if assignment.host_id not in hosts:
            problems.append(f"assignments: unknown host {assignment.host_id}")
        if not isinstance(assignment.cases, int) or assignment.cases < 1:
            problems.append(f"assignments: area {assignment.area_id} at host {assignment.host_id} has cases "
                            f"{assignment.cases!r}; expected a whole number of at least 1")
        if key in seen_assignments:
            problems.append(f"assignments: area {assignment.area_id} at host {assignment.host_id} is listed twice")
        seen_assignments.add(key)
    if problems:
        return problems  # the rules below assume known ids

    # Supervision travel: spokes only at hosts within their hub's supervision limit.
    for spoke in plan.spokes:
        if (spoke.hub_id, spoke.host_id) not in instance.supervision_minutes:
            problems.append(f"supervision travel: host {spoke.host_id} is not within hub {spoke.hub_id}'s "
                            f"supervision limit of {hubs[spoke.hub_id].supervision_limit} minutes")
    # Casework travel: cases only from hosts within the casework limit.
    for assignment in plan.assignments:
        if (assignment.host_id, assignment.area_id) not in instance.casework_minutes:
            problems.append(f"casework travel: area {assignment.area_id} is not within {rules.casework_minutes} "
                            f"minutes of host {assignment.host_id}")

    spokes_at = spokes_by_host(plan)
    cases_at: dict[str, int] = defaultdict(int)
    cases_of: dict[str, int] = defaultdict(int)
    for assignment in plan.assignments:
        cases_at[assignment.host_id] += assignment.cases
        cases_of[assignment.area_id] += assignment.cases

    # Caseload: caseload_min x S_j <= cases at host j <= caseload_max x S_j.
    for host_id in sorted(set(spokes_at) | set(cases_at)):
        spokes, cases = spokes_at.get(host_id, 0), cases_at.get(host_id, 0)
        if cases > rules.caseload_max * spokes:
            problems.append(f"caseload: host {host_id}: {cases} cases for {spokes} spokes exceeds caseload_max "
                            f"{rules.caseload_max} x {spokes} = {rules.caseload_max * spokes}")
        if cases < rules.caseload_min * spokes:
            problems.append(f"caseload: host {host_id}: {cases} cases for {spokes} spokes is below caseload_min "
                            f"{rules.caseload_min} x {spokes} = {rules.caseload_min * spokes}")
    # Demand: an area is never assigned more than its demand.
    for area_id, cases in sorted(cases_of.items()):
        if cases > areas[area_id].demand:
            problems.append(f"demand: area {area_id} is assigned {cases} cases but its demand is "
                            f"{areas[area_id].demand}")
    # Hub size: 0, or min_spokes..min(max_spokes, managers x manager_span).
    per_hub: dict[str, int] = defaultdict(int)
    for spoke in plan.spokes:
        per_hub[spoke.hub_id] += spoke.count
    for hub_id, count in sorted(per_hub.items()):
        hub = hubs[hub_id]
        if count and not hub.min_spokes <= count <= hub.capacity:
            problems.append(f"hub size: hub {hub_id} has {count} spokes; a used hub needs {hub.min_spokes} to "
                            f"{hub.capacity} (min(max_spokes {hub.max_spokes}, managers {hub.managers} x "
                            f"span {hub.manager_span}))")
    # Host capacity.
    for host_id, count in sorted(spokes_at.items()):
        if count > hosts[host_id].max_spokes:
            problems.append(f"host capacity: host {host_id} has {count} spokes; its max_spokes is "
                            f"{hosts[host_id].max_spokes}")
    # Budget: spoke costs + annual cost of every host used.
    cost = plan_cost_per_year(instance, plan)
    if rules.budget_per_year is not None and cost > rules.budget_per_year + TOLERANCE:
        problems.append(f"budget: the plan costs £{cost:,.0f} a year, over the budget of "
                        f"£{rules.budget_per_year:,.0f}")
    # Most spokes overall.
    if rules.max_spokes is not None and plan.spokes_total > rules.max_spokes:
        problems.append(f"max_spokes: the plan has {plan.spokes_total} spokes; at most {rules.max_spokes} allowed")
    # Required authorities: at least one spoke hosted in each.
    hosted_in = spokes_by_authority(instance, plan)
    for authority in instance.authorities:
        if authority.required:
            if hosted_in.get(authority.authority_code, 0) < 1:
                problems.append(f"required authority: {authority.authority_code} ({authority.name}) hosts no spoke")
    # Existing spokes are kept.
    placed = {(s.hub_id, s.host_id): s.count for s in plan.spokes}
    for (hub_id, host_id), count in sorted(instance.existing_spokes.items()):
        if placed.get((hub_id, host_id), 0) < count:
            problems.append(f"existing spokes: hub {hub_id} has {count} spokes in post at host {host_id}; the "
                            f"plan keeps {placed.get((hub_id, host_id), 0)}")
    # Host status (issue #18; to become check_host_status in the issue #13 layout): a locked host
    # hosts at least one spoke (S_j >= 1), a banned host none (S_j = 0).
    for host in instance.hosts:
        count = spokes_at.get(host.host_id, 0)
        if host.status == "locked" and count < 1:
            problems.append(f"host status: host {host.host_id} is locked but the plan places no spoke there")
        if host.status == "banned" and count > 0:
            problems.append(f"host status: host {host.host_id} is banned but the plan places {count} spoke(s) there")
    # Team mix (service models): every hub with workers has, of each support role r, at least
    # max(per_team_r, ceil(workers / workers_per_role_r)); no support staff at a hub without workers.
    problems.extend(_team_problems(instance, plan, per_hub))
    # The reported figures agree with the plan.
    covered = sum(a.cases for a in plan.assignments)
    if plan.objective != covered:
        problems.append(f"objective: reported {plan.objective} covered cases but the assignments sum to {covered}")
    if plan.bound + TOLERANCE < plan.objective:
        problems.append(f"bound: proven bound {plan.bound} is below the objective {plan.objective}")
    return problems

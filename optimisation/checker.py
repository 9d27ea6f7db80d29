"""A solver-free checker: re-verifies every hard rule of a plan against its instance.

It imports no solver and shares no row-building code with the model, so a modelling mistake
cannot hide itself: it judges the plan's numbers by the rule objects of optimisation/rules.py
(what each rule allows) and the plan measures of optimisation/measures.py. Every plan is checked
before any file is written; every solver test runs it.

One ``check_<family>`` per constraint family (the table in optimisation/families.py), each
returning one plain-English line per violation; :func:`check_plan` runs them all, in the order of
:data:`CHECKS` (an empty list means the plan is valid).
"""

from __future__ import annotations

from collections import defaultdict

from optimisation.instance import Instance
from optimisation.measures import plan_cost_per_year, spokes_by_authority, spokes_by_host, workers_by_hub
from optimisation.result import PlanResult
from optimisation.rules import (
    TOLERANCE,
    Budget,
    Caseload,
    CrossBorder,
    ExistingSpokes,
    HostCapacity,
    HostStatus,
    HubSize,
    OneHubPerHost,
    RequiredAuthorities,
    SpokeLimit,
    TeamMix,
    TravelReach,
)


def check_identities(instance: Instance, plan: PlanResult) -> list[str]:
    """Known ids, whole positive counts, each (hub, host) and (area, host) listed once."""
    hubs = {h.hub_id for h in instance.hubs}
    hosts = {h.host_id for h in instance.hosts}
    areas = {a.area_id for a in instance.areas}
    problems: list[str] = []
    seen_spokes: set[tuple[str, str]] = set()
    for spoke in plan.spokes:
        key = (spoke.hub_id, spoke.host_id)
        if spoke.hub_id not in hubs:
            problems.append(f"spokes: unknown hub {spoke.hub_id}")
        if spoke.host_id not in hosts:
            problems.append(f"spokes: unknown host {spoke.host_id}")
        if not isinstance(spoke.count, int) or spoke.count < 1:
            problems.append(
                f"spokes: hub {spoke.hub_id} at host {spoke.host_id} has count {spoke.count!r}; "
                "expected a whole number of at least 1"
            )
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
            problems.append(
                f"assignments: area {assignment.area_id} at host {assignment.host_id} has cases "
                f"{assignment.cases!r}; expected a whole number of at least 1"
            )
        if key in seen_assignments:
            problems.append(f"assignments: area {assignment.area_id} at host {assignment.host_id} is listed twice")
        seen_assignments.add(key)
    return problems


def check_supervision_travel(instance: Instance, plan: PlanResult) -> list[str]:
    """Spokes only at hosts within their hub's supervision limit."""
    reach = TravelReach.of(instance)
    return [
        f"supervision travel: host {spoke.host_id} is not within hub {spoke.hub_id}'s supervision limit of "
        f"{instance.hub(spoke.hub_id).supervision_limit} minutes"
        for spoke in plan.spokes
        if not reach.supervises(spoke.hub_id, spoke.host_id)
    ]


def check_casework_travel(instance: Instance, plan: PlanResult) -> list[str]:
    """Cases only from hosts within the casework limit of their area. (A pair within the limit that
    the home-authority rule takes out of reach is check_cross_border's to report.)"""
    reach = TravelReach.of(instance)
    return [
        f"casework travel: area {a.area_id} is not within {instance.rules.casework_minutes} minutes of host {a.host_id}"
        for a in plan.assignments
        if not reach.serves(a.host_id, a.area_id) and (a.host_id, a.area_id) not in instance.cross_border_minutes
    ]


def check_cross_border(instance: Instance, plan: PlanResult) -> list[str]:
    """The home-authority rule (scenario.yaml cross_border, rules.CrossBorder): a host takes cases of
    another authority's areas only if its setting may cross borders. Judged from the hosts' and areas'
    authorities and settings, not from the Instance's reach."""
    rule = CrossBorder.of(instance.rules)
    problems = []
    for a in plan.assignments:
        host, area = instance.host(a.host_id), instance.area(a.area_id)
        if not rule.allows(host, area):
            problems.append(
                f"cross border: host {host.host_id} ({host.host_type}, authority {host.authority_code}) serves "
                f"{a.cases} case(s) of area {area.area_id} in authority {area.authority_code}, but "
                f"cross_border is {rule.setting}: {rule.explain()}"
            )
    return problems


def _cases_by_host(plan: PlanResult) -> dict[str, int]:
    cases_at: dict[str, int] = defaultdict(int)
    for assignment in plan.assignments:
        cases_at[assignment.host_id] += assignment.cases
    return cases_at


def check_caseload(instance: Instance, plan: PlanResult) -> list[str]:
    """caseload_min x S_j <= cases at host j <= caseload_max x S_j (rules.Caseload)."""
    rule = Caseload.of(instance.rules)
    spokes_at, cases_at = spokes_by_host(plan), _cases_by_host(plan)
    problems = []
    for host_id in sorted(set(spokes_at) | set(cases_at)):
        spokes, cases = spokes_at.get(host_id, 0), cases_at.get(host_id, 0)
        least, most = rule.load_range(spokes)
        if cases > most:
            problems.append(
                f"caseload: host {host_id}: {cases} cases for {spokes} spokes exceeds caseload_max "
                f"{rule.maximum} x {spokes} = {most}"
            )
        if cases < least:
            problems.append(
                f"caseload: host {host_id}: {cases} cases for {spokes} spokes is below caseload_min "
                f"{rule.minimum} x {spokes} = {least}"
            )
    return problems


def check_demand(instance: Instance, plan: PlanResult) -> list[str]:
    """An area is never assigned more than its demand."""
    cases_of: dict[str, int] = defaultdict(int)
    for assignment in plan.assignments:
        cases_of[assignment.area_id] += assignment.cases
    return [
        f"demand: area {area_id} is assigned {cases} cases but its demand is {instance.area(area_id).demand}"
        for area_id, cases in sorted(cases_of.items())
        if cases > instance.area(area_id).demand
    ]


def check_hub_size(instance: Instance, plan: PlanResult) -> list[str]:
    """Each hub runs 0, or min_spokes..min(max_spokes, managers x manager_span) spokes (rules.HubSize)."""
    problems = []
    for hub_id, count in sorted(workers_by_hub(plan.spokes).items()):
        hub = instance.hub(hub_id)
        size = HubSize.of(hub)
        if not size.allows(count):
            problems.append(
                f"hub size: hub {hub_id} has {count} spokes; a used hub needs {size.minimum} to "
                f"{size.maximum} (min(max_spokes {hub.max_spokes}, managers {hub.managers} x "
                f"span {hub.manager_span}))"
            )
    return problems


def check_host_capacity(instance: Instance, plan: PlanResult) -> list[str]:
    """At most max_spokes spokes per host (rules.HostCapacity)."""
    return [
        f"host capacity: host {host_id} has {count} spokes; its max_spokes is {instance.host(host_id).max_spokes}"
        for host_id, count in sorted(spokes_by_host(plan).items())
        if not HostCapacity.of(instance.host(host_id)).allows(count)
    ]


def check_budget(instance: Instance, plan: PlanResult) -> list[str]:
    """Spoke costs + annual cost of every host used + managers + supervision visits + support roles
    within the budget (rules.Budget; measures.cost_breakdown)."""
    rule = Budget.of(instance.rules)
    cost = plan_cost_per_year(instance, plan)
    if rule.allows(cost):
        return []
    return [f"budget: the plan costs £{cost:,.0f} a year, over the budget of £{rule.limit:,.0f}"]


def check_max_spokes(instance: Instance, plan: PlanResult) -> list[str]:
    """Most spokes overall (rules.SpokeLimit)."""
    limit = SpokeLimit.of(instance.rules)
    if limit.allows(plan.spokes_total):
        return []
    return [f"max_spokes: the plan has {plan.spokes_total} spokes; at most {limit.maximum} allowed"]


def check_required_authority(instance: Instance, plan: PlanResult) -> list[str]:
    """At least one spoke hosted in each required authority (rules.RequiredAuthorities)."""
    unserved = RequiredAuthorities.of(instance).unserved(spokes_by_authority(instance, plan))
    names = {a.authority_code: a.name for a in instance.authorities}
    return [f"required authority: {code} ({names.get(code, code)}) hosts no spoke" for code in unserved]


def check_existing_spokes(instance: Instance, plan: PlanResult) -> list[str]:
    """Spokes already in post are kept (rules.ExistingSpokes)."""
    rule = ExistingSpokes.of(instance)
    placed = {(s.hub_id, s.host_id): s.count for s in plan.spokes}
    problems = []
    for hub_id, host_id in sorted(rule.counts):
        kept = placed.get((hub_id, host_id), 0)
        if not rule.kept(hub_id, host_id, kept):
            problems.append(
                f"existing spokes: hub {hub_id} has {rule.at_least(hub_id, host_id)} spokes in post at "
                f"host {host_id}; the plan keeps {kept}"
            )
    return problems


def check_locked_host(instance: Instance, plan: PlanResult) -> list[str]:
    """A locked host hosts at least one spoke: S_j ≥ 1 (hosts.csv status, rules.HostStatus)."""
    unserved = HostStatus.of(instance).unserved_locked(spokes_by_host(plan))
    return [f"host status: host {host_id} is locked but the plan places no spoke there" for host_id in unserved]


def check_banned_host(instance: Instance, plan: PlanResult) -> list[str]:
    """A banned host hosts no spoke: S_j = 0 (hosts.csv status, rules.HostStatus). The model cannot
    place one (the Instance has no supervision pair of a banned host); this checks it on its own."""
    placed = HostStatus.of(instance).placed_at_banned(spokes_by_host(plan))
    return [
        f"host status: host {host_id} is banned but the plan places {count} spoke(s) there"
        for host_id, count in placed.items()
    ]


def check_team_mix(instance: Instance, plan: PlanResult) -> list[str]:
    """Service models: every hub with workers has, of each support role r, at least
    max(per_team_r, ceil(workers / workers_per_role_r)) (rules.TeamMix); no support staff at a hub
    without workers; known roles and hubs, whole counts, each listed once."""
    mix = TeamMix.of(instance.rules)
    roles = {r.role_id: r for r in mix.roles}
    hub_ids = {h.hub_id for h in instance.hubs}
    per_hub = workers_by_hub(plan.spokes)
    problems: list[str] = []
    staffed: dict[tuple[str, str], int] = {}
    for entry in plan.team:
        if entry.role not in roles:
            problems.append(f"team: unknown role {entry.role!r} at hub {entry.hub_id}")
        elif entry.hub_id not in hub_ids:
            problems.append(f"team: unknown hub {entry.hub_id}")
        elif not isinstance(entry.count, int) or entry.count < 1:
            problems.append(
                f"team: hub {entry.hub_id} has {entry.count!r} of {entry.role}; expected a whole number of at least 1"
            )
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
        for role in mix.roles:
            have = staffed.get((hub_id, role.role_id), 0)
            need = mix.needed(role, workers)
            if have < need:
                rule = f"at least {role.per_team} per team" + (
                    f" and one per {role.workers_per_role} workers" if role.workers_per_role else ""
                )
                problems.append(
                    f"team mix: hub {hub_id} has {workers} workers and {have} {role.name}; it needs {need} ({rule})"
                )
    return problems


def check_one_hub_per_host(instance: Instance, plan: PlanResult) -> list[str]:
    """The spokes at a host are all one hub's, unless scenario.yaml shared_hosts: true
    (rules.OneHubPerHost, issue #14)."""
    at = OneHubPerHost.of(instance.rules).hubs_at({(s.hub_id, s.host_id): s.count for s in plan.spokes})
    return [
        f"one hub per host: host {host_id} has spokes of {len(hubs)} hubs ({', '.join(hubs)}); one hub "
        "per host unless scenario.yaml sets shared_hosts: true"
        for host_id, hubs in sorted(at.items())
    ]


def check_reported_figures(instance: Instance, plan: PlanResult) -> list[str]:
    """The reported objective is the cases assigned, and the bound is not below it."""
    problems = []
    covered = sum(a.cases for a in plan.assignments)
    if plan.objective != covered:
        problems.append(f"objective: reported {plan.objective} covered cases but the assignments sum to {covered}")
    if plan.bound + TOLERANCE < plan.objective:
        problems.append(f"bound: proven bound {plan.bound} is below the objective {plan.objective}")
    return problems


# Every family's check, in the order its problems are reported (after check_identities).
CHECKS = (
    check_supervision_travel,
    check_casework_travel,
    check_caseload,
    check_demand,
    check_hub_size,
    check_host_capacity,
    check_budget,
    check_max_spokes,
    check_required_authority,
    check_existing_spokes,
    check_locked_host,
    check_banned_host,
    check_team_mix,
    check_reported_figures,
    check_cross_border,
    check_one_hub_per_host,  # issue #14
)


def check_plan(instance: Instance, plan: PlanResult) -> list[str]:
    """Every violated hard rule of `plan`, in plain words; empty if the plan is valid."""
    problems = check_identities(instance, plan)
    if problems:
        return problems  # the rules below assume known ids
    for check in CHECKS:
        problems += check(instance, plan)
    return problems

"""Why no plan exists: the smallest set of conflicting rules, in plain words.

An empty plan (no spokes) meets every rule except "required authorities", "existing spokes" and
"locked hosts", so every conflict involves one of those. Two steps:

1. :func:`structural_problems` — cheap checks that need no solver: a required authority with no
   host within any hub's supervision reach, an existing spoke out of reach or over a capacity,
   a hub with existing spokes whose minimum is above its capacity, a budget or spoke limit below
   what existing spokes and one spoke per unserved required authority cost or use (lower bounds).
2. :func:`diagnose` — a deletion filter over rule groups (each required authority, each existing
   spoke, each locked host, caseload minimum, hub minimum, host capacity, budget, max_spokes, the
   home-authority rule cross_border, whose pairs come back when it is dropped): drop a
   group; if the rest is still infeasible the group is not needed to explain the conflict and stays
   dropped.
   What remains is an irreducible conflicting set: removing any one of its rules makes a plan
   possible. A group is dropped by its tag: the model (optimisation.model.build_model) is built
   without the rows tagged with it (optimisation/formulation.py), and each group reads in plain
   words by its entry in :data:`GROUP_WORDING`. The rule objects of optimisation/rules.py give the
   structural checks their numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from optimisation.backends import PywraplpSession
from optimisation.instance import Instance
from optimisation.model import build_model, rule_groups
from optimisation.rules import (
    Budget,
    CrossBorder,
    HostCapacity,
    HostStatus,
    HubSize,
    RequiredAuthorities,
    SpokeLimit,
)

FEASIBILITY_SECONDS = 10.0


def _authority_label(inst: Instance, code: str) -> str:
    authority = inst.authority(code)
    return f"{code} ({authority.name})" if authority and authority.name else code


def _host_label(inst: Instance, host_id: str) -> str:
    host = inst.host(host_id)
    return f"{host_id} ({host.name})" if host.name else host_id


def structural_problems(inst: Instance) -> list[str]:
    """Conflicts visible without a solver, each in plain words."""
    problems: list[str] = []
    budget, limit = Budget.of(inst.rules), SpokeLimit.of(inst.rules)
    reachable_hosts = {host for (_, host) in inst.supervision_minutes}
    for code in RequiredAuthorities.of(inst).codes:
        hosts_in = [h for h in inst.hosts if h.authority_code == code]
        if not hosts_in:
            problems.append(f"authority {_authority_label(inst, code)} is required but no candidate host is in it")
        elif not any(h.host_id in reachable_hosts for h in hosts_in):
            limits = sorted({h.supervision_limit for h in inst.hubs})
            limit_text = f"{limits[0]} minutes" if len(limits) == 1 else f"{limits[0]}-{limits[-1]} minutes"
            problems.append(
                f"authority {_authority_label(inst, code)} is required but no host "
                f"in it is within {limit_text} of any hub (the supervision limit)"
            )
    for host_id in HostStatus.of(inst).locked:  # hosts.csv status: a locked host no hub can supervise
        if host_id not in reachable_hosts:
            limits = sorted({h.supervision_limit for h in inst.hubs})
            limit_text = f"{limits[0]} minutes" if len(limits) == 1 else f"{limits[0]}-{limits[-1]} minutes"
            problems.append(
                f"host {_host_label(inst, host_id)} is locked but no hub is within {limit_text} "
                "of it (the supervision limit), so it cannot have a spoke"
            )
    per_hub: dict[str, int] = defaultdict(int)
    per_host: dict[str, int] = defaultdict(int)
    for (hub_id, host_id), count in sorted(inst.existing_spokes.items()):
        per_hub[hub_id] += count
        per_host[host_id] += count
        if (hub_id, host_id) not in inst.supervision_minutes:
            problems.append(
                f"hub {hub_id} has {count} existing spoke(s) at host {host_id}, which is not within its "
                f"supervision limit of {inst.hub(hub_id).supervision_limit} minutes"
            )
    for hub_id, count in sorted(per_hub.items()):
        hub = inst.hub(hub_id)
        if count > HubSize.of(hub).maximum:
            problems.append(
                f"hub {hub_id} has {count} existing spokes but can run at most {hub.capacity} "
                f"(min(max_spokes {hub.max_spokes}, managers {hub.managers} x span {hub.manager_span}))"
            )
    for host_id, count in sorted(per_host.items()):
        host = inst.host(host_id)
        if not HostCapacity.of(host).allows(count):
            problems.append(f"host {host_id} has {count} existing spokes but its max_spokes is {host.max_spokes}")
    for hub_id in sorted(per_hub):
        size = HubSize.of(inst.hub(hub_id))
        if per_hub[hub_id] > 0 and size.minimum > size.maximum:
            problems.append(
                f"hub {hub_id} has existing spokes but its min_spokes {size.minimum} is above the most "
                f"it can run, {size.maximum}, so it cannot be used"
            )
    existing_total = sum(inst.existing_spokes.values())
    if not limit.allows(existing_total):
        problems.append(f"{existing_total} spokes are already in post but max_spokes is {limit.maximum}")
    existing_cost = budget.placement_cost(existing_total, [inst.host(h) for h in per_host])
    existing_cost += sum(Budget.manager_cost(inst.hub(h), n) for h, n in per_hub.items())  # issue #14
    existing_cost += sum(n * budget.supervision_cost(inst, h, j) for (h, j), n in inst.existing_spokes.items())
    if budget.limit is not None and inst.existing_spokes and existing_cost > budget.limit:
        problems.append(
            f"the spokes already in post cost £{existing_cost:,.0f} a year, over the budget of £{budget.limit:,.0f}"
        )
    if problems:
        return problems
    # Required authorities not yet served by an existing spoke each need one more spoke, at the
    # cheapest reachable host in the authority: a lower bound on the plan's spokes and cost.
    served = {inst.host(host_id).authority_code for (_, host_id), n in inst.existing_spokes.items() if n > 0}
    unserved = [code for code in RequiredAuthorities.of(inst).codes if code not in served]
    if not unserved:
        return problems
    needed_spokes = existing_total + len(unserved)
    names = ", ".join(_authority_label(inst, code) for code in unserved)
    if not limit.allows(needed_spokes):
        problems.append(
            f"max_spokes is {limit.maximum} but the plan needs at least {needed_spokes} spokes: "
            f"{existing_total} already in post and one in each required authority not yet served "
            f"({names})"
        )
    if budget.limit is not None:
        cheapest = [
            min(Budget.host_cost(h) for h in inst.hosts if h.authority_code == code and h.host_id in reachable_hosts)
            for code in unserved
        ]
        needed_cost = existing_cost + budget.spoke_cost * len(unserved) + sum(cheapest)
        if needed_cost > budget.limit:
            problems.append(
                f"the budget is £{budget.limit:,.0f} a year but the plan costs at least "
                f"£{needed_cost:,.0f}: £{existing_cost:,.0f} for spokes already in post and a spoke "
                f"(£{budget.spoke_cost:,.0f}) at the cheapest reachable host in each required "
                f"authority not yet served ({names})"
            )
    return problems


def _feasible(inst: Instance, relax: frozenset[str], backend: str, seconds: float = FEASIBILITY_SECONDS) -> bool:
    """Is there a plan once the rule groups in `relax` are dropped? (Undecided in time counts as no.)"""
    return PywraplpSession(build_model(inst, relax=relax).linear, backend).feasible(seconds)


def _required_wording(inst: Instance, group: str) -> str:
    code = group.split(":", 1)[1]
    hosts = [h for h in inst.hosts if h.authority_code == code]
    reachable = {host for (_, host) in inst.supervision_minutes}
    demand = {a.area_id: a.demand for a in inst.areas}
    best = 0
    for host in hosts:
        if host.host_id in reachable:
            near = sum(demand[area] for (h, area) in inst.casework_minutes if h == host.host_id)
            best = max(best, near)
    return (
        f"authority {_authority_label(inst, code)} is required to host a spoke (its best reachable host has "
        f"{best} cases of demand within {inst.rules.casework_minutes} minutes)"
    )


def _locked_wording(inst: Instance, group: str) -> str:
    host_id = group.split(":", 1)[1]
    demand = {a.area_id: a.demand for a in inst.areas}
    near = sum(demand[area] for (h, area) in inst.casework_minutes if h == host_id)
    return (
        f"host {_host_label(inst, host_id)} is locked, so it must host at least one spoke (it has {near} "
        f"cases of demand within {inst.rules.casework_minutes} minutes; a spoke needs caseload_min = "
        f"{inst.rules.caseload_min})"
    )


def _existing_wording(inst: Instance, group: str) -> str:
    _, hub_id, host_id = group.split(":", 2)
    return f"hub {hub_id}'s {inst.existing_spokes[(hub_id, host_id)]} existing spoke(s) at host {host_id} must be kept"


def _hub_min_wording(inst: Instance, group: str) -> str:
    mins = sorted({h.min_spokes for h in inst.hubs})
    if len(mins) > 1:
        return (
            "a hub that is used must run at least its min_spokes spokes ("
            + ", ".join(f"{h.hub_id}: {h.min_spokes}" for h in inst.hubs)
            + ")"
        )
    return f"a hub that is used must run at least min_spokes = {mins[0]} spokes"


def _budget_wording(inst: Instance, group: str) -> str:
    rules = inst.rules
    roles = "".join(f", a {r.name.lower()} £{r.cost_per_year:,.0f}" for r in rules.team_roles if r.cost_per_year)
    team = (f", plus each hub team's support roles ({roles.lstrip(', ')})") if roles else ""
    managers = sorted({h.manager_cost_per_year for h in inst.hubs if h.manager_cost_per_year})
    management = (
        f", each hub manager £{managers[0]:,.0f} (one per manager_span spokes)"
        if len(managers) == 1
        else (", each hub's managers (one per manager_span spokes)" if managers else "")
    )
    visits = Budget.of(rules)
    supervision = (
        f", and {rules.supervision_visits_per_year} supervision visits a year to each spoke, there and back "
        f"at £{rules.staff_cost_per_minute:,.2f} a minute"
        if visits.costs_supervision
        else ""
    )
    return (
        f"the budget is £{rules.budget_per_year:,.0f} a year (a spoke costs £{rules.spoke_cost_per_year:,.0f}, "
        f"plus each host's annual cost{team}{management}{supervision})"
    )


def _one_hub_wording(inst: Instance, group: str) -> str:
    return (
        "each host's spokes must all come from one hub (one agreement and one line manager per host; "
        "scenario.yaml shared_hosts: true allows two hubs at one host)"
    )


def _cross_border_wording(inst: Instance, group: str) -> str:
    rule = CrossBorder.of(inst.rules)
    pairs = len(inst.cross_border_minutes)
    return (
        f"the home-authority rule (cross_border: {rule.setting}): {rule.explain()}, which takes {pairs} "
        f"host-area pair{'' if pairs == 1 else 's'} within {inst.rules.casework_minutes} minutes out of reach"
    )


# How each relaxable rule group (optimisation.model.rule_groups) reads in a diagnosis, keyed by the
# group's kind (the part before ":" for per-item groups).
GROUP_WORDING: dict[str, Callable[[Instance, str], str]] = {
    "required": _required_wording,
    "existing": _existing_wording,
    "locked": _locked_wording,
    "caseload_min": lambda inst, group: (
        f"every spoke must carry at least caseload_min = {inst.rules.caseload_min} cases at a time"
    ),
    "hub_min": _hub_min_wording,
    "host_capacity": lambda inst, group: "each host takes at most its max_spokes spokes",
    "budget": _budget_wording,
    "max_spokes": lambda inst, group: f"at most max_spokes = {inst.rules.max_spokes} spokes in the plan",
    "cross_border": _cross_border_wording,
    "one_hub_per_host": _one_hub_wording,  # issue #14
}


def describe_group(inst: Instance, group: str) -> str:
    """One rule group in plain words, with its numbers."""
    wording = GROUP_WORDING.get(group.split(":", 1)[0])
    return wording(inst, group) if wording else group


def diagnose(inst: Instance, *, backend: str = "SCIP", time_limit: float = 60.0) -> list[str]:
    """The smallest set of conflicting rules found, in plain words (never empty if infeasible).

    Each feasibility test gets an equal share of `time_limit` (at most FEASIBILITY_SECONDS).
    """
    problems = structural_problems(inst)
    if problems:
        return problems
    groups = rule_groups(inst)
    seconds = min(FEASIBILITY_SECONDS, time_limit / (len(groups) + 2))
    if _feasible(inst, frozenset(), backend, seconds):
        return []
    if not _feasible(inst, frozenset(groups), backend, seconds):
        return ["the plan is infeasible even with every relaxable rule removed; check the travel limits"]
    kept: list[str] = []
    dropped: set[str] = set()
    for group in groups:
        trial = frozenset(dropped | {group})
        if _feasible(inst, trial, backend, seconds):
            kept.append(group)  # needed: without it a plan exists
        else:
            dropped.add(group)
    return [describe_group(inst, group) for group in kept]

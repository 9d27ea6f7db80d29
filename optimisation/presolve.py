"""Exact reductions of an instance before it is modelled: the same plans, a smaller model.

* **Host limit by reachable demand.** A host j can only carry cases from the areas within its
  casework reach, so its load is at most R_j = Σ_{i in reach(j)} demand_i, and each spoke needs at
  least caseload_min cases: S_j ≤ ⌊R_j / caseload_min⌋ (rules.Caseload.spokes_supported). The host's max_spokes is lowered to that
  (when caseload_min > 0). A host whose limit falls to 0 can never have a spoke: its supervision
  and casework pairs are removed, so the model has no columns for it. Spokes already in post are
  never reduced away (their host keeps at least that many places; if that cannot meet the
  caseload the model is infeasible as before and the diagnosis runs on the original instance).
* **Hubs that cannot open.** A hub whose reachable hosts together have fewer places than its
  min_spokes can never be used: its supervision pairs are removed.
* **Pairs without demand.** Casework pairs of areas with no demand carry no cases and go.
* **Areas with the same reachable hosts** (`merge_areas`, for the coverage stage only): merged into
  one area with their demand summed.

Measured on the England benchmark instances (benchmarks/README.md): the small instance loses 77
of its 166 supervised hosts, the medium 53 of 997, the national 27 of 2,000.
The reduced instance is only modelled; plans are checked and reported on the original.
The reductions stay exact with the rules of issue #14: one hub per host and the managers' and
visits' costs only remove plans, never add any, so a host or hub that could never have a spoke
still cannot (and the one-hub rows are built on the reduced host limits: a host lowered to one
place needs none).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from optimisation.instance import Instance
from optimisation.rules import Caseload, HostCapacity, HubSize


def reduce_instance(inst: Instance) -> Instance:
    """The instance with host limits lowered to what reachable demand can fill, and hosts and hubs
    that can never have a spoke taken out of reach (see the module docstring)."""
    caseload = Caseload.of(inst.rules)
    demand = {a.area_id: a.demand for a in inst.areas}
    existing_at: dict[str, int] = defaultdict(int)
    existing_of: dict[str, int] = defaultdict(int)
    for (hub_id, host_id), count in inst.existing_spokes.items():
        existing_at[host_id] += count
        existing_of[hub_id] += count
    # Pairs with an area of no demand carry no cases: they are dropped (no model has a column for
    # them), which also makes every later pass over the pairs short on postcode sectors (small
    # England sector instance: 67,140 pairs in reach, under 5,000 with demand).
    with_demand = {pair: m for pair, m in inst.casework_minutes.items() if demand.get(pair[1], 0) > 0}
    reachable_demand: dict[str, int] = defaultdict(int)
    for host_id, area_id in with_demand:
        reachable_demand[host_id] += demand[area_id]
    limit = {}
    for host in inst.hosts:
        places = HostCapacity.of(host).maximum
        supported = caseload.spokes_supported(reachable_demand[host.host_id])
        if supported is not None:
            places = min(places, supported)
        limit[host.host_id] = max(places, existing_at[host.host_id], 0)
    supervision = {pair: m for pair, m in inst.supervision_minutes.items() if limit[pair[1]] > 0}
    places_of_hub: dict[str, int] = defaultdict(int)
    for hub_id, host_id in supervision:
        places_of_hub[hub_id] += limit[host_id]
    closed_hubs = {
        h.hub_id for h in inst.hubs if places_of_hub[h.hub_id] < HubSize.of(h).minimum and existing_of[h.hub_id] == 0
    }
    supervision = {pair: m for pair, m in supervision.items() if pair[0] not in closed_hubs}
    supervised = {host_id for (_, host_id) in supervision}
    casework = {pair: m for pair, m in with_demand.items() if pair[0] in supervised}
    hosts = tuple(
        replace(h, max_spokes=limit[h.host_id]) if 0 < limit[h.host_id] < h.max_spokes else h for h in inst.hosts
    )
    return replace(inst, hosts=hosts, supervision_minutes=supervision, casework_minutes=casework)


@dataclass(frozen=True)
class MergedAreas:
    """An instance whose areas with the same reachable hosts are one area (demand summed).

    `members` maps each kept area (the first of its group by id) to the areas it stands for;
    `share` is the fraction of case columns (area-host pairs with demand, of supervised hosts)
    the merge removes.
    """

    instance: Instance
    members: dict[str, tuple[str, ...]]
    share: float


def merge_areas(inst: Instance) -> MergedAreas:
    """Areas with demand whose sets of reachable hosts are equal, merged into one area.

    Exact for the coverage stage (not for host fit, which depends on the area's authority): for areas
    i, k with the same reachable hosts R, any cases x_ij, x_kj give x_Gj = x_ij + x_kj with
    Σ_j x_Gj ≤ d_i + d_k; conversely any x_Gj with Σ_j x_Gj ≤ d_G splits back over the members
    (fill them one after the other: every member reaches every host of R), with the same load
    per host, so every caseload, capacity and linking row holds and the number of cases covered
    is the same. It is not exact for travel (members' minutes differ): the merged instance keeps
    the first member's minutes and is only for maximising coverage (optimisation.solve).
    Areas with no demand or no supervised host in reach have no columns and are left out.
    """
    demand = {a.area_id: a.demand for a in inst.areas}
    supervised = {host_id for (_, host_id) in inst.supervision_minutes}
    reach: dict[str, list[str]] = defaultdict(list)
    for host_id, area_id in inst.casework_minutes:
        if host_id in supervised and demand.get(area_id, 0) > 0:
            reach[area_id].append(host_id)
    groups: dict[frozenset, list[str]] = defaultdict(list)
    for area_id, hosts in reach.items():
        groups[frozenset(hosts)].append(area_id)
    members = {}
    for ids in groups.values():
        ids.sort()
        members[ids[0]] = tuple(ids)
    by_id = {a.area_id: a for a in inst.areas}
    areas = tuple(replace(by_id[first], demand=sum(demand[i] for i in ids)) for first, ids in sorted(members.items()))
    casework = {
        (host_id, area_id): minutes
        for (host_id, area_id), minutes in inst.casework_minutes.items()
        if area_id in members and host_id in supervised
    }
    before = sum(len(hosts) for hosts in reach.values())
    share = 1 - len(casework) / before if before else 0.0
    return MergedAreas(replace(inst, areas=areas, casework_minutes=casework), members, share)


def split_cases(
    merged: MergedAreas, cases: dict[tuple[str, str], float], demand: dict[str, int]
) -> dict[tuple[str, str], float]:
    """Cases per (merged area, host) split back over the member areas (module docstring of
    merge_areas: fill the members one after the other, hosts in sorted order)."""
    left: dict[str, float] = {}
    result: dict[tuple[str, str], float] = {}
    for first, host_id in sorted(cases):
        amount = cases[(first, host_id)]
        for area_id in merged.members[first]:
            if amount <= 0:
                break
            room = left.setdefault(area_id, float(demand[area_id]))
            take = min(room, amount)
            if take > 0:
                result[(area_id, host_id)] = take
                left[area_id] = room - take
                amount -= take
    return result

"""Exact reductions of an instance before it is modelled: the same plans, a smaller model.

* **Host limit by reachable demand.** A host j can only carry cases from the areas within its
  casework reach, so its load is at most R_j = Σ_{i in reach(j)} demand_i, and each spoke needs at
  least caseload_min cases: S_j ≤ ⌊R_j / caseload_min⌋. The host's max_spokes is lowered to that
  (when caseload_min > 0). A host whose limit falls to 0 can never have a spoke: its supervision
  and casework pairs are removed, so the model has no columns for it. Spokes already in post are
  never reduced away (their host keeps at least that many places; if that cannot meet the
  caseload the model is infeasible as before and the diagnosis runs on the original instance).
* **Hubs that cannot open.** A hub whose reachable hosts together have fewer places than its
  min_spokes can never be used: its supervision pairs are removed.

Measured on the England benchmark instances (benchmarks/README.md): the small instance loses 77
of its 166 supervised hosts, the medium 53 of 997, the national 27 of 2,000.
The reduced instance is only modelled; plans are checked and reported on the original.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from optimisation.instance import Instance


def reduce_instance(inst: Instance) -> Instance:
    """The instance with host limits lowered to what reachable demand can fill, and hosts and hubs
    that can never have a spoke taken out of reach (see the module docstring)."""
    rules = inst.rules
    demand = {a.area_id: a.demand for a in inst.areas}
    existing_at: dict[str, int] = defaultdict(int)
    existing_of: dict[str, int] = defaultdict(int)
    for (hub_id, host_id), count in inst.existing_spokes.items():
        existing_at[host_id] += count
        existing_of[hub_id] += count
    reachable_demand: dict[str, int] = defaultdict(int)
    for (host_id, area_id) in inst.casework_minutes:
        reachable_demand[host_id] += demand.get(area_id, 0)
    limit = {}
    for host in inst.hosts:
        places = host.max_spokes
        if rules.caseload_min > 0:
            places = min(places, reachable_demand[host.host_id] // rules.caseload_min)
        limit[host.host_id] = max(places, existing_at[host.host_id], 0)
    supervision = {pair: m for pair, m in inst.supervision_minutes.items() if limit[pair[1]] > 0}
    places_of_hub: dict[str, int] = defaultdict(int)
    for (hub_id, host_id) in supervision:
        places_of_hub[hub_id] += limit[host_id]
    closed_hubs = {h.hub_id for h in inst.hubs
                   if places_of_hub[h.hub_id] < h.min_spokes and existing_of[h.hub_id] == 0}
    supervision = {pair: m for pair, m in supervision.items() if pair[0] not in closed_hubs}
    supervised = {host_id for (_, host_id) in supervision}
    casework = {pair: m for pair, m in inst.casework_minutes.items() if pair[0] in supervised}
    hosts = tuple(replace(h, max_spokes=limit[h.host_id]) if 0 < limit[h.host_id] < h.max_spokes else h
                  for h in inst.hosts)
    return replace(inst, hosts=hosts, supervision_minutes=supervision, casework_minutes=casework)

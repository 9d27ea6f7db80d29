"""A greedy plan: the baseline the optimiser must match, and its warm start.

Deterministic and solver-free. Starting from the spokes already in post, it repeatedly adds the
placement that covers the most new cases per spoke, filling each new spoke from the nearest
areas with unmet demand (casework reach only), and adds a spoke only if its host still carries
at least `caseload_min` cases per spoke (caseloads are pooled per host). A hub that is not yet
used opens with `min_spokes` placements at once.
Hub capacity, host capacity, one hub per host (issue #14, unless shared_hosts), budget (with the
managers and supervision visits, issue #14, and the support roles a hub team of that size needs,
for service models with roles) and `max_spokes` are respected at every step, and locked hosts and
required authorities are served first; every limit is read from the rule objects of
optimisation/rules.py. The result passes the checker, or `greedy_plan` returns None when
its simple rules cannot reach a valid plan (the optimiser may still find one).

Every solve starts from this plan (optimisation.solve: the anytime start), so it must be fast at
postcode-sector scale. Each move normally re-evaluates every hub (exact: the best move every time).
Above LAZY_WORK_LIMIT it evaluates lazily: each hub keeps the value of its last evaluation, the hub
with the highest such value is re-evaluated, and it moves if its fresh value still beats every other
hub's last value (a hub's gains only shrink as demand is met, so the old values are upper bounds;
hubs sharing a host that just gained a spoke, whose caseload minimum may now be met, are
re-evaluated at once). The plan is as valid as the exact one and may differ from it in ties and in
the rare move whose value grew.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from optimisation.instance import Instance
from optimisation.model import Model
from optimisation.result import Assignment, PlanResult, SpokePlacement
from optimisation.rules import (
    Budget,
    Caseload,
    HostCapacity,
    HostStatus,
    HubSize,
    OneHubPerHost,
    SpokeLimit,
    TeamMix,
)
from optimisation.team import minimum_team

# Moves are evaluated lazily (module docstring) when (hub-host pairs x spokes that could be placed)
# exceeds this. Measured: the exact search took 4.7 s on the 50-hub, 1,000-host England instance
# (1,939 pairs x 150 spokes) and about 3.5 s per move on the postcode-sector national instance
# (25,215 pairs x 300 spokes, ~150 moves: ~9 minutes); lazily, see benchmarks/README.md.
LAZY_WORK_LIMIT = 500_000


@dataclass
class _State:
    spokes: dict[tuple[str, str], int] = field(default_factory=dict)  # (hub, host) -> count
    cases: dict[tuple[str, str], int] = field(default_factory=dict)  # (area, host) -> cases
    residual: dict[str, int] = field(default_factory=dict)  # area -> unmet demand
    host_spokes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    hub_spokes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    host_cases: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    cost: float = 0.0
    hubs_at: dict[str, set[str]] = field(default_factory=dict)  # host -> hubs with spokes there (issue #14)
    # host -> index in its nearest-area list before which every area's demand is met (a speed-up
    # only: residual demand never rises in a state or its copies, so the index stays valid).
    first_unmet: dict[str, int] = field(default_factory=dict)

    def copy(self) -> _State:
        return _State(
            dict(self.spokes),
            dict(self.cases),
            dict(self.residual),
            defaultdict(int, self.host_spokes),
            defaultdict(int, self.hub_spokes),
            defaultdict(int, self.host_cases),
            self.cost,
            {j: set(hs) for j, hs in self.hubs_at.items()},
            dict(self.first_unmet),
        )

    def at_host(self, host_id: str) -> int:
        return self.host_spokes.get(host_id, 0)

    def at_hub(self, hub_id: str) -> int:
        return self.hub_spokes.get(hub_id, 0)

    def total(self) -> int:
        return sum(self.hub_spokes.values())


class _Greedy:
    def __init__(self, inst: Instance):
        self.inst = inst
        self.caseload = Caseload.of(inst.rules)
        self.budget = Budget.of(inst.rules)
        self.spoke_limit = SpokeLimit.of(inst.rules)
        self.team = TeamMix.of(inst.rules)
        self.one_hub = OneHubPerHost.of(inst.rules)
        self.hosts = {h.host_id: h for h in inst.hosts}
        self.host_capacity = {h.host_id: HostCapacity.of(h) for h in inst.hosts}
        self.hub_size = {h.hub_id: HubSize.of(h) for h in inst.hubs}
        near: dict[str, list[tuple[int, str]]] = defaultdict(list)
        demand = {a.area_id: a.demand for a in inst.areas}
        for (host_id, area_id), minutes in inst.casework_minutes.items():
            if demand[area_id] > 0:  # an area without demand never gives a case (same plan, shorter scans)
                near[host_id].append((minutes, area_id))
        self.near = {host: [area for _, area in sorted(pairs)] for host, pairs in near.items()}
        self.pairs = sorted(inst.supervision_minutes)
        self.pairs_of_hub: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for pair in self.pairs:
            self.pairs_of_hub[pair[0]].append(pair)

    def team_step(self, state: _State, hub_id: str, added: int = 1) -> float:
        """Extra support-role cost of `added` more workers at `hub_id` (service models; 0 without roles)."""
        if not self.team.roles:
            return 0.0
        workers = state.at_hub(hub_id)
        return self.team.cost(workers + added) - self.team.cost(workers)

    def within_limits(self, state: _State) -> bool:
        """Every placement limit, checked in full (used once, for the spokes already in post)."""
        if not self.spoke_limit.allows(state.total()):
            return False
        if not self.budget.allows(state.cost):
            return False
        if any(n > self.hub_size[h].maximum for h, n in state.hub_spokes.items()):
            return False
        return all(self.host_capacity[j].allows(n) for j, n in state.host_spokes.items())

    def available(self, state: _State, host_id: str, wanted: int) -> int:
        """How many of up to `wanted` unmet cases `host_id` could take now (read-only)."""
        near, residual = self.near.get(host_id, ()), state.residual
        # Skip the nearest areas already met (residual demand only falls, so the skip is kept).
        first = state.first_unmet.get(host_id, 0)
        while first < len(near) and residual[near[first]] <= 0:
            first += 1
        state.first_unmet[host_id] = first
        taken = 0
        for k in range(first, len(near)):
            left = residual[near[k]]
            if left > 0:
                taken += left if left < wanted - taken else wanted - taken
                if taken >= wanted:
                    break
        return taken

    def gain_if_placed(self, state: _State, hub_id: str, host_id: str) -> int | None:
        """Cases one more spoke at (hub, host) would cover, or None if it breaks a limit or leaves the
        host below caseload_min x its spokes (caseloads are pooled per host). Read-only."""
        host = self.hosts[host_id]
        if (
            not self.host_capacity[host_id].allows(state.at_host(host_id) + 1)
            or state.at_hub(hub_id) + 1 > self.hub_size[hub_id].maximum
        ):
            return None
        if not self.spoke_limit.allows(state.total() + 1):
            return None
        if not self.one_hub.allows_at(state.hubs_at.get(host_id, ()), hub_id):  # issue #14
            return None
        extra_cost = (
            self.budget.spoke_cost
            + (Budget.host_cost(host) if state.at_host(host_id) == 0 else 0.0)
            + self.team_step(state, hub_id)
            + self.management_step(state, hub_id, host_id)
        )
        if not self.budget.allows(state.cost + extra_cost):
            return None
        gained = self.available(state, host_id, self.caseload.maximum)  # one spoke's most
        least, _ = self.caseload.load_range(state.at_host(host_id) + 1)
        if state.host_cases.get(host_id, 0) + gained < least:
            return None
        return gained

    def management_step(self, state: _State, hub_id: str, host_id: str, added: int = 1) -> float:
        """Extra manager and supervision-visit cost of `added` more spokes of hub h at host j (issue #14)."""
        hub = self.inst.hub(hub_id)
        workers = state.at_hub(hub_id)
        return (
            Budget.manager_cost(hub, workers + added)
            - Budget.manager_cost(hub, workers)
            + added * self.budget.supervision_cost(self.inst, hub_id, host_id)
        )

    def place(self, state: _State, hub_id: str, host_id: str) -> int:
        """Add one spoke at (hub, host) and fill it from the nearest unmet demand (limits checked by the caller)."""
        if state.at_host(host_id) == 0:
            state.cost += Budget.host_cost(self.hosts[host_id])
        state.cost += (
            self.budget.spoke_cost + self.team_step(state, hub_id) + self.management_step(state, hub_id, host_id)
        )
        state.hubs_at.setdefault(host_id, set()).add(hub_id)
        state.spokes[(hub_id, host_id)] = state.spokes.get((hub_id, host_id), 0) + 1
        state.host_spokes[host_id] += 1
        state.hub_spokes[hub_id] += 1
        return self.fill(state, host_id, self.caseload.maximum)

    def fill(self, state: _State, host_id: str, wanted: int) -> int:
        """Assign up to `wanted` unmet cases to `host_id` from its nearest areas; return how many."""
        taken = 0
        for area_id in self.near.get(host_id, ()):
            if taken >= wanted:
                break
            amount = min(state.residual[area_id], wanted - taken)
            if amount <= 0:
                continue
            state.residual[area_id] -= amount
            state.cases[(area_id, host_id)] = state.cases.get((area_id, host_id), 0) + amount
            state.host_cases[host_id] += amount
            taken += amount
        return taken

    def best_single(
        self, state: _State, pairs: list[tuple[str, str]], hosts_allowed: set[str] | None = None
    ) -> tuple[int, tuple[str, str]] | None:
        """The valid placement among `pairs` covering most new cases (ties: first in id order)."""
        best: tuple[int, tuple[str, str]] | None = None
        for hub_id, host_id in pairs:
            if hosts_allowed is not None and host_id not in hosts_allowed:
                continue
            gained = self.gain_if_placed(state, hub_id, host_id)
            if gained is not None and (best is None or gained > best[0]):
                best = (gained, (hub_id, host_id))
        return best

    def open_hub(
        self, state: _State, hub_id: str, hosts_allowed: set[str] | None, tries: int = 3
    ) -> tuple[_State, int, int] | None:
        """Open an unused hub on a copy: a first placement (in `hosts_allowed`), then its best placements
        up to min_spokes. First placements are tried in order of cases covered until `tries` openings
        succeed; the one covering most cases wins. Returns (state, cases gained, spokes added) or None."""
        firsts = []
        for hub, host_id in self.pairs_of_hub[hub_id]:
            if hosts_allowed is None or host_id in hosts_allowed:
                gained = self.gain_if_placed(state, hub, host_id)
                if gained is not None:
                    firsts.append((-gained, host_id))
        best: tuple[_State, int, int] | None = None
        succeeded = 0
        for _, host_id in sorted(firsts):
            trial = state.copy()
            total = self.place(trial, hub_id, host_id)
            while trial.at_hub(hub_id) < self.hub_size[hub_id].minimum:
                following = self.best_single(trial, self.pairs_of_hub[hub_id])
                if following is None:
                    break
                total += self.place(trial, *following[1])
            else:
                succeeded += 1
                if best is None or total > best[1]:
                    best = (trial, total, trial.at_hub(hub_id))
                if succeeded >= tries:
                    break
        return best

    def best_move(self, state: _State, hosts_allowed: set[str] | None = None, min_gain: int = 0) -> _State | None:
        """Apply the move covering most new cases per spoke added (ties: most cases, then the first in
        id order), among moves gaining at least `min_gain` cases; None if there is none.

        A move is one more spoke at a used hub (or a hub needing at most one spoke), or the opening of
        an unused hub with min_spokes placements at once.
        """
        best: tuple[float, int] | None = None
        chosen: tuple[str, str] | _State | None = None
        move: tuple[str, str] | _State
        for hub_id in sorted(self.pairs_of_hub):
            if state.at_hub(hub_id) == 0 and self.hub_size[hub_id].minimum > 1:
                opened = self.open_hub(state, hub_id, hosts_allowed)
                if opened is None:
                    continue
                trial, gained, added = opened
                key, move = (gained / added, gained), trial
            else:
                single = self.best_single(state, self.pairs_of_hub[hub_id], hosts_allowed)
                if single is None:
                    continue
                gained, move = single
                key = (float(gained), gained)
            if gained >= min_gain and (best is None or key > best):
                best, chosen = key, move
        if chosen is None:
            return None
        if isinstance(chosen, _State):
            return chosen
        self.place(state, *chosen)
        return state

    def hub_move(
        self, state: _State, hub_id: str, min_gain: int
    ) -> tuple[tuple[float, int], tuple[str, str] | _State] | None:
        """The best move of one hub now: ((cases per spoke, cases), move), or None (as in best_move)."""
        move: tuple[str, str] | _State
        if state.at_hub(hub_id) == 0 and self.hub_size[hub_id].minimum > 1:
            opened = self.open_hub(state, hub_id, None)
            if opened is None:
                return None
            trial, gained, added = opened
            key, move = (gained / added, gained), trial
        else:
            single = self.best_single(state, self.pairs_of_hub[hub_id])
            if single is None:
                return None
            gained, move = single
            key = (float(gained), gained)
        return (key, move) if gained >= min_gain else None

    def lazy_moves(self, state: _State) -> _State:
        """Add moves gaining at least one case until none is left, evaluating hubs lazily (module
        docstring): a max-heap of each hub's last value, ties to the first hub in id order."""
        order = {hub_id: k for k, hub_id in enumerate(sorted(self.pairs_of_hub))}
        hubs_at: dict[str, list[str]] = defaultdict(list)
        for hub_id, host_id in self.pairs:
            hubs_at[host_id].append(hub_id)
        current: dict[str, tuple] = {}  # hub -> its entry in the heap (older entries are skipped)
        heap: list[tuple] = []

        def push(hub_id: str, ratio: float, gained: int) -> None:
            entry = (-ratio, -gained, order[hub_id], hub_id)
            current[hub_id] = entry
            heapq.heappush(heap, entry)

        for hub_id in order:
            found = self.hub_move(state, hub_id, 1)
            if found is not None:
                push(hub_id, *found[0])
        while heap:
            entry = heapq.heappop(heap)
            hub_id = entry[3]
            if current.get(hub_id) != entry:
                continue  # superseded by a later entry of the same hub
            del current[hub_id]
            found = self.hub_move(state, hub_id, 1)
            if found is None:
                continue
            (ratio, gained), move = found
            if heap and heap[0] < (-ratio, -gained, order[hub_id], hub_id):
                push(hub_id, ratio, gained)  # another hub may beat it: back with its fresh value
                continue
            before = dict(state.host_spokes)
            if isinstance(move, _State):
                state = move
            else:
                self.place(state, *move)
            found = self.hub_move(state, hub_id, 1)
            if found is not None:
                push(hub_id, *found[0])
            # A host that just gained a spoke carries more cases, so the next spoke there may now
            # meet its caseload minimum: its hubs' values may rise to that spoke's gain.
            for host_id in sorted(j for j, n in state.host_spokes.items() if n != before.get(j, 0)):
                for other in hubs_at[host_id]:
                    if other == hub_id:
                        continue
                    gain = self.gain_if_placed(state, other, host_id)
                    if (
                        gain is not None
                        and gain >= 1
                        and (other not in current or (-float(gain), -gain) < current[other][:2])
                    ):
                        push(other, float(gain), gain)
        return state


def greedy_work(inst: Instance) -> int:
    """(hub-host pairs) x (spokes that could be placed): what an exact greedy search costs."""
    spokes_possible = sum(h.capacity for h in inst.hubs)
    if inst.rules.max_spokes is not None:
        spokes_possible = min(spokes_possible, inst.rules.max_spokes)
    return len(inst.supervision_minutes) * max(1, spokes_possible)


def greedy_state(inst: Instance, lazy: bool | None = None) -> _State | None:
    """The greedy search itself (see the module docstring); None if its rules reach no valid plan.
    `lazy` None: lazy above LAZY_WORK_LIMIT."""
    if lazy is None:
        lazy = greedy_work(inst) > LAZY_WORK_LIMIT
    g = _Greedy(inst)
    state = _State(residual={a.area_id: a.demand for a in inst.areas})
    for (hub_id, host_id), count in sorted(inst.existing_spokes.items()):
        if count <= 0:
            continue
        if host_id not in g.hosts or hub_id not in g.hub_size or (hub_id, host_id) not in inst.supervision_minutes:
            return None
        if not g.one_hub.allows_at(state.hubs_at.get(host_id, ()), hub_id):
            return None  # scoping refuses this as bad input (issue #14)
        if state.at_host(host_id) == 0:
            state.cost += Budget.host_cost(g.hosts[host_id])
        state.cost += (
            g.budget.spoke_cost * count
            + g.team_step(state, hub_id, count)
            + g.management_step(state, hub_id, host_id, count)
        )
        state.hubs_at.setdefault(host_id, set()).add(hub_id)
        state.spokes[(hub_id, host_id)] = count
        state.host_spokes[host_id] += count
        state.hub_spokes[hub_id] += count
    for host_id in sorted(state.host_spokes):
        least, most = g.caseload.load_range(state.at_host(host_id))
        if g.fill(state, host_id, most) < least:
            return None
    if not g.within_limits(state):
        return None
    for hub_id in sorted(state.hub_spokes):
        while state.at_hub(hub_id) < g.hub_size[hub_id].minimum:
            best = g.best_single(state, g.pairs_of_hub[hub_id])
            if best is None:
                return None
            g.place(state, *best[1])
    for host_id in HostStatus.of(inst).locked:  # locked hosts (hosts.csv status) get their spoke first
        if state.at_host(host_id) == 0:
            nxt = g.best_move(state, {host_id})
            if nxt is None:
                return None
            state = nxt
    for authority in inst.authorities:
        if not authority.required:
            continue
        if any(g.hosts[j].authority_code == authority.authority_code and n > 0 for j, n in state.host_spokes.items()):
            continue
        hosts_in = {h.host_id for h in inst.hosts if h.authority_code == authority.authority_code}
        nxt = g.best_move(state, hosts_in)
        if nxt is None:
            return None
        state = nxt
    if lazy:
        return g.lazy_moves(state)
    while True:
        nxt = g.best_move(state, min_gain=1)  # a spoke that covers nothing new is not worth adding
        if nxt is None:
            return state
        state = nxt


def coverage_upper_bound(inst: Instance) -> int:
    """A cheap, proven upper bound on covered cases, for any valid plan of `inst`.

    Cases are served only from hosts some hub can supervise, to areas such a host can reach, so
    covered <= the demand of those areas. Each spoke carries at most caseload_max cases, and the
    number of spokes is at most each of: the capacity of the usable hubs (those reaching a host and
    able to run min_spokes), the max_spokes of the supervised hosts, rules.max_spokes, and the
    budget divided by the cost of a spoke.
    """
    sizes = {h.hub_id: HubSize.of(h) for h in inst.hubs}
    usable_hubs = {hub_id for hub_id, size in sizes.items() if size.can_open}
    supervised = {host_id for hub_id, host_id in inst.supervision_minutes if hub_id in usable_hubs}
    reachable_areas = {area_id for host_id, area_id in inst.casework_minutes if host_id in supervised}
    reachable_demand = sum(a.demand for a in inst.areas if a.area_id in reachable_areas)
    hub_ids_reaching = {hub_id for hub_id, _ in inst.supervision_minutes if hub_id in usable_hubs}
    spoke_limits = [
        sum(sizes[h.hub_id].maximum for h in inst.hubs if h.hub_id in hub_ids_reaching),
        sum(HostCapacity.of(h).maximum for h in inst.hosts if h.host_id in supervised),
    ]
    limit, budget = SpokeLimit.of(inst.rules), Budget.of(inst.rules)
    if limit.maximum is not None:
        spoke_limits.append(limit.maximum)
    if budget.limit is not None and budget.spoke_cost > 0:
        spoke_limits.append(int((budget.limit + 1e-6) // budget.spoke_cost))
    _, most = Caseload.of(inst.rules).load_range(min(spoke_limits))
    return max(0, min(reachable_demand, most))


def greedy_plan(inst: Instance, lazy: bool | None = None) -> PlanResult | None:
    """The greedy plan as a PlanResult (status FEASIBLE), or None if greedy finds no valid plan."""
    state = greedy_state(inst, lazy)
    if state is None:
        return None
    spokes = tuple(sorted(SpokePlacement(h, j, n) for (h, j), n in state.spokes.items() if n > 0))
    assignments = tuple(sorted(Assignment(i, j, c) for (i, j), c in state.cases.items() if c > 0))
    covered = sum(a.cases for a in assignments)
    bound = float(coverage_upper_bound(inst))
    return PlanResult(
        status="FEASIBLE",
        objective=covered,
        bound=bound,
        gap=(bound - covered) / max(bound, 1.0),
        spokes=spokes,
        assignments=assignments,
        backend="greedy",
        team=minimum_team(inst, spokes),
    )


def plan_values(
    inst: Instance, plan: PlanResult, model: Model, representative: dict[str, str] | None = None
) -> np.ndarray:
    """A plan of `inst` as one value per column of `model` (a warm start for any back end).

    `representative` maps each area to the area standing for it when the model is of an instance
    with merged areas (optimisation.presolve.merge_areas): its cases are added there."""
    c = model.columns
    values = np.zeros(model.linear.columns)
    spokes = {(s.hub_id, s.host_id): s.count for s in plan.spokes}
    used_hubs = {h for (h, _), n in spokes.items() if n > 0}
    at_host: dict[str, int] = defaultdict(int)
    for (_, j), n in spokes.items():
        at_host[j] += n
    for key, col in c.spokes.items():
        values[col] = spokes.get(key, 0)
    for hub_id, col in c.hub_used.items():
        values[col] = 1.0 if hub_id in used_hubs else 0.0
    for host_id, col in c.host_open.items():
        values[col] = 1.0 if at_host.get(host_id, 0) > 0 else 0.0
    for host_id, col in c.host_spokes.items():
        values[col] = at_host.get(host_id, 0)
    for a in plan.assignments:
        area_id = representative.get(a.area_id, a.area_id) if representative else a.area_id
        case_col = c.cases.get((area_id, a.host_id))
        if case_col is not None:
            values[case_col] += a.cases
    for (hub_id, host_id), col in c.hub_host.items():  # one hub per host (issue #14)
        values[col] = 1.0 if spokes.get((hub_id, host_id), 0) > 0 else 0.0
    per_hub: dict[str, int] = defaultdict(int)
    for (h, _), n in spokes.items():
        per_hub[h] += n
    for hub_id, col in c.managers.items():  # managers (issue #14)
        values[col] = inst.hub(hub_id).managers_needed(per_hub.get(hub_id, 0))
    team = {(t.role, t.hub_id): t.count for t in minimum_team(inst, spokes)}
    for key, col in c.team.items():  # support roles (service models)
        values[col] = team.get(key, 0)
    return values

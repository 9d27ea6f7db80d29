"""A greedy plan: the baseline the optimiser must match, and its warm start.

Deterministic and solver-free. Starting from the spokes already in post, it repeatedly adds the
placement that covers the most new cases per spoke, filling each new spoke from the nearest
areas with unmet demand (casework reach only), and adds a spoke only if its host still carries
at least `caseload_min` cases per spoke (caseloads are pooled per host). A hub that is not yet
used opens with `min_spokes` placements at once.
Hub capacity, host capacity, budget and `max_spokes` are respected at every step, and required
authorities are served first. The result passes the checker, or `greedy_plan` returns None when
its simple rules cannot reach a valid plan (the optimiser may still find one).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from optimisation.instance import Instance
from optimisation.result import Assignment, PlanResult, SpokePlacement


@dataclass
class _State:
    spokes: dict[tuple[str, str], int] = field(default_factory=dict)  # (hub, host) -> count
    cases: dict[tuple[str, str], int] = field(default_factory=dict)  # (area, host) -> cases
    residual: dict[str, int] = field(default_factory=dict)  # area -> unmet demand

    def copy(self) -> "_State":
        return _State(dict(self.spokes), dict(self.cases), dict(self.residual))

    def at_host(self, host_id: str) -> int:
        return sum(n for (_, j), n in self.spokes.items() if j == host_id)

    def at_hub(self, hub_id: str) -> int:
        return sum(n for (h, _), n in self.spokes.items() if h == hub_id)

    def total(self) -> int:
        return sum(self.spokes.values())


class _Greedy:
    def __init__(self, inst: Instance):
        self.inst = inst
        self.rules = inst.rules
        self.hosts = {h.host_id: h for h in inst.hosts}
        self.hubs = {h.hub_id: h for h in inst.hubs}
        near: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for (host_id, area_id), minutes in inst.casework_minutes.items():
            near[host_id].append((minutes, area_id))
        self.near = {host: sorted(pairs) for host, pairs in near.items()}
        self.pairs = sorted(inst.supervision_minutes)

    def cost(self, state: _State) -> float:
        used = {j for (_, j), n in state.spokes.items() if n > 0}
        return self.rules.spoke_cost_per_year * state.total() + sum(self.hosts[j].annual_cost for j in used)

    def within_limits(self, state: _State) -> bool:
        if self.rules.max_spokes is not None and state.total() > self.rules.max_spokes:
            return False
        if self.rules.budget_per_year is not None and self.cost(state) > self.rules.budget_per_year + 1e-6:
            return False
        for hub_id in {h for h, _ in state.spokes}:
            if state.at_hub(hub_id) > self.hubs[hub_id].capacity:
                return False
        for host_id in {j for _, j in state.spokes}:
            if state.at_host(host_id) > self.hosts[host_id].max_spokes:
                return False
        return True

    def fill(self, state: _State, host_id: str, wanted: int) -> int:
        """Assign up to `wanted` unmet cases to `host_id` from its nearest areas; return how many."""
        taken = 0
        for _, area_id in self.near.get(host_id, []):
            if taken >= wanted:
                break
            free = state.residual[area_id]
            if free <= 0:
                continue
            amount = min(free, wanted - taken)
            state.residual[area_id] -= amount
            state.cases[(area_id, host_id)] = state.cases.get((area_id, host_id), 0) + amount
            taken += amount
        return taken

    def add_spoke(self, state: _State, hub_id: str, host_id: str) -> int | None:
        """Add one spoke and fill it; None if it breaks a limit or leaves the host below caseload_min.

        Caseloads are pooled per host, so the new spoke may carry fewer than caseload_min new cases
        as long as the host's total stays at least caseload_min x its spokes (12 + 12 + 9 for three).
        """
        state.spokes[(hub_id, host_id)] = state.spokes.get((hub_id, host_id), 0) + 1
        if not self.within_limits(state):
            return None
        gained = self.fill(state, host_id, self.rules.caseload_max)
        host_cases = sum(c for (_, j), c in state.cases.items() if j == host_id)
        if host_cases < self.rules.caseload_min * state.at_host(host_id):
            return None
        return gained

    def move(self, state: _State, hub_id: str, host_id: str) -> tuple[_State, int, int] | None:
        """Place at (hub, host), opening the hub with min_spokes placements if it is unused."""
        trial = state.copy()
        gained = self.add_spoke(trial, hub_id, host_id)
        if gained is None:
            return None
        added, total = 1, gained
        while trial.at_hub(hub_id) < self.hubs[hub_id].min_spokes:
            best = None
            for (h, j) in self.pairs:
                if h != hub_id:
                    continue
                attempt = trial.copy()
                more = self.add_spoke(attempt, h, j)
                if more is not None and (best is None or more > best[1]):
                    best = (attempt, more)
            if best is None:
                return None
            trial, more = best
            added, total = added + 1, total + more
        return trial, total, added

    def best_move(self, state: _State, hosts_allowed: set[str] | None = None,
                  min_gain: int = 0) -> _State | None:
        """The state after the move covering most new cases per spoke added (ties: most cases, then
        the first pair in id order), among moves gaining at least `min_gain` cases; None if none."""
        best: tuple[float, int, tuple[str, str], _State] | None = None
        for (hub_id, host_id) in self.pairs:
            if hosts_allowed is not None and host_id not in hosts_allowed:
                continue
            result = self.move(state, hub_id, host_id)
            if result is None:
                continue
            trial, gained, added = result
            if gained < min_gain:
                continue
            key = (gained / added, gained)
            if best is None or key > best[:2]:
                best = (key[0], key[1], (hub_id, host_id), trial)
        return best[3] if best else None


def greedy_state(inst: Instance) -> _State | None:
    g = _Greedy(inst)
    state = _State(residual={a.area_id: a.demand for a in inst.areas})
    for (hub_id, host_id), count in sorted(inst.existing_spokes.items()):
        state.spokes[(hub_id, host_id)] = count
    for host_id in sorted({j for _, j in state.spokes}):
        need = g.rules.caseload_min * state.at_host(host_id)
        got = g.fill(state, host_id, g.rules.caseload_max * state.at_host(host_id))
        if got < need:
            return None
    if not g.within_limits(state):
        return None
    for hub_id in sorted({h for h, _ in state.spokes}):
        while state.at_hub(hub_id) < g.hubs[hub_id].min_spokes:
            candidates = [(h, j) for (h, j) in g.pairs if h == hub_id]
            best = None
            for h, j in candidates:
                attempt = state.copy()
                gained = g.add_spoke(attempt, h, j)
                if gained is not None and (best is None or gained > best[0]):
                    best = (gained, attempt)
            if best is None:
                return None
            state = best[1]
    for authority in inst.authorities:
        if not authority.required:
            continue
        if any(g.hosts[j].authority_code == authority.authority_code and n > 0 for (_, j), n in state.spokes.items()):
            continue
        hosts_in = {h.host_id for h in inst.hosts if h.authority_code == authority.authority_code}
        nxt = g.best_move(state, hosts_in)
        if nxt is None:
            return None
        state = nxt
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
    rules = inst.rules
    usable_hubs = {h.hub_id for h in inst.hubs if h.capacity >= max(h.min_spokes, 1)}
    supervised = {host_id for hub_id, host_id in inst.supervision_minutes if hub_id in usable_hubs}
    reachable_areas = {area_id for host_id, area_id in inst.casework_minutes if host_id in supervised}
    reachable_demand = sum(a.demand for a in inst.areas if a.area_id in reachable_areas)
    hub_ids_reaching = {hub_id for hub_id, _ in inst.supervision_minutes if hub_id in usable_hubs}
    spoke_limits = [sum(h.capacity for h in inst.hubs if h.hub_id in hub_ids_reaching),
                    sum(h.max_spokes for h in inst.hosts if h.host_id in supervised)]
    if rules.max_spokes is not None:
        spoke_limits.append(rules.max_spokes)
    if rules.budget_per_year is not None and rules.spoke_cost_per_year > 0:
        spoke_limits.append(int((rules.budget_per_year + 1e-6) // rules.spoke_cost_per_year))
    return max(0, min(reachable_demand, min(spoke_limits) * rules.caseload_max))


def greedy_plan(inst: Instance) -> PlanResult | None:
    """The greedy plan as a PlanResult (status FEASIBLE), or None if greedy finds no valid plan."""
    state = greedy_state(inst)
    if state is None:
        return None
    spokes = tuple(sorted(SpokePlacement(h, j, n) for (h, j), n in state.spokes.items() if n > 0))
    assignments = tuple(sorted(Assignment(i, j, c) for (i, j), c in state.cases.items() if c > 0))
    covered = sum(a.cases for a in assignments)
    bound = float(coverage_upper_bound(inst))
    return PlanResult(status="FEASIBLE", objective=covered, bound=bound,
                      gap=(bound - covered) / max(bound, 1.0), spokes=spokes, assignments=assignments,
                      backend="greedy")


def greedy_hint(inst: Instance, model) -> tuple[list, list] | None:
    """Variable values of the greedy plan for a solver hint (warm start), or None."""
    state = greedy_state(inst)
    if state is None:
        return None
    v = model.variables
    variables, values = [], []
    for key, var in v.spokes.items():
        variables.append(var)
        values.append(float(state.spokes.get(key, 0)))
    used_hubs = {h for (h, _), n in state.spokes.items() if n > 0}
    for hub_id, var in v.hub_used.items():
        variables.append(var)
        values.append(1.0 if hub_id in used_hubs else 0.0)
    open_hosts = {j for (_, j), n in state.spokes.items() if n > 0}
    for host_id, var in v.host_open.items():
        variables.append(var)
        values.append(1.0 if host_id in open_hosts else 0.0)
    for key, var in v.cases.items():
        variables.append(var)
        values.append(float(state.cases.get(key, 0)))
    return variables, values

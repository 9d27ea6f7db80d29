"""The constraint families of the allocation model: one function each, for every back end.

Each family function emits its rows into a :class:`optimisation.formulation.LinearModel` over the
columns of one snapshot (:class:`optimisation.formulation.Columns`; notation there), taking its
numbers from the rule objects of :mod:`optimisation.rules`. Rows carry the family's name and, when
the diagnosis may relax them, their rule group. The same functions build

* the one-snapshot model (:func:`optimisation.model.build_model`, the checklist of families), which
  every back end solves: HiGHS and SCIP as one sparse matrix, SCIP and CBC through pywraplp;
* every phase and every phase × demand-scenario block of the phased/robust model
  (:mod:`optimisation.phased`), over that phase's or block's tagged columns.

Where each rule lives:

==================  ==========================================  =================================
family              model (rows)                                checker
==================  ==========================================  =================================
supervision travel  columns: ``placement_columns`` (formulation)  ``check_supervision_travel``
casework travel     columns: ``case_columns`` (formulation)       ``check_casework_travel``
caseload            :func:`caseload`, :func:`open_host_link`     ``check_caseload``
demand              :func:`demand`                               ``check_demand``
hub size            :func:`hub_size`                             ``check_hub_size``
host capacity       :func:`host_capacity`                        ``check_host_capacity``
budget              :func:`budget`                               ``check_budget``
max_spokes          :func:`max_spokes`                           ``check_max_spokes``
required authority  :func:`required_authorities`                 ``check_required_authority``
existing spokes     :func:`existing_spokes`                      ``check_existing_spokes``
locked host         :func:`locked_hosts`                         ``check_locked_host``
banned host         no columns: the Instance drops its pairs     ``check_banned_host``
cross border        no columns: the Instance moves the pairs     ``check_cross_border``
                    rules.CrossBorder forbids to
                    ``cross_border_minutes``; relax group
                    "cross_border" (model.build_model,
                    phased.build_programme_model) restores them
team mix            ``optimisation.team.team_mix``               ``check_team_mix``
one hub per host    :func:`one_hub_per_host`                     ``check_one_hub_per_host``
managers (cost)     :func:`hub_managers` (in :func:`budget`)     ``check_budget``
==================  ==========================================  =================================

**Adding a family** is one change in four places: a rule object in optimisation/rules.py (what the
rule allows), a family function here (its rows, with docstring and formula; a rule group if the
diagnosis may relax it, listed in optimisation.model.rule_groups), one line in the assembler
(optimisation.model.build_model, and optimisation.phased if it holds per phase or block), a
``check_<family>`` in optimisation/checker.py (in CHECKS), and its wording in
optimisation.diagnosis.GROUP_WORDING if it is relaxable.

Row coefficient order within a row is kept as first written: the matrix back ends hand the rows to
their solver in that order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from optimisation.formulation import INF, Columns, LinearModel
from optimisation.instance import Instance
from optimisation.rules import (
    Budget,
    Caseload,
    ExistingSpokes,
    HostCapacity,
    HostStatus,
    HubSize,
    OneHubPerHost,
    RequiredAuthorities,
    SpokeLimit,
)


def host_spokes(m: LinearModel, inst: Instance, c: Columns) -> None:
    """Spokes per host (layout option, not a rule): S[j] = Σ_h y[h, j] for every host j.

    Only with the spokes-per-host layout (Columns.host_spokes): the solver branches on whole spokes
    per host and y stays continuous; for fixed S and u the y rows are a bipartite network with
    whole-number data, so whole y exist (optimisation.integral.integral_spokes finds them)."""
    for host_id, s in c.host_spokes.items():
        ys = c.spokes_at[host_id]
        m.add_row("host_spokes", [s] + ys, [1.0] + [-1.0] * len(ys), 0.0, 0.0, name=f"host_spokes[{host_id}]")


def caseload(m: LinearModel, inst: Instance, c: Columns) -> None:
    """Caseload: caseload_min × S_j ≤ Σ_i x[i, j] ≤ caseload_max × S_j for every host j.

    Each spoke carries between caseload_min and caseload_max cases at a time (seed 001: 10-12),
    pooled over the host's spokes and summed over the areas it serves (rules.Caseload). The
    minimum is rule group "caseload_min" (the diagnosis may drop it)."""
    rule = Caseload.of(inst.rules)
    for host_id in c.host_open:
        load = c.cases_at[host_id]
        ones = [1.0] * len(load)
        cols, vals = c.host_total(host_id, -float(rule.maximum))
        m.add_row("caseload", load + cols, ones + vals, -INF, 0.0, name=f"caseload_max[{host_id}]")
        if rule.minimum > 0:
            cols, vals = c.host_total(host_id, -float(rule.minimum))
            m.add_row(
                "caseload", load + cols, ones + vals, 0.0, INF, group="caseload_min", name=f"caseload_min[{host_id}]"
            )


def demand(m: LinearModel, inst: Instance, c: Columns) -> None:
    """Demand: Σ_j x[i, j] ≤ demand_i — an area is never assigned more cases than it has.

    An area with one case column needs no row: the column's bound x[i, j] ≤ demand_i is the rule."""
    demand_of = {a.area_id: a.demand for a in inst.areas}
    for area_id, cols in sorted(c.cases_of.items()):
        if len(cols) > 1:
            m.add_row("demand", cols, [1.0] * len(cols), -INF, float(demand_of[area_id]), name=f"demand[{area_id}]")


def hub_size(m: LinearModel, inst: Instance, c: Columns) -> None:
    """Hub size: min_spokes_h × u_h ≤ Σ_j y[h, j] ≤ capacity_h × u_h, capacity_h = min(max_spokes,
    managers × manager_span).

    A used hub runs between its minimum and its supervisable maximum (seed 000: two to five spokes
    per hub); an unused hub has none (rules.HubSize). The minimum is rule group "hub_min"."""
    for hub in inst.hubs:
        size = HubSize.of(hub)
        ys, u = c.spokes_of[hub.hub_id], c.hub_used[hub.hub_id]
        ones = [1.0] * len(ys)
        m.add_row("hub_size", ys + [u], ones + [-float(size.maximum)], -INF, 0.0, name=f"hub_max[{hub.hub_id}]")
        if size.minimum > 0:
            m.add_row(
                "hub_size",
                ys + [u],
                ones + [-float(size.minimum)],
                0.0,
                INF,
                group="hub_min",
                name=f"hub_min[{hub.hub_id}]",
            )


def host_capacity(m: LinearModel, inst: Instance, c: Columns) -> None:
    """Host capacity: S_j ≤ max_spokes_j × o[j] — at most max_spokes_j spokes at host j
    (rules.HostCapacity), and a host with a spoke is open (o[j] = 1, which the budget's annual cost
    and the linking rows read).

    Rule group "host_capacity". Relaxed, the row keeps its second half only: S_j ≤ M × o[j] with
    M = every hub's capacity plus every spoke in post (more than any plan can place)."""
    if m.relaxed("host_capacity"):
        big = float(sum(HubSize.of(h).maximum for h in inst.hubs) + sum(inst.existing_spokes.values()))
        for host_id, o in c.host_open.items():
            cols, vals = c.host_total(host_id, 1.0)
            m.add_row("host_capacity", cols + [o], vals + [-big], -INF, 0.0)
        return
    most = {h.host_id: HostCapacity.of(h).maximum for h in inst.hosts}
    for host_id, o in c.host_open.items():
        cols, vals = c.host_total(host_id, 1.0)
        m.add_row(
            "host_capacity",
            cols + [o],
            vals + [-float(most[host_id])],
            -INF,
            0.0,
            group="host_capacity",
            name=f"host_max[{host_id}]",
        )


def open_host_link(m: LinearModel, inst: Instance, c: Columns) -> None:
    """Linking (tightening) rows: x[i, j] ≤ demand_i × o[j] — no cases from a closed host.

    Implied by caseload_max with S_j = 0 (not a rule of their own), but they make the LP relaxation
    far tighter (measured: benchmarks/backends.py), so the solver proves optimality sooner. A layout
    option (Layout.link_rows), on by default. One row per case column, so they are emitted at once."""
    demand_of = {a.area_id: a.demand for a in inst.areas}
    host_open, count = c.host_open, len(c.cases)
    x = np.fromiter(c.cases.values(), np.int64, count)
    o = np.fromiter((host_open[host_id] for (_, host_id) in c.cases), np.int64, count)
    demand = np.fromiter((demand_of[area_id] for (area_id, _) in c.cases), float, count)
    m.add_rows(
        "open_host_link",
        np.column_stack([x, o]),
        np.column_stack([np.ones(count), -demand]),
        -INF,
        0.0,
        names=("link", list(c.cases)),
    )


def budget(m: LinearModel, inst: Instance, c: Columns, *, group: str = "budget") -> None:
    """Budget: spoke_cost_per_year × Σ_j S_j + Σ_j annual_cost_j × o[j] + Σ_{r,h} cost_r × n[r, h]
    + Σ_h manager_cost_h × m[h] + Σ_{h,j} visit_cost_hj × y[h, j] ≤ budget_per_year (rules.Budget;
    the support-role terms only for service models with roles; the manager and visit terms, issue
    #14, only where they cost anything: the managers through :func:`hub_managers`).

    Rule group "budget" (a phase with its own budget: "phase_budget:<phase>", optimisation.phased)."""
    rule = Budget.of(inst.rules)
    if rule.limit is None:
        return
    spokes = c.all_spokes()
    annual = {h.host_id: Budget.host_cost(h) for h in inst.hosts}
    paid = [j for j in c.host_open if annual[j] > 0]
    cols = spokes + [c.host_open[j] for j in paid]
    vals = [float(rule.spoke_cost)] * len(spokes) + [float(annual[j]) for j in paid]
    role_cost = {role.role_id: role.cost_per_year for role in inst.rules.team_roles}
    for (role_id, _), col in c.team.items():
        if role_cost[role_id]:
            cols.append(col)
            vals.append(float(role_cost[role_id]))
    if rule.costs_supervision:  # supervision visits (issue #14)
        for (hub_id, host_id), col in c.spokes.items():
            cost = rule.supervision_cost(inst, hub_id, host_id)
            if cost:
                cols.append(col)
                vals.append(float(cost))
    for hub_id, col in hub_managers(m, inst, c).items():  # managers (issue #14)
        cols.append(col)
        vals.append(float(inst.hub(hub_id).manager_cost_per_year))
    m.add_row("budget", cols, vals, -INF, float(rule.limit), group=group, name="budget")


def hub_managers(m: LinearModel, inst: Instance, c: Columns) -> dict[str, int]:
    """Managers (issue #14): manager_span_h × m[h] ≥ Σ_j y[h, j] for every hub whose managers cost
    something, m[h] integer in 0..⌈capacity_h / span_h⌉ — a used hub pays ⌈spokes_h / span_h⌉
    managers (rules.Budget.manager_cost; seed 002: "Funding needs to be provided for a Spoke manager
    or manager at the Hub"). Not a rule of its own (its only use is the budget row, so it is
    emitted only with a budget); the checker judges the managers' cost in check_budget. Returns
    hub -> its m column (those of `c` if already made).

    A hub that can never need a second manager (⌈capacity / span⌉ ≤ 1) pays one manager exactly when
    it is used: its m[h] is u[h] itself (exact, no column of its own: measured on inputs/demo_robust,
    separate m columns left the host-fit stage unproven in the default time limit). Tightening rows
    (implied for whole numbers) for the others: m[h] ≤ ⌈capacity / span⌉ × u[h], and m[h] ≥ u[h]
    when min_spokes ≥ 1."""
    if c.managers:
        return c.managers
    costed = [h for h in inst.hubs if h.manager_cost_per_year > 0 and c.spokes_of.get(h.hub_id)]
    single = {h.hub_id: c.hub_used[h.hub_id] for h in costed if h.managers_needed(HubSize.of(h).maximum) <= 1}
    costed = [h for h in costed if h.hub_id not in single]
    columns: dict[str, int] = {}
    if costed:
        keys = [h.hub_id for h in costed]
        uppers = [float(h.managers_needed(HubSize.of(h).maximum)) for h in costed]
        columns = m.add_columns("m", keys, [0.0] * len(keys), uppers, True, c.tag)
        for hub, most in zip(costed, uppers):
            ys, col, u = c.spokes_of[hub.hub_id], columns[hub.hub_id], c.hub_used[hub.hub_id]
            m.add_row(
                "hub_managers",
                [col] + ys,
                [float(hub.manager_span)] + [-1.0] * len(ys),
                0.0,
                INF,
                name=f"managers[{hub.hub_id}]",
            )
            m.add_row("hub_managers", [col, u], [1.0, -most], -INF, 0.0, name=f"managers_used[{hub.hub_id}]")
            if HubSize.of(hub).minimum >= 1:
                m.add_row("hub_managers", [col, u], [1.0, -1.0], 0.0, INF, name=f"managers_least[{hub.hub_id}]")
    c.managers = {**columns, **single}
    return c.managers


def one_hub_per_host(m: LinearModel, inst: Instance, c: Columns, also: Sequence[Columns] = ()) -> None:
    """One hub per host (issue #14; rules.OneHubPerHost): y[h, j] ≤ cap_hj × w[h, j] and
    Σ_h w[h, j] ≤ o[j] (≤ 1) for every host j, w binary, cap_hj the y column's upper bound — the
    spokes at a host are all one hub's (seed 002: one "formal agreement between the Hub and the host").

    `also`: more placements sharing the same w (optimisation.phased: every phase's new services,
    so a host keeps one hub over the whole programme; then Σ_h w[h, j] ≤ 1).
    Nothing with scenario.yaml shared_hosts: true. w columns only where they are needed: a host one
    hub reaches has one hub anyway, and a host that can take one spoke (y ≤ 1 integer, or S_j ≤ 1
    with whole y recovered from a network vertex, optimisation.integral) can have only one hub.
    Rule group "one_hub_per_host" (the Σ_h w rows; the diagnosis may drop it to name it). Existing
    spokes of two hubs at one host are refused as bad input by scoping."""
    if OneHubPerHost.of(inst.rules).shared:
        return
    upper = m.upper
    sets = [c, *also]
    contested = set(OneHubPerHost.contested_hosts(inst))
    shared = [j for j in OneHubPerHost.contested_hosts(inst) if any(j in s.spokes_at for s in sets)]
    if not shared:
        return
    pairs = sorted({(h, j) for s in sets for (h, j) in s.spokes if j in contested})
    c.hub_host = m.add_columns("w", pairs, [0.0] * len(pairs), [1.0] * len(pairs), True, c.tag)
    for s in sets:
        for (h, j), y in s.spokes.items():
            if (h, j) in c.hub_host:
                w = c.hub_host[(h, j)]
                m.add_row("one_hub_per_host", [y, w], [1.0, -float(upper[y])], -INF, 0.0, name=f"one_hub[{h},{j}]")
    by_host: dict[str, list[int]] = {}
    for (_, j), w in c.hub_host.items():
        by_host.setdefault(j, []).append(w)
    for j in shared:  # Σ_h w[h, j] ≤ o[j] (≤ 1; o tightens the relaxation: no hub for a closed host)
        ws = by_host[j]
        opened = [c.host_open[j]] if not also and j in c.host_open else []
        m.add_row(
            "one_hub_per_host",
            ws + opened,
            [1.0] * len(ws) + [-1.0] * len(opened),
            -INF,
            0.0 if opened else 1.0,
            group="one_hub_per_host",
            name=f"one_hub[{j}]",
        )


def max_spokes(m: LinearModel, inst: Instance, c: Columns, *, group: str = "max_spokes") -> None:
    """Most spokes overall: Σ_j S_j ≤ max_spokes (rules.SpokeLimit).

    Rule group "max_spokes" (a phase with its own limit: "phase_spokes:<phase>")."""
    limit = SpokeLimit.of(inst.rules).maximum
    if limit is None:
        return
    spokes = c.all_spokes()
    m.add_row("max_spokes", spokes, [1.0] * len(spokes), -INF, float(limit), group=group, name="max_spokes")


def required_authorities(m: LinearModel, inst: Instance, c: Columns) -> None:
    """Required authority a: Σ_{j in a} S_j ≥ 1 — at least one spoke hosted in it
    (rules.RequiredAuthorities). Rule group "required:<code>", one per authority.

    An authority with no host within any hub's supervision reach gets the row 0 ≥ 1: no plan meets
    it, and the diagnosis can name it."""
    authority_of = {h.host_id: h.authority_code for h in inst.hosts}
    for code in RequiredAuthorities.of(inst).codes:
        cols: list[int] = []
        for host_id in c.host_open:
            if authority_of[host_id] == code:
                cols += c.host_total(host_id, 1.0)[0]
        m.add_row(
            "required_authority", cols, [1.0] * len(cols), 1.0, INF, group=f"required:{code}", name=f"required[{code}]"
        )


def existing_spokes(m: LinearModel, inst: Instance, c: Columns) -> None:
    """Existing spokes are kept: y[h, j] ≥ count already in post (rules.ExistingSpokes). Rule group
    "existing:<hub>:<host>", one per pair.

    A pair out of supervision reach has no column: its row is 0 ≥ count, which no plan meets."""
    existing = ExistingSpokes.of(inst)
    for hub_id, host_id in sorted(existing.counts):
        count = float(existing.at_least(hub_id, host_id))
        col = c.spokes.get((hub_id, host_id))
        m.add_row(
            "existing_spokes",
            [col] if col is not None else [],
            [1.0] if col is not None else [],
            count,
            INF,
            group=f"existing:{hub_id}:{host_id}",
            name=f"existing[{hub_id},{host_id}]",
        )


def locked_hosts(m: LinearModel, inst: Instance, c: Columns) -> None:
    """Locked host j (hosts.csv status, issue #18): S_j = Σ_h y[h, j] ≥ 1 — a commissioner has
    decided the host keeps at least one spoke (rules.HostStatus). Rule group "locked:<host>", one
    per locked host.

    A locked host no hub can supervise, or one the presolve took out of reach because its reachable
    demand cannot carry caseload_min, has no column: its row is 0 ≥ 1, which no plan meets, and the
    diagnosis names it. A banned host needs no row: the Instance holds none of its supervision
    pairs, so it has no column (S_j = 0)."""
    for host_id in HostStatus.of(inst).locked:
        cols = c.host_total(host_id, 1.0)[0] if host_id in c.host_open else []
        m.add_row(
            "locked_host", cols, [1.0] * len(cols), 1.0, INF, group=f"locked:{host_id}", name=f"locked[{host_id}]"
        )

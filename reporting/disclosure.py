"""Disclosure control for counts that leave the program (DESIGN.md "Disclosure control").

England's children's social care statistics convention: a count from 1 to `threshold` inclusive
is shown as ``c``; ``:`` means not available and ``z`` not applicable. The threshold is always
passed in: it is the scenario's ``disclosure_threshold`` (scoping.scenario.settings.ScenarioRules,
where its default is written once), so every table, chart and sentence says the same.
Zero is shown as 0. Plan internals (plan.json cases) are exact and not passed through here.

Two mechanisms: `suppressed_cells`, the group rule alone (no group of cells tied by a sum keeps
exactly one hidden cell), used by the scoping reports; and `suppress`, the group rule followed by
an audit by linear programming over every published relation, used for the plan's files
(reporting.published.plan.published_counts), where sums cross tables; `suppress_by_component`
runs `suppress` on each group of figures tied by relations (the monitoring tables).
"""

from __future__ import annotations

import math

import networkx as nx
from scipy.optimize import linprog

SUPPRESSED = "c"
NOT_AVAILABLE = ":"
NOT_APPLICABLE = "z"


def disclose(count: int | float | None, threshold: int, *, applicable: bool = True) -> str:
    """The published form of one count: 'c' for 1..threshold, ':' for None, 'z' if not applicable."""
    if not applicable:
        return NOT_APPLICABLE
    if count is None:
        return NOT_AVAILABLE
    value = int(round(count))
    if 1 <= value <= threshold:
        return SUPPRESSED
    return f"{value:,}"


def legend(threshold: int) -> str:
    """The one sentence that explains 'c' where a count is shown as one (the CLI's summary)."""
    return f"{SUPPRESSED} = a count from 1 to {threshold}, not shown (disclosure control)"


def suppressed_cells(values: dict, groups: list[list], threshold: int) -> set:
    """Cells to publish as 'c': primary (1..threshold) plus secondary suppression.

    `values` maps a cell key to its count; each group lists cells tied by one published sum
    (e.g. a column with its total, or demand = covered + unmet in a row). A group with exactly
    one suppressed cell would let a reader recover it by subtraction, so the smallest other cell of
    that group is suppressed too, repeatedly, until no group has exactly one suppressed cell.
    """
    hidden = {key for key, value in values.items() if value is not None and 1 <= value <= threshold}
    changed = True
    while changed:
        changed = False
        for group in groups:
            inside = [key for key in group if key in values]
            if sum(1 for key in inside if key in hidden) == 1:
                others = sorted((values[key], str(key), key) for key in inside if key not in hidden)
                if others:
                    hidden.add(others[0][2])
                    changed = True
    return hidden


Relation = tuple[tuple, list[tuple]]  # (key of a published sum, keys of its parts)


def _value_range(key: tuple, values: dict, relations: list[Relation], hidden: set) -> float:
    """How far a hidden cell can move (max - min, by linear programming) given every published cell and sum.

    A range below 1 means a reader could recover the cell's whole-number value.
    """
    unknowns = sorted(hidden, key=str)
    index = {k: i for i, k in enumerate(unknowns)}
    rows, rhs = [], []
    for total, parts in relations:
        row, constant = [0.0] * len(unknowns), 0.0
        for cell, sign in [(total, -1.0), *[(part, 1.0) for part in parts]]:
            if cell in index:
                row[index[cell]] += sign
            else:
                constant += sign * values[cell]
        if any(row):
            rows.append(row)
            rhs.append(-constant)
    if not rows:
        return math.inf
    objective = [1.0 if k == key else 0.0 for k in unknowns]
    low = linprog(objective, A_eq=rows, b_eq=rhs, bounds=(0, None))
    high = linprog([-c for c in objective], A_eq=rows, b_eq=rhs, bounds=(0, None))
    if high.status == 3:  # unbounded above
        return math.inf
    return -high.fun - low.fun


def suppress(values: dict, relations: list[Relation], threshold: int, protected: frozenset = frozenset()) -> frozenset:
    """Primary suppression (1..threshold) plus secondary suppression, audited by linear programming.

    Each relation is a published sum and its parts (a column and its total; demand = covered +
    unmet). First, a relation with exactly one hidden cell would let a reader recover it by
    subtraction, so one more of its cells is hidden, repeatedly. Then every hidden cell is audited:
    combining several sums (e.g. an authority's covered cases minus a host's cases) can still pin it
    down, so while linear programming finds a hidden cell's possible range narrower than 1, one more
    cell of a relation it is in is hidden. The cell chosen is always the smallest non-zero cell not
    `protected` (totals shown as headline figures); a zero protects little (a zero total pins its
    parts), so it is hidden only after non-zero cells, and a protected cell only when there is no
    other choice, in which case the headline shows 'c' too.
    """
    hidden = {key for key, value in values.items() if 1 <= value <= threshold}
    groups = [[key for key in [total, *parts] if key in values] for total, parts in relations]

    def hide_one_more(group: list) -> bool:
        others = sorted((key in protected, values[key] == 0, values[key], str(key)) for key in group if key not in hidden)
        if not others:
            return False
        hidden.add(next(key for key in group if key not in hidden and str(key) == others[0][3]))
        return True

    def close_groups() -> None:
        changed = True
        while changed:
            changed = False
            for group in groups:
                if sum(1 for key in group if key in hidden) == 1 and hide_one_more(group):
                    changed = True

    close_groups()
    audited = False
    while not audited:
        audited = True
        for key in sorted(hidden, key=str):
            if _value_range(key, values, relations, hidden) < 1 - 1e-9:
                candidates = [group for group in groups if key in group]
                if any(hide_one_more(group) for group in sorted(candidates, key=len)):
                    close_groups()
                    audited = False
                    break
    return frozenset(hidden)


def suppress_by_component(values: dict, relations: list[Relation], threshold: int, protected: frozenset) -> set:
    """`suppress` on each group of figures tied together by relations (networkx connected components):
    figures in different components share no equation, so the result is the same, with far smaller LPs."""
    graph = nx.Graph()
    graph.add_nodes_from(values)
    for total, parts in relations:
        nx.add_path(graph, [total, *parts])
    owner = {key: index for index, component in enumerate(nx.connected_components(graph)) for key in component}
    by_component: dict[int, list[Relation]] = {}
    for relation in relations:
        by_component.setdefault(owner[relation[0]], []).append(relation)
    hidden = {key for key, value in values.items() if 1 <= value <= threshold and owner[key] not in by_component}
    for index, own_relations in sorted(by_component.items()):
        keys = {k for total, parts in own_relations for k in (total, *parts)}
        hidden |= suppress({k: values[k] for k in keys}, own_relations, threshold, protected & keys)
    return hidden

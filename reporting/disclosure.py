"""Disclosure control for counts that leave the program (DESIGN.md "Disclosure control").

England's children's social care statistics convention: a count from 1 to `threshold` inclusive
is shown as ``c``; ``:`` means not available and ``z`` not applicable. The threshold is always
passed in: it is the scenario's ``disclosure_threshold`` (scoping.scenario.settings.ScenarioRules,
where its default is written once), so every table, chart and sentence says the same.
Zero is shown as 0. Plan internals (plan.json cases) are exact and not passed through here.

Two packs (issue #17, :class:`Pack`): the internal pack shows every figure exact and carries the
protective MARKING; the public pack applies everything below, and shows modelled estimates (figures
that are not counts of children) rounded to the nearest 5 and marked ``≈`` instead of hiding them.

Two mechanisms: `suppressed_cells`, the group rule alone (no group of cells tied by a sum keeps
exactly one hidden cell), used by the scoping reports; and `suppress`, the group rule followed by
an audit by integer programming over every published relation, used for the plan's files
(reporting.published.plan.published_counts, a programme's roll-out year tables with them), where sums
cross tables and files; `suppress_by_component`
runs `suppress` on each group of figures tied by relations (the monitoring tables).

The audit is general: it takes a set of published tables as figures, the sums that tie them, and
the bounds their structure implies (`Bounds`), and knows nothing of which file shows which figure.
A reader is assumed to know every shown figure, every sum, those bounds, and that counts are whole
numbers: a hidden count must keep at least as many possible values as 'c' itself allows.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.optimize import Bounds as Bounds_
from scipy.optimize import LinearConstraint, linprog, milp

SUPPRESSED = "c"
NOT_AVAILABLE = ":"
NOT_APPLICABLE = "z"

# Issue #17: every report-writing command writes two packs. The internal pack holds the exact figures
# the commissioning team decides on, marked on every page, sheet and file; the public pack is the one
# that may be published: counts from case data disclosure-controlled, modelled estimates rounded.
MARKING = "OFFICIAL-SENSITIVE — not for publication"
# A modelled estimate (a figure that is not a count of children: demand estimated from a population and
# a rate, capacity and reach worked out from the rules) is published rounded to the nearest 5 and marked.
ESTIMATE_STEP = 5
ESTIMATE_MARK = "≈"


@dataclass(frozen=True)
class Pack:
    """One of the two packs (issue #17): `exact` figures and a protective `marking` on every page, sheet
    and file (internal), or disclosure-controlled figures for publication (public)."""

    name: str  # the pack's folder under OUT
    exact: bool
    marking: str | None

    def threshold(self, disclosure_threshold: int) -> int:
        """The threshold a view applies: the scenario's in the public pack; 0 (nothing hidden) internally."""
        return 0 if self.exact else disclosure_threshold


INTERNAL = Pack("internal", exact=True, marking=MARKING)
PUBLIC = Pack("public", exact=False, marking=None)
PACKS = (INTERNAL, PUBLIC)


def round_estimate(value: float) -> int:
    """A modelled estimate as published: to the nearest ESTIMATE_STEP, halves up (12.5 -> 15, 2 -> 0)."""
    return int(math.floor(value / ESTIMATE_STEP + 0.5)) * ESTIMATE_STEP


def estimate_text(value: float) -> str:
    """'≈25': a modelled estimate's published form."""
    return f"{ESTIMATE_MARK}{round_estimate(value):,}"


def estimate_bounds(value: float) -> tuple[int, int]:
    """What a reader learns of a whole-number estimate from its published form: r - 2 .. r + 2 (at least 0)."""
    shown = round_estimate(value)
    half = ESTIMATE_STEP // 2
    return max(0, shown - half), shown + half


def estimate_legend() -> str:
    """The one sentence that explains '≈'."""
    return (
        f"{ESTIMATE_MARK} = a modelled estimate (worked out from populations, rates or the plan's rules, not "
        f"a count of children), rounded to the nearest {ESTIMATE_STEP}"
    )


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
    return (
        f"{SUPPRESSED} = a count from 1 to {threshold}, or a figure hidden so that none can be worked out, "
        "not shown (disclosure control)"
    )


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


Relation = tuple[Hashable, Sequence[Hashable]]  # (key of a published sum, keys of its parts)
Bounds = dict  # key -> (least, greatest or None): what the published structure tells a reader of a cell


def required_width(threshold: int) -> int:
    """How far apart the least and greatest whole values of a hidden count must stay.

    'c' itself tells a reader "1 to threshold": `threshold` possible values, a width of threshold - 1.
    A reader who can narrow a hidden count further than that (and, at any threshold, down to one
    value) has learnt something 'c' was meant to hide.
    """
    return max(1, threshold - 1)


def relation_index(relations: list[Relation]) -> dict:
    """cell -> the numbers of the relations it is in."""
    members: dict = {}
    for number, (total, parts) in enumerate(relations):
        for cell in (total, *parts):
            members.setdefault(cell, []).append(number)
    return members


@dataclass(frozen=True)
class _ReaderModel:
    """The equations a reader can write about `key`: the relations tied to it through unknown cells."""

    unknowns: list
    index: dict
    matrix: Any  # scipy.sparse rows, one per relation that still has an unknown
    rhs: np.ndarray
    row_of_relation: dict  # relation number -> row
    lower: np.ndarray
    upper: np.ndarray


def _reader_model(
    key: tuple, values: dict, relations: list[Relation], hidden, bounds: Bounds, unpublished: frozenset, members: dict
) -> _ReaderModel:
    cells, todo, used = {key}, [key], []
    seen_relations: set = set()
    while todo:
        for number in members.get(todo.pop(), ()):
            if number in seen_relations:
                continue
            seen_relations.add(number)
            used.append(number)
            total, parts = relations[number]
            for cell in (total, *parts):
                if cell not in cells and (cell in hidden or cell in unpublished):
                    cells.add(cell)
                    todo.append(cell)
    unknowns = sorted(cells, key=str)
    index = {k: i for i, k in enumerate(unknowns)}
    data: list[float] = []
    row_of: list[int] = []
    column_of: list[int] = []
    rhs: list[float] = []
    row_of_relation: dict[int, int] = {}
    for number in sorted(used):
        total, parts = relations[number]
        constant = 0.0
        row: dict[int, float] = {}
        for cell, sign in [(total, -1.0), *[(part, 1.0) for part in parts]]:
            if cell in index:
                row[index[cell]] = row.get(index[cell], 0.0) + sign
            else:
                constant += sign * values[cell]
        row = {column: coefficient for column, coefficient in row.items() if coefficient}
        if row:
            row_of_relation[number] = len(rhs)
            for column, coefficient in row.items():
                data.append(coefficient)
                row_of.append(len(rhs))
                column_of.append(column)
            rhs.append(-constant)
    lower = np.array([bounds.get(k, (0, None))[0] for k in unknowns], dtype=float)
    upper = np.array([np.inf if bounds.get(k, (0, None))[1] is None else bounds[k][1] for k in unknowns], dtype=float)
    matrix = sparse.csr_matrix((data, (row_of, column_of)), shape=(len(rhs), len(unknowns)))
    return _ReaderModel(unknowns, index, matrix, np.array(rhs, dtype=float), row_of_relation, lower, upper)


def value_range(
    key: tuple,
    values: dict,
    relations: list[Relation],
    hidden,
    bounds: Bounds | None = None,
    unpublished: frozenset = frozenset(),
    *,
    integral: bool = True,
    members: dict | None = None,
) -> tuple[float, float]:
    """The least and greatest whole value a hidden cell can take, by integer programming, given every
    published cell and sum, the bounds the published structure implies (a listed row has at least one
    case; a host's cases lie within its spokes x caseload_min..caseload_max) and that counts are whole.

    `hidden` and `unpublished` cells are the unknowns (unpublished: figures never shown but tied to
    shown ones, such as an area's demand, known only by the map's band). Only the relations tied to
    `key` through unknown cells matter, so only they are solved. `integral=False`: the linear
    relaxation, whose range contains the integer one. Greatest is inf when unbounded.
    """
    model = _reader_model(
        key,
        values,
        relations,
        hidden,
        bounds or {},
        unpublished,
        members if members is not None else relation_index(relations),
    )
    objective = np.zeros(len(model.unknowns))
    objective[model.index[key]] = 1.0
    constraints = [LinearConstraint(model.matrix, model.rhs, model.rhs)] if len(model.rhs) else []
    integrality = np.full(len(model.unknowns), 1 if integral else 0, dtype=np.int_)  # 1: integer
    box = Bounds_(model.lower, model.upper)
    low = milp(objective, constraints=constraints, integrality=integrality, bounds=box)
    if low.status != 0:  # infeasible (the figures disagree) or no answer: nothing to learn from them
        return -math.inf, math.inf
    high = milp(-objective, constraints=constraints, integrality=integrality, bounds=box)
    greatest = math.inf if high.status != 0 else -high.fun  # 3: unbounded above
    return low.fun, greatest


def _levers(
    key: tuple,
    values: dict,
    relations: list[Relation],
    hidden,
    bounds: Bounds,
    unpublished: frozenset,
    members: dict,
    candidates: list,
) -> list:
    """The shown cells among `candidates` whose hiding moves `key`'s least or greatest value in the
    linear relaxation, to first order: from the duals of the two relaxations (one solve each, instead
    of one pair per candidate). A reader's equation loses a known constant; the objective moves by
    the sum of the duals of the candidate's relations. Degenerate duals may miss a lever, so a caller
    falls back to trying each candidate."""
    model = _reader_model(key, values, relations, hidden, bounds, unpublished, members)
    if not len(model.rhs):
        return []
    objective = np.zeros(len(model.unknowns))
    objective[model.index[key]] = 1.0
    box = list(zip(model.lower, [None if u == np.inf else u for u in model.upper]))
    found = []
    for sense in (1.0, -1.0):  # least, then greatest
        result = linprog(sense * objective, A_eq=model.matrix, b_eq=model.rhs, bounds=box, method="highs")
        if result.status != 0:
            continue
        duals = result.eqlin.marginals
        for cell in candidates:
            slope = 0.0  # d(objective)/d(cell's value) when the cell becomes free
            for number in members.get(cell, ()):
                row = model.row_of_relation.get(number)
                if row is None:
                    continue
                total, parts = relations[number]
                sign = (1.0 if cell in parts else 0.0) - (1.0 if cell == total else 0.0)
                slope += -sign * duals[row]  # the cell's term moves from the constant to the unknowns
            least, greatest = bounds.get(cell, (0, None))
            room_down, room_up = values[cell] > least, greatest is None or values[cell] < greatest
            if (slope > 1e-9 and room_down) or (slope < -1e-9 and room_up):
                found.append(cell)
    return [cell for cell in candidates if cell in set(found)]


def suppress(
    values: dict,
    relations: list[Relation],
    threshold: int,
    protected: frozenset = frozenset(),
    bounds: Bounds | None = None,
    unpublished: frozenset = frozenset(),
) -> frozenset:
    """Primary suppression (1..threshold) plus secondary suppression, audited by integer programming.

    `values`: every figure (the published cells, and the `unpublished` ones a relation ties to them);
    `relations`: the published sums (a column and its total; demand = covered + unmet; a host's cases
    = its assignments); `bounds`: what the published structure tells a reader of each cell (default:
    at least 0). First, a relation with exactly one unknown cell would let a reader recover it by
    subtraction, so one more of its cells is hidden, repeatedly. Then every count of 1..threshold is
    audited: while integer programming over everything published pins it to fewer whole values than
    'c' allows (:func:`required_width`), one more cell near it is hidden: a cell of a relation it is
    in, else of a relation of a hidden cell tied to it, nearest first. The cell chosen is always the
    smallest non-zero cell not `protected` (totals shown as headline figures); a zero protects little
    (a zero total pins its parts), so it is hidden only after non-zero cells.

    `protected` cells (the grand totals) are never hidden while hiding other cells can keep the count
    from being worked out exactly (:func:`audit_target`): a count then keeps 'c''s range where the
    published rules and the shown totals allow it, and at least two possible values. A protected cell
    is hidden only when nothing else keeps a count from being pinned to one value, in which case the
    headline shows 'c' too. Hiding more only widens what a reader can infer, so a count once audited
    stays safe and one pass suffices. Last, a cell hidden only to protect others that the published
    figures pin to one value anyway is shown: a 'c' a reader can work out protects nothing.
    """
    bounds = bounds or {}
    published = [key for key in values if key not in unpublished]
    hidden = {key for key in published if 1 <= values[key] <= threshold}
    groups = [[key for key in [total, *parts] if key in values] for total, parts in relations]
    member_of = relation_index(relations)

    def reader_range(key, unknown_cells, integral: bool = True) -> tuple[float, float]:
        return value_range(
            key, values, relations, unknown_cells, bounds, unpublished, integral=integral, members=member_of
        )

    def unknown(key) -> bool:
        return key in hidden or key in unpublished

    def hide_one_more(group: list) -> bool:
        # Never a protected total here: whether one must go is the audit's decision (`target`), which
        # keeps it shown unless only hiding it keeps a count of 1..threshold from being pinned.
        others = sorted(
            (values[key] == 0, values[key], str(key)) for key in group if not unknown(key) and key not in protected
        )
        if not others:
            return False
        hidden.add(next(key for key in group if not unknown(key) and str(key) == others[0][2]))
        return True

    def close_groups() -> None:
        changed = True
        while changed:
            changed = False
            for group in groups:
                unknowns = [key for key in group if unknown(key)]
                # one unknown: recoverable by subtraction (an unpublished figure is not shown, so not hidden)
                if len(unknowns) == 1 and unknowns[0] not in unpublished and hide_one_more(group):
                    changed = True

    def widen_near(key, width: float, may_hide_protected: bool) -> bool:
        """Hide one more cell near `key`: in the relations nearest to it (breadth-first over hidden cells),
        the first cell the relaxation's duals point at (:func:`_levers`), in preference order (smallest
        non-zero, unprotected), whose hiding widens `key`'s range; if no single cell widens it (two
        together may), the first such cell anyway, else the first cell near it. Protected cells are
        candidates only when `may_hide_protected`. False if none is left."""
        seen_groups, seen_keys, frontier = set(), {key}, [key]
        while frontier:
            numbers = sorted({g for k in frontier for g in member_of.get(k, ()) if g not in seen_groups})
            candidates = sorted(
                {
                    c
                    for g in numbers
                    for c in groups[g]
                    if not unknown(c) and (may_hide_protected or c not in protected)
                },
                key=lambda c: (c in protected, values[c] == 0, values[c], str(c)),
            )
            if candidates:
                levers = _levers(key, values, relations, hidden, bounds, unpublished, member_of, candidates)
                for cell in levers:
                    hidden.add(cell)
                    least, greatest = reader_range(key, hidden)
                    if greatest - least > width + 1e-9:
                        return True
                    hidden.discard(cell)
                # No single cell widens it (two equations pin it, or whole numbers do): hide a cell one of
                # the equations pinning it rests on, so the next one can.
                hidden.add((levers or candidates)[0])
                return True
            seen_groups.update(numbers)
            frontier = [k for g in numbers for k in groups[g] if unknown(k) and k not in seen_keys]
            seen_keys.update(frontier)
        return False

    close_groups()
    everything_hidden = frozenset(published)

    def target(key) -> tuple[float, bool]:
        """(the width `key`'s range must reach, whether protected cells may be hidden for it):
        :func:`audit_target` of what the rules alone allow (every figure hidden) and of what they allow
        with the protected totals still shown (every other figure hidden)."""
        small = 1 <= values[key] <= threshold
        low, high = reader_range(key, everything_hidden)
        shown_totals = protected - hidden
        if shown_totals:
            kept_low, kept_high = reader_range(key, everything_hidden - shown_totals)
        else:
            kept_low, kept_high = low, high
        return audit_target(required_width(threshold) if small else 1, high - low, kept_high - kept_low, small)

    # A worklist: the counts of 1..threshold first, then every cell hidden on the way, each audited once.
    pending = sorted((k for k in published if 1 <= values[k] <= threshold), key=str)
    audited: set = set()
    while pending:
        key = pending.pop(0)
        if key in audited or key not in hidden:
            continue
        audited.add(key)
        width, may_hide_protected = target(key)
        while True:
            least, greatest = reader_range(key, hidden)
            if greatest - least >= width - 1e-9:
                break
            if width < 1 - 1e-9 or not widen_near(key, greatest - least, may_hide_protected):
                break  # the published rules alone pin it (caseload_min = caseload_max): nothing to hide
            close_groups()
        pending += sorted((k for k in hidden if k not in audited), key=str)
    # A cell hidden to protect another that the published figures and rules pin to one value hides
    # nothing (a reader works it out), so it is shown. Fixing a variable at its only possible value
    # leaves every other cell's range as it was, so what the audit established still holds.
    for key in sorted(hidden, key=str):
        if not 1 <= values[key] <= threshold:
            least, greatest = reader_range(key, hidden)
            if greatest - least < 1 - 1e-9:
                hidden.discard(key)
    return frozenset(hidden)


def audit_target(need: float, rules_width: float, with_totals_width: float, small: bool) -> tuple[float, bool]:
    """How wide a hidden cell's range must be, and whether a protected total may be hidden to get there.

    `need`: what 'c' promises (:func:`required_width` for a count of 1..threshold, `small`; 1, not
    pinned, for a cell hidden to protect another); `rules_width`: its range's width with every figure
    hidden (what the published rules alone allow: hiding cannot buy more); `with_totals_width`: with
    every figure hidden but the protected totals. The totals stay shown and the cell gets all the width
    they leave (up to `need`), unless it is a count of 1..threshold that the totals would pin to one
    value: then, and only then, a total may be hidden, for as much width as the rules allow. (A cell
    hidden only to protect another is no disclosure if the totals pin it: the count it protects is
    audited with every relation the cell is in.)
    """
    if rules_width < 1 - 1e-9:
        return rules_width, False  # the rules alone pin it: nothing to hide (the caller stops)
    if with_totals_width >= 1 - 1e-9 or not small:
        return min(need, rules_width, max(0.0, with_totals_width)), False
    return min(need, rules_width), True


def suppress_by_component(values: dict, relations: list[Relation], threshold: int, protected: frozenset) -> set:
    """`suppress` on each group of figures tied together by relations (networkx connected components):
    figures in different components share no equation, so the result is the same, with far smaller LPs."""
    graph: nx.Graph[Hashable] = nx.Graph()
    graph.add_nodes_from(values)
    for total, parts in relations:
        nx.add_path(graph, [total, *parts])
    owner = {key: index for index, component in enumerate(nx.connected_components(graph)) for key in component}
    by_component: dict[int, list[Relation]] = {}
    for relation in relations:
        by_component.setdefault(owner[relation[0]], []).append(relation)
    hidden = {key for key, value in values.items() if 1 <= value <= threshold and owner[key] not in by_component}
    for _component, own_relations in sorted(by_component.items()):
        keys = {k for total, parts in own_relations for k in (total, *parts)}
        hidden |= suppress({k: values[k] for k in keys}, own_relations, threshold, protected & keys)
    return hidden

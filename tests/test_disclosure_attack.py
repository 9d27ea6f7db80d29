"""Property tests that attack secondary suppression (reporting.disclosure.suppress): can a reader
recover a hidden cell?

For a random table with row and column totals, every published figure is a linear equation. For
each suppressed cell the attack solves two linear programmes (scipy) — the smallest and largest
value the cell can take given everything published and that counts are non-negative — and the
cell is recovered if they meet. Suppression must leave every hidden cell with a range.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from reporting.disclosure import suppress
from scoping.scenario.settings import DISCLOSURE_THRESHOLD
from tests.strategies import examples


def published_equations(table: list[list[int]], hidden: set):
    """Rows: the table's row and column sums (including the totals) as equations in hidden cells."""
    rows, cols = len(table), len(table[0])
    values = {(r, c): table[r][c] for r in range(rows) for c in range(cols)}
    for r in range(rows):
        values[(r, "T")] = sum(table[r])
    for c in range(cols):
        values[("T", c)] = sum(table[r][c] for r in range(rows))
    values[("T", "T")] = sum(map(sum, table))
    groups = [[(r, c) for c in [*range(cols), "T"]] for r in [*range(rows), "T"]]
    groups += [[(r, c) for r in [*range(rows), "T"]] for c in [*range(cols), "T"]]
    return values, groups


def recoverable_cells(values: dict, groups: list[list], hidden: set) -> list:
    unknowns = sorted(hidden, key=str)
    index = {key: i for i, key in enumerate(unknowns)}
    a_eq, b_eq = [], []
    for group in groups:
        # sum of the members equals twice... each group is "cells + total": members except the total sum to it
        total, members = group[-1], group[:-1]
        row = [0.0] * len(unknowns)
        rhs = 0.0
        for key in members:
            if key in index:
                row[index[key]] += 1
            else:
                rhs -= values[key]
        if total in index:
            row[index[total]] -= 1
        else:
            rhs += values[total]
        if any(row):
            a_eq.append(row)
            b_eq.append(rhs)
    found = []
    for key in unknowns:
        objective = [0.0] * len(unknowns)
        objective[index[key]] = 1.0
        low = linprog(objective, A_eq=a_eq or None, b_eq=b_eq or None, bounds=(0, None), method="highs")
        high = linprog([-x for x in objective], A_eq=a_eq or None, b_eq=b_eq or None, bounds=(0, None), method="highs")
        if low.status == 0 and high.status == 0 and abs(low.fun + high.fun) < 1e-6:
            found.append((key, values[key]))
    return found


tables = st.integers(2, 4).flatmap(
    lambda rows: st.integers(2, 4).flatmap(
        lambda cols: st.lists(st.lists(st.integers(0, 40), min_size=cols, max_size=cols), min_size=rows, max_size=rows)
    )
)


@settings(max_examples=examples(150))
@given(tables)
def test_no_suppressed_cell_can_be_recovered_from_the_totals(table):
    values, groups = published_equations(table, set())
    relations = [(group[-1], group[:-1]) for group in groups]  # each group ends with its total
    hidden = suppress(values, relations, DISCLOSURE_THRESHOLD)
    # primary suppression happened wherever a count was 1..5
    assert {k for k, v in values.items() if 1 <= v <= DISCLOSURE_THRESHOLD} <= hidden
    assert recoverable_cells(values, groups, hidden) == []


def test_the_attack_does_find_an_unprotected_cell():
    """The attacker is real: with primary suppression only, a lone hidden cell is recovered."""
    table = [[3, 20], [30, 40]]
    values, groups = published_equations(table, set())
    primary_only = {(0, 0)}
    assert recoverable_cells(values, groups, primary_only) == [((0, 0), 3)]


# --- whole numbers and the bounds a plan's files imply (issue #19 item 6) ------------------------


def integer_ranges(values: dict, relations: list, hidden, bounds: dict) -> dict:
    """Independent oracle: each hidden cell's least and greatest whole value (scipy milp) given every
    shown cell and sum, the bounds, and that counts are whole."""
    import math

    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    unknowns = sorted(hidden, key=str)
    index = {key: i for i, key in enumerate(unknowns)}
    rows, rhs = [], []
    for total, parts in relations:
        row, constant = np.zeros(len(unknowns)), 0.0
        for key, sign in [(total, -1.0), *[(part, 1.0) for part in parts]]:
            if key in index:
                row[index[key]] += sign
            else:
                constant += sign * values[key]
        if row.any():
            rows.append(row)
            rhs.append(-constant)
    box = Bounds(
        [bounds.get(k, (0, None))[0] for k in unknowns],
        [math.inf if bounds.get(k, (0, None))[1] is None else bounds[k][1] for k in unknowns],
    )
    constraint = [LinearConstraint(np.array(rows), rhs, rhs)] if rows else []
    found = {}
    for key in unknowns:
        objective = np.zeros(len(unknowns))
        objective[index[key]] = 1
        low = milp(objective, constraints=constraint, integrality=np.ones(len(unknowns)), bounds=box)
        high = milp(-objective, constraints=constraint, integrality=np.ones(len(unknowns)), bounds=box)
        assert low.status == 0
        found[key] = (low.fun, math.inf if high.status != 0 else -high.fun)
    return found


@st.composite
def plan_tables(draw):
    """Hosts with 1 or 2 spokes carrying 10..12 cases each, split over 1-4 listed assignment rows (each
    at least 1) in 2-3 authorities; the published sums: per host, per authority, and the total."""
    values, relations, bounds = {}, [], {}
    authorities = [f"A{i}" for i in range(draw(st.integers(2, 3)))]
    by_authority = {a: [] for a in authorities}
    for h in range(draw(st.integers(1, 4))):
        spokes = draw(st.integers(1, 2))
        cases = draw(st.integers(10 * spokes, 12 * spokes))
        parts = draw(st.integers(1, 4))
        cuts = sorted(draw(st.lists(st.integers(1, cases - 1), min_size=parts - 1, max_size=parts - 1, unique=True)))
        sizes = [b - a for a, b in zip([0, *cuts], [*cuts, cases])]
        keys = []
        for j, size in enumerate(sizes):
            key = ("assignment", h, j)
            values[key], bounds[key] = size, (1, None)
            by_authority[draw(st.sampled_from(authorities))].append(key)
            keys.append(key)
        values[("host", h)], bounds[("host", h)] = cases, (10 * spokes, 12 * spokes)
        relations.append((("host", h), keys))
    for a, keys in by_authority.items():
        values[("covered", a)] = sum(values[k] for k in keys)
        relations.append((("covered", a), keys))
    values[("covered", "TOTAL")] = sum(values[("covered", a)] for a in authorities)
    relations.append((("covered", "TOTAL"), [("covered", a) for a in authorities]))
    relations.append((("covered", "TOTAL"), [("host", h) for h in range(len([k for k in values if k[0] == "host"]))]))
    return values, relations, bounds


@settings(max_examples=examples(40), deadline=None)
@given(plan_tables())
def test_no_hidden_count_is_pinned_with_whole_numbers_and_the_plans_bounds(tables):
    from reporting.disclosure import required_width

    values, relations, bounds = tables
    total = ("covered", "TOTAL")
    hidden = suppress(values, relations, DISCLOSURE_THRESHOLD, frozenset({total}), bounds)
    assert {k for k, v in values.items() if 1 <= v <= DISCLOSURE_THRESHOLD} <= hidden
    ranges = integer_ranges(values, relations, hidden, bounds)
    widest = integer_ranges(values, relations, frozenset(values), bounds)  # what the rules alone allow
    # ... and with the grand total shown: issue #17 keeps it unless only hiding it keeps a count unpinned
    with_total = integer_ranges(values, relations, frozenset(values) - {total}, bounds)
    pinned_by_total = []
    for key, (low, high) in ranges.items():
        allowed = widest[key][1] - widest[key][0]
        if not 1 <= values[key] <= DISCLOSURE_THRESHOLD:
            assert high > low, key  # a cell hidden to protect others that a reader could work out is shown
            continue
        if allowed < 1:
            continue  # the published rules alone pin it: nothing to hide
        kept = with_total[key][1] - with_total[key][0]
        if kept < 1:
            pinned_by_total.append(key)
            assert high - low >= min(required_width(DISCLOSURE_THRESHOLD), allowed), (key, (low, high))
        else:
            assert high - low >= min(required_width(DISCLOSURE_THRESHOLD), allowed, kept), (key, (low, high))
    # the grand total is hidden only when, shown, it would pin a count of 1..threshold
    assert (total in hidden) == (bool(pinned_by_total) or 1 <= values[total] <= DISCLOSURE_THRESHOLD)


def test_the_integer_attack_finds_what_the_linear_one_misses():
    """A host of one spoke (10..12 cases) with rows 9, 1, 1, 1: by linear programming over counts >= 0
    each 1 could be 0 to 3; with whole numbers and listed rows >= 1 each is exactly 1 (issue #19)."""
    values = {("a", 1): 9, ("a", 2): 1, ("a", 3): 1, ("a", 4): 1, ("host",): 12}
    relations = [(("host",), [("a", 1), ("a", 2), ("a", 3), ("a", 4)])]
    bounds = {("a", i): (1, None) for i in range(1, 5)} | {("host",): (10, 12)}
    primary_and_host = {("a", 2), ("a", 3), ("a", 4), ("host",)}
    assert all(
        high - low == 0
        for low, high in integer_ranges(values, relations, primary_and_host, bounds).values()
        if high < 5
    )
    hidden = suppress(values, relations, DISCLOSURE_THRESHOLD, frozenset(), bounds)
    assert ("a", 1) in hidden
    assert all(
        high - low >= 3
        for key, (low, high) in integer_ranges(values, relations, hidden, bounds).items()
        if key != ("host",)
    )

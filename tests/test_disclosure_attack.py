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


tables = st.integers(2, 4).flatmap(lambda rows: st.integers(2, 4).flatmap(
    lambda cols: st.lists(st.lists(st.integers(0, 40), min_size=cols, max_size=cols), min_size=rows, max_size=rows)))


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

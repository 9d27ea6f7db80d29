"""Disclosure control for counts that leave the program (DESIGN.md "Disclosure control").

England's children's social care statistics convention: a count from 1 to `threshold`
(5 by default) inclusive is shown as ``c``; ``:`` means not available and ``z`` not applicable.
Zero is shown as 0. Plan internals (plan.json cases) are exact and not passed through here.
"""

from __future__ import annotations

SUPPRESSED = "c"
NOT_AVAILABLE = ":"
NOT_APPLICABLE = "z"
DEFAULT_THRESHOLD = 5


def disclose(count: int | float | None, threshold: int = DEFAULT_THRESHOLD, *, applicable: bool = True) -> str:
    """The published form of one count: 'c' for 1..threshold, ':' for None, 'z' if not applicable."""
    if not applicable:
        return NOT_APPLICABLE
    if count is None:
        return NOT_AVAILABLE
    value = int(round(count))
    if 1 <= value <= threshold:
        return SUPPRESSED
    return f"{value:,}"


def suppressed_cells(values: dict, groups: list[list], threshold: int = DEFAULT_THRESHOLD) -> set:
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

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

"""Cells a spreadsheet opens safely: text that Excel or LibreOffice would run as a formula (starting
with =, +, -, @, a tab or a carriage return) is neutralised. In a CSV file that is a leading apostrophe
(CSV has no other way); in an xlsx cell it is the cell's quote-prefix style and a text cell type, so
Excel shows the text as typed, with no apostrophe (:func:`neutralise_cell`).
"""

from __future__ import annotations

import csv
import io
from typing import Any, Iterable, Sequence

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def spreadsheet_safe(value: Any) -> Any:
    """Neutralise text that a spreadsheet would evaluate as a formula (CSV: a leading apostrophe)."""
    if looks_like_formula(value):
        return "'" + value
    return value


def neutralise_cell(cell: Any) -> None:
    """An openpyxl cell holding text that looks like a formula: stored as text (openpyxl would write a
    formula) with Excel's quote-prefix style, which shows the text as it is and never evaluates it."""
    if looks_like_formula(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")

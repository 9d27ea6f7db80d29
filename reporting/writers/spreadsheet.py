"""Cells a spreadsheet opens safely: text that Excel or LibreOffice would run as a formula (starting
with =, +, -, @, a tab or a carriage return) is neutralised. In a CSV file that is a leading apostrophe
(CSV has no other way); in an xlsx cell it is the cell's quote-prefix style and a text cell type, so
Excel shows the text as typed, with no apostrophe (:func:`neutralise_cell`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

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


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], marking: str | None = None) -> bytes:
    """A CSV table; with a protective `marking` (the internal pack, issue #17), a last column
    `classification` holding it on every row.

    Why a column: a first-line comment would break every CSV reader (pandas, csv.DictReader and Excel
    would take it for the header row), and a note in a file beside it (README.txt) stays behind when the
    file is copied or mailed on its own; a column travels with every row, shows in a spreadsheet beside
    the figures, and readers that pick columns by name, or by position among the existing ones (it is
    last), read the table as before."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*header, *([CLASSIFICATION_COLUMN] if marking else [])])
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row] + ([marking] if marking else []))
    return buffer.getvalue().encode("utf-8")


CLASSIFICATION_COLUMN = "classification"

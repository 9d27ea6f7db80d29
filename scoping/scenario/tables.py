"""Reading one CSV input file into validated rows, with every problem located by line and column.

The reader is strict about the things that silently corrupt a plan when a spreadsheet is saved
the wrong way: Excel workbooks renamed .csv, UTF-16 or other non-UTF-8 text, semicolon-separated
files, ragged rows, unknown or person-level columns. A UTF-8 byte-order mark (what Excel's
"CSV UTF-8" writes) is accepted.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from common.errors import COLUMN_CHARACTERS, InputError, Problem, shown
from common.files import MAX_INPUT_BYTES, read_input_bytes
from scoping.scenario.schemas import PERSONAL_COLUMN_PATTERN, describe_expectation

RowModel = TypeVar("RowModel", bound=BaseModel)

MAX_ROWS = 500_000
MAX_FILE_BYTES = MAX_INPUT_BYTES


@dataclass(frozen=True)
class Row(Generic[RowModel]):
    """A validated row and the line it came from (for later cross-file messages)."""

    line: int
    value: RowModel
    notes: tuple[tuple[str, str], ...] = ()  # the row's x_ columns, kept as user notes


@dataclass(frozen=True)
class Table(Generic[RowModel]):
    file: str  # as shown in messages
    columns: tuple[str, ...]
    rows: tuple[Row[RowModel], ...]


def decode_csv_bytes(raw: bytes, file: str) -> tuple[str | None, list[Problem]]:
    """The text of a CSV file's bytes, or the problems (Excel workbook, UTF-16, not UTF-8)."""
    if raw[:4] == b"PK\x03\x04" or raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return None, [
            Problem(
                file,
                1,
                "-",
                "this is an Excel workbook, not a CSV file; open it in Excel and save as 'CSV UTF-8 (comma delimited)'",
            )
        ]
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None, [
            Problem(file, 1, "-", "this file is UTF-16 text; expected UTF-8 (save as 'CSV UTF-8 (comma delimited)')")
        ]
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        byte = raw[err.start : err.start + 1].hex()
        return None, [
            Problem(
                file,
                line,
                "-",
                f"byte 0x{byte} is not UTF-8 text; expected UTF-8 (save as 'CSV UTF-8 (comma delimited)')",
            )
        ]


def read_csv_records(
    path: Path, file: str, within: str | Path | None = None
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line, cells) records of a UTF-8 CSV read through the safe reader (common.files:
    regular files only, size-capped, confined to `within`); blank rows skipped; raises InputError on
    unreadable or malformed files. The importers (EES, ONS, router matrices) read their files with it."""
    text, problems = decode_csv_bytes(read_input_bytes(path, file, within=within, what="CSV file"), file)
    if text is None:
        raise InputError(problems)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip() for cell in next(reader, [])]
        records = [(reader.line_num, record) for record in reader if any(cell.strip() for cell in record)]
    except csv.Error as error:
        raise InputError([Problem(file, reader.line_num, "-", f"not a well-formed CSV file: {error}")]) from error
    if not any(header):
        raise InputError([Problem(file, 1, "-", "file is empty; expected a header row")])
    return header, records


def _header_problems(file: str, header: list[str], model: type[BaseModel]) -> list[Problem]:
    problems: list[Problem] = []
    known = {field.alias or name for name, field in model.model_fields.items()}  # as written in the file
    required = getattr(model, "required_columns", ())
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        separator = "';'" if ";" in header[0] else "tabs"
        return [
            Problem(
                file,
                1,
                "-",
                f"columns are separated by {separator}; expected commas (expected columns: {', '.join(required)})",
            )
        ]
    seen: set[str] = set()
    header = [name[:COLUMN_CHARACTERS] for name in header]  # a column name is quoted in messages
    for position, name in enumerate(header, start=1):
        if not name:
            problems.append(Problem(file, 1, f"column {position}", "header is empty; every column needs a name"))
            continue
        if name in seen:
            problems.append(Problem(file, 1, name, "column appears twice in the header"))
        seen.add(name)
        if PERSONAL_COLUMN_PATTERN.search(name):
            problems.append(
                Problem(
                    file,
                    1,
                    name,
                    "looks like person-level data; spokeplan works on aggregate counts only: remove this column",
                )
            )
        elif name not in known and not name.startswith("x_"):
            problems.append(
                Problem(
                    file,
                    1,
                    name,
                    f"unknown column; expected one of {', '.join(sorted(known))} (or a note column starting with x_)",
                )
            )
    for name in required:
        if name not in seen:
            problems.append(Problem(file, 1, name, "required column is missing"))
    return problems


def _row_problems(file: str, line: int, error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        column = str(item["loc"][0]) if item["loc"] else "-"
        message = item["msg"].removeprefix("Value error, ")
        if column == "-" and (item.get("ctx") or {}).get("column"):
            column = item["ctx"]["column"]  # a check across columns that names the column at fault
        elif column == "-" and ("location" in message or "postcode" in message):
            column = "postcode"
        expectation = describe_expectation(item["type"], item.get("ctx"))
        if item["type"] == "missing":
            message = "is required and empty"
        elif expectation:
            message = f"{expectation}, got {shown(item['input'])}"
        problems.append(Problem(file, line, column, message))
    return problems


def read_table(
    path: Path, model: type[RowModel], file: str | None = None, *, within: Path | None = None
) -> tuple[Table[RowModel] | None, list[Problem]]:
    """Read and validate `path` against `model`. Returns (table or None, problems).

    The file is read through common.files.read_input_bytes (a regular file, readable, under the
    size cap, inside `within` once links are followed)."""
    file = file or path.name
    try:
        raw = read_input_bytes(path, file, within=within, limit=MAX_FILE_BYTES, what="CSV file")
    except InputError as error:
        return None, list(error.problems)
    return parse_table(raw, model, file)


def parse_table(raw: bytes, model: type[RowModel], file: str) -> tuple[Table[RowModel] | None, list[Problem]]:
    """Validate a CSV file's bytes against `model`. Returns (table or None, problems)."""
    text, problems = decode_csv_bytes(raw, file)
    if text is None:
        return None, problems
    if "\x00" in text:
        return None, [
            Problem(
                file, text[: text.index("\x00")].count("\n") + 1, "-", "contains NUL bytes; this is not a text CSV file"
            )
        ]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            required = ", ".join(getattr(model, "required_columns", ()))
            return None, [Problem(file, 1, "-", f"file is empty; expected a header row with {required}")]
        header = [cell.strip() for cell in header]
        problems = _header_problems(file, header, model)
        if problems:
            return None, problems
        rows: list[Row[RowModel]] = []
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue  # blank line
            if len(rows) >= MAX_ROWS:
                return None, [Problem(file, line, "-", f"more than {MAX_ROWS} rows; is this the right file?")]
            if len(record) != len(header):
                problems.append(
                    Problem(
                        file,
                        line,
                        "-",
                        f"row has {len(record)} fields but the header has "
                        f"{len(header)}; check for a missing or extra comma",
                    )
                )
                continue
            values = {name: cell.strip() for name, cell in zip(header, record) if not name.startswith("x_")}
            notes = tuple((name, cell) for name, cell in zip(header, record) if name.startswith("x_"))
            data = {name: value for name, value in values.items() if value != ""}
            try:
                rows.append(Row(line, model.model_validate(data), notes))
            except ValidationError as error:
                problems.extend(_row_problems(file, line, error))
    except csv.Error as error:
        return None, problems + [Problem(file, reader.line_num, "-", f"not a well-formed CSV file: {error}")]
    return Table(file, tuple(header), tuple(rows)), problems

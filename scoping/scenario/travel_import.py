"""Routed travel times from real routers, into the scenario's ``travel_times.csv`` form.

``travel_times.csv`` has the columns ``from_id``, ``to_id``, ``minutes`` (whole minutes, 0-1440) and
optionally ``mode`` (``car`` or ``public_transport``) and ``source`` (``measured`` or ``routed``):
times that replace the estimate for the pairs they list (:func:`scoping.scenario.travel.apply_measured`).
An import writes ``source`` = ``routed`` and the mode the router was asked for. Three inputs:

* **OSRM ``table`` service JSON** (``format="osrm"``): ``{"code": "Ok", "durations": [[...]],
  "sources": [...], "destinations": [...]}`` as the osrm-backend HTTP API documents it
  (docs/http.md, "Table service"): ``durations[i][j]`` is the time in **seconds** from the i-th
  source to the j-th destination, ``null`` where no route was found. The waypoints carry only the
  snapped street ``name`` and ``location``, so the caller gives the ids in the order the
  coordinates were sent (``source_ids`` / ``destination_ids``, e.g. from a CSV with an ``id``
  column); without them the waypoint names are used, and must then be non-empty and distinct.
  Cells listed in ``fallback_speed_cells`` (requests with ``fallback_speed``) are the router's own
  crow-fly estimates, not routes: they are left out like unreachable pairs and returned in
  ``RouterImport.router_estimates``.
* **r5py / OpenTripPlanner travel-time matrix CSV** (``format="r5py"``): long form as
  ``r5py.TravelTimeMatrix`` writes it (``to_csv``): ``from_id``, ``to_id``, ``travel_time`` in
  **minutes**, empty (NaN) where no connection was found within ``max_time``; with non-default
  percentiles the time column is ``travel_time_p{NN}`` (give ``time_column`` if there are several).
  A leading unnamed index column (``to_csv`` with the index) is ignored.
* **plain CSV** (``format="csv"``): ``from_id``, ``to_id``, ``minutes``.

Times are rounded half up to whole minutes (89.5 -> 90). Pairs without a route are not written:
they are returned in ``RouterImport.unreachable`` for the caller to report (the estimate then
applies to them). Every problem is collected and raised together as an
:class:`~common.errors.InputError` with file, line and column, before anything is written.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from common.errors import InputError, Problem
from scoping.scenario.schemas import ID_PATTERN, TRAVEL_MODES
from scoping.scenario.schemas import ROUTER_FORMATS as FORMATS
from scoping.scenario.tables import read_csv_records
from scoping.scenario.travel_estimate import whole_minutes

MAX_MINUTES = 1440  # travel_times.csv bound (scoping/scenario/schemas.py TravelTimeRow.minutes)
ROUTED = "routed"
R5PY_PERCENTILE_COLUMN = re.compile(r"^travel_time_p\d{1,2}$")
NO_ROUTE = frozenset({"", "nan", "NaN", "NA", "null", "None"})


@dataclass(frozen=True)
class RoutedTime:
    from_id: str
    to_id: str
    minutes: int


@dataclass(frozen=True)
class RouterImport:
    """Routed times in travel_times.csv form, and the pairs the router found no route for."""

    times: tuple[RoutedTime, ...]
    unreachable: tuple[tuple[str, str], ...]
    router_estimates: tuple[tuple[str, str], ...] = ()  # OSRM fallback_speed_cells: crow-fly, not routed


def _minutes_problem(value: float, unit: str) -> str | None:
    if not math.isfinite(value):
        return f"expected a number of {unit}, not {value}"
    if value < 0:
        return f"expected a non-negative number of {unit}, not {value:g}"
    minutes = value / 60.0 if unit == "seconds" else value
    if whole_minutes(minutes) > MAX_MINUTES:
        return (
            f"{value:g} {unit} is more than {MAX_MINUTES} minutes (a day); travel_times.csv holds at most {MAX_MINUTES}"
        )
    return None


# ---------------------------------------------------------------------------------------------
# CSV inputs
# ---------------------------------------------------------------------------------------------


def _long_form(path: Path, file: str, time_column: str | None, fmt: str) -> RouterImport:
    header, records = read_csv_records(path, file)
    problems: list[Problem] = []
    if fmt == "r5py":
        candidates = [name for name in header if name == "travel_time" or R5PY_PERCENTILE_COLUMN.match(name)]
        if time_column is None:
            if len(candidates) == 1:
                time_column = candidates[0]
            elif not candidates:
                problems.append(
                    Problem(
                        file,
                        1,
                        "travel_time",
                        "required column is missing (r5py writes from_id, to_id, travel_time in minutes)",
                    )
                )
            else:
                problems.append(
                    Problem(
                        file,
                        1,
                        candidates[0],
                        f"several travel-time columns ({', '.join(candidates)}); choose one (time_column)",
                    )
                )
        elif time_column not in header:
            problems.append(Problem(file, 1, time_column, "the chosen travel-time column is missing"))
    else:
        time_column = "minutes"
        if "minutes" not in header:
            problems.append(Problem(file, 1, "minutes", "required column is missing (from_id, to_id, minutes)"))
    for name in ("from_id", "to_id"):
        if name not in header:
            problems.append(Problem(file, 1, name, "required column is missing"))
    duplicated = sorted({name for name in header if name and header.count(name) > 1})
    problems += [Problem(file, 1, name, "column appears more than once") for name in duplicated]
    if problems:
        raise InputError(problems)
    assert time_column is not None  # chosen above, or a problem was raised
    index = {name: header.index(name) for name in ("from_id", "to_id", time_column)}
    times: list[RoutedTime] = []
    unreachable: list[tuple[str, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for line, record in records:
        if len(record) != len(header):
            problems.append(Problem(file, line, "-", f"row has {len(record)} fields but the header has {len(header)}"))
            continue
        from_id, to_id = record[index["from_id"]].strip(), record[index["to_id"]].strip()
        text = record[index[time_column]].strip()
        row_problems = [
            Problem(file, line, name, "is empty; expected a place id")
            for name, value in (("from_id", from_id), ("to_id", to_id))
            if not value
        ]
        if from_id and to_id and (from_id, to_id) in seen:
            row_problems.append(
                Problem(
                    file,
                    line,
                    "to_id",
                    f"pair {from_id} -> {to_id} is listed twice (also on line {seen[(from_id, to_id)]})",
                )
            )
        value: float | None = None
        if text in NO_ROUTE:
            if fmt != "r5py":
                row_problems.append(Problem(file, line, time_column, "is empty; expected whole minutes"))
        else:
            try:
                value = float(text)
            except ValueError:
                row_problems.append(Problem(file, line, time_column, f"expected a number of minutes, not {text!r}"))
            else:
                wrong = _minutes_problem(value, "minutes")
                if wrong:
                    row_problems.append(Problem(file, line, time_column, wrong))
        if row_problems:
            problems += row_problems
            continue
        seen[(from_id, to_id)] = line
        if value is None:
            unreachable.append((from_id, to_id))
        else:
            times.append(RoutedTime(from_id, to_id, whole_minutes(value)))
    if problems:
        raise InputError(problems)
    return RouterImport(tuple(times), tuple(unreachable))


def read_r5py_csv(path: str | Path, time_column: str | None = None, file: str | None = None) -> RouterImport:
    """An r5py / OpenTripPlanner travel-time matrix CSV (from_id, to_id, travel_time in minutes)."""
    path = Path(path)
    return _long_form(path, file or path.name, time_column, "r5py")


def read_plain_csv(path: str | Path, file: str | None = None) -> RouterImport:
    """A plain from_id, to_id, minutes CSV."""
    path = Path(path)
    return _long_form(path, file or path.name, None, "csv")


def read_id_list(path: str | Path, file: str | None = None) -> list[str]:
    """Ids in file order from a CSV with an ``id`` column (the order the coordinates were sent)."""
    path = Path(path)
    file = file or path.name
    header, records = read_csv_records(path, file)
    if "id" not in header:
        raise InputError(
            [
                Problem(
                    file,
                    1,
                    "id",
                    "required column is missing (one id per row, in the order the coordinates were sent to the router)",
                )
            ]
        )
    column = header.index("id")
    problems: list[Problem] = []
    ids: list[str] = []
    first_line: dict[str, int] = {}
    for line, record in records:
        value = record[column].strip() if column < len(record) else ""
        if not value:
            problems.append(Problem(file, line, "id", "is empty; expected a place id"))
        elif value in first_line:
            problems.append(Problem(file, line, "id", f"{value} is listed twice (also on line {first_line[value]})"))
        else:
            first_line[value] = line
            ids.append(value)
    if problems:
        raise InputError(problems)
    return ids


# ---------------------------------------------------------------------------------------------
# OSRM table JSON
# ---------------------------------------------------------------------------------------------


def _durations_lines(text: str) -> dict[tuple[int, int], int]:
    """Line of each element of the ``durations`` array, by (row, column), for error messages."""
    found = re.search(r'"durations"\s*:\s*\[', text)
    if not found:
        return {}
    lines: dict[tuple[int, int], int] = {}
    depth, row, col, line = 1, -1, 0, text.count("\n", 0, found.end()) + 1
    expecting = False
    for char in text[found.end() :]:
        if char == "\n":
            line += 1
        if char == "[":
            depth += 1
            if depth == 2:
                row, col, expecting = row + 1, 0, True
        elif char == "]":
            depth -= 1
            if depth == 0:
                break
        elif char == "," and depth == 2:
            col, expecting = col + 1, True
        elif depth == 2 and expecting and not char.isspace():
            lines[(row, col)] = line
            expecting = False
    return lines


def _waypoint_ids(
    payload: dict, key: str, given: Sequence[str] | None, count: int, file: str, problems: list[Problem]
) -> list[str]:
    if given is not None:
        ids = [str(v) for v in given]
        if len(ids) != count:
            problems.append(
                Problem(
                    file,
                    0,
                    key,
                    f"{len(ids)} ids were given for {count} {key} in the table; "
                    "give one id per coordinate, in the order they were sent",
                )
            )
            return []  # no pair can be named; the durations are still checked
        return ids
    waypoints = payload.get(key)
    if not isinstance(waypoints, list) or len(waypoints) != count:
        problems.append(
            Problem(
                file,
                0,
                key,
                f"no ids: the file has no list of {count} {key} waypoints; give "
                "the ids in the order the coordinates were sent",
            )
        )
        return []
    names = [str(w.get("name", "")).strip() if isinstance(w, dict) else "" for w in waypoints]
    if any(not n for n in names) or len(set(names)) != len(names):
        problems.append(
            Problem(
                file,
                0,
                key,
                "waypoint names are empty or repeated (OSRM names the snapped "
                "street, not your place); give the ids in the order the coordinates were sent",
            )
        )
        return []
    return names


def read_osrm_table(
    path: str | Path,
    source_ids: Sequence[str] | None = None,
    destination_ids: Sequence[str] | None = None,
    file: str | None = None,
) -> RouterImport:
    """An OSRM ``table`` service response (durations in seconds)."""
    path = Path(path)
    file = file or path.name
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            [
                Problem(
                    file,
                    raw[: err.start].count(b"\n") + 1,
                    "-",
                    "not UTF-8 text; expected the JSON an OSRM table request returns",
                )
            ]
        ) from err
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError([Problem(file, err.lineno, "-", f"not valid JSON: {err.msg} (column {err.colno})")]) from err
    if not isinstance(payload, dict):
        raise InputError(
            [Problem(file, 1, "-", "expected a JSON object with code and durations (OSRM table response)")]
        )
    code = payload.get("code")
    if code != "Ok":
        message = payload.get("message", "")
        raise InputError(
            [
                Problem(
                    file, 1, "code", f"the router answered {code!r}{': ' + message if message else ''}; expected 'Ok'"
                )
            ]
        )
    durations = payload.get("durations")
    if not isinstance(durations, list) or not all(isinstance(row, list) for row in durations):
        raise InputError(
            [
                Problem(
                    file,
                    1,
                    "durations",
                    "missing or not a list of rows; request the table with annotations=duration (the default)",
                )
            ]
        )
    lines = _durations_lines(text)
    width = len(durations[0]) if durations else 0
    problems: list[Problem] = []
    sources = _waypoint_ids(payload, "sources", source_ids, len(durations), file, problems)
    destinations = _waypoint_ids(payload, "destinations", destination_ids, width, file, problems)
    fallback_cells = payload.get("fallback_speed_cells") or []
    if not isinstance(fallback_cells, list) or not all(
        isinstance(c, list) and len(c) == 2 and all(isinstance(k, int) for k in c) for c in fallback_cells
    ):
        problems.append(Problem(file, 1, "fallback_speed_cells", "expected a list of [row, column] index pairs"))
        fallback_cells = []
    fallback = {tuple(cell) for cell in fallback_cells}
    times: list[RoutedTime] = []
    unreachable: list[tuple[str, str]] = []
    estimated: list[tuple[str, str]] = []
    for i, row in enumerate(durations):
        if len(row) != width:
            problems.append(
                Problem(
                    file,
                    lines.get((i, 0), 1),
                    f"durations[{i}]",
                    f"row has {len(row)} values but the first row has {width}",
                )
            )
            continue
        for j, seconds in enumerate(row):
            where = lines.get((i, j), 1)
            column = f"durations[{i}][{j}]"
            if seconds is None:
                if sources and destinations:
                    unreachable.append((sources[i], destinations[j]))
                continue
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
                problems.append(Problem(file, where, column, f"expected a number of seconds or null, not {seconds!r}"))
                continue
            wrong = _minutes_problem(float(seconds), "seconds")
            if wrong:
                problems.append(Problem(file, where, column, wrong))
            elif sources and destinations and (i, j) in fallback:
                estimated.append((sources[i], destinations[j]))
            elif sources and destinations:
                times.append(RoutedTime(sources[i], destinations[j], whole_minutes(seconds / 60.0)))
    if problems:
        raise InputError(problems)
    return RouterImport(tuple(times), tuple(unreachable), tuple(estimated))


# ---------------------------------------------------------------------------------------------
# Dispatch and output
# ---------------------------------------------------------------------------------------------


def import_router_file(
    path: str | Path,
    fmt: str,
    source_ids: Sequence[str] | None = None,
    destination_ids: Sequence[str] | None = None,
    time_column: str | None = None,
    file: str | None = None,
) -> RouterImport:
    """Read a router's output in `fmt` ('osrm', 'r5py' or 'csv')."""
    if fmt == "osrm":
        return read_osrm_table(path, source_ids, destination_ids, file)
    if fmt == "r5py":
        return read_r5py_csv(path, time_column, file)
    if fmt == "csv":
        return read_plain_csv(path, file)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")


def id_problems(result: RouterImport, file: str) -> list[Problem]:
    """Ids a scenario cannot use (travel_times.csv ids are hub, host and area ids: letters, digits,
    '_', '.', '-', at most 64), one problem per distinct id."""
    pattern = re.compile(ID_PATTERN)
    bad = sorted({place for t in result.times for place in (t.from_id, t.to_id) if not pattern.match(place)})
    return [
        Problem(
            file,
            0,
            "-",
            f"{place[:60]!r} cannot be a scenario id (letters, digits, _ . - only, at most 64 "
            "characters); give the ids of your hubs, hosts and areas in the order the router was asked "
            "(--ids FILE)",
        )
        for place in bad
    ]


def travel_times_csv(result: RouterImport, mode: str) -> bytes:
    """travel_times.csv (from_id, to_id, minutes, mode, source = routed) of an import, sorted by pair."""
    if mode not in TRAVEL_MODES:
        raise ValueError(f"mode must be one of {', '.join(TRAVEL_MODES)}, not {mode!r}")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["from_id", "to_id", "minutes", "mode", "source"])
    writer.writerows(
        (t.from_id, t.to_id, t.minutes, mode, ROUTED) for t in sorted(result.times, key=lambda t: (t.from_id, t.to_id))
    )
    return buffer.getvalue().encode("utf-8")

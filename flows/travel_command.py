"""`spokeplan travel`: travel times between places, and routed times imported from a router.

    spokeplan travel PAIRS.csv --out OUT.csv [--scenario DIR]
    spokeplan travel import FILE --format osrm|r5py|csv --out travel_times.csv [--ids FILE]
                                 [--source-ids FILE --destination-ids FILE] [--mode car|public_transport]
                                 [--time-column NAME]

Both read and write small files, so they are plain functions the command line calls: no Prefect
flow and no server. The work is in scoping (:mod:`scoping.scenario.travel_table`,
:mod:`scoping.scenario.travel_import`); this module checks the arguments, writes the one output file
atomically (a failed run leaves the previous file untouched) and prints the summary; its arguments
are declared in flows/cli.py. Exit codes as
every command (DESIGN.md): 0 written, 2 bad input (``error: FILE:LINE: COLUMN: ...``, nothing
written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common.errors import InputError, Problem
from common.files import atomic_write_bytes
from reporting.writers.spreadsheet import csv_bytes
from scoping.scenario.schemas import ROUTER_DEFAULT_MODE, ROUTER_FORMATS
from scoping.scenario.travel import MODE_WORDS
from scoping.scenario.travel_import import id_problems, import_router_file, read_id_list, travel_times_csv
from scoping.scenario.travel_table import travel_table

EXIT_OK = 0
EXIT_BAD_INPUT = 2
IMPORT = "import"
IMPORT_ONLY = ("format", "ids", "source_ids", "destination_ids", "mode", "time_column")


def run_travel_command(args: argparse.Namespace) -> int:
    """Run either form of `spokeplan travel`; print its summary or its problems; return the exit code."""
    try:
        if args.pairs_csv == IMPORT:
            return _import(args)
        return _travel(args)
    except InputError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT


def _usage_error(message: str) -> int:
    print(f"spokeplan travel: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _output_path(out: str) -> Path:
    path = Path(out)
    if path.is_dir():
        raise InputError([Problem(out, 0, "-", "is a directory; expected the name of the file to write")])
    return path


def _travel(args: argparse.Namespace) -> int:
    given = [f"--{name.replace('_', '-')}" for name in IMPORT_ONLY if getattr(args, name) is not None]
    if args.import_file is not None or given:
        extra = ", ".join(([args.import_file] if args.import_file is not None else []) + given)
        return _usage_error(f"{extra}: only for `spokeplan travel import FILE --format ...`")
    out = _output_path(args.out)
    table = travel_table(args.pairs_csv, args.scenario)
    atomic_write_bytes(out, csv_bytes(table.header, (journey.cells() for journey in table.journeys)))
    car, bus = table.count("car"), table.count("public_transport")
    print(
        f"spokeplan: travel times for {len(table.journeys):,} journeys written to {out}\n"
        f"  car               {_counts_text(car)}\n"
        f"  public transport  {_counts_text(bus)}"
    )
    return EXIT_OK


def _pairs(count: int) -> str:
    return f"{count:,} pair" + ("" if count == 1 else "s")


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {source}" for source, n in counts.items())


def _import(args: argparse.Namespace) -> int:
    if args.import_file is None:
        return _usage_error("give the router's file: spokeplan travel import FILE --format osrm|r5py|csv --out OUT")
    if args.format is None:
        return _usage_error(f"--format is required with import (one of {', '.join(ROUTER_FORMATS)})")
    if args.scenario is not None:
        return _usage_error("--scenario is not used by import; check the written file with spokeplan validate")
    if args.format != "osrm" and (args.ids or args.source_ids or args.destination_ids):
        return _usage_error(
            "--ids, --source-ids and --destination-ids are for --format osrm (the other formats name their places)"
        )
    if args.ids and (args.source_ids or args.destination_ids):
        return _usage_error("give --ids, or --source-ids with --destination-ids, not both")
    if bool(args.source_ids) != bool(args.destination_ids):
        return _usage_error("--source-ids and --destination-ids go together")
    if args.time_column is not None and args.format != "r5py":
        return _usage_error("--time-column is for --format r5py")
    path = Path(args.import_file)
    if not path.is_file():
        raise InputError([Problem(args.import_file, 0, "-", "file not found; expected the router's output")])
    out = _output_path(args.out)
    sources = destinations = None
    if args.ids:
        sources = destinations = read_id_list(args.ids, args.ids)
    elif args.source_ids:
        sources, destinations = (
            read_id_list(args.source_ids, args.source_ids),
            read_id_list(args.destination_ids, args.destination_ids),
        )
    result = import_router_file(path, args.format, sources, destinations, args.time_column, file=args.import_file)
    problems = id_problems(result, args.import_file)
    if problems:
        raise InputError(problems)
    mode = args.mode or ROUTER_DEFAULT_MODE[args.format]
    atomic_write_bytes(out, travel_times_csv(result, mode))
    lines = [f"spokeplan: {len(result.times):,} routed times ({MODE_WORDS[mode]}) written to {out}"]
    if result.unreachable:
        lines.append(f"  {_pairs(len(result.unreachable))} without a route left out (the estimate applies to them)")
    if result.router_estimates:
        lines.append(
            f"  {_pairs(len(result.router_estimates))} with only the router's own crow-fly estimate "
            "(fallback_speed) left out"
        )
    print("\n".join(lines))
    return EXIT_OK

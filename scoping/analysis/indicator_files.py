"""The published indicator files a scoping run reads, and how to read each one.

Two places give them:

* a scenario's ``indicators/`` folder: every ``*.csv`` in it, recognised by its header as a DfE
  Explore Education Statistics (EES) tidy CSV or an ONS mid-year estimate
  (:func:`scoping.analysis.importers.sniff_kind`), and an optional ``indicators/filters.yaml``
  saying how to read an EES file whose layout needs it (the EES filter columns and the values to
  keep, and which indicator columns to read)::

      # indicators/filters.yaml
      c3_factors_identified_at_end_of_assessment_2018_to_2025.csv:
        filters:
          category: Factors identified at the end of assessment
        indicators: [Child_sexual_exploitation, Going_missing]
      cin_factors_long.csv:
        filters:
          assessment_factor: [Child sexual exploitation, Going missing]

* a store snapshot's ``ees`` and ``ons_population`` sources (``spokeplan scope --store``), each
  with the layout its SOURCES.yaml entry gave (recorded in the snapshot's manifest): see
  :mod:`scoping.store.snapshot_data`.

:func:`read_scoping_inputs` reads the files of either place, and ``neighbours.csv`` beside the
scenario, into :class:`~scoping.analysis.profiles.ScopingInputs`. Every problem is located
(``error: FILE:LINE: COLUMN: ...``); a filter column or value that a file does not have is
reported at its line in filters.yaml (or SOURCES.yaml).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import yaml

from common.errors import InputError, Problem, shown, yaml_line
from common.files import read_yaml
from scoping.analysis.benchmarks import NEIGHBOURS_FILE, read_neighbours
from scoping.analysis.importers import (
    LAYOUT_KEYS,
    EesLayout,
    IndicatorTable,
    Population,
    ees_layout,
    known_authority_codes,
    read_ees_csv,
    read_ons_population,
    sniff_kind,
)
from scoping.analysis.profiles import ScopingInputs
from scoping.scenario.loader import Scenario

INDICATORS_DIR = "indicators"
LAYOUT_FILE = "filters.yaml"  # beside the indicator files: how to read each EES file
KINDS = ("ees", "ons_population")
NOT_RECOGNISED = (
    "not a recognised indicator file: expected an EES tidy CSV (time_period, geographic_level, "
    "new_la_code, ...) or an ONS mid-year estimate by single year of age (code, name, 0 ... 90)"
)


@dataclass(frozen=True)
class IndicatorFile:
    """One published indicator file to read: where it is, what it is and how to read it."""

    path: Path
    kind: str  # "ees" or "ons_population"
    file: str  # as named in messages
    within: Path  # the folder it must stay in once links are followed (the scenario or the store)
    layout: EesLayout = EesLayout()


def _entry_line(root: yaml.Node | None, name: object, loc: tuple) -> int:
    """Line of `loc` inside the layout entry `name` of the file's node tree."""
    return yaml_line(root, (name, *loc))


def read_layouts(path: Path, folder: Path, names: Sequence[str]) -> dict[str, EesLayout]:
    """indicators/filters.yaml: the layout of each EES file it names. `names`: the CSV files of the
    folder (a layout for any other name is an error). Raises InputError, located."""
    file = str(path)
    root, data, _ = read_yaml(path, file, within=folder, what="indicator layout file")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(
            [
                Problem(
                    file,
                    1,
                    "-",
                    f"expected a mapping of indicator file name to its `filters` and `indicators`, got {shown(data)}",
                )
            ]
        )
    problems: list[Problem] = []
    layouts: dict[str, EesLayout] = {}
    for name, entry in data.items():
        line = yaml_line(root, (name,))
        if str(name) not in names:
            problems.append(
                Problem(
                    file,
                    line,
                    str(name)[:80],
                    f"no file {shown(name)} in {folder}; its CSV files: {', '.join(names) or 'none'}",
                )
            )
            continue
        if not isinstance(entry, dict):
            problems.append(
                Problem(
                    file,
                    line,
                    str(name),
                    f"expected `filters:` and/or `indicators:` under the file name, got {shown(entry)}",
                )
            )
            continue
        unknown = sorted(str(key) for key in entry if key not in LAYOUT_KEYS)
        problems += [
            Problem(file, yaml_line(root, (name, key)), key[:80], "unknown key; expected filters or indicators")
            for key in unknown
        ]
        layout, found = ees_layout(entry, file, partial(_entry_line, root, name))
        problems += found
        layouts[str(name)] = layout
    if problems:
        raise InputError(problems)
    return layouts


def folder_indicator_files(directory: Path) -> list[IndicatorFile]:
    """The indicator files of a scenario's indicators/ folder (none without the folder), each with
    its layout from indicators/filters.yaml. Raises InputError listing every problem."""
    folder = directory / INDICATORS_DIR
    if not folder.is_dir():
        return []
    paths = sorted(folder.glob("*.csv"))
    layout_path = folder / LAYOUT_FILE
    layouts = read_layouts(layout_path, folder, [p.name for p in paths]) if os.path.lexists(layout_path) else {}
    files: list[IndicatorFile] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            kind = sniff_kind(path, within=directory)
        except InputError as error:
            problems.extend(error.problems)
            continue
        if kind is None:
            problems.append(Problem(str(path), 1, "-", NOT_RECOGNISED))
            continue
        layout = layouts.get(path.name, EesLayout())
        if kind != "ees" and layout != EesLayout():
            problems.append(
                Problem(
                    str(layout_path),
                    layout.line,
                    path.name,
                    "filters and indicators apply to EES "
                    "files; this one is an ONS mid-year estimate (read as published)",
                )
            )
            continue
        files.append(IndicatorFile(path, kind, str(path), directory, layout))
    if problems:
        raise InputError(problems)
    return files


def read_indicator_files(
    files: Sequence[IndicatorFile], known_codes: Sequence[str]
) -> tuple[tuple[IndicatorTable, ...], dict[str, Population]]:
    """The EES tables and ONS populations of `files`. Raises InputError listing every problem."""
    tables: list[IndicatorTable] = []
    populations: dict[str, Population] = {}
    problems: list[Problem] = []
    for item in files:
        try:
            if item.kind == "ees":
                tables.append(read_ees_csv(item.path, known_codes, item.file, item.layout, within=item.within))
            else:
                populations.update(read_ons_population(item.path, known_codes, item.file, within=item.within))
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError(problems)
    return tuple(tables), populations


def read_scoping_inputs(scenario: Scenario, files: Sequence[IndicatorFile] | None = None) -> ScopingInputs:
    """The indicator files (`files`, else the scenario's indicators/ folder) and neighbours.csv of a
    scenario, read. Raises InputError listing every problem."""
    codes = [row.value.authority_code for row in scenario.authorities.rows]
    problems: list[Problem] = []
    tables: tuple[IndicatorTable, ...] = ()
    populations: dict[str, Population] = {}
    try:
        chosen = folder_indicator_files(scenario.directory) if files is None else files
        tables, populations = read_indicator_files(chosen, codes)
    except InputError as error:
        problems.extend(error.problems)
    neighbours = None
    neighbours_path = scenario.directory / NEIGHBOURS_FILE
    if os.path.lexists(neighbours_path):  # a dangling link is reported, not skipped
        try:
            neighbours = read_neighbours(neighbours_path, known_authority_codes(codes))
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError(problems)
    return ScopingInputs(tables, populations, neighbours)

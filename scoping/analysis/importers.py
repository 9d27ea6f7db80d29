"""Importers for the published shapes of the scoping indicators.

Two sources, read as their publishers lay them out, so a user can drop the downloaded file in:

* **DfE Explore Education Statistics (EES) tidy CSV** — the standard columns ``time_period``,
  ``time_identifier``, ``geographic_level``, ``country_code``, ``country_name``, ``region_code``,
  ``region_name``, ``new_la_code``, ``old_la_code``, ``la_name``, then one column per indicator
  (e.g. children-in-need assessments with child sexual exploitation as a factor, missing
  episodes). Rows at ``National`` level give England's figure, rows at ``Local authority`` level
  the authority's (keyed by ``new_la_code``); other levels (regions) are skipped. Suppression and
  availability symbols (``c``, ``x``, ``z``, ``:``, ``low``, ``k``, ``u`` and empty cells) become
  ``None``.
* **ONS mid-year population estimates by single year of age** in the published wide layout:
  a code column (``code``, ``ladcode``, ``ladcode21``...), a name column, optionally ``geography``
  and ``all_ages``, then one column per age ``0`` … ``90`` (``90+``; ``age_0`` and ``age 0``
  forms are accepted). Each row gives ``population_0_17`` (ages 0–17) and
  ``population_10_17`` (ages 10–17). Non-metropolitan districts (``E07``) are summed into their
  county when the file has no row for the county itself; regions and countries are skipped
  (England's row is kept as the national figure).

Codes that are not a known children's services authority (nor England, a region, a country or a
district) and numbers that do not parse are :class:`~common.errors.InputError` problems that name
the file, line and column, like every other input.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import InputError, Problem
from common.files import input_problem, read_input_bytes
from scoping.scenario.geocode import authority_for_district, authority_names
from scoping.scenario.tables import decode_csv_bytes

ENGLAND = "E92000001"
EES_STANDARD_COLUMNS = (
    "time_period", "time_identifier", "geographic_level", "country_code", "country_name",
    "region_code", "region_name", "new_la_code", "old_la_code", "la_name",
)
EES_REQUIRED_COLUMNS = ("time_period", "time_identifier", "geographic_level", "new_la_code", "la_name")
# GSS symbols used in EES and ONS files for values that are not published as numbers.
NOT_PUBLISHED = frozenset({"", "c", "x", "z", ":", "low", "k", "u", ".", ".."})
GSS_SHAPE = re.compile(r"^[EWSNK]\d{8}$")
# Prefixes of codes that are not children's services authorities but may appear in the files.
SKIPPED_PREFIXES = ("E12", "E92", "K02", "K03", "K04", "W92", "S92", "N92", "E13", "E11", "E47")
DISTRICT_PREFIXES = ("E07",)
AGE_COLUMN = re.compile(r"^(?:age[_ ]?)?(\d{1,2})(\+)?$", re.IGNORECASE)


def _read_csv(path: Path, file: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line, cells) records of a UTF-8 CSV; raises InputError on unreadable files."""
    text, problems = decode_csv_bytes(read_input_bytes(path, file, what="CSV file"), file)
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


def parse_published_number(text: str) -> float | None:
    """A published cell as a number: None for suppression symbols; ValueError for anything else."""
    cleaned = text.strip().replace(",", "")
    if cleaned.lower() in NOT_PUBLISHED:
        return None
    value = float(cleaned)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def known_authority_codes(extra: Iterable[str] = ()) -> frozenset[str]:
    """Upper-tier (children's services) authority codes of the 2021 lookup, plus `extra`."""
    return frozenset(authority_names()) | frozenset(extra)


def _code_problem(code: str, known: frozenset[str]) -> str | None:
    if not GSS_SHAPE.match(code):
        return f"{code!r} is not a GSS code; expected a code such as E06000057"
    if code in known or code.startswith(SKIPPED_PREFIXES):
        return None
    return f"{code} is not a known children's services authority code (2021 ONS lookup or authorities.csv)"


# ---------------------------------------------------------------------------------------------
# DfE Explore Education Statistics
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorValue:
    """One published figure: an indicator of an authority (or England) in one period."""

    authority_code: str
    period: str
    indicator: str
    value: float | None  # None: suppressed or not available
    line: int


@dataclass(frozen=True)
class IndicatorTable:
    """The figures of one EES file, by authority; England's national figures apart."""

    file: str
    indicators: tuple[str, ...]
    values: tuple[IndicatorValue, ...]
    names: dict[str, str] = field(default_factory=dict)  # authority code -> la_name

    def series(self, authority_code: str, indicator: str) -> list[tuple[str, float | None]]:
        """(period, value) for one authority and indicator, oldest period first."""
        return sorted((v.period, v.value) for v in self.values
                      if v.authority_code == authority_code and v.indicator == indicator)

    def latest(self, authority_code: str) -> dict[str, float | None]:
        """indicator -> value in the latest period the file gives for the authority."""
        result: dict[str, float | None] = {}
        for indicator in self.indicators:
            series = self.series(authority_code, indicator)
            if series:
                result[indicator] = series[-1][1]
        return result

    @property
    def authority_codes(self) -> tuple[str, ...]:
        return tuple(sorted({v.authority_code for v in self.values if v.authority_code != ENGLAND}))


def format_period(period: str) -> str:
    """EES periods as people write them: '202223' -> '2022/23', '2023' -> '2023'."""
    if re.fullmatch(r"\d{6}", period):
        return f"{period[:4]}/{period[4:]}"
    return period


def read_ees_csv(path: str | Path, known_codes: Iterable[str] = (), file: str | None = None,
                 filter_columns: Iterable[str] = ()) -> IndicatorTable:
    """Read an EES tidy CSV. Raises InputError listing every bad code and number.

    `filter_columns` names EES filter columns (e.g. ``assessment_factor``) whose value becomes
    part of the indicator name (``number: Child sexual exploitation``); every other non-standard
    column is an indicator and must hold numbers or suppression symbols.
    """
    path = Path(path)
    file = file or str(path)
    header, records = _read_csv(path, file)
    filters = tuple(filter_columns)
    problems = [Problem(file, 1, name, "required column is missing (EES tidy layout)")
                for name in EES_REQUIRED_COLUMNS if name not in header]
    problems += [Problem(file, 1, name, "filter column is missing") for name in filters if name not in header]
    if problems:
        raise InputError(problems)
    indicator_columns = [c for c in header if c not in EES_STANDARD_COLUMNS and c not in filters and c]
    if not indicator_columns:
        raise InputError([Problem(file, 1, "-", "no indicator columns after the standard EES columns")])
    known = known_authority_codes(known_codes)
    position = {name: index for index, name in enumerate(header)}
    values: list[IndicatorValue] = []
    names: dict[str, str] = {}
    for line, record in records:
        if len(record) != len(header):
            problems.append(Problem(file, line, "-", f"row has {len(record)} fields but the header has {len(header)}"))
            continue
        cell = {name: record[index].strip() for name, index in position.items()}
        level = cell["geographic_level"].lower()
        if level == "national":
            code = cell.get("country_code") or ENGLAND
            if code != ENGLAND:
                continue  # another nation's total
        elif level == "local authority":
            code = cell["new_la_code"]
            wrong = _code_problem(code, known)
            if wrong:
                problems.append(Problem(file, line, "new_la_code", wrong))
                continue
            names[code] = cell["la_name"]
        else:
            continue  # regional and other levels are not compared
        suffix = ": ".join(cell[name] for name in filters)
        for column in indicator_columns:
            try:
                number = parse_published_number(cell[column])
            except ValueError:
                problems.append(Problem(file, line, column, f"expected a number or a suppression symbol "
                                        f"(c, x, z, :, low), got {cell[column][:40]!r}"))
                continue
            indicator = f"{column}: {suffix}" if suffix else column
            values.append(IndicatorValue(code, cell["time_period"], indicator, number, line))
    if problems:
        raise InputError(problems)
    indicators = tuple(dict.fromkeys(v.indicator for v in values))
    return IndicatorTable(file, indicators, tuple(values), names)


# ---------------------------------------------------------------------------------------------
# ONS mid-year population estimates
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Population:
    """Children and young people of one authority (or England) in an ONS estimate."""

    authority_code: str
    name: str
    population_0_17: int
    population_10_17: int
    line: int  # the row (or, for a county summed from districts, its first district's row)


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _age_columns(header: list[str]) -> dict[int, int]:
    """age -> column index; '90+' counts as 90."""
    ages: dict[int, int] = {}
    for index, name in enumerate(header):
        match = AGE_COLUMN.match(name.strip())
        if match:
            ages[int(match.group(1))] = index
    return ages


def read_ons_population(path: str | Path, known_codes: Iterable[str] = (),
                        file: str | None = None) -> dict[str, Population]:
    """Read an ONS mid-year estimate (wide, single year of age): authority code -> Population.

    England's figure, when the file has it, is under ``E92000001``. Raises InputError.
    """
    path = Path(path)
    file = file or str(path)
    header, records = _read_csv(path, file)
    normalised = [_normalise(name) for name in header]
    code_index = next((i for i, name in enumerate(normalised)
                       if name in ("code", "ladcode", "lad_code", "area_code", "geography_code")
                       or re.fullmatch(r"(lad|ctyua|utla)\d{2}cd|ladcode\d{2}", name)), None)
    name_index = next((i for i, name in enumerate(normalised)
                       if name in ("name", "laname", "la_name", "area_name", "geography_name")
                       or re.fullmatch(r"(lad|ctyua|utla)\d{2}nm|laname\d{2}", name)), None)
    ages = _age_columns(header)
    problems = []
    if code_index is None:
        problems.append(Problem(file, 1, "code", "required column is missing (code, ladcode or ladcodeYY)"))
    missing_ages = [age for age in range(18) if age not in ages]
    if missing_ages:
        problems.append(Problem(file, 1, str(missing_ages[0]), "single-year age columns 0 to 17 are required "
                                "(ONS mid-year estimate layout: code, name, geography, all_ages, 0 ... 90)"))
    if problems:
        raise InputError(problems)
    known = known_authority_codes(known_codes)
    direct: dict[str, Population] = {}
    districts: dict[str, list[Population]] = {}
    for line, record in records:
        if len(record) != len(header):
            problems.append(Problem(file, line, "-", f"row has {len(record)} fields but the header has {len(header)}"))
            continue
        code = record[code_index].strip()  # type: ignore[index]
        name = record[name_index].strip() if name_index is not None else code
        is_district = code.startswith(DISTRICT_PREFIXES)
        if not (is_district and GSS_SHAPE.match(code)):
            wrong = _code_problem(code, known)
            if wrong:
                problems.append(Problem(file, line, header[code_index], wrong))  # type: ignore[index]
                continue
        counts: dict[int, int] = {}
        for age in range(18):
            text = record[ages[age]]
            try:
                number = parse_published_number(text)
                if number is None or number < 0 or number != int(number):
                    raise ValueError(text)
                counts[age] = int(number)
            except ValueError:
                problems.append(Problem(file, line, header[ages[age]],
                                        f"expected a whole number of people, got {text.strip()[:40]!r}"))
        if len(counts) < 18:
            continue
        population = Population(code, name, sum(counts.values()), sum(counts[a] for a in range(10, 18)), line)
        if code == ENGLAND or code in known:
            direct[code] = population
        elif is_district:
            upper = authority_for_district(code)
            if upper is None:
                problems.append(Problem(file, line, header[code_index],  # type: ignore[index]
                                        f"{code} is not a district of any children's services authority"))
                continue
            districts.setdefault(upper[0], []).append(Population(upper[0], upper[1], population.population_0_17,
                                                                 population.population_10_17, line))
    if problems:
        raise InputError(problems)
    for county, parts in districts.items():
        if county not in direct:
            direct[county] = Population(county, parts[0].name, sum(p.population_0_17 for p in parts),
                                        sum(p.population_10_17 for p in parts), parts[0].line)
    return dict(sorted(direct.items()))


def sniff_kind(path: str | Path) -> str | None:
    """'ees', 'ons_population' or None, from a CSV file's header. Raises InputError for a file that
    cannot be read at all (a folder, a named pipe, permission)."""
    problem = input_problem(path, str(path), what="CSV file")
    if problem is not None:
        raise InputError([problem])
    try:
        header, _ = _read_csv(Path(path), str(path))
    except InputError:
        return None
    if "time_period" in header and "geographic_level" in header:
        return "ees"
    if len([a for a in _age_columns(header) if a < 18]) == 18:
        return "ons_population"
    return None

"""Importers for the published shapes of the scoping indicators.

Two sources, read as their publishers lay them out, so a user can drop the downloaded file in:

* **DfE Explore Education Statistics (EES) tidy CSV** — the standard columns ``time_period``,
  ``time_identifier``, ``geographic_level``, ``country_code``, ``country_name``, ``region_code``,
  ``region_name``, ``new_la_code``, ``old_la_code``, ``la_name``, then *filter* columns (text that
  says which breakdown a row is, e.g. ``category`` or ``assessment_factor``) and *indicator*
  columns (numbers). Rows at ``National`` level give England's figure, rows at ``Local authority``
  level the authority's (keyed by ``new_la_code``); other levels (regions) are skipped. Suppression
  and availability symbols (``c``, ``x``, ``z``, ``:``, ``low``, ``k``, ``u`` and empty cells)
  become ``None``.

  Files come in two layouts. *Wide*: one column per indicator, as the published "Characteristics
  of children in need" table C3 (factors identified at the end of assessment: ``category`` then
  ``Episodes_with_assessment_factor``, ``Going_missing``, ``Child_sexual_exploitation``, ...).
  *Long*: a filter column names the breakdown and one measure column holds the figure
  (``assessment_factor`` = ``Child sexual exploitation``, ``number``). An :class:`EesLayout`
  (``filters:`` and ``indicators:`` in SOURCES.yaml, or ``indicators/filters.yaml`` beside a
  scenario) says which filter values to keep and which indicator columns to read. A filter column
  with more than one value in the file names the indicator (``number: Child sexual
  exploitation``); one with a single value throughout (C3's ``category``) only selects rows.
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

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from common.errors import InputError, Problem, shown
from common.files import input_problem
from scoping.scenario.geocode import authority_for_district, authority_names
from scoping.scenario.tables import read_csv_records

ENGLAND = "E92000001"
EES_STANDARD_COLUMNS = (
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "new_la_code",
    "old_la_code",
    "la_name",
)
EES_REQUIRED_COLUMNS = ("time_period", "time_identifier", "geographic_level", "new_la_code", "la_name")
# GSS symbols used in EES and ONS files for values that are not published as numbers.
NOT_PUBLISHED = frozenset({"", "c", "x", "z", ":", "low", "k", "u", ".", ".."})
GSS_SHAPE = re.compile(r"^[EWSNK]\d{8}$")
# Prefixes of codes that are not children's services authorities but may appear in the files.
SKIPPED_PREFIXES = ("E12", "E92", "K02", "K03", "K04", "W92", "S92", "N92", "E13", "E11", "E47")
DISTRICT_PREFIXES = ("E07",)
AGE_COLUMN = re.compile(r"^(?:age[_ ]?)?(\d{1,2})(\+)?$", re.IGNORECASE)


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

MAX_FILTERS = 20
MAX_FILTER_VALUES = 1000
MAX_LAYOUT_TEXT = 200  # characters of one column name or filter value
LISTED = 12  # columns or values named in a message before "..."


@dataclass(frozen=True)
class EesFilter:
    """One entry of ``filters:``: keep only the rows whose `column` holds one of `values`."""

    column: str
    values: tuple[str, ...]
    line: int = 0  # where it is declared (for messages)


@dataclass(frozen=True)
class EesLayout:
    """How to read an EES file beyond its standard columns: `filters` keep rows by a filter column's
    values; `indicators` are the indicator columns to read (empty: every other column). `file` and
    `line` say where the layout is declared (SOURCES.yaml, indicators/filters.yaml or a store
    manifest), so a filter column or value that the file does not have is reported there."""

    filters: tuple[EesFilter, ...] = ()
    indicators: tuple[str, ...] = ()
    file: str = ""
    line: int = 0  # the `indicators` key's line (or the entry's)

    def as_manifest(self) -> dict[str, object]:
        """The layout as a store manifest records it (only the keys that are set)."""
        recorded: dict[str, object] = {}
        if self.filters:
            recorded["filters"] = {f.column: list(f.values) for f in self.filters}
        if self.indicators:
            recorded["indicators"] = list(self.indicators)
        return recorded


LAYOUT_KEYS = ("filters", "indicators")


def _layout_text(value: object) -> str | None:
    """A column name or filter value as text (whole numbers allowed: YAML reads 202223 as one)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if (
        isinstance(value, str)
        and value.strip()
        and len(value) <= MAX_LAYOUT_TEXT
        and not re.search(r"[\x00-\x1f\x7f]", value)
    ):
        return value.strip()
    return None


def ees_layout(
    raw: Mapping[str, object], file: str, line_of: Callable[[tuple], int]
) -> tuple[EesLayout, list[Problem]]:
    """The `filters` and `indicators` keys of one entry (a SOURCES.yaml source, an entry of
    indicators/filters.yaml or a store manifest's source), checked; `line_of(location)` gives the
    line of a key inside the entry, e.g. ("filters", "assessment_factor")."""
    problems: list[Problem] = []
    filters: list[EesFilter] = []
    raw_filters = raw.get("filters")
    if raw_filters is not None:
        if not isinstance(raw_filters, Mapping) or not raw_filters:
            problems.append(
                Problem(
                    file,
                    line_of(("filters",)),
                    "filters",
                    "expected a mapping of filter column to the value (or list of values) to keep, "
                    f"e.g. assessment_factor: Child sexual exploitation; got {shown(raw_filters)}",
                )
            )
        elif len(raw_filters) > MAX_FILTERS:
            problems.append(
                Problem(
                    file,
                    line_of(("filters",)),
                    "filters",
                    f"expected at most {MAX_FILTERS} filter columns, got {len(raw_filters)}",
                )
            )
        else:
            for column, values in raw_filters.items():
                line = line_of(("filters", column))
                name = _layout_text(column)
                if name is None:
                    problems.append(Problem(file, line, "filters", f"expected a column name, got {shown(column)}"))
                    continue
                listed = values if isinstance(values, list) else [values]
                texts = [_layout_text(v) for v in listed]
                if not listed or None in texts or len(listed) > MAX_FILTER_VALUES:
                    problems.append(
                        Problem(
                            file,
                            line,
                            f"filters.{name}",
                            "expected the value to keep, or a list of 1 to "
                            f"{MAX_FILTER_VALUES} values, each text of up to {MAX_LAYOUT_TEXT} "
                            f"characters; got {shown(values)}",
                        )
                    )
                    continue
                filters.append(EesFilter(name, tuple(dict.fromkeys(texts)), line))  # type: ignore[arg-type]
    indicators: list[str] = []
    raw_indicators = raw.get("indicators")
    if raw_indicators is not None:
        texts = [_layout_text(v) for v in raw_indicators] if isinstance(raw_indicators, list) else [None]
        if not texts or None in texts or len(texts) > MAX_FILTER_VALUES:
            problems.append(
                Problem(
                    file,
                    line_of(("indicators",)),
                    "indicators",
                    f"expected a list of the indicator columns to read (column names), got {shown(raw_indicators)}",
                )
            )
        else:
            indicators = list(dict.fromkeys(texts))  # type: ignore[arg-type]
    both = sorted({f.column for f in filters} & set(indicators))
    for column in both:
        problems.append(
            Problem(
                file,
                line_of(("indicators",)),
                "indicators",
                f"{column!r} is also a filter column; a column either selects rows (filters) "
                "or holds figures (indicators)",
            )
        )
    line = line_of(("indicators",)) if raw_indicators is not None else line_of(())
    return EesLayout(tuple(filters), tuple(indicators), file, line), problems


def _listing(names: Iterable[str]) -> str:
    names = list(names)
    shown_names = ", ".join(repr(n[:60]) for n in names[:LISTED])
    return shown_names + (f", ... ({len(names)} in all)" if len(names) > LISTED else "")


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
    measures: dict[str, str] = field(default_factory=dict)  # indicator -> the column its figures are in

    def measure(self, indicator: str) -> str:
        """The column an indicator's figures come from (`number` for ``number: Going missing``)."""
        return self.measures.get(indicator, indicator)

    def series(self, authority_code: str, indicator: str) -> list[tuple[str, float | None]]:
        """(period, value) for one authority and indicator, oldest period first."""
        return sorted(
            (v.period, v.value) for v in self.values if v.authority_code == authority_code and v.indicator == indicator
        )

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


def _layout_problems(layout: EesLayout, header: list[str], file: str) -> list[Problem]:
    """Filter and indicator columns the layout names that the file's header does not have."""
    others = [c for c in header if c and c not in EES_STANDARD_COLUMNS]
    where = layout.file or file
    problems = [
        Problem(
            where,
            f.line,
            f"filters.{f.column}",
            f"column {f.column!r} is not in {file}; its columns after the standard EES ones: {_listing(others)}",
        )
        for f in layout.filters
        if f.column not in header
    ]
    problems += [
        Problem(
            where,
            layout.line,
            "indicators",
            f"column {column!r} is not in {file}; its columns after the standard EES ones: {_listing(others)}",
        )
        for column in layout.indicators
        if column not in header
    ]
    return problems


def read_ees_csv(
    path: str | Path,
    known_codes: Iterable[str] = (),
    file: str | None = None,
    layout: EesLayout = EesLayout(),
    within: str | Path | None = None,
) -> IndicatorTable:
    """Read an EES tidy CSV, wide or long (see the module docstring). Raises InputError listing every
    bad code and number, and every filter column or value of `layout` the file does not have
    (located where the layout is declared).

    `within`: the folder the file must stay in once links are followed (the scenario or the store).
    """
    path = Path(path)
    file = file or str(path)
    header, records = read_csv_records(path, file, within)
    problems = [
        Problem(file, 1, name, "required column is missing (EES tidy layout)")
        for name in EES_REQUIRED_COLUMNS
        if name not in header
    ]
    problems += _layout_problems(layout, header, file)
    if problems:
        raise InputError(problems)
    filter_columns = {f.column for f in layout.filters}
    indicator_columns = list(layout.indicators) or [
        c for c in header if c and c not in EES_STANDARD_COLUMNS and c not in filter_columns
    ]
    if not indicator_columns:
        raise InputError([Problem(file, 1, "-", "no indicator columns after the standard EES columns")])
    position = {name: index for index, name in enumerate(header)}
    rows: list[tuple[int, dict[str, str]]] = []
    for line, record in records:
        if len(record) != len(header):
            problems.append(Problem(file, line, "-", f"row has {len(record)} fields but the header has {len(header)}"))
            continue
        rows.append((line, {name: record[index].strip() for name, index in position.items()}))
    # Every value of each filter column in the file: a filter value must be one of them, and a
    # filter column with more than one value names the indicators (the breakdown is the indicator).
    in_file = {f.column: {cell[f.column] for _, cell in rows} for f in layout.filters}
    where = layout.file or file
    for f in layout.filters:
        for value in f.values:
            if value not in in_file[f.column]:
                problems.append(
                    Problem(
                        where,
                        f.line,
                        f"filters.{f.column}",
                        f"{value!r} is not a value of column {f.column} in {file}; its values: "
                        f"{_listing(sorted(in_file[f.column]))}",
                    )
                )
    if problems:
        raise InputError(problems)
    naming = [f.column for f in layout.filters if f.column not in EES_STANDARD_COLUMNS and len(in_file[f.column]) > 1]
    kept = {f.column: set(f.values) for f in layout.filters}

    known = known_authority_codes(known_codes)
    values: list[IndicatorValue] = []
    names: dict[str, str] = {}
    measures: dict[str, str] = {}
    first: dict[tuple[str, str, str], tuple[int, dict[str, str]]] = {}
    repeated: list[Problem] = []
    not_numbers: dict[str, list[tuple[int, str]]] = {column: [] for column in indicator_columns}
    numbers = {column: 0 for column in indicator_columns}
    for line, cell in rows:
        if any(cell[column] not in allowed for column, allowed in kept.items()):
            continue
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
        suffix = ": ".join(cell[name] for name in naming)
        for column in indicator_columns:
            indicator = f"{column}: {suffix}" if suffix else column
            key = (code, cell["time_period"], indicator)
            if key in first:
                repeated.append(_second_figure(file, line, column, key, first[key], cell, indicator_columns, kept))
                continue
            first[key] = (line, cell)
            try:
                number = parse_published_number(cell[column])
            except ValueError:
                not_numbers[column].append((line, cell[column]))
                continue
            numbers[column] += number is not None
            measures[indicator] = column
            values.append(IndicatorValue(code, cell["time_period"], indicator, number, line))
    # Text in every row and no number: a filter column read as an indicator (the long layout, or
    # C3's `category`). That alone explains the rest (its rows also repeat each figure): say only that.
    filter_like = [
        Problem(
            file,
            bad[0][0],
            column,
            f"holds text such as {bad[0][1][:60]!r}, not numbers: it looks like an EES filter column; "
            f"name it under `filters:` with the value(s) to keep ({column}: {bad[0][1][:60]}) in "
            "SOURCES.yaml or indicators/filters.yaml",
        )
        for column, bad in not_numbers.items()
        if bad and not numbers[column]
    ]
    if filter_like:
        raise InputError(filter_like)
    for column, bad in not_numbers.items():
        problems += [
            Problem(
                file, line, column, f"expected a number or a suppression symbol (c, x, z, :, low), got {text[:40]!r}"
            )
            for line, text in bad
        ]
    if repeated:  # the first, and how many more: one cause, usually a filter column left out
        more = f" ({len(repeated) - 1} more figures repeat the same way)" if len(repeated) > 1 else ""
        problems.append(replace(repeated[0], message=repeated[0].message + more))
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.line, p.column)))
    indicators = tuple(dict.fromkeys(v.indicator for v in values))
    return IndicatorTable(file, indicators, tuple(values), names, measures)


def _second_figure(
    file: str,
    line: int,
    column: str,
    key: tuple[str, str, str],
    earlier: tuple[int, dict[str, str]],
    cell: dict[str, str],
    indicator_columns: list[str],
    kept: Mapping[str, set[str]],
) -> Problem:
    """Two rows give one indicator of one authority in one period: a column the layout leaves out
    tells them apart (a filter column of the long layout not named under `filters:`)."""
    first_line, first_cell = earlier
    apart = [
        c
        for c in cell
        if c not in EES_STANDARD_COLUMNS and c not in indicator_columns and c not in kept and cell[c] != first_cell[c]
    ]
    hint = (
        f"column {_listing(apart)} tells these rows apart: name it under `filters:` with the value(s) to keep"
        if apart
        else "remove the repeated row"
    )
    return Problem(file, line, column, f"a second figure for {key[0]} in {key[1]} (first on line {first_line}); {hint}")


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


def read_ons_population(
    path: str | Path, known_codes: Iterable[str] = (), file: str | None = None, within: str | Path | None = None
) -> dict[str, Population]:
    """Read an ONS mid-year estimate (wide, single year of age): authority code -> Population.

    England's figure, when the file has it, is under ``E92000001``. Raises InputError. `within`: the
    folder the file must stay in once links are followed (the scenario or the store).
    """
    path = Path(path)
    file = file or str(path)
    header, records = read_csv_records(path, file, within)
    normalised = [_normalise(name) for name in header]
    code_index = next(
        (
            i
            for i, name in enumerate(normalised)
            if name in ("code", "ladcode", "lad_code", "area_code", "geography_code")
            or re.fullmatch(r"(lad|ctyua|utla)\d{2}cd|ladcode\d{2}", name)
        ),
        None,
    )
    name_index = next(
        (
            i
            for i, name in enumerate(normalised)
            if name in ("name", "laname", "la_name", "area_name", "geography_name")
            or re.fullmatch(r"(lad|ctyua|utla)\d{2}nm|laname\d{2}", name)
        ),
        None,
    )
    ages = _age_columns(header)
    problems = []
    if code_index is None:
        problems.append(Problem(file, 1, "code", "required column is missing (code, ladcode or ladcodeYY)"))
    missing_ages = [age for age in range(18) if age not in ages]
    if missing_ages:
        problems.append(
            Problem(
                file,
                1,
                str(missing_ages[0]),
                "single-year age columns 0 to 17 are required "
                "(ONS mid-year estimate layout: code, name, geography, all_ages, 0 ... 90)",
            )
        )
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
                problems.append(
                    Problem(
                        file, line, header[ages[age]], f"expected a whole number of people, got {text.strip()[:40]!r}"
                    )
                )
        if len(counts) < 18:
            continue
        population = Population(code, name, sum(counts.values()), sum(counts[a] for a in range(10, 18)), line)
        if code == ENGLAND or code in known:
            direct[code] = population
        elif is_district:
            upper = authority_for_district(code)
            if upper is None:
                problems.append(
                    Problem(
                        file,
                        line,
                        header[code_index],  # type: ignore[index]
                        f"{code} is not a district of any children's services authority",
                    )
                )
                continue
            districts.setdefault(upper[0], []).append(
                Population(upper[0], upper[1], population.population_0_17, population.population_10_17, line)
            )
    if problems:
        raise InputError(problems)
    for county, parts in districts.items():
        if county not in direct:
            direct[county] = Population(
                county,
                parts[0].name,
                sum(p.population_0_17 for p in parts),
                sum(p.population_10_17 for p in parts),
                parts[0].line,
            )
    return dict(sorted(direct.items()))


def sniff_kind(path: str | Path, within: str | Path | None = None) -> str | None:
    """'ees', 'ons_population' or None, from a CSV file's header. Raises InputError for a file that
    cannot be read at all (a folder, a named pipe, permission, a link out of `within`)."""
    problem = input_problem(path, str(path), within=within, what="CSV file")
    if problem is not None:
        raise InputError([problem])
    try:
        header, _ = read_csv_records(Path(path), str(path), within)
    except InputError:
        return None
    if "time_period" in header and "geographic_level" in header:
        return "ees"
    if len([a for a in _age_columns(header) if a < 18]) == 18:
        return "ons_population"
    return None

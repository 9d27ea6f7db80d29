"""Outcome monitoring: the `outcomes` source of the refresh store (aggregate figures of each service
model's outcome measures) and the monitoring table tracked across the store's snapshots.

**Catalogues**: the measures of each service model, named by the model's ``outcomes_catalogue``
key and read by :mod:`scoping.scenario.catalogue`.

**The outcomes source** (``schema: outcomes`` in SOURCES.yaml; rows validated by
:class:`OutcomeRow`): aggregate figures only, one row per service model, measure,
period and area::

    service_model,measure_id,period,authority_code,hub_id,value,denominator
    cse-hub-and-spoke,young_people_supported,2025-Q1,E06000057,,41,
    cse-hub-and-spoke,closed_reduced_risk,2025-Q1,E06000057,,9,14

``period`` is a financial year ``2024-25`` (April to March) or a calendar quarter ``2025-Q1``, one
form per measure; ``authority_code`` or ``hub_id`` names the area (at most one; neither: the whole
service); an empty ``value`` means "not recorded" (shown ``:``). Shares and rates need
``denominator``; a share's value is at most its denominator. A whole-service row of a count
measure is a published total: it may not be less than the sum of the same period's area rows.

**Tracking**: every snapshot of the store is read in order (``latest.json`` and each manifest's
``previous``). A figure's current value is the one in the latest snapshot holding it; a later
snapshot that changes an earlier period's figure *revises* it, and the table says which snapshot the
current value came from and which one it replaced. For each measure and area, the latest period is
compared with the period before: the change, and a trend (``rising``/``falling``/``stable`` by
:func:`scoping.analysis.benchmarks.trend_of`, tolerance 5%) read with the measure's direction as
``improving`` (green), ``stable`` (amber) or ``worsening`` (red). Measures without any figure are
listed with ``:``, never zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, ValidationInfo, field_validator

from common.errors import InputError, Problem
from scoping.analysis.benchmarks import trend_of
from scoping.scenario.catalogue import Catalogue, Measure, read_catalogue
from scoping.scenario.loader import Scenario, monitoring_store_path
from scoping.scenario.schemas import CsvRow, GssCode, Identifier
from scoping.scenario.service_model import ServiceModel, load_service_model, shipped_models
from scoping.scenario.tables import read_table
from scoping.store.snapshots import source_path, store_snapshots

WHOLE_SERVICE = "ALL"  # the area of a row without authority_code or hub_id
STATUS_SCORES = {"no": 0.0, "partial": 0.5, "yes": 1.0}
ANNUAL = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
PERIOD_PATTERN = r"^\d{4}-(\d{2}|Q[1-4])$"


def load_catalogue(service_model: str | Path, directory: str | Path | None = None) -> Catalogue:
    """The outcome catalogue of a service model (a shipped id or a model file's path): the file the
    model's ``outcomes_catalogue`` names (scoping/scenario/service_model.py, the one link from model to
    catalogue). With `directory`, ``<directory>/<service_model>.yaml`` instead (tests, experiments).
    Raises InputError."""
    if directory is not None:
        return read_catalogue(Path(directory) / f"{service_model}.yaml", str(service_model))
    return _model(str(service_model)).catalogue()


def _model(name_or_path: str, base_dir: Path | None = None) -> ServiceModel:
    return load_service_model(name_or_path, base_dir, file="--model")


@cache
def _models_with_catalogues() -> tuple[str, ...]:
    """The shipped service models that name an outcome catalogue (the ids an outcomes row may name)."""
    return tuple(m for m in shipped_models() if _model(m).outcomes_catalogue is not None)


def __getattr__(name: str) -> Any:
    if name == "SERVICE_MODELS":  # derived from inputs/service_models, not a second list of ids
        return _models_with_catalogues()
    raise AttributeError(name)


@cache
def shipped_catalogue(service_model: str) -> Catalogue:
    return load_catalogue(service_model)


# ---------------------------------------------------------------------------------------------
# Row checks (called by OutcomeRow's validators) and the outcomes source reader
# ---------------------------------------------------------------------------------------------


def check_service_model(value: str) -> str:
    models = _models_with_catalogues()
    if value not in models:
        raise ValueError(f"unknown service model {value!r}; expected one of {', '.join(models)}")
    return value


def check_measure(service_model: str | None, measure_id: str) -> str:
    if service_model is None:  # the service model itself was wrong: reported there
        return measure_id
    measures = shipped_catalogue(service_model).measures
    if measure_id not in measures:
        raise ValueError(
            f"unknown measure id {measure_id!r} for {service_model}; expected one of {', '.join(measures)}"
        )
    return measure_id


def check_period(value: str) -> str:
    annual, quarter = ANNUAL.match(value), QUARTER.match(value)
    if annual:
        start, end = int(annual.group(1)), int(annual.group(2))
        if end != (start + 1) % 100:
            raise ValueError(
                f"period {value!r}: a year runs from one year to the next, e.g. {start}-{(start + 1) % 100:02d}"
            )
        year = start
    elif quarter:
        year = int(quarter.group(1))
    else:
        raise ValueError(f"period {value!r}: expected a financial year such as 2024-25 or a quarter such as 2025-Q1")
    if not 2000 <= year <= 2100:
        raise ValueError(f"period {value!r}: expected a year from 2000 to 2100")
    return value


def period_kind(period: str) -> str:
    return "quarter" if QUARTER.match(period) else "year"


def period_key(period: str) -> tuple[int, int]:
    """Sort key: financial years by their first year, quarters by year and quarter."""
    match = QUARTER.match(period)
    if match:
        return int(match.group(1)), int(match.group(2))
    return int(period[:4]), 0


def parse_value(unit: str | None, value: str | None) -> float | str | None:
    """A row's value: a status word, a whole number, or None (not recorded). Raises ValueError."""
    if value is None or value == "" or value == ":":
        return None
    if unit == "status":
        word = value.lower()
        if word not in STATUS_SCORES:
            raise ValueError(f"expected yes, partial or no for a status measure, got {value[:60]!r}")
        return word
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"expected a whole number of at least 0, got {value[:60]!r}") from None
    if number < 0:
        raise ValueError(f"expected a whole number of at least 0 (counts are not negative), got {value[:60]!r}")
    if number > 100_000_000:
        raise ValueError(f"expected at most 100000000, got {value[:60]!r}")
    return number


def measure_unit(service_model: str | None, measure_id: str | None) -> str | None:
    if service_model not in _models_with_catalogues() or not measure_id:
        return None
    measure = shipped_catalogue(service_model).measures.get(measure_id)
    return measure.unit if measure else None


class OutcomeRow(CsvRow):
    """An `outcomes` source of the refresh store: one aggregate figure of an outcome measure.

    The catalogue of measures per service model is named by the model (scoping/scenario/catalogue.py)
    (seed 002 Key outcome measures; seed 004 How will we know if it has been successful?).
    Validators run in field order, so `measure_id` is checked against `service_model`'s catalogue
    and `value` against the measure's unit.
    """

    required_columns: ClassVar[tuple[str, ...]] = ("service_model", "measure_id", "period", "value")

    service_model: str
    measure_id: Identifier
    period: str
    authority_code: GssCode | None = None
    hub_id: Identifier | None = None
    value: str | None = None  # a whole number, or yes / partial / no for a status; empty: not recorded
    denominator: int | None = Field(default=None, ge=0, le=100_000_000, validate_default=True)

    @field_validator("service_model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        return check_service_model(value)

    @field_validator("measure_id")
    @classmethod
    def _known_measure(cls, value: str, info: ValidationInfo) -> str:
        return check_measure(info.data.get("service_model"), value)

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        return check_period(value)

    @field_validator("hub_id")
    @classmethod
    def _one_area(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("authority_code"):
            raise ValueError("give authority_code or hub_id, not both")
        return value

    @field_validator("value")
    @classmethod
    def _value(cls, value: str | None, info: ValidationInfo) -> str | None:
        parse_value(measure_unit(info.data.get("service_model"), info.data.get("measure_id")), value)
        return value

    @field_validator("denominator")
    @classmethod
    def _denominator(cls, denominator: int | None, info: ValidationInfo) -> int | None:
        unit = measure_unit(info.data.get("service_model"), info.data.get("measure_id"))
        if "value" not in info.data:
            return denominator  # the value was wrong: reported there
        value = parse_value(unit, info.data["value"])
        if unit in ("share", "rate") and value is not None and denominator is None:
            raise ValueError(f"a {unit} needs its denominator (what the value is out of)")
        if unit in ("count", "status") and denominator is not None:
            raise ValueError(f"a {unit} measure has no denominator; leave it empty")
        if unit == "share" and isinstance(value, int | float) and denominator is not None and value > denominator:
            raise ValueError(f"a share's value {value} is more than its denominator {denominator}")
        return denominator


@dataclass(frozen=True)
class Figure:
    """One validated figure of an outcomes file."""

    service_model: str
    measure_id: str
    period: str
    area: str  # authority code, hub id, or WHOLE_SERVICE
    value: float | str | None
    denominator: int | None
    line: int

    @property
    def key(self) -> tuple[str, str, str, str]:
        return self.service_model, self.measure_id, self.period, self.area


def read_outcomes(path: str | Path, file: str | None = None, within: Path | None = None) -> list[Figure]:
    """Read and validate an outcomes CSV (rows, then checks across rows). Raises InputError."""
    path = Path(path)
    file = file or str(path)
    table, problems = read_table(path, OutcomeRow, file, within=within)
    if table is None or problems:
        raise InputError(problems)
    figures: list[Figure] = []
    seen: dict[tuple, int] = {}
    kinds: dict[tuple[str, str], tuple[str, int]] = {}
    for row in table.rows:
        r = row.value
        area = r.authority_code or r.hub_id or WHOLE_SERVICE
        figure = Figure(
            r.service_model,
            r.measure_id,
            r.period,
            area,
            parse_value(measure_unit(r.service_model, r.measure_id), r.value),
            r.denominator,
            row.line,
        )
        if figure.key in seen:
            problems.append(
                Problem(
                    file,
                    row.line,
                    "period",
                    f"{r.measure_id} {r.period} {area} is already on line "
                    f"{seen[figure.key]}; give each measure, period and area once",
                )
            )
            continue
        seen[figure.key] = row.line
        kind = period_kind(r.period)
        first = kinds.setdefault((r.service_model, r.measure_id), (kind, row.line))
        if first[0] != kind:
            problems.append(
                Problem(
                    file,
                    row.line,
                    "period",
                    f"{r.measure_id} uses {first[0]}s from line {first[1]}; "
                    f"expected one period form per measure, got the {kind} {r.period}",
                )
            )
            continue
        figures.append(figure)
    problems += _total_problems(figures, file)
    if problems:
        raise InputError(sorted(problems, key=lambda p: p.line))
    return figures


def _total_problems(figures: list[Figure], file: str) -> list[Problem]:
    """A whole-service count (a published total) less than the sum of its authority (or hub) rows."""
    problems = []
    by_group: dict[tuple, list[Figure]] = {}
    for f in figures:
        by_group.setdefault((f.service_model, f.measure_id, f.period), []).append(f)
    for (model, measure_id, period), group in by_group.items():
        total = next((f for f in group if f.area == WHOLE_SERVICE), None)
        if total is None or measure_unit(model, measure_id) == "status":
            continue
        for prefix, label in ((True, "authority"), (False, "hub")):
            parts = [f for f in group if f.area != WHOLE_SERVICE and _is_authority(f.area) == prefix]
            for column in ("value", "denominator"):
                given = getattr(total, column)
                numbers = [getattr(f, column) for f in parts]
                if given is None or not numbers or any(n is None for n in numbers):
                    continue
                if given < sum(numbers):
                    problems.append(
                        Problem(
                            file,
                            total.line,
                            column,
                            f"the whole-service {column} {given} of "
                            f"{measure_id} {period} is less than the sum of its {label} rows "
                            f"({sum(numbers)}); expected at least that",
                        )
                    )
    return problems


def _is_authority(area: str) -> bool:
    return bool(re.match(r"^[EWSN]\d{8}$", area))


def figure_records(figures: list[Figure]) -> dict[str, dict[str, Any]]:
    """Records keyed for the refresh's what-changed report: model/measure/period/area -> value, denominator."""
    return {"/".join(f.key): {"value": f.value, "denominator": f.denominator} for f in figures}


# ---------------------------------------------------------------------------------------------
# Tracking across the snapshots of a store
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tracked:
    """A figure's current value and where it came from."""

    figure: Figure
    snapshot: str  # the snapshot that first held the current value
    revised_from: str | None  # the snapshot whose different value this one replaced
    in_latest: bool  # still in the latest snapshot (else: withdrawn later, the last value kept)


def track(store: str | Path, service_model: str) -> tuple[dict[tuple, Tracked], list[str]]:
    """The current figure of every (model, measure, period, area) of `service_model` across the
    store's snapshots, and the snapshot ids read (oldest first). Raises InputError."""
    store = Path(store)
    manifests = store_snapshots(store)
    tracked: dict[tuple, Tracked] = {}
    problems: list[Problem] = []
    kinds: dict[str, tuple[str, str]] = {}  # measure -> (period form, the snapshot that set it)
    for manifest in manifests:
        snapshot = manifest["snapshot"]
        present: dict[tuple, Figure] = {}
        for _name, entry in sorted(manifest.get("sources", {}).items()):
            if entry.get("schema") != "outcomes":
                continue
            path = source_path(store, entry)  # confined to the store (scoping.store.snapshots.read_manifest)
            try:
                figures = read_outcomes(path, str(path), within=store)
            except InputError as error:
                problems += error.problems
                continue
            for f in figures:
                if f.service_model != service_model:
                    continue
                kind = kinds.setdefault(f.measure_id, (period_kind(f.period), snapshot))
                if kind[0] != period_kind(f.period):
                    problems.append(
                        Problem(
                            str(path),
                            f.line,
                            "period",
                            f"{f.measure_id} has {kind[0]}s in snapshot "
                            f"{kind[1]}; expected one period form per measure, got {f.period}",
                        )
                    )
                    continue
                if f.key in present:
                    problems.append(
                        Problem(
                            str(path),
                            f.line,
                            "measure_id",
                            f"{f.measure_id} {f.period} {f.area} is "
                            "also in another outcomes source of this snapshot; give it once",
                        )
                    )
                    continue
                present[f.key] = f
        for key, f in present.items():
            old = tracked.get(key)
            if old is not None and (old.figure.value, old.figure.denominator) == (f.value, f.denominator):
                tracked[key] = Tracked(f, old.snapshot, old.revised_from, True)
            else:
                tracked[key] = Tracked(f, snapshot, old.snapshot if old else None, True)
        for key, old in tracked.items():
            if key not in present and old.in_latest:
                tracked[key] = Tracked(old.figure, old.snapshot, old.revised_from, False)
    if problems:
        raise InputError(problems)
    return tracked, [m["snapshot"] for m in manifests]


# ---------------------------------------------------------------------------------------------
# The monitoring table
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One measure x area x period of the monitoring table (exact figures; disclosure is reporting's job)."""

    measure_id: str
    area: str
    period: str
    value: float | str | None  # count / numerator, status word, or None
    denominator: int | None
    level: float | None  # what is compared and charted: count, share, rate or status score
    computed_total: bool  # a whole-service total added as the sum of the area rows
    snapshot: str | None
    revised_from: str | None
    in_latest: bool
    previous_period: str | None = None  # the area's previous period with a figure
    change: float | None = None  # level - level of previous_period
    trend: str | None = None  # rising / falling / stable
    reading: str | None = None  # improving / stable / worsening (the measure's direction applied)
    rag: str | None = None  # green / amber / red


@dataclass(frozen=True)
class Trend:
    """The latest period of a measure and area against the period before."""

    measure_id: str
    area: str
    latest_period: str | None
    previous_period: str | None
    change: float | None  # level(latest) - level(previous)
    trend: str | None  # rising / falling / stable
    reading: str | None  # improving / stable / worsening
    rag: str | None  # green / amber / red


@dataclass(frozen=True)
class MonitoringTable:
    catalogue: Catalogue
    snapshots: tuple[str, ...]
    cells: tuple[Cell, ...]  # by outcome, measure, area (whole service first), period
    trends: tuple[Trend, ...]
    periods: dict[str, tuple[str, ...]] = field(default_factory=dict)  # measure -> periods with a row

    def cells_of(self, measure_id: str) -> list[Cell]:
        return [c for c in self.cells if c.measure_id == measure_id]


def level(measure: Measure, value: float | str | None, denominator: int | None) -> float | None:
    if value is None:
        return None
    if measure.unit == "status":
        return STATUS_SCORES[str(value)]
    if measure.unit in ("share", "rate"):
        if not denominator:
            return None
        return value / denominator * (measure.per if measure.unit == "rate" else 1)  # type: ignore[operator]
    return float(value)


READINGS: dict[tuple[str | None, str], tuple[str, str]] = {
    ("rising", "higher"): ("improving", "green"),
    ("falling", "lower"): ("improving", "green"),
    ("rising", "lower"): ("worsening", "red"),
    ("falling", "higher"): ("worsening", "red"),
}


def compare_levels(
    measure: Measure, previous: float | None, latest: float | None
) -> tuple[str | None, str | None, str | None]:
    """(trend, reading, rag) of `latest` against `previous`, read with the measure's direction."""
    if previous is None or latest is None:
        return None, None, None
    trend: str | None
    if previous == 0:
        trend = "stable" if latest == 0 else "rising"
    else:
        trend = trend_of([("0", previous), ("1", latest)])[0]
    reading, rag = READINGS.get((trend, measure.direction), ("stable", "amber"))
    return trend, reading, rag


def monitoring_table(catalogue: Catalogue, tracked: dict[tuple, Tracked], snapshots: list[str]) -> MonitoringTable:
    """Every catalogue measure with its figures by area and period, whole-service totals of additive
    measures (added as sums when not given), and the latest-period trend of each measure and area."""
    cells: list[Cell] = []
    trends: list[Trend] = []
    periods: dict[str, tuple[str, ...]] = {}
    measures = catalogue.measures
    for outcome in catalogue.outcomes:
        for measure in outcome.measures:
            mine = {k: t for k, t in tracked.items() if k[1] == measure.id}
            by_area: dict[str, dict[str, Cell]] = {}
            for (_, _, period, area), t in mine.items():
                f = t.figure
                by_area.setdefault(area, {})[period] = Cell(
                    measure.id,
                    area,
                    period,
                    f.value,
                    f.denominator,
                    level(measure, f.value, f.denominator),
                    False,
                    t.snapshot,
                    t.revised_from,
                    t.in_latest,
                )
            if measure.unit != "status" and any(a != WHOLE_SERVICE for a in by_area):
                totals = by_area.setdefault(WHOLE_SERVICE, {})
                areas = [a for a in by_area if a != WHOLE_SERVICE]
                # all authorities or all hubs, and at least two (one area's total is the area itself)
                one_kind = len(areas) > 1 and len({_is_authority(a) for a in areas}) == 1
                for period in sorted({p for a in areas for p in by_area[a]}, key=period_key):
                    if period in totals or not one_kind:
                        continue
                    parts = [by_area[a].get(period) for a in areas]
                    # not status (above), so every value given is a number
                    values = [p.value for p in parts if p is not None and isinstance(p.value, int | float)]
                    if len(values) < len(parts):
                        continue
                    denominators = [p.denominator for p in parts if p is not None and p.denominator is not None]
                    value = sum(values)
                    denominator = sum(denominators) if len(denominators) == len(parts) else None
                    if measure.unit in ("share", "rate") and denominator is None:
                        continue
                    totals[period] = Cell(
                        measure.id,
                        WHOLE_SERVICE,
                        period,
                        value,
                        denominator,
                        level(measure, value, denominator),
                        True,
                        None,
                        None,
                        True,
                    )
                if not totals:
                    del by_area[WHOLE_SERVICE]
            measure_periods = sorted({p for cells_ in by_area.values() for p in cells_}, key=period_key)
            periods[measure.id] = tuple(measure_periods)
            for area in sorted(by_area, key=lambda a: (a != WHOLE_SERVICE, a)):
                previous: Cell | None = None
                latest: Cell | None = None
                for period in measure_periods:
                    cell = by_area[area].get(period)
                    if cell is None:
                        continue
                    if cell.level is not None and previous is not None and previous.level is not None:
                        trend, reading, rag = compare_levels(measure, previous.level, cell.level)
                        cell = replace(
                            cell,
                            previous_period=previous.period,
                            change=cell.level - previous.level,
                            trend=trend,
                            reading=reading,
                            rag=rag,
                        )
                    cells.append(cell)
                    if cell.level is not None:
                        previous = latest = cell
                if latest is not None:
                    trends.append(
                        Trend(
                            measure.id,
                            area,
                            latest.period,
                            latest.previous_period,
                            latest.change,
                            latest.trend,
                            latest.reading,
                            latest.rag,
                        )
                    )
                else:
                    trends.append(Trend(measure.id, area, None, None, None, None, None, None))
            if not by_area:
                trends.append(Trend(measure.id, WHOLE_SERVICE, None, None, None, None, None, None))
    assert set(periods) == set(measures)
    return MonitoringTable(catalogue, tuple(snapshots), tuple(cells), tuple(trends), periods)


def monitoring_table_from_store(
    store: str | Path, service_model: str, catalogue: Catalogue | None = None
) -> MonitoringTable:
    """Read the store and build the monitoring table of `service_model` (an id). Raises InputError."""
    catalogue = catalogue or load_catalogue(service_model)
    tracked, snapshots = track(store, service_model)
    return monitoring_table(catalogue, tracked, snapshots)


def model_monitoring_table(store: str | Path, name_or_path: str, base_dir: Path | None = None) -> MonitoringTable:
    """`spokeplan monitor --model`: the service model named as scenario.yaml names one (a shipped id
    or a model file's path, relative to `base_dir`), its catalogue, and the store's figures of its id."""
    model = _model(name_or_path, base_dir)
    return monitoring_table_from_store(store, model.id, model.catalogue())


def scenario_monitoring(scenario: Scenario) -> MonitoringTable | None:
    """scenario.yaml `monitoring_store`: the service model's outcome measures tracked across the store's
    snapshots (the plan report's "Outcomes monitoring"), or None without the key. The loader has
    checked that the store exists and that the model names a catalogue; a store with no figures for
    the model gives a table without figures, never zeros. Raises InputError at the line of a bad
    catalogue or snapshot file."""
    store, model = scenario.rules.monitoring_store, scenario.service_model
    if store is None or model is None:
        return None
    return monitoring_table_from_store(monitoring_store_path(scenario.directory, store), model.id, model.catalogue())

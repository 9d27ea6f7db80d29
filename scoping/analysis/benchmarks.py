"""Each indicator of an authority against England and its nearest neighbours, with RAG flags and trend.

* **Neighbours** come from a user file ``neighbours.csv`` (columns ``authority_code``,
  ``neighbour_code``; e.g. the DfE children's services statistical neighbours) when the scenario
  has one; otherwise they are the ``k`` nearest authorities (Euclidean distance on standardised
  indicators — each indicator minus its mean, divided by its standard deviation, over the
  authorities that have every indicator used) among the authorities with figures.
* **Comparator**: the neighbours' mean when there are neighbours with a figure, else England.
* **RAG flag** (a *need* flag, not a performance rating: a higher rate means more children
  identified at risk): ``red`` when the authority's value is at least ``RED_RATIO`` (1.25) times the
  comparator, ``amber`` from ``AMBER_RATIO`` (1.10), ``green`` below.
* **Trend** where two or more periods have figures: the change from the first to the last,
  ``rising`` above +``TREND_TOLERANCE`` (5%), ``falling`` below −5%, else ``stable``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict

from common.errors import InputError, Problem
from scoping.scenario.schemas import GssCode
from scoping.scenario.tables import read_table

RED_RATIO = 1.25
AMBER_RATIO = 1.10
TREND_TOLERANCE = 0.05
DEFAULT_NEIGHBOURS = 5
NEIGHBOURS_FILE = "neighbours.csv"


@dataclass(frozen=True)
class IndicatorSet:
    """Comparable figures (rates) of every authority, England's, and which are hidden by disclosure."""

    values: dict[str, dict[str, float | None]]  # authority code -> indicator -> latest value
    series: dict[str, dict[str, list[tuple[str, float | None]]]] = field(default_factory=dict)
    england: dict[str, float | None] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # indicator -> words for the report
    hidden: frozenset[tuple[str, str]] = frozenset()  # (code, indicator): rate of a 1..threshold count


@dataclass(frozen=True)
class Benchmark:
    """One indicator of one authority, compared."""

    indicator: str
    label: str
    value: float | None
    hidden: bool
    england: float | None
    neighbours_mean: float | None
    neighbours_with_figure: int
    comparator: str | None  # "neighbours", "England" or None
    ratio: float | None
    rag: str | None  # "red", "amber", "green" or None
    trend: str | None  # "rising", "falling", "stable" or None
    trend_change: float | None
    first_period: str | None
    last_period: str | None


class NeighbourRow(BaseModel):
    """neighbours.csv: one neighbour of one authority."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)
    required_columns: ClassVar[tuple[str, ...]] = ("authority_code", "neighbour_code")
    authority_code: GssCode
    neighbour_code: GssCode
    rank: int | None = None


def read_neighbours(path: str | Path, known_codes: Iterable[str]) -> dict[str, list[str]]:
    """authority code -> neighbour codes (in rank order, else file order). Raises InputError."""
    path = Path(path)
    table, problems = read_table(path, NeighbourRow, str(path))
    if table is None or problems:
        raise InputError(problems)
    known = frozenset(known_codes)
    ranked: dict[str, list[tuple[int, int, str]]] = {}
    for row in table.rows:
        for column in ("authority_code", "neighbour_code"):
            code = getattr(row.value, column)
            if code not in known:
                problems.append(
                    Problem(table.file, row.line, column, f"{code} is not a known children's services authority code")
                )
        if row.value.authority_code == row.value.neighbour_code:
            problems.append(Problem(table.file, row.line, "neighbour_code", "an authority is not its own neighbour"))
        ranked.setdefault(row.value.authority_code, []).append(
            (row.value.rank if row.value.rank is not None else 10**6, row.line, row.value.neighbour_code)
        )
    if problems:
        raise InputError(problems)
    return {code: [c for _, _, c in sorted(items)] for code, items in sorted(ranked.items())}


def nearest_neighbours(values: dict[str, dict[str, float | None]], k: int = DEFAULT_NEIGHBOURS) -> dict[str, list[str]]:
    """The k nearest authorities of each, on standardised indicators (see the module docstring).

    Only indicators that every authority has are used, and only those that vary; with none,
    nobody has neighbours. Ties are broken by code, so the result is deterministic.
    """
    codes = sorted(values)
    if len(codes) < 2:
        return {code: [] for code in codes}
    indicators = sorted({name for row in values.values() for name in row})
    common = [name for name in indicators if all(values[code].get(name) is not None for code in codes)]
    matrix = np.array([[values[code][name] for name in common] for code in codes], dtype=np.float64)
    if matrix.size:
        spread = matrix.std(axis=0)
        keep = spread > 0
        matrix = (matrix[:, keep] - matrix[:, keep].mean(axis=0)) / spread[keep]
    if matrix.size == 0 or matrix.shape[1] == 0:
        return {code: [] for code in codes}
    distances = np.sqrt(((matrix[:, None, :] - matrix[None, :, :]) ** 2).sum(axis=2))
    result = {}
    for i, code in enumerate(codes):
        order = sorted((distances[i, j], codes[j]) for j in range(len(codes)) if j != i)
        result[code] = [other for _, other in order[:k]]
    return result


def rag_flag(value: float | None, comparator: float | None) -> tuple[float | None, str | None]:
    """(value / comparator, flag) with the RED_RATIO and AMBER_RATIO thresholds."""
    if value is None or comparator is None or comparator <= 0:
        return None, None
    ratio = value / comparator
    if ratio >= RED_RATIO:
        return ratio, "red"
    if ratio >= AMBER_RATIO:
        return ratio, "amber"
    return ratio, "green"


def trend_of(series: list[tuple[str, float | None]]) -> tuple[str | None, float | None, str | None, str | None]:
    """(trend, relative change, first period, last period) over the periods with figures."""
    known = [(period, value) for period, value in sorted(series) if value is not None]
    if len(known) < 2 or known[0][1] == 0:
        return None, None, None, None
    (first_period, first), (last_period, last) = known[0], known[-1]
    change = (last - first) / abs(first)
    if change > TREND_TOLERANCE:
        trend = "rising"
    elif change < -TREND_TOLERANCE:
        trend = "falling"
    else:
        trend = "stable"
    return trend, change, first_period, last_period


def benchmark(code: str, indicators: IndicatorSet, neighbours: list[str]) -> list[Benchmark]:
    """Every indicator the authority or England has, compared (see the module docstring)."""
    own = indicators.values.get(code, {})
    names = list(dict.fromkeys([*own, *indicators.england]))
    result = []
    for name in names:
        value = own.get(name)
        hidden = (code, name) in indicators.hidden
        neighbour_figures = [indicators.values.get(other, {}).get(name) for other in neighbours]
        neighbour_values = [v for v in neighbour_figures if v is not None and not math.isnan(v)]
        neighbours_mean = sum(neighbour_values) / len(neighbour_values) if neighbour_values else None
        england = indicators.england.get(name)
        if neighbours_mean is not None:
            comparator, reference = "neighbours", neighbours_mean
        elif england is not None:
            comparator, reference = "England", england
        else:
            comparator, reference = None, None
        ratio, rag = rag_flag(None if hidden else value, reference)
        series = indicators.series.get(code, {}).get(name, [])
        trend, change, first, last = trend_of(series) if not hidden else (None, None, None, None)
        result.append(
            Benchmark(
                name,
                indicators.labels.get(name, name.replace("_", " ")),
                value,
                hidden,
                england,
                neighbours_mean,
                len(neighbour_values),
                comparator,
                ratio,
                rag,
                trend,
                change,
                first,
                last,
            )
        )
    return result

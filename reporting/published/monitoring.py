"""The case-derived counts a monitoring table publishes, and which are shown as ``c``.

Disclosure control (DESIGN.md; reporting/disclosure.py) applies to every case-derived count of an
outcome measure - its value and its denominator: 1..threshold is shown as ``c``, and secondary
suppression (`suppress`: the group rule, then an audit by linear programming) runs once over every
published relation of the model:

* a whole-service figure (given in the data, or added as the sum of the areas) and its area
  figures: ``total = sum of areas`` (plus an unpublished remainder when a given total is larger);
* a denominator that is the same figure as another measure's value (``denominator_measure``) or as
  another measure's denominator (the same ``denominator`` words), when the two are equal.

Outcome returns are recorded figures, tied by no sum to a plan's estimated cases at a time, so a
plan report's monitoring section is a suppression problem of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from reporting.disclosure import NOT_AVAILABLE, SUPPRESSED, Relation, suppress_by_component
from scoping.store.outcomes import WHOLE_SERVICE, Cell, MonitoringTable


@dataclass(frozen=True)
class PublishedMonitoring:
    """The case-derived counts of a monitoring table and which are shown as 'c'.

    Keys: ("value" | "denominator", measure_id, period, area), and ("remainder", measure_id, period,
    column) for the unpublished part of a given whole-service total larger than its areas' sum.
    """

    values: dict[tuple, int]
    hidden: frozenset
    threshold: int
    table: MonitoringTable  # the exact figures these counts were taken from

    def cell_hidden(self, cell: Cell) -> bool:
        """True when the cell's value or denominator is hidden (so its share, rate and change are too)."""
        return any(
            (column, cell.measure_id, cell.period, cell.area) in self.hidden for column in ("value", "denominator")
        )

    def count_text(self, column: str, cell: Cell, csv_form: bool = False) -> str:
        number = cell.value if column == "value" else cell.denominator
        if number is None:
            return NOT_AVAILABLE
        if (column, cell.measure_id, cell.period, cell.area) in self.hidden:
            return SUPPRESSED
        if isinstance(number, str):
            return number
        return str(int(number)) if csv_form else f"{int(number):,}"


def published_monitoring(table: MonitoringTable, threshold: int) -> PublishedMonitoring:
    """Primary and secondary suppression over every case-derived count the report publishes."""
    measures = table.catalogue.measures
    values: dict[tuple, int] = {}
    by_group: dict[tuple[str, str], list[Cell]] = {}
    for cell in table.cells:
        measure = measures[cell.measure_id]
        if not measure.case_derived:
            continue
        by_group.setdefault((cell.measure_id, cell.period), []).append(cell)
        for column in ("value", "denominator"):
            number = cell.value if column == "value" else cell.denominator
            if number is not None:
                values[(column, cell.measure_id, cell.period, cell.area)] = int(number)
    relations: list[Relation] = []
    for (measure_id, period), cells in by_group.items():
        total = next((c for c in cells if c.area == WHOLE_SERVICE), None)
        parts = [c for c in cells if c.area != WHOLE_SERVICE]
        if total is None or not parts:
            continue
        for column in ("value", "denominator"):
            total_key = (column, measure_id, period, WHOLE_SERVICE)
            part_keys = [(column, measure_id, period, c.area) for c in parts]
            if total_key not in values or any(k not in values for k in part_keys):
                continue
            remainder = values[total_key] - sum(values[k] for k in part_keys)
            if remainder > 0:  # a given total larger than its areas: the rest is not published
                values[("remainder", measure_id, period, column)] = remainder
                part_keys.append(("remainder", measure_id, period, column))
            if remainder >= 0:
                relations.append((total_key, part_keys))
    # One figure published twice (a denominator that is another measure's value or denominator).
    case_measures = [m for m in measures.values() if m.case_derived]
    for measure in case_measures:
        twins = [("value", measure.denominator_measure)] if measure.denominator_measure else []
        twins += [
            ("denominator", other.id)
            for other in case_measures
            if other.id > measure.id and other.denominator and other.denominator == measure.denominator
        ]
        for column, other_id in twins:
            for key in [k for k in values if k[0] == "denominator" and k[1] == measure.id]:
                twin = (column, other_id, key[2], key[3])
                if twin in values and values[twin] == values[key]:
                    relations.append((key, [twin]))
    protected = frozenset(k for k in values if k[3] == WHOLE_SERVICE)
    return PublishedMonitoring(
        values, frozenset(suppress_by_component(values, relations, threshold, protected)), threshold, table
    )

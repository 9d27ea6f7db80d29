"""monitoring.html (self-contained: inline CSS and SVG small multiples, no scripts, no network),
monitoring.csv and the Markdown summary of one service model's outcome monitoring, all from the
disclosed view (reporting.views.monitoring) and counts (reporting.published.monitoring).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from reporting.disclosure import NOT_AVAILABLE, SUPPRESSED
from reporting.published.monitoring import PublishedMonitoring, published_monitoring
from reporting.views.monitoring import area_label, monitoring_view
from reporting.writers.environment import environment
from reporting.writers.spreadsheet import spreadsheet_safe
from scoping.scenario.geocode import authority_names
from scoping.store.outcomes import WHOLE_SERVICE, MonitoringTable, period_key

CSV_HEADER = (
    "service_model",
    "outcome_id",
    "measure_id",
    "measure",
    "unit",
    "direction",
    "case_derived",
    "area",
    "area_name",
    "period",
    "value",
    "denominator",
    "level",
    "previous_period",
    "change",
    "reading",
    "rag",
    "snapshot",
    "revised_from_snapshot",
    "note",
)


def _number(value: float) -> int | float:
    """A number for the CSV (a number, so a negative change is not taken for a formula): 3, -0.25."""
    rounded = round(value, 6)
    return int(rounded) if rounded == int(rounded) else rounded


def monitoring_csv(table: MonitoringTable, published: PublishedMonitoring, names: dict[str, str]) -> bytes:
    """monitoring.csv: one row per measure, area and period (every measure listed), disclosed."""
    catalogue = table.catalogue
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for outcome in catalogue.outcomes:
        for measure in outcome.measures:
            cells = sorted(
                table.cells_of(measure.id), key=lambda c: (c.area != WHOLE_SERVICE, c.area, period_key(c.period))
            )
            start = [
                catalogue.service_model,
                outcome.id,
                measure.id,
                measure.title,
                measure.unit,
                measure.direction,
                "yes" if measure.case_derived else "no",
            ]
            if not cells:
                empty = {
                    "area": WHOLE_SERVICE,
                    "area_name": "Whole service",
                    "period": NOT_AVAILABLE,
                    "value": NOT_AVAILABLE,
                    "denominator": "" if measure.unit in ("count", "status") else NOT_AVAILABLE,
                    "level": NOT_AVAILABLE,
                    "change": NOT_AVAILABLE,
                    "note": "no figures recorded",
                }
                writer.writerow([spreadsheet_safe(v) for v in [*start, *(empty.get(c, "") for c in CSV_HEADER[7:])]])
                continue
            for cell in cells:
                hidden = published.cell_hidden(cell)
                previous = next((c for c in cells if c.area == cell.area and c.period == cell.previous_period), None)
                hidden_change = hidden or (previous is not None and published.cell_hidden(previous))
                level = (
                    SUPPRESSED
                    if hidden
                    else NOT_AVAILABLE
                    if cell.level is None
                    else cell.value
                    if measure.unit == "status"
                    else _number(cell.level)
                )
                writer.writerow(
                    [
                        spreadsheet_safe(v)
                        for v in [
                            *start,
                            cell.area,
                            area_label(cell.area, names, cell.computed_total),
                            cell.period,
                            published.count_text("value", cell, csv_form=True)
                            if measure.case_derived
                            else (NOT_AVAILABLE if cell.value is None else cell.value),
                            ""
                            if measure.unit in ("count", "status")
                            else (
                                published.count_text("denominator", cell, csv_form=True)
                                if measure.case_derived
                                else (NOT_AVAILABLE if cell.denominator is None else cell.denominator)
                            ),
                            level,
                            cell.previous_period or "",
                            SUPPRESSED
                            if hidden_change and cell.change is not None
                            else ("" if cell.change is None else _number(cell.change)),
                            SUPPRESSED if hidden_change and cell.reading else (cell.reading or ""),
                            "" if hidden_change else (cell.rag or ""),
                            cell.snapshot or "",
                            cell.revised_from or "",
                            "sum of the areas"
                            if cell.computed_total
                            else ("withdrawn from the latest snapshot" if not cell.in_latest else ""),
                        ]
                    ]
                )
    return buffer.getvalue().encode("utf-8")


def monitoring_markdown(view: dict[str, Any]) -> str:
    lines = [
        f"# {view['title']}",
        "",
        f"{view['measures_with_data']} of {view['measures']} measures have figures; "
        f"{len(view['snapshots'])} snapshots read; {view['suppressed_points']} figures shown as c.",
        "",
        "| outcome | measure | area | latest period | latest | change | reading |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['outcome']} | {r['measure']} | {r['area']} | {r['latest_period']} | {r['latest']} | {r['change']} | "
        f"{r['reading']} |"
        for r in view["summary"]
    ]
    return "\n".join(lines)


def render_monitoring_files(
    table: MonitoringTable, threshold: int, names: dict[str, str] | None = None
) -> tuple[dict[str, bytes], dict[str, Any]]:
    """monitoring.html and monitoring.csv (in that order, the CSV last), and the view (for artifacts)."""
    if names is None:
        names = authority_names()
    published = published_monitoring(table, threshold)
    view = monitoring_view(table, published, names)
    html = environment().get_template("monitoring.html.j2").render(view=view)
    return {"monitoring.html": html.encode("utf-8"), "monitoring.csv": monitoring_csv(table, published, names)}, view

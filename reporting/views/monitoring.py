"""The outcome monitoring report of one service model: monitoring.html (self-contained: inline CSS and
SVG small multiples, no scripts, no network) and monitoring.csv, both disclosure-controlled.

Disclosure control (DESIGN.md; reporting/disclosure.py) applies to every case-derived count —
a measure's value and its denominator — in both files: 1..threshold is shown as ``c``, and
secondary suppression (`suppress`: the group rule, then an audit by linear programming) runs once
over every published relation of the model:

* a whole-service figure (given in the data, or added as the sum of the areas) and its area
  figures: ``total = sum of areas`` (plus an unpublished remainder when a given total is larger);
* a denominator that is the same figure as another measure's value (``denominator_measure``) or as
  another measure's denominator (the same ``denominator`` words), when the two are equal.

Whatever is derived from a hidden count is hidden too: its share or rate, its change from the
previous period, and its trend reading. In the charts a hidden point is not drawn at its value:
the line breaks there and a grey ``c`` marks the period on the axis; the scale comes from the shown
points only. Figures superseded by a later snapshot are not published (only the fact and the
snapshots), so two figures of one cell never appear side by side.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reporting.disclosure import NOT_AVAILABLE, SUPPRESSED, Relation, suppress
from reporting.writers.environment import environment
from reporting.writers.plan_files import spokeplan_version, spreadsheet_safe
from scoping.store.outcomes import WHOLE_SERVICE, Cell, Measure, MonitoringTable, period_key

if TYPE_CHECKING:
    from scoping.scenario import PlannedScenario

PALETTE = ("#0b0c0c", "#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#5694ca", "#b58840")
CHART_WIDTH, CHART_HEIGHT, PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 320, 170, 46, 26, 12, 34


@dataclass(frozen=True)
class PublishedMonitoring:
    """The case-derived counts of a monitoring table and which are shown as 'c'.

    Keys: ("value" | "denominator", measure_id, period, area), and ("remainder", measure_id, period,
    column) for the unpublished part of a given whole-service total larger than its areas' sum.
    """

    values: dict[tuple, int]
    hidden: frozenset
    threshold: int

    def cell_hidden(self, cell: Cell) -> bool:
        """True when the cell's value or denominator is hidden (so its share, rate and change are too)."""
        return any((column, cell.measure_id, cell.period, cell.area) in self.hidden for column in ("value", "denominator"))

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
        twins += [("denominator", other.id) for other in case_measures
                  if other.id > measure.id and other.denominator and other.denominator == measure.denominator]
        for column, other_id in twins:
            for key in [k for k in values if k[0] == "denominator" and k[1] == measure.id]:
                twin = (column, other_id, key[2], key[3])
                if twin in values and values[twin] == values[key]:
                    relations.append((key, [twin]))
    protected = frozenset(k for k in values if k[3] == WHOLE_SERVICE)
    return PublishedMonitoring(values, frozenset(suppress_by_component(values, relations, threshold, protected)),
                               threshold)


def suppress_by_component(values: dict, relations: list[Relation], threshold: int, protected: frozenset) -> set:
    """`suppress` on each group of figures tied together by relations (networkx connected components):
    figures in different components share no equation, so the result is the same, with far smaller LPs."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(values)
    for total, parts in relations:
        nx.add_path(graph, [total, *parts])
    owner = {key: index for index, component in enumerate(nx.connected_components(graph)) for key in component}
    by_component: dict[int, list[Relation]] = {}
    for relation in relations:
        by_component.setdefault(owner[relation[0]], []).append(relation)
    hidden = {key for key, value in values.items() if 1 <= value <= threshold and owner[key] not in by_component}
    for index, own_relations in sorted(by_component.items()):
        keys = {k for total, parts in own_relations for k in (total, *parts)}
        hidden |= suppress({k: values[k] for k in keys}, own_relations, threshold, protected & keys)
    return hidden


def area_label(area: str, names: dict[str, str], computed: bool = False) -> str:
    if area == WHOLE_SERVICE:
        return "All areas (sum)" if computed else "Whole service"
    return f"{names[area]} ({area})" if area in names else area


def level_text(measure: Measure, level: float | None) -> str:
    if level is None:
        return NOT_AVAILABLE
    if measure.unit == "share":
        return f"{level * 100:.1f}%"
    if measure.unit == "rate":
        return f"{level:.2f}"
    if measure.unit == "status":
        return {0.0: "no", 0.5: "partial", 1.0: "yes"}[level]
    return f"{level:,.0f}"


def change_text(measure: Measure, change: float | None) -> str:
    if change is None:
        return NOT_AVAILABLE
    sign = "+" if change > 0 else "-" if change < 0 else ""
    size = abs(change)
    if measure.unit == "share":
        return f"{sign}{size * 100:.1f} pts"
    if measure.unit == "rate":
        return f"{sign}{size:.2f}"
    if measure.unit == "status":
        return {0.0: "no change", 0.5: f"{sign}one step", 1.0: f"{sign}two steps"}[size]
    return f"{sign}{size:,.0f}"


def unit_words(measure: Measure) -> str:
    if measure.unit == "share":
        return f"share of {measure.denominator}"
    if measure.unit == "rate":
        return f"rate per {'one' if measure.per == 1 else f'{measure.per:,}'} of {measure.denominator}"
    if measure.unit == "status":
        return "yes / partial / no"
    return "count"


def trend_chart(measure: Measure, periods: tuple[str, ...], series: list[dict]) -> dict[str, Any]:
    """Pixel geometry of one small multiple: a line per area over the measure's periods.

    Hidden points are not drawn at their value: the line breaks and a 'c' marks the period at the
    foot of the chart. The y scale is 0 to the largest shown value (0-100% for shares, no-yes for a
    status), so it reveals nothing about hidden points.
    """
    plot_w = CHART_WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = CHART_HEIGHT - PAD_TOP - PAD_BOTTOM
    base_y = PAD_TOP + plot_h
    shown = [p["level"] for s in series for p in s["points"] if p["level"] is not None and not p["hidden"]]
    if measure.unit in ("share", "status"):
        top = 1.0
    else:
        top = max(shown, default=0.0) or 1.0
    step = plot_w / max(1, len(periods) - 1)
    x_of = {period: round(PAD_LEFT + (i * step if len(periods) > 1 else plot_w / 2), 1) for i, period in enumerate(periods)}

    def y_of(level: float) -> float:
        return round(base_y - level / top * plot_h, 1)

    lines, markers, dots = [], [], []
    for number, s in enumerate(series):
        segment: list[str] = []
        segments: list[str] = []
        for p in s["points"]:
            if p["level"] is None or p["hidden"]:
                if segment:
                    segments.append(" ".join(segment))
                segment = []
                if p["hidden"]:
                    markers.append({"x": x_of[p["period"]], "y": base_y - 4 - 10 * (number % 4), "colour": s["colour"],
                                    "area": s["label"], "period": p["period"]})
                continue
            x, y = x_of[p["period"]], y_of(p["level"])
            segment.append(f"{x},{y}")
            dots.append({"x": x, "y": y, "colour": s["colour"], "revised": p["revised"],
                         "title": f"{s['label']}, {p['period']}: {p['text']}" + (f" (revised in {p['snapshot']})"
                                                                                if p["revised"] else "")})
        if segment:
            segments.append(" ".join(segment))
        lines += [{"points": seg, "colour": s["colour"], "width": 2.5 if s["whole"] else 1.5} for seg in segments]
    labels = [{"x": x_of[p], "text": p} for i, p in enumerate(periods)
              if len(periods) <= 6 or i in (0, len(periods) - 1) or i % 2 == 0]
    if measure.unit == "share":
        y_ticks = [("0%", base_y), ("100%", PAD_TOP)]
    elif measure.unit == "status":
        y_ticks = [("no", base_y), ("partial", y_of(0.5)), ("yes", PAD_TOP)]
    else:
        y_ticks = [("0", base_y), (level_text(measure, top) if shown else "", PAD_TOP)]
    return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "left": PAD_LEFT, "right": CHART_WIDTH - PAD_RIGHT,
            "top": PAD_TOP, "base": base_y, "lines": lines, "dots": dots, "markers": markers,
            "x_labels": labels, "label_y": base_y + 16, "y_ticks": [{"text": t, "y": y} for t, y in y_ticks],
            "empty": not periods, "title": measure.title}


def monitoring_view(table: MonitoringTable, published: PublishedMonitoring, names: dict[str, str]) -> dict[str, Any]:
    """Everything monitoring.html shows, prepared and disclosed."""
    catalogue = table.catalogue
    measures = catalogue.measures
    trends = {(t.measure_id, t.area): t for t in table.trends}
    outcomes = []
    summary = []
    suppressed = 0
    for outcome in catalogue.outcomes:
        measure_views = []
        for measure in outcome.measures:
            periods = table.periods[measure.id]
            cells = table.cells_of(measure.id)
            areas = list(dict.fromkeys(c.area for c in cells))
            series, rows = [], []
            for index, area in enumerate(areas):
                own = {c.period: c for c in cells if c.area == area}
                computed = any(c.computed_total for c in own.values())
                label = area_label(area, names, computed)
                points, row_cells = [], []
                for period in periods:
                    cell = own.get(period)
                    hidden = cell is not None and published.cell_hidden(cell)
                    text = NOT_AVAILABLE if cell is None else SUPPRESSED if hidden else level_text(measure, cell.level)
                    revised = cell is not None and cell.revised_from is not None
                    points.append({"period": period, "level": None if cell is None else cell.level, "hidden": hidden,
                                   "text": text, "revised": revised, "snapshot": cell.snapshot if cell else None})
                    row_cells.append({"text": text, "revised": revised, "hidden": hidden,
                                      "note": (f"revised in snapshot {cell.snapshot} (replacing the figure of "
                                               f"{cell.revised_from})") if revised and cell else ""})
                series.append({"label": label, "colour": PALETTE[index % len(PALETTE)], "whole": area == WHOLE_SERVICE,
                               "points": points})
                rows.append({"label": label, "colour": PALETTE[index % len(PALETTE)], "cells": row_cells})
                trend = trends.get((measure.id, area))
                latest = own.get(trend.latest_period) if trend and trend.latest_period else None
                previous = own.get(trend.previous_period) if trend and trend.previous_period else None
                hidden_latest = latest is not None and published.cell_hidden(latest)
                hidden_change = hidden_latest or (previous is not None and published.cell_hidden(previous))
                suppressed += sum(1 for p in points if p["hidden"])
                summary.append({
                    "outcome": outcome.id, "measure": measure.title, "measure_id": measure.id, "area": label,
                    "latest_period": trend.latest_period or NOT_AVAILABLE if trend else NOT_AVAILABLE,
                    "latest": SUPPRESSED if hidden_latest else level_text(measure, latest.level if latest else None),
                    "previous": (NOT_AVAILABLE if previous is None else SUPPRESSED if published.cell_hidden(previous)
                                 else level_text(measure, previous.level)),
                    "change": SUPPRESSED if hidden_change else change_text(measure, trend.change if trend else None),
                    "reading": (SUPPRESSED if hidden_change else (trend.reading if trend and trend.reading else NOT_AVAILABLE)),
                    "rag": None if hidden_change or not trend else trend.rag,
                    "snapshot": latest.snapshot if latest and latest.snapshot else ("sum of areas" if latest else NOT_AVAILABLE),
                    "revised": bool(latest and latest.revised_from),
                })
            if not areas:
                summary.append({"outcome": outcome.id, "measure": measure.title, "measure_id": measure.id,
                                "area": "Whole service", "latest_period": NOT_AVAILABLE, "latest": NOT_AVAILABLE,
                                "previous": NOT_AVAILABLE, "change": NOT_AVAILABLE, "reading": NOT_AVAILABLE,
                                "rag": None, "snapshot": NOT_AVAILABLE, "revised": False})
            measure_views.append({
                "id": measure.id, "title": measure.title, "unit": unit_words(measure),
                "direction": f"{measure.direction} is better", "case_derived": measure.case_derived,
                "notes": measure.notes or "", "periods": list(periods), "rows": rows,
                "chart": trend_chart(measure, periods, series),
                "legend": [{"label": s["label"], "colour": s["colour"]} for s in series],
            })
        outcomes.append({"id": outcome.id, "title": outcome.title, "seed": outcome.seed,
                         "term": {"short": "short term", "medium": "medium to long term"}.get(outcome.term or "", ""),
                         "measures": measure_views})
    with_data = sum(1 for m in measures if table.periods[m])
    return {
        "title": f"Outcome monitoring: {catalogue.title}", "service_model": catalogue.service_model,
        "seed": catalogue.seed, "snapshots": list(table.snapshots), "threshold": published.threshold,
        "outcomes": outcomes, "summary": summary, "measures": len(measures), "measures_with_data": with_data,
        "suppressed_points": suppressed, "version": spokeplan_version(),
    }


CSV_HEADER = ("service_model", "outcome_id", "measure_id", "measure", "unit", "direction", "case_derived", "area",
              "area_name", "period", "value", "denominator", "level", "previous_period", "change", "reading", "rag",
              "snapshot", "revised_from_snapshot", "note")


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
            cells = sorted(table.cells_of(measure.id), key=lambda c: (c.area != WHOLE_SERVICE, c.area, period_key(c.period)))
            start = [catalogue.service_model, outcome.id, measure.id, measure.title, measure.unit, measure.direction,
                     "yes" if measure.case_derived else "no"]
            if not cells:
                empty = {"area": WHOLE_SERVICE, "area_name": "Whole service", "period": NOT_AVAILABLE,
                         "value": NOT_AVAILABLE, "denominator": "" if measure.unit in ("count", "status") else NOT_AVAILABLE,
                         "level": NOT_AVAILABLE, "change": NOT_AVAILABLE, "note": "no figures recorded"}
                writer.writerow([spreadsheet_safe(v) for v in [*start, *(empty.get(c, "") for c in CSV_HEADER[7:])]])
                continue
            for cell in cells:
                hidden = published.cell_hidden(cell)
                previous = next((c for c in cells if c.area == cell.area and c.period == cell.previous_period), None)
                hidden_change = hidden or (previous is not None and published.cell_hidden(previous))
                level = (SUPPRESSED if hidden else NOT_AVAILABLE if cell.level is None
                         else cell.value if measure.unit == "status" else _number(cell.level))
                writer.writerow([spreadsheet_safe(v) for v in [
                    *start, cell.area, area_label(cell.area, names, cell.computed_total), cell.period,
                    published.count_text("value", cell, csv_form=True) if measure.case_derived else
                    (NOT_AVAILABLE if cell.value is None else cell.value),
                    "" if measure.unit in ("count", "status") else (
                        published.count_text("denominator", cell, csv_form=True) if measure.case_derived
                        else (NOT_AVAILABLE if cell.denominator is None else cell.denominator)),
                    level, cell.previous_period or "",
                    SUPPRESSED if hidden_change and cell.change is not None else
                    ("" if cell.change is None else _number(cell.change)),
                    SUPPRESSED if hidden_change and cell.reading else (cell.reading or ""),
                    "" if hidden_change else (cell.rag or ""),
                    cell.snapshot or "", cell.revised_from or "",
                    "sum of the areas" if cell.computed_total else ("withdrawn from the latest snapshot"
                                                                    if not cell.in_latest else "")]])
    return buffer.getvalue().encode("utf-8")


def monitoring_markdown(view: dict[str, Any]) -> str:
    lines = [f"# {view['title']}", "", f"{view['measures_with_data']} of {view['measures']} measures have figures; "
             f"{len(view['snapshots'])} snapshots read; {view['suppressed_points']} figures shown as c.", "",
             "| outcome | measure | area | latest period | latest | change | reading |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['outcome']} | {r['measure']} | {r['area']} | {r['latest_period']} | {r['latest']} | {r['change']} | "
              f"{r['reading']} |" for r in view["summary"]]
    return "\n".join(lines)


def render_monitoring_files(table: MonitoringTable, threshold: int,
                            names: dict[str, str] | None = None) -> tuple[dict[str, bytes], dict[str, Any]]:
    """monitoring.html and monitoring.csv (in that order, the CSV last), and the view (for artifacts)."""
    if names is None:
        from scoping.scenario.geocode import authority_names

        names = authority_names()
    published = published_monitoring(table, threshold)
    view = monitoring_view(table, published, names)
    html = environment().get_template("monitoring.html.j2").render(view=view)
    return {"monitoring.html": html.encode("utf-8"), "monitoring.csv": monitoring_csv(table, published, names)}, view


# ---------------------------------------------------------------------------------------------
# The plan's report (scenario.yaml `monitoring_store`): the same view, disclosure and charts
# ---------------------------------------------------------------------------------------------


def monitoring_names(planned: "PlannedScenario") -> dict[str, str]:
    """Area labels of the plan's monitoring section: the scenario's authority and hub names, else the
    ONS names of authority codes (scoping.scenario.geocode)."""
    from scoping.scenario.geocode import authority_names

    inst = planned.instance
    return {**authority_names(), **{a.authority_code: a.name for a in inst.authorities},
            **{h.hub_id: h.name for h in inst.hubs}}


def plan_published_monitoring(planned: "PlannedScenario", threshold: int) -> PublishedMonitoring | None:
    """Disclosure control of the scenario's monitoring table (None without `monitoring_store`).

    A suppression problem of its own: outcome returns are recorded figures, tied by no sum to the
    plan's estimated cases at a time, so no relation crosses the two."""
    table = planned.scenario.monitoring
    return None if table is None else published_monitoring(table, threshold)


def plan_monitoring_view(planned: "PlannedScenario", published: PublishedMonitoring | None) -> dict[str, Any] | None:
    """report.html's "Outcomes monitoring" (and plan.xlsx's Monitoring sheet): `monitoring_view`
    of the scenario's store, plus what the section says when the store has no figures for the model."""
    table = planned.scenario.monitoring
    if table is None or published is None:
        return None
    view = monitoring_view(table, published, monitoring_names(planned))
    view["catalogue_title"] = table.catalogue.title
    view["store"] = planned.scenario.rules.monitoring_store
    view["empty"] = view["measures_with_data"] == 0
    return view


def monitoring_document(table: MonitoringTable) -> dict[str, Any]:
    """plan.json `monitoring` (README "Outcome monitoring"): which store snapshot the report read and
    which measures had figures. No figures (they are published, disclosed, in report.html) and no
    time of the run: the same store gives the same plan.json."""
    with_figures = [m for m in table.catalogue.measures if table.periods[m]]
    return {"service_model": table.catalogue.service_model,
            "store_snapshot": table.snapshots[-1] if table.snapshots else None,
            "snapshots": list(table.snapshots), "measures": len(table.catalogue.measures),
            "measures_with_figures": with_figures}

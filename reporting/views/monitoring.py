"""The outcome monitoring report of one service model as data: what monitoring.html (and a plan
report's "Outcomes monitoring" section, and plan.xlsx's Monitoring sheet) shows, disclosed.

Disclosure control is worked out in :mod:`reporting.published.monitoring`. Whatever is derived from a
hidden count is hidden too: its share or rate, its change from the previous period, and its trend
reading. In the charts a hidden point is not drawn at its value: the line breaks there and a grey
``c`` marks the period on the axis; the scale comes from the shown points only. Figures superseded
by a later snapshot are not published (only the fact and the snapshots), so two figures of one cell
never appear side by side.
"""

from __future__ import annotations

from typing import Any

from common.version import spokeplan_version
from reporting.disclosure import NOT_AVAILABLE, SUPPRESSED
from reporting.published.monitoring import PublishedMonitoring
from scoping.scenario.build import PlannedScenario
from scoping.scenario.catalogue import Measure
from scoping.scenario.geocode import authority_names
from scoping.store.outcomes import WHOLE_SERVICE, MonitoringTable

PALETTE = ("#0b0c0c", "#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#5694ca", "#b58840")
CHART_WIDTH, CHART_HEIGHT, PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 320, 170, 46, 26, 12, 34


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
    x_of = {
        period: round(PAD_LEFT + (i * step if len(periods) > 1 else plot_w / 2), 1) for i, period in enumerate(periods)
    }

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
                    markers.append(
                        {
                            "x": x_of[p["period"]],
                            "y": base_y - 4 - 10 * (number % 4),
                            "colour": s["colour"],
                            "area": s["label"],
                            "period": p["period"],
                        }
                    )
                continue
            x, y = x_of[p["period"]], y_of(p["level"])
            segment.append(f"{x},{y}")
            dots.append(
                {
                    "x": x,
                    "y": y,
                    "colour": s["colour"],
                    "revised": p["revised"],
                    "title": f"{s['label']}, {p['period']}: {p['text']}"
                    + (f" (revised in {p['snapshot']})" if p["revised"] else ""),
                }
            )
        if segment:
            segments.append(" ".join(segment))
        lines += [{"points": seg, "colour": s["colour"], "width": 2.5 if s["whole"] else 1.5} for seg in segments]
    labels = [
        {"x": x_of[p], "text": p}
        for i, p in enumerate(periods)
        if len(periods) <= 6 or i in (0, len(periods) - 1) or i % 2 == 0
    ]
    y_ticks: list[tuple[str, float]]
    if measure.unit == "share":
        y_ticks = [("0%", base_y), ("100%", PAD_TOP)]
    elif measure.unit == "status":
        y_ticks = [("no", base_y), ("partial", y_of(0.5)), ("yes", PAD_TOP)]
    else:
        y_ticks = [("0", base_y), (level_text(measure, top) if shown else "", PAD_TOP)]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": PAD_LEFT,
        "right": CHART_WIDTH - PAD_RIGHT,
        "top": PAD_TOP,
        "base": base_y,
        "lines": lines,
        "dots": dots,
        "markers": markers,
        "x_labels": labels,
        "label_y": base_y + 16,
        "y_ticks": [{"text": t, "y": y} for t, y in y_ticks],
        "empty": not periods,
        "title": measure.title,
    }


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
                    points.append(
                        {
                            "period": period,
                            "level": None if cell is None else cell.level,
                            "hidden": hidden,
                            "text": text,
                            "revised": revised,
                            "snapshot": cell.snapshot if cell else None,
                        }
                    )
                    row_cells.append(
                        {
                            "text": text,
                            "revised": revised,
                            "hidden": hidden,
                            "note": (
                                f"revised in snapshot {cell.snapshot} (replacing the figure of {cell.revised_from})"
                            )
                            if revised and cell
                            else "",
                        }
                    )
                series.append(
                    {
                        "label": label,
                        "colour": PALETTE[index % len(PALETTE)],
                        "whole": area == WHOLE_SERVICE,
                        "points": points,
                    }
                )
                rows.append({"label": label, "colour": PALETTE[index % len(PALETTE)], "cells": row_cells})
                trend = trends.get((measure.id, area))
                latest = own.get(trend.latest_period) if trend and trend.latest_period else None
                previous = own.get(trend.previous_period) if trend and trend.previous_period else None
                hidden_latest = latest is not None and published.cell_hidden(latest)
                hidden_change = hidden_latest or (previous is not None and published.cell_hidden(previous))
                suppressed += sum(1 for p in points if p["hidden"])
                summary.append(
                    {
                        "outcome": outcome.id,
                        "measure": measure.title,
                        "measure_id": measure.id,
                        "area": label,
                        "latest_period": trend.latest_period or NOT_AVAILABLE if trend else NOT_AVAILABLE,
                        "latest": SUPPRESSED
                        if hidden_latest
                        else level_text(measure, latest.level if latest else None),
                        "previous": (
                            NOT_AVAILABLE
                            if previous is None
                            else SUPPRESSED
                            if published.cell_hidden(previous)
                            else level_text(measure, previous.level)
                        ),
                        "change": SUPPRESSED
                        if hidden_change
                        else change_text(measure, trend.change if trend else None),
                        "reading": (
                            SUPPRESSED
                            if hidden_change
                            else (trend.reading if trend and trend.reading else NOT_AVAILABLE)
                        ),
                        "rag": None if hidden_change or not trend else trend.rag,
                        "snapshot": latest.snapshot
                        if latest and latest.snapshot
                        else ("sum of areas" if latest else NOT_AVAILABLE),
                        "revised": bool(latest and latest.revised_from),
                    }
                )
            if not areas:
                summary.append(
                    {
                        "outcome": outcome.id,
                        "measure": measure.title,
                        "measure_id": measure.id,
                        "area": "Whole service",
                        "latest_period": NOT_AVAILABLE,
                        "latest": NOT_AVAILABLE,
                        "previous": NOT_AVAILABLE,
                        "change": NOT_AVAILABLE,
                        "reading": NOT_AVAILABLE,
                        "rag": None,
                        "snapshot": NOT_AVAILABLE,
                        "revised": False,
                    }
                )
            measure_views.append(
                {
                    "id": measure.id,
                    "title": measure.title,
                    "unit": unit_words(measure),
                    "direction": f"{measure.direction} is better",
                    "case_derived": measure.case_derived,
                    "notes": measure.notes or "",
                    "periods": list(periods),
                    "rows": rows,
                    "chart": trend_chart(measure, periods, series),
                    "legend": [{"label": s["label"], "colour": s["colour"]} for s in series],
                }
            )
        outcomes.append(
            {
                "id": outcome.id,
                "title": outcome.title,
                "seed": outcome.seed,
                "term": {"short": "short term", "medium": "medium to long term"}.get(outcome.term or "", ""),
                "measures": measure_views,
            }
        )
    with_data = sum(1 for m in measures if table.periods[m])
    return {
        "title": f"Outcome monitoring: {catalogue.title}",
        "service_model": catalogue.service_model,
        "seed": catalogue.seed,
        "snapshots": list(table.snapshots),
        "threshold": published.threshold,
        "outcomes": outcomes,
        "summary": summary,
        "measures": len(measures),
        "measures_with_data": with_data,
        "suppressed_points": suppressed,
        "version": spokeplan_version(),
    }


# ---------------------------------------------------------------------------------------------
# The plan's report (scenario.yaml `monitoring_store`): the same view, disclosure and charts
# ---------------------------------------------------------------------------------------------


def monitoring_names(planned: PlannedScenario) -> dict[str, str]:
    """Area labels of the plan's monitoring section: the scenario's authority and hub names, else the
    ONS names of authority codes (scoping.scenario.geocode)."""
    inst = planned.instance
    return {
        **authority_names(),
        **{a.authority_code: a.name for a in inst.authorities},
        **{h.hub_id: h.name for h in inst.hubs},
    }


def plan_monitoring_view(planned: PlannedScenario, published: PublishedMonitoring | None) -> dict[str, Any] | None:
    """report.html's "Outcomes monitoring" (and plan.xlsx's Monitoring sheet): `monitoring_view`
    of the scenario's store, plus what the section says when the store has no figures for the model
    (None without scenario.yaml `monitoring_store`)."""
    if published is None:
        return None
    table = published.table
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
    return {
        "service_model": table.catalogue.service_model,
        "store_snapshot": table.snapshots[-1] if table.snapshots else None,
        "snapshots": list(table.snapshots),
        "measures": len(table.catalogue.measures),
        "measures_with_figures": with_figures,
    }

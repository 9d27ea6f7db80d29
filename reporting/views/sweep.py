"""The sweep comparison as data: what sweep's report.html shows (rendered by reporting/writers/sweep.py).

Views are prepared here (templates hold no logic): the coverage-cost frontier as inline SVG
coordinates, the variants table, what changes between neighbouring variants along the frontier
(ordered by cost), and the marginal-value curve (covered cases with at most 1..N spokes).
Counts of cases go through disclosure control (``c`` for 1..threshold) in every table and chart
label of the public pack, and a difference next to a suppressed count is suppressed too (it would
reveal it); when every area's demand of the base scenario is a modelled estimate, covered and demand
are estimates, shown rounded to the nearest 5 and marked '≈' instead (issue #17). The internal pack's
view passes threshold 0: exact figures. sweep.json of the internal pack holds the exact figures.
"""

from __future__ import annotations

from typing import Any

from reporting.disclosure import ESTIMATE_MARK, disclose, estimate_text, round_estimate
from scoping.scenario.sweep import SweepSpec, neighbour_changes, setting_text

WIDTH, HEIGHT, PAD = 640, 300, 48


def _scale(values: list[float], lo_px: float, hi_px: float):
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    return lambda v: round(lo_px + (v - lo) / span * (hi_px - lo_px), 1)


def pareto(rows: list[dict]) -> list[dict]:
    """Variants no other variant beats on both cost (lower) and coverage (higher), by cost."""
    frontier: list[dict] = []
    for row in sorted(rows, key=lambda r: (r["cost_per_year"], -r["covered"], r["name"])):
        if not frontier or row["covered"] > frontier[-1]["covered"]:
            frontier.append(row)
    return frontier


def figure_text(value: float | None, threshold: int, estimates: bool = False) -> str:
    """A count of cases as the pack shows it: disclosed ('c' for 1..threshold), or a rounded estimate."""
    return estimate_text(value) if estimates and value is not None else disclose(value, threshold)


def chart(
    points: list[tuple[float, float, str]],
    line: list[tuple[float, float]],
    x_label: str,
    y_label: str,
    threshold: int,
    estimates: bool = False,
) -> dict[str, Any]:
    """Pixel coordinates for an SVG scatter/line chart; points with suppressed y are left out, estimates
    are drawn at their rounded value."""
    if estimates:
        points = [(x, round_estimate(y), label) for x, y, label in points]
        line = [(x, round_estimate(y)) for x, y in line]
    shown = [p for p in points if figure_text(p[1], threshold, estimates) != "c"]
    line = [p for p in line if figure_text(p[1], threshold, estimates) != "c"]
    if not shown:
        return {
            "width": WIDTH,
            "height": HEIGHT,
            "points": [],
            "polyline": "",
            "x_ticks": [],
            "y_ticks": [],
            "x_label": x_label,
            "y_label": y_label,
            "pad": PAD,
        }
    xs = [p[0] for p in shown]
    ys = [0.0] + [p[1] for p in shown]
    sx = _scale(xs, PAD, WIDTH - PAD / 2)
    sy = _scale(ys, HEIGHT - PAD, PAD / 2)
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "pad": PAD,
        "x_label": x_label,
        "y_label": y_label,
        "points": [
            {"x": sx(x), "y": sy(y), "label": label, "value": figure_text(y, threshold, estimates)}
            for x, y, label in shown
        ],
        "polyline": " ".join(f"{sx(x)},{sy(y)}" for x, y in line),
        "x_ticks": [{"x": sx(v), "label": v} for v in sorted({min(xs), max(xs)})],
        "y_ticks": [{"y": sy(v), "label": figure_text(v, threshold, estimates)} for v in sorted({0.0, max(ys)})],
    }


def settings_text(settings: dict) -> str:
    """A variant's settings: 'budget_per_year=£780,000, caseload_min=8' (scoping.scenario.sweep.setting_text)."""
    return ", ".join(f"{key}={setting_text(key, value)}" for key, value in settings.items()) or "base"


def sweep_view(
    spec: SweepSpec, rows: list[dict], threshold: int, estimates: bool = False, pack: dict | None = None
) -> dict[str, Any]:
    """The sweep report's sections. `threshold` 0 (internal pack): exact; `estimates`: covered and
    demand are modelled estimates (rounded, marked); `pack`: the page's pack (marking, legends)."""
    comparable = [r for r in rows if r["kind"] != "marginal"]
    feasible = [r for r in comparable if r["covered"] is not None]
    frontier = pareto(feasible)
    frontier_names = {r["name"] for r in frontier}
    by_cost = sorted(feasible, key=lambda r: (r["cost_per_year"], r["covered"], r["name"]))
    neighbours = []
    for before, after in zip(by_cost, by_cost[1:]):
        change = neighbour_changes(before, after, dict(spec.base_values))
        hidden = "c" in (disclose(before["covered"], threshold), disclose(after["covered"], threshold))
        if estimates:  # the difference of the two rounded figures, marked
            delta = round_estimate(after["covered"]) - round_estimate(before["covered"])
            change["covered_delta"] = f"{ESTIMATE_MARK}{'+' if delta > 0 else '-' if delta < 0 else ''}{abs(delta):,}"
        else:
            change["covered_delta"] = (
                "c"
                if hidden
                else (
                    ("+" if change["covered_delta"] > 0 else "-" if change["covered_delta"] < 0 else "")
                    + disclose(abs(change["covered_delta"]), threshold)
                )
            )
        neighbours.append(change)
    table = []
    for r in comparable:
        share = r["covered"] / r["demand"] if r["covered"] is not None and r["demand"] else None
        if estimates and share is not None:
            shown_demand = round_estimate(r["demand"])
            share = round_estimate(r["covered"]) / shown_demand if shown_demand else None
        table.append(
            {
                "name": r["name"],
                "settings": settings_text(r["settings"]),
                "status": r["status"],
                "covered": figure_text(r["covered"], threshold, estimates),
                "demand": figure_text(r["demand"], threshold, estimates),
                "share": share,
                "spokes": r["spokes_total"],
                "cost": r["cost_per_year"],
                "gap": r["gap"],
                "frontier": r["name"] in frontier_names,
                "reasons": r.get("reasons") or [],
            }
        )
    marginal = [r for r in rows if r["kind"] == "marginal"]
    curve = []
    previous = None
    for r in marginal:
        spokes = r["settings"]["max_spokes"]
        gain = None if r["covered"] is None or previous is None else r["covered"] - previous
        if estimates:
            gain_text = None if gain is None else estimate_text(round_estimate(r["covered"]) - round_estimate(previous))
        else:
            if gain is not None and "c" in (disclose(previous, threshold), disclose(r["covered"], threshold)):
                gain = 1  # secondary suppression: a gain next to a suppressed count would reveal it
            gain_text = None if gain is None else disclose(gain, threshold) if gain else "0"
        curve.append(
            {
                "spokes": spokes,
                "status": r["status"],
                "reasons": r.get("reasons") or [],
                "covered": figure_text(r["covered"], threshold, estimates),
                "gain": gain_text,
                "used": r["spokes_total"],
                "cost": r["cost_per_year"],
            }
        )
        if r["covered"] is not None:
            previous = r["covered"]
    frontier_chart = chart(
        [(r["cost_per_year"], r["covered"], r["name"]) for r in feasible],
        [(r["cost_per_year"], r["covered"]) for r in frontier],
        "cost per year (£)",
        "cases covered",
        threshold,
        estimates,
    )
    curve_points = [
        (r["settings"]["max_spokes"], r["covered"], r["name"]) for r in marginal if r["covered"] is not None
    ]
    curve_chart = chart(
        curve_points, [(x, y) for x, y, _ in curve_points], "spokes (at most)", "cases covered", threshold, estimates
    )
    artifact_rows = [
        {
            "variant": t["name"],
            "status": t["status"],
            "covered": t["covered"],
            "spokes": t["spokes"],
            "cost_per_year": t["cost"],
            "on_frontier": t["frontier"],
        }
        for t in table
    ]
    lines = [
        f"# Sweep: {spec.name}",
        "",
        f"{len(rows)} variants ({len(marginal)} on the marginal-value curve), "
        f"{len(feasible)} of {len(comparable)} compared variants feasible, {len(frontier)} on the frontier.",
        "",
        "| variant | covered | spokes | cost per year |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {t['name']} | {t['covered']} | {t['spokes'] if t['spokes'] is not None else ':'} | "
        f"{'£{:,.0f}'.format(t['cost']) if t['cost'] is not None else ':'} |"
        for t in table
    ]
    return {
        "name": spec.name,
        "table": table,
        "neighbours": neighbours,
        "curve": curve,
        "frontier_chart": frontier_chart,
        "curve_chart": curve_chart,
        "artifact_rows": artifact_rows,
        "markdown": "\n".join(lines),
        "variants": len(rows),
        "threshold": threshold,
        "pack": pack or {"exact": threshold == 0, "marking": None, "estimates": ""},
    }

"""Scoping reports as data: one view per authority's page and one for the index page.

Each page shows an authority on the evaluation's four scoping dimensions (seed 001 message 7):
service landscape, geography (with an inline SVG map of the footprint, candidate hosts, hubs and
demand areas), demography with the demand estimate and its sensitivity, and the CSE profile
benchmarked against England and nearest neighbours; then the recommendations with their sources.
Pages need no network access (inline CSS and SVG, no scripts) and print on A4.

Views are prepared here — rounded, ordered and disclosed — so templates hold no logic beyond loops
and the shared number filters (:mod:`reporting.writers.environment`, autoescaped: hostile names are
escaped). Disclosure control (DESIGN.md) is applied at this boundary, in the public pack (issue #17),
to every count derived from case-level data — demand given in areas.csv, cases within reach,
published CSE counts — and to rates computed from a hidden count; a total whose parts include
exactly one hidden cell gets secondary suppression. Modelled estimates — the demand estimate and its
range, demand estimated for areas without it — are shown rounded to the nearest 5 and marked '≈'.
The internal pack shows every figure exact (threshold 0) under the protective marking. Counts of
services and host sites are not case data and are shown as they are.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable
from collections.abc import Set as AbstractSet
from html import escape
from typing import Any

import shapely
from shapely.geometry import Point

from reporting.disclosure import (
    ESTIMATE_MARK,
    PUBLIC,
    SUPPRESSED,
    Pack,
    Relation,
    disclose,
    estimate_bounds,
    estimate_legend,
    estimate_text,
    round_estimate,
    suppress,
    suppressed_cells,
)
from reporting.views.map_svg import Frame, svg_path
from scoping.analysis.benchmarks import Benchmark
from scoping.analysis.importers import format_period
from scoping.analysis.profiles import PENCE_PER_MILE, SERVICE_TYPE_LABELS, VISITS_PER_CASE_YEAR, AuthorityProfile
from scoping.analysis.recommendations import Recommendation
from scoping.scenario.build import PlannedScenario
from scoping.scenario.travel import CASEWORK_DIRECTION, ESTIMATED, MODE_WORDS

MAP_WIDTH = 640
MAP_MARGIN_M = 3000.0
HOST_COLOURS = {
    "police": "#2b6cb0",
    "social_care": "#2c7a7b",
    "multi_agency": "#553c9a",
    "community": "#c05621",
    "voluntary": "#b7791f",
    "outreach": "#718096",
}
RAG_WORDS = {"red": "markedly higher", "amber": "higher", "green": "similar or lower"}


def report_file_name(code: str) -> str:
    """File name of an authority's page (codes are validated GSS codes; kept safe regardless)."""
    return f"scoping-{re.sub(r'[^A-Za-z0-9]', '_', code)}.html"


# ---------------------------------------------------------------------------------------------
# Map
# ---------------------------------------------------------------------------------------------


def footprint_map(profile: AuthorityProfile, planned: PlannedScenario, threshold: int, pack: Pack = PUBLIC) -> str:
    """Inline SVG: the authority's footprint, its demand areas, candidate hosts and the hubs nearest them.
    An area whose demand is a modelled estimate is drawn and labelled at its rounded value (public pack)."""
    inst = planned.instance
    areas = [a for a in inst.areas if a.authority_code == profile.code]
    hosts = [h for h in inst.hosts if h.authority_code == profile.code]
    footprint = profile.geography.footprint
    nearest_hubs = set()
    for host in hosts:  # the hub nearest each candidate host (straight line), to show supervision distance
        best = min(
            inst.hubs, key=lambda h: (math.hypot(h.easting - host.easting, h.northing - host.northing), h.hub_id)
        )
        nearest_hubs.add(best.hub_id)
    hubs = [
        h
        for h in inst.hubs
        if h.hub_id in nearest_hubs
        or (footprint is not None and footprint.geometry.contains(Point(h.easting, h.northing)))
    ]
    shapes = (
        [Point(p.easting, p.northing) for p in areas]
        + [Point(p.easting, p.northing) for p in hosts]
        + [Point(p.easting, p.northing) for p in hubs]
    )
    if profile.geography.footprint is not None:
        shapes.append(profile.geography.footprint.geometry)
    if not shapes:
        return ""
    min_x, min_y, max_x, max_y = shapely.union_all(shapes).buffer(MAP_MARGIN_M).bounds
    scale = MAP_WIDTH / (max_x - min_x)
    height = int(math.ceil((max_y - min_y) * scale))
    frame = Frame(min_x, max_y, scale, height)
    xy = frame.xy
    # Per-area demand is disclosed like a table whose total is published: an area hidden alone
    # would be recoverable from the authority's total, so secondary suppression applies; hidden
    # areas are all drawn at the same size.
    modelled = set() if pack.exact else {a.area_id for a in areas if a.area_id in planned.estimated_demand}
    values = {a.area_id: a.demand for a in areas}
    values["total"] = sum(a.demand for a in areas)
    # modelled areas count as shown (their rounded value is); one hidden alongside is shown as c
    hidden = suppressed_cells({k: 0 if k in modelled else v for k, v in values.items()}, [list(values)], threshold)
    drawn = {a.area_id: round_estimate(a.demand) if a.area_id in modelled else a.demand for a in areas}

    name = escape(profile.name)
    out = [
        f'<svg class="footprint-map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {MAP_WIDTH} {height}" '
        f'width="100%" role="img" aria-label="Map of {name}: footprint, demand areas, candidate hosts and hubs">',
        f"<title>{name}: footprint, demand areas, candidate hosts and hubs</title>",
    ]
    if profile.geography.footprint is not None:
        out.append(
            f'<path d="{svg_path(profile.geography.footprint.geometry, frame)}" fill="#e6eef7" '
            f'stroke="#4a6785" stroke-width="1"><title>{name} footprint '
            f"({escape(profile.geography.footprint.source)})</title></path>"
        )
        # scale bar: 10 km
        x0, y0 = 10, height - 12
        out.append(
            f'<line x1="{x0}" y1="{y0}" x2="{x0 + 10_000 * scale:.1f}" y2="{y0}" stroke="#1a202c" stroke-width="2"/>'
            f'<text x="{x0}" y="{y0 - 4}" class="map-note">10 km</text>'
        )
    max_demand = max(drawn.values(), default=0) or 1
    for area in areas:
        x, y = xy(area.easting, area.northing)
        demand = drawn[area.area_id]
        if area.area_id in hidden:
            radius, shown = 3.5, SUPPRESSED
        else:
            radius = 2.0 if demand == 0 else 2 + 7 * math.sqrt(demand / max_demand)
            shown = estimate_text(area.demand) if area.area_id in modelled else disclose(area.demand, threshold)
        out.append(
            f'<circle cx="{x}" cy="{y}" r="{radius:.1f}" fill="#c53030" fill-opacity="0.45" stroke="#742a2a" '
            f'stroke-width="0.5"><title>{escape(area.name)}: demand {shown}</title></circle>'
        )
    for host in hosts:
        x, y = xy(host.easting, host.northing)
        colour = HOST_COLOURS.get(host.host_type, "#4a5568")
        out.append(
            f'<rect x="{x - 4.5}" y="{y - 4.5}" width="9" height="9" fill="{colour}" stroke="#1a202c" '
            f'stroke-width="0.6"><title>{escape(host.name)} ({escape(host.host_type)})</title></rect>'
        )
    for hub in hubs:
        x, y = xy(hub.easting, hub.northing)
        out.append(
            f'<polygon points="{x},{y - 9} {x + 8},{y} {x},{y + 9} {x - 8},{y}" fill="#6b46c1" stroke="#322659">'
            f"<title>{escape(hub.name)} (hub)</title></polygon>"
        )
    out.append("</svg>")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------


def _trend_text(b: Benchmark) -> str:
    """'+12% 2022→2024': the change from the first to the last period with figures; '' without a trend."""
    if b.trend is None or b.trend_change is None or b.first_period is None or b.last_period is None:
        return ""  # trend_of gives all four or none
    return f"{b.trend_change * 100:+.0f}% {format_period(b.first_period)}→{format_period(b.last_period)}"


def _bars(items: list[tuple[str, float | None]]) -> list[dict[str, Any]]:
    """Label, value and a width (percent of the largest) for a small CSS bar chart."""
    top = max((v for _, v in items if v is not None), default=0) or 1
    return [
        {"label": label, "value": value, "width": 0 if value is None else round(100 * value / top, 1)}
        for label, value in items
    ]


def _number(value: float | None, digits: int = 1) -> str:
    return ":" if value is None else f"{value:,.{digits}f}"


def demand_cells(profile: AuthorityProfile, threshold: int, pack: Pack = PUBLIC) -> dict[str, str]:
    """Demand figures of the page, disclosed with secondary suppression, and the share in reach.

    Public pack (issue #17): demand estimated for areas without it is a modelled estimate, shown rounded
    and marked; when every area's demand is estimated, so are the total and the demand in reach. Given
    and estimated demand side by side are audited together (reporting.disclosure.suppress: the rounded
    estimate is a figure a reader knows to within 2)."""
    geo, dem = profile.geography, profile.demography
    values = {
        "total": geo.demand_total,
        "given": dem.demand_given,
        "estimated": dem.demand_estimated,
        "in_reach": geo.demand_in_reach,
        "beyond": geo.demand_total - geo.demand_in_reach,
    }
    relations: list[Relation] = [("total", ["given", "estimated"]), ("total", ["in_reach", "beyond"])]
    estimates: set[str] = set()
    hidden: AbstractSet[Hashable] = set()  # the internal pack (exact) hides nothing
    if not pack.exact and dem.demand_estimated == 0:
        hidden = suppressed_cells(values, [[t, *parts] for t, parts in relations], threshold)
    elif not pack.exact:
        estimates = {"estimated"} | ({"total", "in_reach", "beyond"} if dem.demand_given == 0 else set())
        bounds = {key: estimate_bounds(values[key]) for key in estimates}
        hidden = suppress(values, relations, threshold, frozenset(), bounds, frozenset(estimates))
    cells = {
        key: SUPPRESSED
        if key in hidden
        else estimate_text(value)
        if key in estimates
        else f"{value:,}"
        if pack.exact
        else disclose(value, threshold)
        for key, value in values.items()
    }
    share_hidden = "in_reach" in hidden or "beyond" in hidden or geo.share_in_reach is None
    if "in_reach" in estimates and geo.share_in_reach is not None:  # from the rounded figures
        total = round_estimate(geo.demand_total)
        cells["share_in_reach"] = (
            f"{ESTIMATE_MARK}{round_estimate(geo.demand_in_reach) / total * 100:.0f}%" if total else ":"
        )
        return cells
    cells["share_in_reach"] = (
        SUPPRESSED
        if share_hidden and geo.share_in_reach is not None
        else (":" if geo.share_in_reach is None else f"{geo.share_in_reach * 100:.0f}%")
    )
    return cells


def sources_text(counts: dict[str, int], noun: str) -> str:
    """Where the times behind a figure come from: 'estimated for 10 areas, measured for 2'."""
    order = sorted(counts, key=lambda source: (source != ESTIMATED, source))
    parts = [
        f"{source} for {counts[source]:,}" + (f" {noun}{'' if counts[source] == 1 else 's'}" if k == 0 else "")
        for k, source in enumerate(order)
    ]
    return ", ".join(parts) if parts else "no times"


def _per_case_year_cost(value: float | None, casework_mode: str, digits: int, prefix: str = "") -> str:
    """A mileage figure: the value by car; z (not applicable) when young people travel by public transport."""
    if casework_mode != "car":
        return "z"
    return ":" if value is None else f"{prefix}{value:,.{digits}f}"


def profile_title(planned: PlannedScenario) -> str:
    """The fourth scoping dimension's title: the service model's `profile_title` ("CSE profile" by default)."""
    model = planned.scenario.service_model
    return model.spec.profile_title if model is not None else "CSE profile"


def estimate_shown(value: int | None, pack: Pack) -> str:
    """A modelled estimate (the demand estimate): exact in the internal pack, '≈25' in the public pack."""
    if value is None:
        return ":"
    return f"{value:,}" if pack.exact else estimate_text(value)


def authority_view(
    profile: AuthorityProfile,
    planned: PlannedScenario,
    recommendations: list[Recommendation],
    threshold: int,
    pack: Pack = PUBLIC,
) -> dict[str, Any]:
    """Everything one authority's page shows, prepared and disclosed for `pack` (the internal pack
    passes threshold 0: exact)."""
    rules = planned.scenario.rules
    geo, dem, cse, services = profile.geography, profile.demography, profile.cse, profile.services
    estimate = dem.estimate
    benchmarks = []
    for b in cse.benchmarks:
        value = SUPPRESSED if b.hidden and not pack.exact else _number(b.value)
        benchmarks.append(
            {
                "label": b.label,
                "value": value,
                "england": _number(b.england),
                "neighbours": _number(b.neighbours_mean),
                "neighbours_with_figure": b.neighbours_with_figure,
                "comparator": b.comparator or ":",
                "rag": b.rag or "none",
                "rag_words": RAG_WORDS.get(b.rag or "", "no comparator"),
                "trend": b.trend or ":",
                "trend_text": _trend_text(b),
                "bars": _bars(
                    [
                        ("this authority", None if b.hidden and not pack.exact else b.value),
                        ("neighbours", b.neighbours_mean),
                        ("England", b.england),
                    ]
                ),
            }
        )
    return {
        "title": f"Scoping report: {profile.name}",
        "code": profile.code,
        "name": profile.name,
        "aim": profile.aim,
        "required": profile.required,
        "scenario_name": rules.name or str(planned.scenario.directory),
        "profile_title": profile_title(planned),
        "threshold": threshold,
        "pack": {"name": pack.name, "exact": pack.exact, "marking": pack.marking, "estimates": estimate_legend()},
        "demand": demand_cells(profile, threshold, pack),
        "services": {
            "rows": _bars([(SERVICE_TYPE_LABELS[k], v) for k, v in services.services_by_type.items() if v]),
            "list": [{"id": s[0], "name": s[1], "type": SERVICE_TYPE_LABELS[s[2]]} for s in services.services],
            "gaps": [SERVICE_TYPE_LABELS[g] for g in services.gaps],
            "soft_access_points": services.soft_access_points,
            "hosts": [
                {
                    "id": h.host_id,
                    "name": h.name,
                    "type": h.host_type.replace("_", " "),
                    "orientation": h.orientation,
                    "drop_in": "yes" if h.drop_in else "",
                    "max_spokes": h.max_spokes,
                    "annual_cost": h.annual_cost,
                    "to_hub": h.minutes_to_nearest_hub,
                    "to_hub_source": "" if h.source_to_nearest_hub in (None, ESTIMATED) else h.source_to_nearest_hub,
                    "reach": None if h.share_of_demand_in_reach is None else h.share_of_demand_in_reach,
                }
                for h in services.candidate_hosts
            ],
        },
        "geography": {
            "map": footprint_map(profile, planned, threshold, pack),
            "footprint_source": geo.footprint.source if geo.footprint else "no footprint",
            "postcodes": geo.footprint.postcodes if geo.footprint else 0,
            "area_km2": geo.area_km2,
            "population_density": _number(geo.population_density),
            "postcode_density": _number(geo.postcode_density),
            "settlement_class": geo.settlement_class or ":",
            "settlement_basis": geo.settlement_basis,
            "demand_areas": geo.demand_areas,
            "median_to_host": geo.median_minutes_area_to_host,
            "median_to_hub": geo.median_minutes_host_to_hub,
            "casework_mode": MODE_WORDS[geo.casework_mode],
            "casework_direction": CASEWORK_DIRECTION[geo.casework_mode].replace(" to ", " → "),
            "to_host_sources": sources_text(geo.sources_area_to_host, "area"),
            "to_hub_sources": sources_text(geo.sources_host_to_hub, "host"),
            "travel_hours": _number(geo.travel_hours_per_case_year, 0),
            "travellers": "the spoke's" if geo.casework_mode == "car" else "young people's",
            "miles": _per_case_year_cost(geo.miles_per_case_year, geo.casework_mode, 0),
            "mileage_cost": _per_case_year_cost(geo.mileage_cost_per_case_year, geo.casework_mode, 0, "£"),
            "casework_minutes": rules.casework_limit,
            "supervision_minutes": rules.supervision_minutes,
            "visits": VISITS_PER_CASE_YEAR,
            "pence_per_mile": PENCE_PER_MILE,
        },
        "demography": {
            "population_0_17": dem.population_0_17,
            "population_10_17": dem.population_10_17,
            "population_source": dem.population_source,
            "areas_estimated": dem.areas_estimated,
            "base_rate": _number(estimate.base_rate, 2),
            "base_rate_source": estimate.base_rate_source,
            "adjustment": _number(estimate.adjustment, 2),
            "adjustment_reason": estimate.adjustment_reason,
            "rate": _number(estimate.rate, 2),
            # the demand estimate is modelled (population x rate), not a count of children: rounded, not hidden
            "central": estimate_shown(estimate.central, pack),
            "low": estimate_shown(estimate.low, pack),
            "high": estimate_shown(estimate.high, pack),
            "spokes": ":"
            if estimate.spokes_central is None
            else f"{estimate.spokes_central} (range {estimate.spokes_low}–{estimate.spokes_high})",
            "caseload_max": rules.caseload_max,
        },
        "cse": {
            "counts": [{"label": label, "value": disclose(value, threshold)} for label, value in cse.counts],
            "benchmarks": benchmarks,
            "neighbours": [{"code": c, "name": n} for c, n in cse.neighbours],
            "neighbours_source": cse.neighbours_source,
        },
        "recommendations": [
            {"topic": r.topic, "text": r.text, "evidence": r.evidence, "source": r.source} for r in recommendations
        ],
    }


def index_view(
    views: list[dict[str, Any]], scenario_name: str, threshold: int, profile: str, pack: Pack = PUBLIC
) -> dict[str, Any]:
    rows = [
        {
            "file": report_file_name(v["code"]),
            "name": v["name"],
            "code": v["code"],
            "aim": v["aim"],
            "settlement_class": v["geography"]["settlement_class"],
            "area_km2": v["geography"]["area_km2"],
            "demand": v["demand"]["total"],
            "share_in_reach": v["demand"]["share_in_reach"],
            "gaps": len(v["services"]["gaps"]),
            "hosts": len(v["services"]["hosts"]),
            "red_flags": sum(1 for b in v["cse"]["benchmarks"] if b["rag"] == "red"),
            "recommendations": len(v["recommendations"]),
        }
        for v in views
    ]
    return {
        "title": f"Scoping: {scenario_name}",
        "rows": rows,
        "threshold": threshold,
        "profile_title": profile,
        "pack": {"name": pack.name, "exact": pack.exact, "marking": pack.marking, "estimates": estimate_legend()},
    }

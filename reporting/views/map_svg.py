"""An inline SVG map of a plan, drawn from shapely geometry in British National Grid metres.

Authority footprints are concave hulls of the authority's places (areas and hosts), buffered a
little; hubs, hosts (used and unused), spokes (dashed supervision lines hub -> host, with the
number of spokes at each used host), assignment lines (host -> area) and areas (circles sized by
demand band, shaded by how much demand is left unmet) are drawn over them. North is up: y is flipped.

Disclosure: a circle's size and shade are a published view of an area's case count, so they use
bands, never the exact count: every area with 1..threshold cases (shown as "c" in the tables) is
drawn the same size, and the shade says only "all met", "partly met" or "none met".
No network access, no scripts, no URLs (the element is inline in HTML, which needs no xmlns);
everything is in the returned string.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import shapely
from shapely.geometry import MultiPoint, Point, Polygon

from optimisation.instance import Instance
from optimisation.measures import spokes_by_host
from optimisation.result import PlanResult
from reporting.published.plan import AREA_DEMAND_UPPERS, unmet_band  # the bands the disclosure audit knows of

WIDTH = 900
MARGIN_M = 4000.0
FOOTPRINT_BUFFER_M = 1500.0
CONCAVE_RATIO = 0.5  # shapely.concave_hull ratio: 1 = convex hull, smaller follows the points more closely
# Demand bands (cases at a time) -> circle radius; the first band is the disclosure threshold's.
DEMAND_BANDS = tuple(zip(AREA_DEMAND_UPPERS, (4.0, 5.5, 7.0)))  # up to 10, 11-20, 21-50; more than 50 -> 8.5
LARGEST_RADIUS = 8.5
SMALLEST_RADIUS = 2.5  # 1..threshold cases (and no demand)
UNMET_SHADE = {"all demand met": 0.1, "demand partly unmet": 0.5, "demand unmet": 0.9}
PALETTE = ["#dbe9f6", "#e4f1dc", "#fbe5d6", "#ece1f2", "#fff2cc", "#d9f0ef", "#f4dede", "#e8e8e8"]


@dataclass(frozen=True)
class Frame:
    """Maps British National Grid metres to SVG user units."""

    min_x: float
    max_y: float
    scale: float
    height: int

    def xy(self, easting: float, northing: float) -> tuple[float, float]:
        return round((easting - self.min_x) * self.scale, 1), round((self.max_y - northing) * self.scale, 1)


def footprints(inst: Instance) -> dict[str, Polygon]:
    """Authority code -> footprint polygon from its areas' and hosts' locations."""
    points: dict[str, list[tuple[float, float]]] = {}
    for area in inst.areas:
        points.setdefault(area.authority_code, []).append((area.easting, area.northing))
    for host in inst.hosts:
        points.setdefault(host.authority_code, []).append((host.easting, host.northing))
    shapes: dict[str, Polygon] = {}
    for code, coords in sorted(points.items()):
        cloud = MultiPoint(sorted(set(coords)))
        hull = shapely.concave_hull(cloud, ratio=CONCAVE_RATIO) if len(set(coords)) >= 3 else cloud
        shapes[code] = hull.buffer(FOOTPRINT_BUFFER_M)
    return shapes


def svg_path(geometry: shapely.Geometry, frame: Frame) -> str:
    parts = []
    polygons = getattr(geometry, "geoms", [geometry])
    for polygon in polygons:
        if polygon.is_empty or polygon.geom_type != "Polygon":
            continue
        for ring in [polygon.exterior, *polygon.interiors]:
            coords = [frame.xy(x, y) for x, y in ring.coords]
            parts.append("M" + " L".join(f"{x},{y}" for x, y in coords) + " Z")
    return " ".join(parts)


def demand_radius(demand: int, threshold: int) -> float:
    """Circle radius of an area by demand band; 0..threshold all look alike (they are "c" in tables)."""
    if demand <= threshold:
        return SMALLEST_RADIUS
    for upper, radius in DEMAND_BANDS:
        if demand <= upper:
            return radius
    return LARGEST_RADIUS


def demand_band_labels(threshold: int) -> str:
    """The legend's words for the demand bands, smallest first."""
    labels, lower = [f"up to {threshold}"], threshold + 1
    for upper, _ in DEMAND_BANDS:
        if upper >= lower:
            labels.append(f"{lower}-{upper}")
            lower = upper + 1
    return ", ".join(labels + [f"over {lower - 1}"])


def plan_map(inst: Instance, plan: PlanResult, names: dict[str, str] | None = None, *, threshold: int) -> str:
    """The SVG element (a string) for the report. `names` labels authorities by code; `threshold` is
    the disclosure threshold (areas with 1..threshold cases share the smallest circle)."""
    names = names or {}
    shapes = footprints(inst)
    everything = shapely.union_all([*shapes.values(), *[Point(h.easting, h.northing) for h in inst.hubs]])
    min_x, min_y, max_x, max_y = everything.buffer(MARGIN_M).bounds
    scale = WIDTH / (max_x - min_x)
    height = int(math.ceil((max_y - min_y) * scale))
    frame = Frame(min_x, max_y, scale, height)

    covered_by_area: dict[str, int] = {}
    for a in plan.assignments:
        covered_by_area[a.area_id] = covered_by_area.get(a.area_id, 0) + a.cases
    spokes_at = spokes_by_host(plan)
    hosts = {h.host_id: h for h in inst.hosts}
    areas = {a.area_id: a for a in inst.areas}

    out = [
        f'<svg id="plan-map" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="Map of the plan: authorities, hubs, hosts and demand areas">',
        "<title>Plan map</title>",
        '<g class="footprints">',
    ]
    for index, (code, shape) in enumerate(shapes.items()):
        x, y = frame.xy(shape.centroid.x, shape.centroid.y)
        label = escape(names.get(code, code))
        out.append(
            f'<path d="{svg_path(shape, frame)}" fill="{PALETTE[index % len(PALETTE)]}" stroke="#7a8a99" '
            f'stroke-width="0.8"><title>{label} ({escape(code)})</title></path>'
        )
        out.append(f'<text x="{x}" y="{y}" class="authority-label" text-anchor="middle">{label}</text>')
    out.append('</g><g class="spokes">')
    hubs = {h.hub_id: h for h in inst.hubs}
    for s in sorted(plan.spokes):
        x1, y1 = frame.xy(hubs[s.hub_id].easting, hubs[s.hub_id].northing)
        x2, y2 = frame.xy(hosts[s.host_id].easting, hosts[s.host_id].northing)
        out.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#6b46c1" stroke-width="1.4" '
            f'stroke-dasharray="5 3"><title>{escape(hubs[s.hub_id].name)} to {escape(hosts[s.host_id].name)}: '
            f"{s.count} spoke(s)</title></line>"
        )
    out.append('</g><g class="assignments">')
    for a in sorted(plan.assignments):
        x1, y1 = frame.xy(hosts[a.host_id].easting, hosts[a.host_id].northing)
        x2, y2 = frame.xy(areas[a.area_id].easting, areas[a.area_id].northing)
        out.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#2b6cb0" stroke-width="0.9" stroke-opacity="0.6"/>'
        )
    out.append('</g><g class="areas">')
    for area in inst.areas:
        x, y = frame.xy(area.easting, area.northing)
        radius = demand_radius(area.demand, threshold)
        band = unmet_band(area.demand, covered_by_area.get(area.area_id, 0))
        out.append(
            f'<circle cx="{x}" cy="{y}" r="{radius:.1f}" fill="#c53030" fill-opacity="{UNMET_SHADE[band]:.2f}" '
            f'stroke="#742a2a" stroke-width="0.5"><title>{escape(area.name)}: {band}</title></circle>'
        )
    out.append('</g><g class="hosts">')
    for host in inst.hosts:
        x, y = frame.xy(host.easting, host.northing)
        count = spokes_at.get(host.host_id, 0)
        if count:
            out.append(
                f'<rect x="{x - 5}" y="{y - 5}" width="10" height="10" fill="#2f855a" stroke="#1c4532">'
                f"<title>{escape(host.name)}: {count} spoke(s)</title></rect>"
            )
            out.append(f'<text x="{x + 7}" y="{y + 4}" class="spoke-count">{count}</text>')
        else:
            out.append(
                f'<rect x="{x - 3}" y="{y - 3}" width="6" height="6" fill="none" stroke="#718096">'
                f"<title>{escape(host.name)}: not used</title></rect>"
            )
    out.append('</g><g class="hubs">')
    for hub in inst.hubs:
        x, y = frame.xy(hub.easting, hub.northing)
        out.append(
            f'<polygon points="{x},{y - 9} {x + 8},{y} {x},{y + 9} {x - 8},{y}" fill="#6b46c1" stroke="#322659">'
            f"<title>{escape(hub.name)}</title></polygon>"
        )
    out.append("</g></svg>")
    return "\n".join(out)

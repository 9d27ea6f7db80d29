"""plan.geojson: hubs, hosts, spokes and assignment lines as WGS84 features for GIS.

Coordinates are converted from British National Grid (EPSG:27700) to WGS84 (EPSG:4326) with
pyproj, longitude first (RFC 7946), rounded to 6 decimal places (about 0.1 m). Case counts are
published as in report.html of the same pack (issue #17): in the public pack "c" for 1 to the
disclosure threshold and for cells hidden by secondary suppression, modelled estimates rounded to the
nearest 5 (an assignment's `figures`: "count" or "estimate"; reporting.published.plan.published_counts);
exact in the internal pack, whose collection carries a first member "classification" with the
protective marking (a foreign member, RFC 7946 §6.1).
"""

from __future__ import annotations

import json
from functools import lru_cache

from pyproj import Transformer

from optimisation.measures import spokes_by_host
from optimisation.result import PlanResult
from reporting.published.plan import PublishedCounts
from scoping.scenario.build import PlannedScenario


@lru_cache(maxsize=1)
def _transformer() -> Transformer:
    return Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def bng_to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    """(longitude, latitude) in degrees, rounded to 6 decimal places."""
    lon, lat = _transformer().transform(easting, northing)
    return round(lon, 6), round(lat, 6)


def _feature(kind: str, geometry: dict, **properties) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": {"kind": kind, **properties}}


def plan_geojson(planned: PlannedScenario, plan: PlanResult, counts: PublishedCounts) -> dict:
    inst = planned.instance
    spokes_at = spokes_by_host(plan)
    hosts = {h.host_id: h for h in inst.hosts}
    areas = {a.area_id: a for a in inst.areas}
    features = []
    for hub in inst.hubs:
        features.append(
            _feature(
                "hub",
                {"type": "Point", "coordinates": bng_to_wgs84(hub.easting, hub.northing)},
                id=hub.hub_id,
                name=hub.name,
                spokes=sum(s.count for s in plan.spokes if s.hub_id == hub.hub_id),
            )
        )
    for host in inst.hosts:
        features.append(
            _feature(
                "host",
                {"type": "Point", "coordinates": bng_to_wgs84(host.easting, host.northing)},
                id=host.host_id,
                name=host.name,
                host_type=host.host_type,
                authority_code=host.authority_code,
                spokes=spokes_at.get(host.host_id, 0),
                used=host.host_id in spokes_at,
            )
        )
    for spoke in sorted(plan.spokes):
        hub, host = inst.hub(spoke.hub_id), hosts[spoke.host_id]
        features.append(
            _feature(
                "spoke",
                {
                    "type": "LineString",
                    "coordinates": [bng_to_wgs84(hub.easting, hub.northing), bng_to_wgs84(host.easting, host.northing)],
                },
                hub_id=spoke.hub_id,
                host_id=spoke.host_id,
                count=spoke.count,
                supervision_minutes=inst.supervision_minutes[(spoke.hub_id, spoke.host_id)],
                supervision_source=planned.travel_source((spoke.hub_id, spoke.host_id)),
            )
        )
    for assignment in sorted(plan.assignments):
        host, area = hosts[assignment.host_id], areas[assignment.area_id]
        features.append(
            _feature(
                "assignment",
                {
                    "type": "LineString",
                    "coordinates": [
                        bng_to_wgs84(host.easting, host.northing),
                        bng_to_wgs84(area.easting, area.northing),
                    ],
                },
                area_id=assignment.area_id,
                host_id=assignment.host_id,
                cases=counts.number(("assignment", assignment.area_id, assignment.host_id)),
                figures="estimate"
                if ("assignment", assignment.area_id, assignment.host_id) in counts.estimates
                else "count",
                casework_minutes=inst.casework_minutes[(assignment.host_id, assignment.area_id)],
                casework_mode=planned.scenario.rules.casework_mode,
                casework_source=planned.travel_source((assignment.host_id, assignment.area_id)),
            )
        )
    # A foreign member (RFC 7946 §6.1): a plan that is only FEASIBLE says so here too, with its gap.
    plan_facts = {"status": plan.status, "gap": round(plan.gap, 6), "spokes": plan.spokes_total}
    marking = {"classification": counts.pack.marking} if counts.pack.marking else {}
    return {**marking, "type": "FeatureCollection", "spokeplan_plan": plan_facts, "features": features}


def plan_geojson_bytes(planned: PlannedScenario, plan: PlanResult, counts: PublishedCounts) -> bytes:
    return (json.dumps(plan_geojson(planned, plan, counts), ensure_ascii=False, indent=1) + "\n").encode("utf-8")

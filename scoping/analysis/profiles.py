"""Scoping profiles: each authority on the evaluation's four scoping dimensions.

Seed 001 (message 7) asks every Hub and Spoke development to start from a local scoping exercise
covering (1) the current service landscape, (2) challenges of geography (time, cost, resources),
(3) local demography and groups with differential needs, and (4) the local CSE profile. Each
dimension here is a pure function of a :class:`~scoping.scenario.build.PlannedScenario` (plus optional
indicator tables from :mod:`scoping.analysis.importers`); :func:`build_profiles` assembles them.

Geography, with its documented constants:

* **Footprint**: a concave hull (``shapely.concave_hull``, ``FOOTPRINT_CONCAVE_RATIO`` = 0.2) of
  every live postcode of the authority in the ONS Postcode Directory, buffered by
  ``FOOTPRINT_BUFFER_M`` = 500 m (postcodes are unit centroids; the boundary lies beyond the
  outermost ones). Checked against the Standard Area Measurements: Northumberland 4,863 km²
  (true 5,013), Newcastle 132 (113), County Durham 2,031 (2,226), Hartlepool 97 (94). The
  directory is read for the first letters of the postcodes the scenario places in the authority.
  When it gives no postcodes (places given by easting/northing only) the hull of the scenario's
  own places is used and the report says so.
* **Density and class**: live postcodes per km² of the footprint (a postcode unit is about 15
  addresses, so this follows residential density and, unlike the scenario's populations, is always
  real data) gives the class: ``rural`` below ``RURAL_POSTCODES_BELOW`` = 5 per km², ``urban``
  from ``URBAN_POSTCODES_FROM`` = 30, ``mixed`` between. England averages about 11; in the North
  East this puts Northumberland (3.3) rural, County Durham (10), Darlington (25) and Redcar and
  Cleveland (20) mixed and the Tyneside, Wearside and Teesside towns (36–85) urban, in line with
  DEFRA's rural-urban classification of those authorities. Without postcodes (a footprint from
  scenario places) the class comes from young people aged 10–17 per km²: ``rural`` below
  ``RURAL_BELOW`` = 5, ``urban`` from ``URBAN_FROM`` = 30. Young people per km² are shown too.
* **Reach**: the share of the authority's demand in areas within the casework limit of any
  candidate host (the instance's pruned pairs, in the scenario's ``casework_mode``, so measured and
  routed times count).
* **Travel**: minutes from each area to its nearest candidate host (in the casework mode: by car
  host to area, or by public transport area to host) and from each of the authority's hosts to its
  nearest hub (by car), on the same estimate and travel_times.csv as the plan
  (:mod:`scoping.scenario.travel`), not cut at the limits; medians are shown, with how many of the
  times behind them are measured, routed or estimated.
* **Cost per case-year** (one young person open for a year, seen at the nearest candidate host's
  spoke): ``VISITS_PER_CASE_YEAR`` = 40 return trips (about weekly over 46 working weeks, less
  holidays and missed sessions), demand-weighted over the authority's areas. By car, miles = straight-line
  km × ``scoping.scenario.travel_estimate.DETOUR`` ÷ 1.609 and mileage at ``PENCE_PER_MILE`` = 45 (HMRC
  approved mileage allowance for cars, first 10,000 miles); by public transport the hours are young
  people's own and there is no mileage.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import MultiPoint

from optimisation.instance import host_orientation
from scoping.analysis.benchmarks import DEFAULT_NEIGHBOURS, Benchmark, IndicatorSet, benchmark, nearest_neighbours
from scoping.analysis.demand_model import DemandEstimate, DemandModel, estimate_authority_demand, implied_rate
from scoping.analysis.importers import ENGLAND, IndicatorTable, Population
from scoping.scenario.build import PlannedScenario, given_times
from scoping.scenario.geocode import PostcodeLookup
from scoping.scenario.schemas import SERVICE_TYPES
from scoping.scenario.travel import Nearest, nearest
from scoping.scenario.travel_estimate import DETOUR, Place

FOOTPRINT_CONCAVE_RATIO = 0.2
FOOTPRINT_BUFFER_M = 500.0
RURAL_POSTCODES_BELOW = 5.0  # live postcodes per km2
URBAN_POSTCODES_FROM = 30.0
RURAL_BELOW = 5.0  # young people 10-17 per km2 (only without postcodes)
URBAN_FROM = 30.0
VISITS_PER_CASE_YEAR = 40
PENCE_PER_MILE = 45
KM_PER_MILE = 1.609344
# Service types whose absence is a gap in the landscape for a Hub and Spoke development (seed 001
# messages 5, 7 and 11: specialist service, co-located/multi-agency response, coordination, soft access).
KEY_SERVICE_TYPES = ("specialist_cse", "mash", "co_located_team", "cse_coordinator", "voluntary", "drop_in")
SERVICE_TYPE_LABELS = {
    "specialist_cse": "specialist CSE service",
    "mash": "MASH",
    "co_located_team": "co-located CSE team",
    "cse_coordinator": "CSE coordinator",
    "voluntary": "voluntary sector",
    "drop_in": "drop-in",
    "police": "police",
    "social_care": "children's social care",
    "health": "health",
    "other": "other",
}
RATE_WORDS = ("rate", "per_", "percent", "pct", "proportion", "share")


# ---------------------------------------------------------------------------------------------
# Dimension 1: service landscape
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CandidateHost:
    host_id: str
    name: str
    host_type: str
    orientation: str  # statutory / preventative / both (optimisation.instance.host_orientation)
    drop_in: bool
    max_spokes: int
    annual_cost: float
    minutes_to_nearest_hub: int | None
    share_of_demand_in_reach: float | None
    source_to_nearest_hub: str | None = None  # measured, routed or estimated (None without a hub)


@dataclass(frozen=True)
class ServiceLandscape:
    services_by_type: dict[str, int]  # every SERVICE_TYPES entry, in order
    services: tuple[tuple[str, str, str], ...]  # (service_id, name, service_type)
    gaps: tuple[str, ...]  # KEY_SERVICE_TYPES absent
    hosts_by_type: dict[str, int]
    candidate_hosts: tuple[CandidateHost, ...]
    soft_access_points: int  # drop-in services plus drop-in candidate hosts


# ---------------------------------------------------------------------------------------------
# Dimension 2: geography
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Footprint:
    geometry: Any  # shapely Polygon / MultiPolygon in British National Grid metres
    source: str  # "ONS Postcode Directory" or "scenario places"
    postcodes: int

    @property
    def area_km2(self) -> float:
        return self.geometry.area / 1e6


@dataclass(frozen=True)
class NearestTravel:
    """Minutes to the nearest candidate host / hub, over the whole scenario, not cut at the limits."""

    casework_mode: str  # scenario.yaml casework_mode: how area <-> host journeys are made
    area_to_host: dict[str, Nearest]  # area_id -> nearest host in the casework mode
    host_to_hub: dict[str, Nearest]  # host_id -> nearest hub by car


@dataclass(frozen=True)
class Geography:
    footprint: Footprint | None
    area_km2: float | None
    population_density: float | None  # young people 10-17 per km2
    postcode_density: float | None  # live postcodes per km2
    settlement_class: str | None  # rural / mixed / urban
    settlement_basis: str
    demand_areas: int
    demand_total: int
    demand_in_reach: int
    share_in_reach: float | None
    median_minutes_area_to_host: float | None
    median_minutes_host_to_hub: float | None
    casework_mode: str  # the mode of the area -> host figures (supervision is by car)
    sources_area_to_host: dict[str, int]  # measured / routed / estimated -> areas whose nearest time it is
    sources_host_to_hub: dict[str, int]  # ... hosts
    travel_hours_per_case_year: float | None
    miles_per_case_year: float | None
    mileage_cost_per_case_year: float | None


# ---------------------------------------------------------------------------------------------
# Dimensions 3 and 4: demography and CSE profile
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Demography:
    population_0_17: int | None
    population_10_17: int | None
    population_source: str
    demand_given: int  # cases at a time in areas that give demand
    demand_estimated: int  # cases at a time estimated (base formula) for areas without demand
    areas_estimated: int
    estimate: DemandEstimate


@dataclass(frozen=True)
class CseProfile:
    counts: tuple[tuple[str, float | None], ...]  # (label, published count) shown with disclosure control
    benchmarks: tuple[Benchmark, ...]
    neighbours: tuple[tuple[str, str], ...]  # (code, name)
    neighbours_source: str


@dataclass(frozen=True)
class AuthorityProfile:
    code: str
    name: str
    aim: str
    required: bool
    services: ServiceLandscape
    geography: Geography
    demography: Demography
    cse: CseProfile


@dataclass(frozen=True)
class ScopingInputs:
    """Optional indicator tables beside the scenario (see scoping.analysis.importers)."""

    ees_tables: tuple[IndicatorTable, ...] = ()
    populations: Mapping[str, Population] = field(default_factory=dict)
    neighbours: Mapping[str, list[str]] | None = None  # from neighbours.csv
    model: DemandModel = DemandModel()


# ---------------------------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------------------------


def authority_of_places(planned: PlannedScenario) -> dict[str, str]:
    """place id -> authority code for hubs, hosts, areas and services."""
    inst = planned.instance
    result = {h.host_id: h.authority_code for h in inst.hosts}
    result.update({a.area_id: a.authority_code for a in inst.areas})
    for place_id, location in planned.locations.items():
        if place_id not in result and location.authority_code:
            result[place_id] = location.authority_code
    return result


def nearest_travel(planned: PlannedScenario) -> NearestTravel:
    """Nearest candidate host of every area (in the casework mode) and nearest hub of every host (by
    car), in minutes, with measured and routed times over the estimate as in the plan."""
    inst = planned.instance
    mode = planned.scenario.rules.casework_mode
    given = given_times(planned.scenario)
    hubs = [Place(p.hub_id, p.easting, p.northing) for p in inst.hubs]
    hosts = [Place(p.host_id, p.easting, p.northing) for p in inst.hosts]
    areas = [Place(p.area_id, p.easting, p.northing) for p in inst.areas]
    # By car the spoke drives host -> area; by public transport young people travel area -> host.
    area_to_host = nearest(areas, hosts, mode, candidates_are_origins=mode == "car", given=given)
    host_to_hub = nearest(hosts, hubs, "car", candidates_are_origins=True, given=given)
    return NearestTravel(mode, area_to_host, host_to_hub)


def _count_sources(found: Iterable[Nearest]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in found:
        counts[item.source] = counts.get(item.source, 0) + 1
    return dict(sorted(counts.items()))


def hubs_as_services(
    planned: PlannedScenario, code: str, listed: Iterable[tuple[str, str, str]]
) -> list[tuple[str, str, str]]:
    """The hubs of hubs.csv in authority `code` (by their location's authority), each a specialist CSE
    service there (issue #14 item 7: a hub *is* the area's established specialist service, seed 000),
    as (hub_id, name, "specialist_cse"). ASSUMPTION: a hub at the very place of a specialist_cse
    service that services.csv already lists in the authority is that service, not a second one."""
    listed_at = set()
    for service_id, _, kind in listed:
        location = planned.locations.get(service_id)
        if kind == "specialist_cse" and location is not None:
            listed_at.add((location.easting, location.northing))
    found = []
    for hub in planned.instance.hubs:
        location = planned.locations.get(hub.hub_id)
        authority = location.authority_code if location is not None else None
        if authority == code and (hub.easting, hub.northing) not in listed_at:
            found.append((hub.hub_id, hub.name, "specialist_cse"))
    return found


def service_landscape(planned: PlannedScenario, code: str, travel: NearestTravel) -> ServiceLandscape:
    """Dimension 1: what exists in the authority by type, the gaps, and the candidate hosts."""
    inst = planned.instance
    services = []
    if planned.scenario.services:
        for row in planned.scenario.services.rows:
            service = row.value
            location = planned.locations.get(service.service_id)
            authority = service.authority_code or (location.authority_code if location else None)
            if authority == code:
                services.append((service.service_id, service.name, service.service_type))
    services += hubs_as_services(planned, code, services)
    by_type = {kind: sum(1 for s in services if s[2] == kind) for kind in SERVICE_TYPES}
    gaps = tuple(kind for kind in KEY_SERVICE_TYPES if by_type[kind] == 0)
    demand = {a.area_id: a.demand for a in inst.areas}
    total = sum(demand.values())
    reach: dict[str, int] = {}
    for host_id, area_id in inst.casework_minutes:
        reach[host_id] = reach.get(host_id, 0) + demand[area_id]
    hosts = []
    for host in inst.hosts:
        if host.authority_code != code:
            continue
        hub = travel.host_to_hub.get(host.host_id)
        hosts.append(
            CandidateHost(
                host.host_id,
                host.name,
                host.host_type,
                host_orientation(host),
                host.drop_in,
                host.max_spokes,
                host.annual_cost,
                hub.minutes if hub else None,
                reach.get(host.host_id, 0) / total if total else None,
                hub.source if hub else None,
            )
        )
    hosts_by_type: dict[str, int] = {}
    for candidate in hosts:
        hosts_by_type[candidate.host_type] = hosts_by_type.get(candidate.host_type, 0) + 1
    soft = by_type["drop_in"] + sum(1 for h in hosts if h.drop_in)
    return ServiceLandscape(
        by_type, tuple(sorted(services)), gaps, dict(sorted(hosts_by_type.items())), tuple(hosts), soft
    )


def footprint_from_points(points: Iterable[tuple[float, float]], source: str, postcodes: int = 0) -> Footprint | None:
    """Concave hull of the points, buffered (see the module docstring); None without points."""
    unique = sorted(set(points))
    if not unique:
        return None
    cloud = MultiPoint(unique)
    hull = shapely.concave_hull(cloud, ratio=FOOTPRINT_CONCAVE_RATIO) if len(unique) >= 3 else cloud
    return Footprint(hull.buffer(FOOTPRINT_BUFFER_M), source, postcodes)


def authority_footprint(planned: PlannedScenario, code: str, lookup: Any = None) -> Footprint | None:
    """The authority's footprint from its postcodes in the ONS Postcode Directory, else its places."""
    places = authority_of_places(planned)
    letters = {
        location.postcode[0]
        for place_id, location in planned.locations.items()
        if location.postcode and places.get(place_id) == code
    }
    if letters:
        if lookup is None:
            lookup = PostcodeLookup()
        frame = lookup.postcodes_in_authority(code, letters)
        if len(frame):
            coordinates = frame[["oseast1m", "osnrth1m"]].to_numpy(dtype=float)
            return footprint_from_points(map(tuple, coordinates), "ONS Postcode Directory", len(frame))
    points = [
        (loc.easting, loc.northing) for place_id, loc in planned.locations.items() if places.get(place_id) == code
    ]
    return footprint_from_points(points, "scenario places")


def settlement_class(density: float | None, rural_below: float, urban_from: float) -> str | None:
    if density is None:
        return None
    if density < rural_below:
        return "rural"
    return "urban" if density >= urban_from else "mixed"


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def geography(
    planned: PlannedScenario,
    code: str,
    footprint: Footprint | None,
    travel: NearestTravel,
    population_10_17: int | None,
) -> Geography:
    """Dimension 2: size, density and class, reach within the casework limit, travel and its cost."""
    inst = planned.instance
    areas = [a for a in inst.areas if a.authority_code == code]
    hosts = {h.host_id: h for h in inst.hosts}
    demand_total = sum(a.demand for a in areas)
    reachable = {area_id for _, area_id in inst.casework_minutes}
    in_reach = sum(a.demand for a in areas if a.area_id in reachable)
    area_km2 = footprint.area_km2 if footprint else None
    population_density = population_10_17 / area_km2 if area_km2 and population_10_17 is not None else None
    postcode_density = footprint.postcodes / area_km2 if area_km2 and footprint and footprint.postcodes else None
    if postcode_density is not None:
        settlement = settlement_class(postcode_density, RURAL_POSTCODES_BELOW, URBAN_POSTCODES_FROM)
        basis = "live postcodes per km²"
    elif population_density is not None:
        settlement = settlement_class(population_density, RURAL_BELOW, URBAN_FROM)
        basis = "young people aged 10–17 per km²"
    else:
        settlement, basis = None, "no footprint or population"
    to_host = [travel.area_to_host[a.area_id] for a in areas if a.area_id in travel.area_to_host]
    to_hub = [
        travel.host_to_hub[h] for h, host in hosts.items() if host.authority_code == code and h in travel.host_to_hub
    ]
    hours = miles = cost = None
    weighted = [(a, travel.area_to_host[a.area_id]) for a in areas if a.area_id in travel.area_to_host and a.demand > 0]
    if weighted:
        weight = sum(a.demand for a, _ in weighted)
        minutes = sum(a.demand * n.minutes for a, n in weighted) / weight
        hours = VISITS_PER_CASE_YEAR * 2 * minutes / 60
        if travel.casework_mode == "car":  # the spoke's mileage; by public transport young people travel
            km = (
                sum(
                    a.demand
                    * math.hypot(a.easting - hosts[n.place_id].easting, a.northing - hosts[n.place_id].northing)
                    / 1000
                    * DETOUR
                    for a, n in weighted
                )
                / weight
            )
            miles = VISITS_PER_CASE_YEAR * 2 * km / KM_PER_MILE
            cost = miles * PENCE_PER_MILE / 100
    return Geography(
        footprint,
        area_km2,
        population_density,
        postcode_density,
        settlement,
        basis,
        len(areas),
        demand_total,
        in_reach,
        in_reach / demand_total if demand_total else None,
        _median([n.minutes for n in to_host]),
        _median([n.minutes for n in to_hub]),
        travel.casework_mode,
        _count_sources(to_host),
        _count_sources(to_hub),
        hours,
        miles,
        cost,
    )


def _is_rate(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in RATE_WORDS)


def _numeric(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def populations_of(planned: PlannedScenario, inputs: ScopingInputs) -> dict[str, tuple[int | None, int | None, str]]:
    """code -> (population 0-17, population 10-17, source): authorities.csv, else ONS, else areas."""
    result = {}
    for row in planned.scenario.authorities.rows:
        a = row.value
        ons = inputs.populations.get(a.authority_code)
        areas = [
            r.value.population_10_17 for r in planned.scenario.areas.rows if r.value.authority_code == a.authority_code
        ]
        p0 = a.population_0_17 if a.population_0_17 is not None else (ons.population_0_17 if ons else None)
        if a.population_10_17 is not None:
            p10, source = a.population_10_17, "authorities.csv"
        elif ons:
            p10, source = ons.population_10_17, "ONS mid-year estimate"
        elif areas and all(v is not None for v in areas):
            p10, source = sum(areas), "sum of areas.csv"  # type: ignore[arg-type]
        else:
            p10, source = None, "not given"
        result[a.authority_code] = (p0, p10, source)
    return result


def indicator_set(
    planned: PlannedScenario, inputs: ScopingInputs
) -> tuple[IndicatorSet, dict[str, list[tuple[str, float | None]]]]:
    """Comparable rates for every authority with figures, and each scenario authority's published counts.

    Counts (authorities.csv ``cin_cse_assessments``, ``missing_episodes``; EES columns without a
    rate word in their name) are turned into rates per 10,000 children aged 0–17 (10–17 when only
    that is known) so authorities of different sizes compare; a rate whose count is 1..threshold is
    hidden, like the count. ``x_`` notes with numbers and EES rate columns are compared as given.
    """
    threshold = planned.scenario.rules.disclosure_threshold
    populations = populations_of(planned, inputs)
    for code, population in inputs.populations.items():
        populations.setdefault(code, (population.population_0_17, population.population_10_17, "ONS mid-year estimate"))
    values: dict[str, dict[str, float | None]] = {}
    series: dict[str, dict[str, list[tuple[str, float | None]]]] = {}
    labels: dict[str, str] = {}
    hidden: set[tuple[str, str]] = set()
    counts: dict[str, list[tuple[str, float | None]]] = {}
    demand: dict[str, int] = {}
    for area in planned.instance.areas:
        demand[area.authority_code] = demand.get(area.authority_code, 0) + area.demand

    def per_10000(code: str, count: float | None) -> tuple[str, float | None]:
        p0, p10, _ = populations.get(code, (None, None, ""))
        if p0:
            return "0_17", None if count is None else count / p0 * 10_000
        if p10:
            return "10_17", None if count is None else count / p10 * 10_000
        return "", None

    def add_count(code: str, name: str, label: str, count: float | None, period: str | None = None) -> None:
        base, rate = per_10000(code, count)
        if not base:
            return
        key = f"{name}_per_10000_{base}"
        labels[key] = f"{label} per 10,000 aged {base.replace('_', '–')}"
        if period is None:
            values.setdefault(code, {})[key] = rate
        else:
            series.setdefault(code, {}).setdefault(key, []).append((period, rate))
        if count is not None and 1 <= count <= threshold:
            hidden.add((code, key))

    for row in planned.scenario.authorities.rows:
        a = row.value
        code = a.authority_code
        shown = counts.setdefault(code, [])
        for name, label in (
            ("cin_cse_assessments", "CIN assessments with CSE as a factor"),
            ("missing_episodes", "missing episodes"),
        ):
            count = getattr(a, name)
            if count is not None:
                shown.append((label, count))
                add_count(code, name, label, count)
        _, p10, _ = populations[code]
        if p10:
            key = "demand_per_10000_10_17"
            labels[key] = "cases needing casework at a time per 10,000 aged 10–17 (scenario)"
            values.setdefault(code, {})[key] = demand.get(code, 0) / p10 * 10_000
            if 1 <= demand.get(code, 0) <= threshold:
                hidden.add((code, key))
        for note, text in row.notes:
            number = _numeric(text)
            if number is not None:
                key = note.removeprefix("x_")
                labels[key] = key.replace("_", " ") + " (user note)"
                values.setdefault(code, {})[key] = number

    england: dict[str, float | None] = {}
    england_population = inputs.populations.get(ENGLAND)
    for table in inputs.ees_tables:
        for code in (*table.authority_codes, ENGLAND):
            for indicator in table.indicators:
                points = table.series(code, indicator)
                if not points:
                    continue
                if _is_rate(table.measure(indicator)):  # the column's name says rate, not a filter value
                    labels[indicator] = indicator.replace("_", " ")
                    if code == ENGLAND:
                        england[indicator] = points[-1][1]
                    else:
                        values.setdefault(code, {})[indicator] = points[-1][1]
                        series.setdefault(code, {})[indicator] = points
                    continue
                label = indicator.replace("_", " ")
                if code == ENGLAND:
                    if england_population and england_population.population_0_17:
                        key = f"{indicator}_per_10000_0_17"
                        labels[key] = f"{label} per 10,000 aged 0–17"
                        latest = points[-1][1]
                        england[key] = None if latest is None else latest / england_population.population_0_17 * 10_000
                    continue
                if code in counts:
                    counts[code].append((f"{label} ({points[-1][0]})", points[-1][1]))
                add_count(code, indicator, label, points[-1][1])
                for period, count in points:
                    add_count(code, indicator, label, count, period)
    return IndicatorSet(values, series, england, labels, frozenset(hidden)), counts


def is_cse_indicator(name: str) -> bool:
    """An indicator about child sexual exploitation: `cse` in its name (authorities.csv
    ``cin_cse_assessments``) or the words of EES's factor (C3's ``Child_sexual_exploitation``
    column, or ``number: Child sexual exploitation`` from the long layout)."""
    lowered = name.lower()
    return "cse" in lowered or "sexual exploitation" in lowered.replace("_", " ")


def _cse_rate_key(values: Mapping[str, float | None]) -> str | None:
    """The indicator the demand model adjusts by: a CSE rate (computed CIN rate first)."""
    keys = sorted(values, key=lambda k: (not k.startswith("cin_cse_assessments_per_10000"), k))
    return next((k for k in keys if is_cse_indicator(k) and _is_rate(k) and values[k] is not None), None)


def build_profiles(
    planned: PlannedScenario,
    inputs: ScopingInputs = ScopingInputs(),
    lookup: Any = None,
    footprints: Mapping[str, Footprint | None] | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> list[AuthorityProfile]:
    """Every authority of the scenario on the four dimensions, in authorities.csv order.

    `on_progress(stage, done, total)` is called after each authority (reading its postcodes is the
    slow part: about 0.5 s per first letter of the postcode directory not yet loaded).
    """
    inst = planned.instance
    rules = planned.scenario.rules
    travel = nearest_travel(planned)
    indicators, counts = indicator_set(planned, inputs)
    populations = populations_of(planned, inputs)
    scenario_codes = [row.value.authority_code for row in planned.scenario.authorities.rows]
    comparable = {code: row for code, row in indicators.values.items()}
    if inputs.neighbours is not None:
        neighbours, neighbours_source = dict(inputs.neighbours), "neighbours.csv"
    else:
        k = min(DEFAULT_NEIGHBOURS, max(len(comparable) - 1, 0))
        neighbours = nearest_neighbours(comparable, k)
        neighbours_source = f"{k} nearest on standardised indicators"
    names = {row.value.authority_code: row.value.name for row in planned.scenario.authorities.rows}
    for table in inputs.ees_tables:
        for code, name in table.names.items():
            names.setdefault(code, name)

    # Demand model inputs: the base rate and the indicator's comparison rate.
    pairs = [
        (r.value.demand, r.value.population_10_17)
        for r in planned.scenario.areas.rows
        if r.value.demand is not None and r.value.population_10_17 is not None
    ]
    implied = implied_rate(pairs)
    rate_key = {code: _cse_rate_key(indicators.values.get(code, {})) for code in scenario_codes}

    profiles = []
    for row in planned.scenario.authorities.rows:
        a = row.value
        code = a.authority_code
        p0, p10, population_source = populations[code]
        footprint = (
            footprints[code]
            if footprints is not None and code in footprints
            else authority_footprint(planned, code, lookup)
        )
        geo = geography(planned, code, footprint, travel, p10)
        if a.demand_per_10000_aged_10_17 is not None:
            base, base_source = a.demand_per_10000_aged_10_17, "authorities.csv demand_per_10000_aged_10_17"
        elif rules.demand_per_10000_aged_10_17 is not None:
            base, base_source = rules.demand_per_10000_aged_10_17, "scenario.yaml demand_per_10000_aged_10_17"
        elif implied is not None:
            base, base_source = implied, "implied by the scenario's areas with demand and population"
        else:
            base, base_source = None, "no rate given and none implied"
        key = rate_key[code]
        own_rate = None if key is None or (code, key) in indicators.hidden else indicators.values[code][key]
        comparison = indicators.england.get(key) if key else None
        if comparison is None and key:
            same = [
                indicators.values[c][k] for c, k in rate_key.items() if k == key and (c, k) not in indicators.hidden
            ]
            comparison = sum(same) / len(same) if same else None  # type: ignore[arg-type]
        estimate = estimate_authority_demand(
            p10, base, base_source, own_rate, comparison, rules.caseload_max, inputs.model
        )
        estimated_ids = [
            area.area_id
            for area in inst.areas
            if area.authority_code == code and area.area_id in planned.estimated_demand
        ]
        demand_estimated = sum(planned.estimated_demand[i] for i in estimated_ids)
        demography = Demography(
            p0,
            p10,
            population_source,
            geo.demand_total - demand_estimated,
            demand_estimated,
            len(estimated_ids),
            estimate,
        )
        own_neighbours = neighbours.get(code, [])
        cse = CseProfile(
            tuple(counts.get(code, [])),
            tuple(benchmark(code, indicators, own_neighbours)),
            tuple((c, names.get(c, c)) for c in own_neighbours),
            neighbours_source,
        )
        profiles.append(
            AuthorityProfile(
                code, a.name, a.aim, a.required, service_landscape(planned, code, travel), geo, demography, cse
            )
        )
        if on_progress:
            on_progress("scoping profiles", len(profiles), len(planned.scenario.authorities.rows))
    return profiles

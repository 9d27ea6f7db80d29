"""A validated scenario turned into the optimiser's :class:`Instance` (and the programme of phases).

:func:`build_instance` geocodes postcodes offline (ONS Postcode Directory), derives each host's
authority, estimates demand where an area gives none, estimates travel times (supervision by car,
casework in the scenario's ``casework_mode``) with travel_times.csv over the estimates
(:mod:`scoping.scenario.travel`), prunes pairs to the limits and hands the optimiser an
:class:`Instance` that needs no more work.
:func:`build_programme` adds a scenario's programme of services (phases, issue #17) and demand
scenarios (issue #8).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from common.errors import InputError, Problem, shown
from optimisation.instance import Area, Authority, Host, HostFitScores, Hub, Instance, Rules, TeamRole
from optimisation.programme import DemandScenario, Phase, Programme, central_scenario, range_scenarios
from scoping.scenario.geocode import GeocodedPostcode, PostcodeLookup, load_density_grid
from scoping.scenario.loader import Scenario
from scoping.scenario.schemas import AreaRow, AuthorityRow, HostRow, HubRow
from scoping.scenario.service_model import ServiceModel
from scoping.scenario.settings import ScenarioRules
from scoping.scenario.tables import Table
from scoping.scenario.travel import GivenTimes, Pair, casework_pairs, supervision_pairs
from scoping.scenario.travel_estimate import DETOUR, Place

ProgressCallback = Callable[[str, int, int], None]  # (stage, done, total)
Record = TypeVar("Record")


@dataclass(frozen=True)
class Location:
    """Where a place is, in British National Grid metres, and the authority it lies in."""

    easting: float
    northing: float
    authority_code: str | None = None
    postcode: str | None = None


@dataclass(frozen=True)
class PlannedScenario:
    """The instance plus what reporting needs beyond it (coordinates of services, postcodes)."""

    scenario: Scenario
    instance: Instance
    locations: dict[str, Location]  # by place id (hubs, hosts, areas, services)
    estimated_demand: dict[str, int]  # area_id -> estimate, for areas given without demand
    # Service models with pathways: area_id -> pathway -> estimated episodes a year (estimated areas).
    pathway_episodes: dict[str, dict[str, float]] = field(default_factory=dict)
    # Where each travel time of the instance comes from, for pairs whose time travel_times.csv gives
    # ("measured" or "routed"; casework pairs keyed (host_id, area_id), supervision (hub_id, host_id));
    # every other pair's time is "estimated" (scoping.scenario.travel).
    travel_sources: dict[Pair, str] = field(default_factory=dict)

    def travel_source(self, pair: Pair) -> str:
        """measured, routed or estimated: where the instance's time for `pair` comes from."""
        return self.travel_sources.get(pair, "estimated")


# ---------------------------------------------------------------------------------------------
# The optimiser's records, derived from the schemas: each field is the validated value of the same
# name (so each default is the schema's, written once), except the ones derived from other inputs.
# ---------------------------------------------------------------------------------------------


def _record(record: type[Record], source: Any, **derived: Any) -> Record:
    """`record` (an optimisation.instance dataclass) with every field taken from `source` by name,
    unless given in `derived`."""
    return record(**{f.name: derived[f.name] if f.name in derived else getattr(source, f.name) for f in fields(record)})  # type: ignore[arg-type]


def rules_from(settings: ScenarioRules, team_roles: tuple[TeamRole, ...]) -> Rules:
    """The optimiser's Rules: scenario.yaml's settings of the same names, the host-fit scores, and the
    service model's support roles. Its casework_minutes is the limit of the scenario's casework mode."""
    return _record(
        Rules,
        settings,
        priorities=tuple(settings.priorities),
        casework_minutes=settings.casework_limit,
        host_fit=_record(HostFitScores, settings.host_fit),
        team_roles=team_roles,
        staff_cost_per_minute=settings.staff_minute_cost,
    )


def hub_from(row: HubRow, location: Location, supervision_minutes: int, manager_cost_per_year: float) -> Hub:
    """A hub of hubs.csv at its location; its own supervision_minutes and manager_cost_per_year,
    else the scenario's (ScenarioRules.manager_cost)."""
    return _record(
        Hub,
        row,
        easting=location.easting,
        northing=location.northing,
        supervision_limit=row.supervision_minutes or supervision_minutes,
        manager_cost_per_year=(
            row.manager_cost_per_year if row.manager_cost_per_year is not None else manager_cost_per_year
        ),
    )


def host_from(row: HostRow, location: Location) -> Host:
    """A candidate host of hosts.csv at its location, in its given (else its postcode's) authority."""
    return _record(
        Host,
        row,
        authority_code=location.authority_code or "",
        easting=location.easting,
        northing=location.northing,
        aims=row.aims or "",
    )


def area_from(row: AreaRow, location: Location, demand: int) -> Area:
    """A demand area of areas.csv at its location, with its given or estimated demand."""
    return _record(Area, row, easting=location.easting, northing=location.northing, demand=demand)


def authority_from(row: AuthorityRow) -> Authority:
    return _record(Authority, row)


def estimate_pathway_demand(model: ServiceModel, population: int) -> tuple[int, dict[str, float]]:
    """Cases at a time = round_half_up(Σ_p population x rate_p / 10,000 x weeks_p / 52), and the
    episodes a year per pathway behind it (scoping/scenario/service_model.py)."""
    episodes = model.pathway_episodes(population)
    return int(math.floor(model.cases_at_a_time(episodes) + 0.5)), episodes


def estimate_demand(population_10_17: int, per_10000: float) -> int:
    """Cases needing casework at any one time = round(population 10-17 x rate / 10,000), half up."""
    return int(math.floor(population_10_17 * per_10000 / 10_000 + 0.5))


def locate(scenario: Scenario, on_progress: ProgressCallback | None = None) -> dict[str, Location]:
    """Coordinates and authority of every hub, host, area and service. Raises InputError."""
    tables: list[tuple[Table, str]] = [
        (scenario.hubs, "hub_id"),
        (scenario.hosts, "host_id"),
        (scenario.areas, "area_id"),
    ]
    if scenario.services:
        tables.append((scenario.services, "service_id"))
    wanted = sorted({row.value.postcode for table, _ in tables for row in table.rows if row.value.postcode})
    progress = (lambda done, total: on_progress("geocoding", done, total)) if on_progress else None
    found = PostcodeLookup().lookup(wanted, on_progress=progress) if wanted else {}

    problems: list[Problem] = []
    locations: dict[str, Location] = {}
    listed = {row.value.authority_code for row in scenario.authorities.rows}
    nations: dict[bool, tuple[str, int, str]] = {}  # in Northern Ireland? -> the first such place (file, line, id)
    for table, id_column in tables:
        for row in table.rows:
            value = row.value
            place_id = getattr(value, id_column)
            given_authority = getattr(value, "authority_code", None)
            if value.postcode:
                result = found.get(value.postcode)
                if not isinstance(result, GeocodedPostcode):
                    problems.append(
                        Problem(
                            table.file,
                            row.line,
                            "postcode",
                            f"{shown(value.postcode)}: {getattr(result, 'message', result)}",
                        )
                    )
                    continue
                if id_column == "host_id" and given_authority is None and result.authority_code not in listed:
                    # A host's authority counts its spokes (coverage.csv, plan.xlsx, required authorities):
                    # an authority missing from authorities.csv would drop them from every total.
                    problems.append(
                        Problem(
                            table.file,
                            row.line,
                            "postcode",
                            f"{result.postcode} is in authority {result.authority_code}"
                            f"{' (' + result.authority_name + ')' if result.authority_name else ''}, "
                            "which is not listed in authorities.csv; add it there, or give the "
                            "host's authority_code",
                        )
                    )
                nations.setdefault(result.northern_ireland, (table.file, row.line, place_id))
                locations[place_id] = Location(
                    result.easting, result.northing, given_authority or result.authority_code, result.postcode
                )
            else:
                nations.setdefault(False, (table.file, row.line, place_id))
                locations[place_id] = Location(value.easting, value.northing, given_authority, None)
    if True in nations and False in nations:
        (file, line, place), (gb_file, gb_line, gb_place) = nations[True], nations[False]
        problems.append(
            Problem(
                file,
                line,
                "postcode",
                f"{place} is in Northern Ireland and {gb_place} "
                f"({gb_file}:{gb_line}) in Great Britain: travel minutes are estimated over land "
                "and cannot cross the Irish Sea; plan Northern Ireland as a scenario of its own",
            )
        )
    if problems:
        raise InputError(sorted(problems))
    return locations


def given_times(scenario: Scenario) -> GivenTimes:
    """The scenario's travel_times.csv (measured and routed times), by mode."""
    return (
        GivenTimes.from_rows(row.value for row in scenario.travel_times.rows) if scenario.travel_times else GivenTimes()
    )


def build_instance(scenario: Scenario, on_progress: ProgressCallback | None = None) -> PlannedScenario:
    """Geocode, estimate and prune travel times, and assemble the solver-ready Instance."""
    rules = scenario.rules
    locations = locate(scenario, on_progress)
    grid = load_density_grid()  # postcode density, what the travel estimate reads (once per process)

    hubs = tuple(
        hub_from(row.value, locations[row.value.hub_id], rules.supervision_minutes, rules.manager_cost)
        for row in scenario.hubs.rows
    )
    hosts = tuple(host_from(row.value, locations[row.value.host_id]) for row in scenario.hosts.rows)
    rates = {row.value.authority_code: row.value.demand_per_10000_aged_10_17 for row in scenario.authorities.rows}
    estimated: dict[str, int] = {}
    pathway_episodes: dict[str, dict[str, float]] = {}
    model = scenario.service_model
    areas = []
    for a in (row.value for row in scenario.areas.rows):
        demand = a.demand
        if demand is None and model is not None and model.estimates_by_pathway:
            demand, pathway_episodes[a.area_id] = estimate_pathway_demand(model, getattr(a, model.population_column))
            estimated[a.area_id] = demand
        elif demand is None:
            rate = rates.get(a.authority_code) or rules.demand_per_10000_aged_10_17
            demand = estimate_demand(a.population_10_17, rate)  # type: ignore[arg-type]
            estimated[a.area_id] = demand
        areas.append(area_from(a, locations[a.area_id], demand))
    authorities = tuple(authority_from(row.value) for row in scenario.authorities.rows)

    given = given_times(scenario)
    hub_places = [Place(p.hub_id, p.easting, p.northing) for p in hubs]
    host_places = [Place(p.host_id, p.easting, p.northing) for p in hosts]
    area_places = [Place(p.area_id, p.easting, p.northing) for p in areas]
    supervision = supervision_pairs(hub_places, host_places, {h.hub_id: h.supervision_limit for h in hubs}, given, grid)
    if on_progress:
        on_progress("supervision travel", 1, 1)
    casework = casework_pairs(host_places, area_places, rules.casework_limit, rules.casework_mode, given, grid)
    if on_progress:
        on_progress("casework travel", 1, 1)
    existing = {}
    if scenario.existing_spokes:
        existing = {(r.value.hub_id, r.value.host_id): r.value.count for r in scenario.existing_spokes.rows}

    instance = Instance(
        hubs=hubs,
        hosts=hosts,
        areas=tuple(areas),
        authorities=authorities,
        rules=rules_from(rules, model.team_roles() if model is not None else ()),
        casework_minutes=casework.minutes,
        supervision_minutes=supervision.minutes,
        existing_spokes=dict(sorted(existing.items())),
        supervision_km=supervision_km(hubs, hosts, supervision.minutes) if rules.mileage_cost_per_km else {},
    )
    return PlannedScenario(
        scenario, instance, locations, estimated, pathway_episodes, {**supervision.sources, **casework.sources}
    )


def supervision_km(hubs: tuple[Hub, ...], hosts: tuple[Host, ...], pairs) -> dict[tuple[str, str], float]:
    """Road km hub -> host for mileage (issue #14): straight-line km × DETOUR, the travel estimate's
    road / crow-fly factor (travel_times.csv holds minutes, not distances)."""
    hub_at = {h.hub_id: h for h in hubs}
    host_at = {h.host_id: h for h in hosts}
    return {
        (h, j): DETOUR
        * math.hypot(hub_at[h].easting - host_at[j].easting, hub_at[h].northing - host_at[j].northing)
        / 1000.0
        for (h, j) in pairs
    }


def build_programme(planned: PlannedScenario) -> Programme | None:
    """The scenario's phases and demand scenarios (issue #8), or None for a single-snapshot plan."""
    scenario, inst = planned.scenario, planned.instance
    rules = scenario.rules
    if rules.phases is None and rules.demand_range is None and scenario.demand_scenarios is None:
        return None
    scenarios = [central_scenario(inst)]
    if rules.demand_range is not None:
        scenarios += list(range_scenarios(inst, rules.demand_range))
    if scenario.demand_scenarios is not None:
        by_name: dict[str, dict[str, int]] = {}
        for row in scenario.demand_scenarios.rows:
            by_name.setdefault(row.value.scenario, {})[row.value.area_id] = row.value.demand
        scenarios += [DemandScenario(name, demand) for name, demand in by_name.items()]
    weights = rules.demand_weights or {}
    scenarios = [DemandScenario(s.name, s.demand, weights.get(s.name, 1.0)) for s in scenarios]
    phases: tuple[Phase, ...]
    if rules.phases is None:
        phases, phased = (Phase("plan", 0),), False
    else:
        phases = tuple(Phase(p.name, p.start_year, p.new_services, p.budget_per_year) for p in rules.phases)
        phased = True
    return Programme(
        phases, tuple(scenarios), rules.funded_years, rules.discount_rate, rules.robust, phased, rules.after_funding
    )

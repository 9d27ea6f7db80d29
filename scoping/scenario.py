"""A scenario directory, validated and turned into a solver-ready :class:`Instance`.

Two steps, both pure functions of the files:

1. :func:`load_scenario` reads every table and ``scenario.yaml`` through the schemas, then checks
   what no single file can: duplicate ids, ids shared between hubs/hosts/areas (travel_times.csv
   names places by id alone), references to unknown hubs, hosts, areas and authorities, and
   demand that cannot be estimated. All problems are collected and raised together as
   :class:`InputError`.
2. :func:`build_instance` geocodes postcodes offline (ONS Postcode Directory), derives each
   host's authority, estimates missing travel times, prunes pairs to the limits and hands the
   optimiser an :class:`Instance` that needs no more work.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import yaml
from pydantic import ValidationError

from optimisation.instance import Area, Authority, Host, HostFitScores, Hub, Instance, Rules
from optimisation.programme import CENTRAL, DemandScenario, Phase, Programme, central_scenario, range_scenarios
from scoping.errors import InputError, Problem, yaml_line
from scoping.schemas import (
    SCENARIO_FILE,
    TABLES,
    AreaRow,
    AuthorityRow,
    DemandScenarioRow,
    ExistingSpokeRow,
    HostRow,
    HubRow,
    PhaseSpec,
    ScenarioRules,
    ServiceRow,
    TravelTimeRow,
    describe_expectation,
)
from scoping.service_model import DEFAULT_MODEL, ServiceModel, load_service_model, resolve_service_model_path
from scoping.tables import Row, Table, read_table

if TYPE_CHECKING:
    from scoping.outcomes import MonitoringTable

ProgressCallback = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class Scenario:
    """Every input of a scenario directory, validated. Rows keep their line numbers."""

    directory: Path
    rules: ScenarioRules
    hubs: Table[HubRow]
    hosts: Table[HostRow]
    areas: Table[AreaRow]
    authorities: Table[AuthorityRow]
    services: Table[ServiceRow] | None
    travel_times: Table[TravelTimeRow] | None
    existing_spokes: Table[ExistingSpokeRow] | None
    inputs_sha256: dict[str, str] = field(default_factory=dict)
    # The service model (scoping/service_model.py); `service_model_declared`: scenario.yaml names
    # one (plan.json then records it and its team). None only for Scenarios built by hand.
    service_model: "ServiceModel | None" = None
    service_model_declared: bool = False
    # scenario.yaml `monitoring_store`: the service model's outcome measures tracked across the
    # store's snapshots (scoping/outcomes.py). None when the key is absent.
    monitoring: "MonitoringTable | None" = None
    demand_scenarios: Table[DemandScenarioRow] | None = None  # issue #8: robust plans

    def file(self, name: str) -> str:
        """How a file of this scenario is named in messages (the path the user gave)."""
        return str(self.directory / name)


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


# ---------------------------------------------------------------------------------------------
# Step 1: read and cross-check
# ---------------------------------------------------------------------------------------------


def _key_lines(text: str) -> dict[str, int]:
    """Line of each top-level key in a YAML mapping (for messages)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {key.value: key.start_mark.line + 1 for key, _ in node.value if isinstance(key, yaml.ScalarNode)}


NESTED_KEYS = ("phases", "demand_weights")  # keys whose errors are located at the nested entry


def _nested_line(text: str, loc: tuple) -> int | None:
    """Line of the YAML node at `loc` (e.g. ("phases", 1, "start_year")), or of its nearest parent."""
    try:
        return yaml_line(yaml.compose(text, Loader=yaml.SafeLoader), loc)
    except yaml.YAMLError:
        return None


def read_rules(path: Path, file: str) -> tuple[ScenarioRules | None, list[Problem]]:
    """Validate scenario.yaml; a missing file means every default applies."""
    if not path.exists():
        return ScenarioRules(), []
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        return None, [Problem(file, raw[: err.start].count(b"\n") + 1, "-", "is not UTF-8 text")]
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        return None, [Problem(file, line, "-", f"not valid YAML: {getattr(err, 'problem', err)}")]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [Problem(file, 1, "-", "expected a mapping of rule names to values")]
    implied: dict = {}
    model_problems: list[Problem] = []
    if isinstance(data.get("service_model"), str):  # the model's rules, where scenario.yaml is silent
        try:
            implied = service_model_rules(load_service_model(data["service_model"], path.parent, file=file,
                                                             line=_key_lines(text).get("service_model", 1)))
        except InputError as error:
            model_problems = list(error.problems)
        data = {**implied, **data}
    try:
        rules = ScenarioRules.model_validate(data)
        return (None, model_problems) if model_problems else (rules, [])
    except ValidationError as error:
        lines = _key_lines(text)
        problems = []
        for item in error.errors():
            key = ".".join(str(part) for part in item["loc"]) or "-"
            top = str(item["loc"][0]) if item["loc"] else ""
            message = item["msg"].removeprefix("Value error, ")
            if implied and not item["loc"]:
                top, key = "service_model", "service_model"
                message = (f"with the rules of service model {data['service_model']!r} ("
                           + ", ".join(f"{name} {value:g}" for name, value in implied.items()) + f"): {message}")
            if item["type"] == "extra_forbidden" and top == "phases":
                message = f"unknown phase key; expected one of {', '.join(PhaseSpec.model_fields)}"
            elif item["type"] == "extra_forbidden":
                message = f"unknown rule; expected one of {', '.join(ScenarioRules.model_fields)}"
            elif expectation := describe_expectation(item["type"], item.get("ctx")):
                message = f"{expectation}, got {str(item['input'])[:60]!r}"
            line = lines.get(top, 1)
            if top in NESTED_KEYS:
                line = _nested_line(text, tuple(item["loc"])) or line
            problems.append(Problem(file, line, key, message))
        return None, problems + model_problems


def service_model_rules(model: ServiceModel) -> dict:
    """The scenario.yaml rules a service model sets: caseload, episodes a year per worker, worker cost."""
    spec = model.spec
    implied = {"caseload_min": spec.caseload.min, "caseload_max": spec.caseload.max,
               "cases_per_spoke_per_year": model.episodes_per_worker_per_year}
    if spec.workers.cost_per_year is not None:
        implied["spoke_cost_per_year"] = spec.workers.cost_per_year
    return implied


def apply_service_model(rules: ScenarioRules, rules_path: Path, directory: Path) -> tuple[ServiceModel, ScenarioRules]:
    """Load scenario.yaml's `service_model` (default cse-hub-and-spoke) and fill the rules it sets
    (caseload_min/max, cases_per_spoke_per_year, spoke_cost_per_year) where scenario.yaml is silent.
    A scenario.yaml key always wins over the model. Raises InputError (located)."""
    file = str(rules_path)
    line = 0
    if rules.service_model is not None:
        line = _key_lines(rules_path.read_text(encoding="utf-8-sig")).get("service_model", 1)
    model = load_service_model(rules.service_model or DEFAULT_MODEL, directory, file=file, line=line)
    implied = service_model_rules(model)
    update = {key: value for key, value in implied.items()
              if key not in rules.model_fields_set and getattr(rules, key) != value}
    if not update:
        return model, rules
    try:
        merged = ScenarioRules.model_validate({**rules.model_dump(include=rules.model_fields_set), **update})
    except ValidationError as error:
        message = "; ".join(item["msg"].removeprefix("Value error, ") for item in error.errors())
        raise InputError([Problem(file, line, "service_model", f"the rules of service model {model.id!r} "
                                  f"do not fit this scenario.yaml: {message}")]) from None
    return model, merged


def read_monitoring_store(store: str, rules_path: Path, directory: Path, model: ServiceModel) -> "MonitoringTable":
    """scenario.yaml `monitoring_store`: the refresh store (relative to the scenario directory) read
    for the service model's outcome catalogue, every snapshot validated (scoping.outcomes). A store
    with no figures for the model gives a table without figures, never zeros. Raises InputError:
    a missing store or a model without a catalogue at scenario.yaml's line, a bad snapshot file
    at that file's line."""
    from scoping.outcomes import monitoring_table_from_store

    line = _key_lines(rules_path.read_text(encoding="utf-8-sig")).get("monitoring_store", 1)
    path = Path(os.path.normpath(Path(store) if Path(store).is_absolute() else directory / store))
    if not path.is_dir():
        raise InputError([Problem(str(rules_path), line, "monitoring_store",
                                  f"store {store[:80]!r} not found (looked for {path}); expected "
                                  "a refresh store directory, relative to the scenario directory "
                                  "(spokeplan refresh SOURCES.yaml --store DIR)")])
    if model.outcomes_catalogue is None:
        raise InputError([Problem(str(rules_path), line, "monitoring_store",
                                  f"service model {model.id!r} names no outcomes_catalogue, so there are no outcome "
                                  "measures to monitor; name one in the model file or remove monitoring_store")])
    return monitoring_table_from_store(path, model.id, model.catalogue())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _duplicates(table: Table, column: str) -> list[Problem]:
    first_line: dict[str, int] = {}
    problems = []
    for row in table.rows:
        value = getattr(row.value, column)
        if value in first_line:
            problems.append(Problem(table.file, row.line, column,
                                    f"{value!r} is used twice (first on line {first_line[value]}); ids must be unique"))
        else:
            first_line[value] = row.line
    return problems


def load_scenario(directory: str | Path) -> Scenario:
    """Read and validate a scenario directory. Raises InputError listing every problem."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError([Problem(str(directory), 0, "-", "is not a directory; expected a scenario "
                                  "directory with hubs.csv, hosts.csv, areas.csv and authorities.csv")])
    problems: list[Problem] = []
    tables: dict[str, Table | None] = {}
    hashes: dict[str, str] = {}
    for name, (model, required) in TABLES.items():
        path = directory / name
        shown = str(directory / name)
        if not path.exists():
            if required:
                problems.append(Problem(shown, 0, "-", "required file is missing"))
            tables[name] = None
            continue
        hashes[name] = _sha256(path)
        table, table_problems = read_table(path, model, shown)
        problems.extend(table_problems)
        tables[name] = table
    rules_path = directory / SCENARIO_FILE
    if rules_path.exists():
        hashes[SCENARIO_FILE] = _sha256(rules_path)
    rules, rule_problems = read_rules(rules_path, str(rules_path))
    problems.extend(rule_problems)
    service_model = None
    if rules is not None:
        try:
            service_model, rules = apply_service_model(rules, rules_path, directory)
        except InputError as error:
            problems.extend(error.problems)
    if service_model is not None and rules is not None and rules.service_model is not None:
        # The model file is an input of the plan: its hash goes into plan.json's provenance.
        hashes[f"service_model:{Path(service_model.file).name}"] = _sha256(
            resolve_service_model_path(rules.service_model, directory))  # type: ignore[arg-type]
    monitoring = None
    if rules is not None and service_model is not None and rules.monitoring_store is not None:
        try:
            monitoring = read_monitoring_store(rules.monitoring_store, rules_path, directory, service_model)
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError(problems)

    scenario = Scenario(
        directory=directory,
        rules=rules,  # type: ignore[arg-type]
        hubs=tables["hubs.csv"],  # type: ignore[arg-type]
        hosts=tables["hosts.csv"],  # type: ignore[arg-type]
        areas=tables["areas.csv"],  # type: ignore[arg-type]
        authorities=tables["authorities.csv"],  # type: ignore[arg-type]
        services=tables["services.csv"],
        travel_times=tables["travel_times.csv"],
        existing_spokes=tables["existing_spokes.csv"],
        inputs_sha256=dict(sorted(hashes.items())),
        service_model=service_model,
        service_model_declared=rules.service_model is not None,  # type: ignore[union-attr]
        monitoring=monitoring,
        demand_scenarios=tables["demand_scenarios.csv"],
    )
    problems = cross_check(scenario)
    if problems:
        raise InputError(problems)
    return scenario


def cross_check(scenario: Scenario) -> list[Problem]:
    """Checks that span files: unique ids, known references, estimable demand."""
    problems: list[Problem] = []
    place_tables = [scenario.hubs, scenario.hosts, scenario.areas]
    for table in (*place_tables, scenario.authorities, *( [scenario.services] if scenario.services else [])):
        column = type(table.rows[0].value).id_column if table.rows else None
        if column:
            problems.extend(_duplicates(table, column))
    for table, kind in ((scenario.hubs, "hub"), (scenario.hosts, "host"), (scenario.areas, "area")):
        if not table.rows:
            problems.append(Problem(table.file, 1, "-", f"no {kind}s listed; expected at least one row"))

    # travel_times.csv names places by id alone, so ids must not be shared between kinds.
    owner: dict[str, str] = {}
    for table in place_tables:
        id_column = {"hubs.csv": "hub_id", "hosts.csv": "host_id", "areas.csv": "area_id"}[Path(table.file).name]
        for row in table.rows:
            place_id = getattr(row.value, id_column)
            if place_id in owner and owner[place_id] != table.file:
                problems.append(Problem(table.file, row.line, id_column,
                                        f"{place_id!r} is also an id in {owner[place_id]}; ids must be unique "
                                        "across hubs, hosts and areas"))
            owner.setdefault(place_id, table.file)

    authority_codes = {row.value.authority_code for row in scenario.authorities.rows}
    for row in scenario.areas.rows:
        if row.value.authority_code not in authority_codes:
            problems.append(Problem(scenario.areas.file, row.line, "authority_code",
                                    f"{row.value.authority_code} is not listed in authorities.csv"))
    for row in scenario.hosts.rows:
        code = row.value.authority_code
        if code is None and row.value.postcode is None:
            problems.append(Problem(scenario.hosts.file, row.line, "authority_code",
                                    "is required when a host is located by easting and northing"))

    authority_rates = {row.value.authority_code: row.value.demand_per_10000_aged_10_17
                       for row in scenario.authorities.rows}
    model = scenario.service_model
    for row in scenario.areas.rows:
        area = row.value
        if area.demand is None and model is not None and model.estimates_by_pathway:
            if getattr(area, model.population_column) is None:
                problems.append(Problem(scenario.areas.file, row.line, "demand",
                                        f"is empty and cannot be estimated: give demand, or "
                                        f"{model.population_column} (the eligible population of service model "
                                        f"{model.id}: {_eligibility_text(model)})"))
        elif area.demand is None:
            rate = authority_rates.get(area.authority_code) or scenario.rules.demand_per_10000_aged_10_17
            if area.population_10_17 is None or rate is None:
                problems.append(Problem(scenario.areas.file, row.line, "demand",
                                        "is empty and cannot be estimated: give demand, or population_10_17 "
                                        "with demand_per_10000_aged_10_17 (authorities.csv or scenario.yaml)"))

    hub_ids = {row.value.hub_id for row in scenario.hubs.rows}
    host_ids = {row.value.host_id for row in scenario.hosts.rows}
    banned_hosts = {row.value.host_id: row.line for row in scenario.hosts.rows if row.value.status == "banned"}
    if scenario.travel_times:
        seen: dict[tuple[str, str], int] = {}
        for row in scenario.travel_times.rows:
            for column in ("from_id", "to_id"):
                value = getattr(row.value, column)
                if value not in owner:
                    problems.append(Problem(scenario.travel_times.file, row.line, column,
                                            f"{value!r} is not a hub, host or area id of this scenario"))
            pair = (row.value.from_id, row.value.to_id)
            if pair in seen:
                problems.append(Problem(scenario.travel_times.file, row.line, "from_id",
                                        f"pair {pair[0]} -> {pair[1]} is listed twice (first on line {seen[pair]})"))
            seen.setdefault(pair, row.line)
    if scenario.existing_spokes:
        seen = {}
        for row in scenario.existing_spokes.rows:
            if row.value.hub_id not in hub_ids:
                problems.append(Problem(scenario.existing_spokes.file, row.line, "hub_id",
                                        f"{row.value.hub_id!r} is not in hubs.csv"))
            if row.value.host_id not in host_ids:
                problems.append(Problem(scenario.existing_spokes.file, row.line, "host_id",
                                        f"{row.value.host_id!r} is not in hosts.csv"))
            elif row.value.host_id in banned_hosts:  # issue #18: a ban cannot remove spokes in post
                problems.append(Problem(scenario.existing_spokes.file, row.line, "host_id",
                                        f"host {row.value.host_id} has spokes in post but is banned in hosts.csv "
                                        f"(line {banned_hosts[row.value.host_id]}); set its status to candidate or "
                                        "locked, or remove this row"))
            pair = (row.value.hub_id, row.value.host_id)
            if pair in seen:
                problems.append(Problem(scenario.existing_spokes.file, row.line, "hub_id",
                                        f"hub {pair[0]} at host {pair[1]} is listed twice (first on line {seen[pair]})"))
            seen.setdefault(pair, row.line)
    problems.extend(_programme_problems(scenario))
    return sorted(problems, key=lambda p: (p.file, p.line, p.column))


def demand_scenario_names(scenario: Scenario) -> list[str]:
    """The demand scenarios declared: central, low/high from demand_range, demand_scenarios.csv's."""
    names = [CENTRAL]
    if scenario.rules.demand_range is not None:
        names += ["low", "high"]
    if scenario.demand_scenarios:
        for row in scenario.demand_scenarios.rows:
            if row.value.scenario not in names:
                names.append(row.value.scenario)
    return names


def _programme_problems(scenario: Scenario) -> list[Problem]:
    """demand_scenarios.csv and demand_weights: known areas, reserved names, every area once."""
    problems: list[Problem] = []
    reserved = [CENTRAL] + (["low", "high"] if scenario.rules.demand_range is not None else [])
    area_ids = [row.value.area_id for row in scenario.areas.rows]
    table = scenario.demand_scenarios
    if table is not None:
        if not table.rows:
            problems.append(Problem(table.file, 1, "-", "no rows; expected area_id,scenario,demand rows"))
        seen: dict[tuple[str, str], int] = {}
        first_line: dict[str, int] = {}
        for row in table.rows:
            name, area_id = row.value.scenario, row.value.area_id
            if name in reserved:
                why = "the areas.csv demand" if name == CENTRAL else "demand_range in scenario.yaml"
                problems.append(Problem(table.file, row.line, "scenario",
                                        f"{name!r} is reserved for {why}; give this scenario another name"))
            if area_id not in set(area_ids):
                problems.append(Problem(table.file, row.line, "area_id", f"{area_id!r} is not in areas.csv"))
            if (name, area_id) in seen:
                problems.append(Problem(table.file, row.line, "area_id",
                                        f"area {area_id} is listed twice for scenario {name} (first on line "
                                        f"{seen[(name, area_id)]})"))
            seen.setdefault((name, area_id), row.line)
            first_line.setdefault(name, row.line)
        for name, line in first_line.items():
            if name in reserved:
                continue
            missing = [a for a in area_ids if (name, a) not in seen]
            if missing:
                problems.append(Problem(table.file, line, "area_id",
                                        f"scenario {name} gives no demand for {len(missing)} area(s) of areas.csv "
                                        f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}); every "
                                        "scenario must list every area"))
    weights = scenario.rules.demand_weights
    if weights:
        names = demand_scenario_names(scenario)
        rules_file = scenario.file(SCENARIO_FILE)
        text = (scenario.directory / SCENARIO_FILE).read_text(encoding="utf-8-sig")
        for name in weights:
            if name not in names:
                problems.append(Problem(rules_file, _nested_line(text, ("demand_weights", name)) or 1,
                                        f"demand_weights.{name}",
                                        f"is not a demand scenario of this plan; expected one of {', '.join(names)}"))
    return problems


# ---------------------------------------------------------------------------------------------
# Step 2: geocode, estimate travel, build the instance
# ---------------------------------------------------------------------------------------------


def _eligibility_text(model: ServiceModel) -> str:
    rule = model.spec.eligibility
    return f"aged {rule.age_min}-{rule.age_max}" + (" and open to social care" if rule.open_to_social_care else "")


def estimate_pathway_demand(model: ServiceModel, population: int) -> tuple[int, dict[str, float]]:
    """Cases at a time = round_half_up(Σ_p population x rate_p / 10,000 x weeks_p / 52), and the
    episodes a year per pathway behind it (scoping/service_model.py)."""
    episodes = model.pathway_episodes(population)
    return int(math.floor(model.cases_at_a_time(episodes) + 0.5)), episodes


def estimate_demand(population_10_17: int, per_10000: float) -> int:
    """Cases needing casework at any one time = round(population 10-17 x rate / 10,000), half up."""
    return int(math.floor(population_10_17 * per_10000 / 10_000 + 0.5))


def locate(scenario: Scenario, on_progress: ProgressCallback | None = None) -> dict[str, Location]:
    """Coordinates and authority of every hub, host, area and service. Raises InputError."""
    from scoping.geocode import GeocodedPostcode, PostcodeLookup

    tables: list[tuple[Table, str]] = [
        (scenario.hubs, "hub_id"), (scenario.hosts, "host_id"), (scenario.areas, "area_id")]
    if scenario.services:
        tables.append((scenario.services, "service_id"))
    wanted = sorted({row.value.postcode for table, _ in tables for row in table.rows if row.value.postcode})
    progress = (lambda done, total: on_progress("geocoding", done, total)) if on_progress else None
    found = PostcodeLookup().lookup(wanted, on_progress=progress) if wanted else {}

    problems: list[Problem] = []
    locations: dict[str, Location] = {}
    for table, id_column in tables:
        for row in table.rows:
            value = row.value
            place_id = getattr(value, id_column)
            given_authority = getattr(value, "authority_code", None)
            if value.postcode:
                result = found.get(value.postcode)
                if not isinstance(result, GeocodedPostcode):
                    problems.append(Problem(table.file, row.line, "postcode",
                                            f"{value.postcode!r}: {getattr(result, 'message', result)}"))
                    continue
                locations[place_id] = Location(result.easting, result.northing,
                                               given_authority or result.authority_code, result.postcode)
            else:
                locations[place_id] = Location(value.easting, value.northing, given_authority, None)
    if problems:
        raise InputError(problems)
    return locations


def measured_minutes(scenario: Scenario) -> dict[tuple[str, str], int]:
    if not scenario.travel_times:
        return {}
    return {(row.value.from_id, row.value.to_id): row.value.minutes for row in scenario.travel_times.rows}


def build_instance(scenario: Scenario, on_progress: ProgressCallback | None = None) -> PlannedScenario:
    """Geocode, estimate and prune travel times, and assemble the solver-ready Instance."""
    from scoping.travel import Place, build_travel_graph, travel_pairs

    rules = scenario.rules
    locations = locate(scenario, on_progress)

    hubs = tuple(
        Hub(
            hub_id=h.hub_id, name=h.name,
            easting=locations[h.hub_id].easting, northing=locations[h.hub_id].northing,
            min_spokes=h.min_spokes, max_spokes=h.max_spokes, managers=h.managers,
            manager_span=h.manager_span,
            supervision_limit=h.supervision_minutes or rules.supervision_minutes,
        )
        for h in (row.value for row in scenario.hubs.rows)
    )
    hosts = tuple(
        Host(
            host_id=h.host_id, name=h.name, host_type=h.host_type,
            authority_code=locations[h.host_id].authority_code or "",
            easting=locations[h.host_id].easting, northing=locations[h.host_id].northing,
            max_spokes=h.max_spokes, annual_cost=h.annual_cost, drop_in=h.drop_in, aims=h.aims or "",
            status=h.status,
        )
        for h in (row.value for row in scenario.hosts.rows)
    )
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
        areas.append(Area(area_id=a.area_id, name=a.name, authority_code=a.authority_code,
                          easting=locations[a.area_id].easting, northing=locations[a.area_id].northing,
                          demand=demand))
    authorities = tuple(
        Authority(authority_code=a.authority_code, name=a.name, aim=a.aim, required=a.required)
        for a in (row.value for row in scenario.authorities.rows)
    )

    places = [Place(p.hub_id, p.easting, p.northing) for p in hubs]
    places += [Place(p.host_id, p.easting, p.northing) for p in hosts]
    places += [Place(p.area_id, p.easting, p.northing) for p in areas]
    graph = build_travel_graph(places)
    measured = measured_minutes(scenario)

    def stage(name: str):
        return (lambda done, total: on_progress(name, done, total)) if on_progress else None

    supervision = travel_pairs(graph, [h.hub_id for h in hubs], [h.host_id for h in hosts],
                               {h.hub_id: h.supervision_limit for h in hubs}, measured,
                               on_progress=stage("supervision travel"))
    casework = travel_pairs(graph, [h.host_id for h in hosts], [a.area_id for a in areas],
                            rules.casework_minutes, measured, on_progress=stage("casework travel"))
    existing = {}
    if scenario.existing_spokes:
        existing = {(r.value.hub_id, r.value.host_id): r.value.count for r in scenario.existing_spokes.rows}

    instance = Instance(
        hubs=hubs, hosts=hosts, areas=tuple(areas), authorities=authorities,
        rules=Rules(
            caseload_min=rules.caseload_min, caseload_max=rules.caseload_max,
            cases_per_spoke_per_year=rules.cases_per_spoke_per_year,
            casework_minutes=rules.casework_minutes, supervision_minutes=rules.supervision_minutes,
            spoke_cost_per_year=rules.spoke_cost_per_year, budget_per_year=rules.budget_per_year,
            max_spokes=rules.max_spokes, priorities=tuple(rules.priorities),
            host_fit=HostFitScores(**rules.host_fit.model_dump()),
            team_roles=model.team_roles() if model is not None else (),
        ),
        casework_minutes=dict(sorted(casework.items())),
        supervision_minutes=dict(sorted(supervision.items())),
        existing_spokes=dict(sorted(existing.items())),
    )
    return PlannedScenario(scenario, instance, locations, estimated, pathway_episodes)


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
    if rules.phases is None:
        phases, phased = (Phase("plan", 0),), False
    else:
        phases = tuple(Phase(p.name, p.start_year, p.max_hubs, p.max_spokes, p.budget_per_year) for p in rules.phases)
        phased = True
    return Programme(phases, tuple(scenarios), rules.funded_years, rules.discount_rate, rules.robust, phased)

"""A scenario directory read and validated: every table, scenario.yaml and its service model.

:func:`load_scenario` reads every table through its schema (scoping/scenario/schemas.py) and
scenario.yaml through :mod:`scoping.scenario.settings`, then checks what no single file can:
duplicate ids, ids shared between hubs/hosts/areas (travel_times.csv names places by id alone),
references to unknown hubs, hosts, areas and authorities, demand that cannot be estimated, demand
scenarios and weights, and a ``monitoring_store`` that exists for a model with outcome measures.
All problems are collected and raised together as :class:`InputError`. Geocoding, travel times and
the optimiser's Instance follow in :mod:`scoping.scenario.build`; the monitoring store's figures are
read by :func:`scoping.store.outcomes.scenario_monitoring`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.errors import InputError, Problem, shown
from common.files import read_input_bytes
from optimisation.programme import CENTRAL
from scoping.scenario.schemas import (
    TABLES,
    AreaRow,
    AuthorityRow,
    DemandScenarioRow,
    ExistingSpokeRow,
    HostRow,
    HubRow,
    ServiceRow,
    TravelTimeRow,
)
from scoping.scenario.service_model import ServiceModel
from scoping.scenario.settings import SCENARIO_FILE, ScenarioRules, SettingsFile, read_settings
from scoping.scenario.tables import Table, parse_table


@dataclass(frozen=True)
class TablesFrom:
    """Tables of the scenario read from elsewhere (a refresh store's snapshot: ``--store``): file name
    (``hosts.csv``) -> its path, every one inside `root` once links are followed. `provenance` is what
    plan.json records of where they came from (scoping.store.snapshot_data)."""

    root: Path
    files: Mapping[str, Path]
    provenance: Mapping[str, Any]


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
    # The service model (scoping/scenario/service_model.py); `service_model_declared`: scenario.yaml names
    # one (plan.json then records it and its team). None only for Scenarios built by hand.
    service_model: ServiceModel | None = None
    service_model_declared: bool = False
    demand_scenarios: Table[DemandScenarioRow] | None = None  # issue #8: robust plans
    # Issue #17: the store snapshot some tables came from (TablesFrom.provenance), None without --store.
    store: Mapping[str, Any] | None = None

    def file(self, name: str) -> str:
        """How a file of this scenario is named in messages (the path the user gave)."""
        return str(self.directory / name)


def _duplicates(table: Table, column: str) -> list[Problem]:
    first_line: dict[str, int] = {}
    problems = []
    for row in table.rows:
        value = getattr(row.value, column)
        if value in first_line:
            problems.append(
                Problem(
                    table.file,
                    row.line,
                    column,
                    f"{value!r} is used twice (first on line {first_line[value]}); ids must be unique",
                )
            )
        else:
            first_line[value] = row.line
    return problems


def load_scenario(directory: str | Path, tables_from: TablesFrom | None = None) -> Scenario:
    """Read and validate a scenario directory. Raises InputError listing every problem.

    `tables_from`: tables read from a store snapshot instead of the directory (its files win; the
    scenario's own file of that name, if any, is not read).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(
            [
                Problem(
                    str(directory),
                    0,
                    "-",
                    "is not a directory; expected a scenario "
                    "directory with hubs.csv, hosts.csv, areas.csv and authorities.csv",
                )
            ]
        )
    if not os.access(directory, os.R_OK | os.X_OK):
        raise InputError(
            [Problem(str(directory), 0, "-", "cannot be read: permission denied (check the folder's permissions)")]
        )
    problems: list[Problem] = []
    tables: dict[str, Table | None] = {}
    hashes: dict[str, str] = {}
    for name, (model, required) in TABLES.items():
        path, within = directory / name, directory
        if tables_from is not None and name in tables_from.files:
            path, within = tables_from.files[name], tables_from.root
        file = str(path)
        if not os.path.lexists(path):  # a dangling link is not a missing file: it is reported when read
            if required:
                problems.append(Problem(file, 0, "-", "required file is missing"))
            tables[name] = None
            continue
        try:
            raw = read_input_bytes(path, file, within=within, what="CSV file")
        except InputError as error:
            problems.extend(error.problems)
            tables[name] = None
            continue
        hashes[name] = hashlib.sha256(raw).hexdigest()
        table, table_problems = parse_table(raw, model, file)
        problems.extend(table_problems)
        tables[name] = table
    rules, service_model, settings, settings_problems = read_settings(directory)
    problems.extend(settings_problems)
    if settings.sha256 is not None:
        hashes[SCENARIO_FILE] = settings.sha256
    if service_model is not None and rules is not None and rules.service_model is not None:
        # The model file is an input of the plan: its hash goes into plan.json's provenance.
        hashes[f"service_model:{Path(service_model.file).name}"] = service_model.sha256
    if rules is not None and service_model is not None and rules.monitoring_store is not None:
        problems.extend(_monitoring_store_problems(rules.monitoring_store, directory, service_model, settings))
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
        demand_scenarios=tables["demand_scenarios.csv"],
        store=dict(tables_from.provenance) if tables_from is not None else None,
    )
    problems = cross_check(scenario, settings)
    if problems:
        raise InputError(problems)
    return scenario


def monitoring_store_path(directory: Path, store: str) -> Path:
    """scenario.yaml `monitoring_store`: the refresh store's folder, relative to the scenario directory."""
    return Path(os.path.normpath(Path(store) if Path(store).is_absolute() else directory / store))


def _monitoring_store_problems(
    store: str, directory: Path, model: ServiceModel, settings: SettingsFile
) -> list[Problem]:
    """scenario.yaml `monitoring_store` names a store that exists, for a service model with outcome
    measures (their figures are read by scoping.store.outcomes.scenario_monitoring)."""
    line = settings.key_line("monitoring_store")
    path = monitoring_store_path(directory, store)
    if not path.is_dir():
        return [
            Problem(
                settings.file,
                line,
                "monitoring_store",
                f"store {shown(store, 80)} not found (looked for {path}); expected "
                "a refresh store directory, relative to the scenario directory "
                "(spokeplan refresh SOURCES.yaml --store DIR)",
            )
        ]
    if model.outcomes_catalogue is None:
        return [
            Problem(
                settings.file,
                line,
                "monitoring_store",
                f"service model {model.id!r} names no outcomes_catalogue, so there are no outcome "
                "measures to monitor; name one in the model file or remove monitoring_store",
            )
        ]
    return []


def cross_check(scenario: Scenario, settings: SettingsFile) -> list[Problem]:
    """Checks that span files: unique ids, known references, estimable demand."""
    problems: list[Problem] = []
    place_tables: list[Table[Any]] = [scenario.hubs, scenario.hosts, scenario.areas]
    for table in (*place_tables, scenario.authorities, *([scenario.services] if scenario.services else [])):
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
                problems.append(
                    Problem(
                        table.file,
                        row.line,
                        id_column,
                        f"{place_id!r} is also an id in {owner[place_id]}; ids must be unique "
                        "across hubs, hosts and areas",
                    )
                )
            owner.setdefault(place_id, table.file)

    authority_codes = {row.value.authority_code for row in scenario.authorities.rows}
    for row in scenario.areas.rows:
        if row.value.authority_code not in authority_codes:
            problems.append(
                Problem(
                    scenario.areas.file,
                    row.line,
                    "authority_code",
                    f"{row.value.authority_code} is not listed in authorities.csv",
                )
            )
    for row in scenario.hosts.rows:
        code = row.value.authority_code
        if code is None and row.value.postcode is None:
            problems.append(
                Problem(
                    scenario.hosts.file,
                    row.line,
                    "authority_code",
                    "is required when a host is located by easting and northing",
                )
            )
        elif code is not None and code not in authority_codes:
            # The host's spokes count for its authority (coverage.csv, plan.xlsx, required authorities):
            # an authority missing from authorities.csv would drop them from every total.
            problems.append(
                Problem(
                    scenario.hosts.file,
                    row.line,
                    "authority_code",
                    f"{code} is not listed in authorities.csv; add it there (a host's spokes are "
                    "counted in its authority's totals)",
                )
            )

    authority_rates = {
        row.value.authority_code: row.value.demand_per_10000_aged_10_17 for row in scenario.authorities.rows
    }
    model = scenario.service_model
    for row in scenario.areas.rows:
        area = row.value
        if area.demand is None and model is not None and model.estimates_by_pathway:
            if getattr(area, model.population_column) is None:
                problems.append(
                    Problem(
                        scenario.areas.file,
                        row.line,
                        "demand",
                        f"is empty and cannot be estimated: give demand, or "
                        f"{model.population_column} (the eligible population of service model "
                        f"{model.id}: {_eligibility_text(model)})",
                    )
                )
        elif area.demand is None:
            rate = authority_rates.get(area.authority_code) or scenario.rules.demand_per_10000_aged_10_17
            if area.population_10_17 is None or rate is None:
                problems.append(
                    Problem(
                        scenario.areas.file,
                        row.line,
                        "demand",
                        "is empty and cannot be estimated: give demand, or population_10_17 "
                        "with demand_per_10000_aged_10_17 (authorities.csv or scenario.yaml)",
                    )
                )

    hub_ids = {row.value.hub_id for row in scenario.hubs.rows}
    host_ids = {row.value.host_id for row in scenario.hosts.rows}
    banned_hosts = {row.value.host_id: row.line for row in scenario.hosts.rows if row.value.status == "banned"}
    if scenario.travel_times:
        seen: dict[tuple[str, str, str], int] = {}
        for row in scenario.travel_times.rows:
            for column in ("from_id", "to_id"):
                value = getattr(row.value, column)
                if value not in owner:
                    problems.append(
                        Problem(
                            scenario.travel_times.file,
                            row.line,
                            column,
                            f"{value!r} is not a hub, host or area id of this scenario",
                        )
                    )
            pair = (row.value.from_id, row.value.to_id, row.value.mode)  # one time per pair and mode
            if pair[0] == pair[1]:
                problems.append(
                    Problem(
                        scenario.travel_times.file,
                        row.line,
                        "to_id",
                        f"from_id and to_id are both {pair[0]!r}; a place is 0 minutes from itself: "
                        "list travel between two places",
                    )
                )
            if pair in seen:
                by = "" if row.value.mode == "car" else f" by {row.value.mode}"
                problems.append(
                    Problem(
                        scenario.travel_times.file,
                        row.line,
                        "from_id",
                        f"pair {pair[0]} -> {pair[1]}{by} is listed twice (first on line {seen[pair]})",
                    )
                )
            seen.setdefault(pair, row.line)
    if scenario.existing_spokes:
        placed: dict[tuple[str, str], int] = {}
        hub_at_host: dict[str, tuple[str, int]] = {}  # host -> (its first hub in post, line)
        for row in scenario.existing_spokes.rows:
            if row.value.hub_id not in hub_ids:
                problems.append(
                    Problem(
                        scenario.existing_spokes.file, row.line, "hub_id", f"{row.value.hub_id!r} is not in hubs.csv"
                    )
                )
            if row.value.host_id not in host_ids:
                problems.append(
                    Problem(
                        scenario.existing_spokes.file, row.line, "host_id", f"{row.value.host_id!r} is not in hosts.csv"
                    )
                )
            elif row.value.host_id in banned_hosts:  # issue #18: a ban cannot remove spokes in post
                problems.append(
                    Problem(
                        scenario.existing_spokes.file,
                        row.line,
                        "host_id",
                        f"host {row.value.host_id} has spokes in post but is banned in hosts.csv "
                        f"(line {banned_hosts[row.value.host_id]}); set its status to candidate or "
                        "locked, or remove this row",
                    )
                )
            spoke = (row.value.hub_id, row.value.host_id)
            if spoke in placed:
                problems.append(
                    Problem(
                        scenario.existing_spokes.file,
                        row.line,
                        "hub_id",
                        f"hub {spoke[0]} at host {spoke[1]} is listed twice (first on line {placed[spoke]})",
                    )
                )
            placed.setdefault(spoke, row.line)
            # One hub per host (issue #14): spokes in post of two hubs at one host, unless shared_hosts.
            first = hub_at_host.setdefault(spoke[1], (spoke[0], row.line))
            if first[0] != spoke[0] and not scenario.rules.shared_hosts:
                problems.append(
                    Problem(
                        scenario.existing_spokes.file,
                        row.line,
                        "hub_id",
                        f"host {spoke[1]} already has spokes in post of hub {first[0]} (line {first[1]}); "
                        "one hub per host: a host's spokes are all one hub's unless scenario.yaml sets "
                        "shared_hosts: true",
                    )
                )
    problems.extend(_programme_problems(scenario, settings))
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


def _programme_problems(scenario: Scenario, settings: SettingsFile) -> list[Problem]:
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
                problems.append(
                    Problem(
                        table.file,
                        row.line,
                        "scenario",
                        f"{name!r} is reserved for {why}; give this scenario another name",
                    )
                )
            if area_id not in set(area_ids):
                problems.append(Problem(table.file, row.line, "area_id", f"{area_id!r} is not in areas.csv"))
            if (name, area_id) in seen:
                problems.append(
                    Problem(
                        table.file,
                        row.line,
                        "area_id",
                        f"area {area_id} is listed twice for scenario {name} (first on line {seen[(name, area_id)]})",
                    )
                )
            seen.setdefault((name, area_id), row.line)
            first_line.setdefault(name, row.line)
        for name, line in first_line.items():
            if name in reserved:
                continue
            missing = [a for a in area_ids if (name, a) not in seen]
            if missing:
                problems.append(
                    Problem(
                        table.file,
                        line,
                        "area_id",
                        f"scenario {name} gives no demand for {len(missing)} area(s) of areas.csv "
                        f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}); every "
                        "scenario must list every area",
                    )
                )
    weights = scenario.rules.demand_weights
    if weights:
        names = demand_scenario_names(scenario)
        for name in weights:
            if name not in names:
                problems.append(
                    Problem(
                        settings.file,
                        settings.nested_line(("demand_weights", name)),
                        f"demand_weights.{name}",
                        f"is not a demand scenario of this plan; expected one of {', '.join(names)}",
                    )
                )
    return problems


def _eligibility_text(model: ServiceModel) -> str:
    rule = model.spec.eligibility
    return f"aged {rule.age_min}-{rule.age_max}" + (" and open to social care" if rule.open_to_social_care else "")

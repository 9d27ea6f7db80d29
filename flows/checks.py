"""The inputs check each command runs in plain Python before any Prefect flow run.

Bad input exits 2 before Prefect is imported or a server started (issue #13): the command line
runs the check below first and starts a flow only when it passes. `spokeplan validate` is the
check alone. The flows repeat the same calls as their first tasks, so a flow run started from
Python or a deployment checks its inputs too; in the command's process the second pass is cheap
(the postcode directory and travel estimates are cached in memory: ~0.05 s for inputs/demo).

Every check returns a RunOutcome: exit 0 with the figures of a summary, or exit 2 with one
`error: FILE:LINE: COLUMN: ...` line per problem. Nothing here writes a file.
"""

from __future__ import annotations

import os

from common.errors import InputError, Problem
from flows.params import DEMOS
from flows.progress import stage_progress
from flows.runtime import EXIT_BAD_INPUT, EXIT_OK, RunOutcome, bad_input
from scoping.analysis.benchmarks import NEIGHBOURS_FILE, read_neighbours
from scoping.analysis.importers import known_authority_codes, read_ees_csv, read_ons_population, sniff_kind
from scoping.analysis.profiles import ScopingInputs
from scoping.scenario.build import PlannedScenario, build_instance
from scoping.scenario.loader import Scenario, load_scenario
from scoping.scenario.sweep import load_sweep, widened, widest_limits
from scoping.store.outcomes import model_monitoring_table, scenario_monitoring
from scoping.store.refresh import load_sources

INDICATORS_DIR = "indicators"


def build_with_progress(scenario: Scenario) -> PlannedScenario:
    """build_instance with a progress bar per stage (geocoding, travel) on a terminal."""
    with stage_progress() as report:
        return build_instance(scenario, on_progress=report)


def read_scoping_inputs(scenario: Scenario) -> ScopingInputs:
    """neighbours.csv and indicators/*.csv of a scenario directory. Raises InputError.

    * ``neighbours.csv`` — ``authority_code``, ``neighbour_code`` (optional ``rank``): the comparison
      group of each authority; without it, nearest neighbours on standardised indicators.
    * ``indicators/*.csv`` — DfE Explore Education Statistics tidy CSVs and ONS mid-year population
      estimates (single year of age, wide layout), recognised by their header
      (scoping.analysis.importers).
    """
    codes = [row.value.authority_code for row in scenario.authorities.rows]
    tables, populations, problems = [], {}, []
    folder = scenario.directory / INDICATORS_DIR
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        try:
            kind = sniff_kind(path)
            if kind == "ees":
                tables.append(read_ees_csv(path, codes))
            elif kind == "ons_population":
                populations.update(read_ons_population(path, codes))
            else:
                problems.append(Problem(str(path), 1, "-", "not a recognised indicator file: expected an EES tidy CSV "
                                        "(time_period, geographic_level, new_la_code, ...) or an ONS mid-year "
                                        "estimate by single year of age (code, name, 0 ... 90)"))
        except InputError as error:
            problems.extend(error.problems)
    neighbours = None
    neighbours_path = scenario.directory / NEIGHBOURS_FILE
    if os.path.lexists(neighbours_path):  # a dangling link is reported, not skipped
        try:
            neighbours = read_neighbours(neighbours_path, known_authority_codes(codes))
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError(problems)
    return ScopingInputs(tuple(tables), populations, neighbours)


def validate_summary(scenario_dir: str, planned: PlannedScenario) -> dict:
    """The figures `spokeplan validate` prints for a valid scenario."""
    inst = planned.instance
    return {
        "scenario": scenario_dir, "hubs": len(inst.hubs), "hosts": len(inst.hosts), "areas": len(inst.areas),
        "authorities": len(inst.authorities), "demand": inst.demand_total,
        "casework_pairs": len(inst.casework_minutes), "supervision_pairs": len(inst.supervision_minutes),
        "estimated_demand_areas": len(planned.estimated_demand),
    }


def check_scenario(scenario_dir: str) -> RunOutcome:
    """A scenario directory: schemas, references, its monitoring store, postcodes, travel pairs
    (`plan`, `validate`)."""
    try:
        scenario = load_scenario(scenario_dir)
        scenario_monitoring(scenario)
        planned = build_with_progress(scenario)
    except InputError as error:
        return bad_input(error).outcome()
    return RunOutcome(EXIT_OK, [], validate_summary(scenario_dir, planned))


def check_scope(scenario_dir: str) -> RunOutcome:
    """A scenario directory and its optional indicator files (`scope`)."""
    try:
        scenario = load_scenario(scenario_dir)
        read_scoping_inputs(scenario)
        build_with_progress(scenario)
    except InputError as error:
        return bad_input(error).outcome()
    return RunOutcome(EXIT_OK)


def unknown_demo(model: str) -> RunOutcome | None:
    """Exit 2 for a service model without a shipped demo (DEMOS), else None."""
    if model in DEMOS:
        return None
    return RunOutcome(EXIT_BAD_INPUT, [
        f"error: --model: -: unknown service model {model[:80]!r}; expected one of {', '.join(DEMOS)}"])


def check_demo(model: str) -> RunOutcome:
    """The demo of a known service model: its scenario, scoped and planned (`demo`)."""
    return unknown_demo(model) or check_scope(str(DEMOS[model][0]))


def check_sweep(sweep_file: str) -> RunOutcome:
    """SWEEP.yaml, its base scenario and the instance at the widest travel limits (`sweep`)."""
    try:
        spec, scenario = load_sweep(sweep_file)
        build_instance(widened(scenario, *widest_limits(spec, scenario)))
    except InputError as error:
        return bad_input(error).outcome()
    return RunOutcome(EXIT_OK)


def check_sources(sources_file: str) -> RunOutcome:
    """SOURCES.yaml (`refresh`; each source's data is checked as it is collected, in the flow)."""
    try:
        load_sources(sources_file)
    except InputError as error:
        return bad_input(error).outcome()
    return RunOutcome(EXIT_OK)


def check_monitoring(store_dir: str, service_model: str) -> RunOutcome:
    """The refresh store's outcomes sources and the service model's catalogue (`monitor`)."""
    try:
        model_monitoring_table(store_dir, service_model)
    except InputError as error:
        return bad_input(error).outcome()
    return RunOutcome(EXIT_OK)


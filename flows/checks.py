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

from common.errors import InputError
from flows.params import DEMOS
from flows.progress import stage_progress
from flows.runtime import EXIT_BAD_INPUT, EXIT_OK, RunOutcome, bad_input
from scoping.analysis.indicator_files import IndicatorFile, read_scoping_inputs
from scoping.scenario.build import PlannedScenario, build_instance
from scoping.scenario.loader import Scenario, load_scenario
from scoping.scenario.sweep import load_sweep, widened, widest_limits
from scoping.store.outcomes import model_monitoring_table, scenario_monitoring
from scoping.store.refresh import load_sources
from scoping.store.snapshot_data import SnapshotData, snapshot_data


def build_with_progress(scenario: Scenario) -> PlannedScenario:
    """build_instance with a progress bar per stage (geocoding, travel) on a terminal."""
    with stage_progress() as report:
        return build_instance(scenario, on_progress=report)


def load_with_store(
    scenario_dir: str, store_dir: str | None = None, snapshot: str | None = None
) -> tuple[SnapshotData | None, Scenario]:
    """The scenario, with the tables of a refresh store's snapshot when `store_dir` is given (issue #17:
    `--store DIR [--snapshot ID]`; scoping.store.snapshot_data). Raises InputError."""
    data = snapshot_data(store_dir, snapshot) if store_dir else None
    return data, load_scenario(scenario_dir, data.tables_from() if data else None)


def scoping_files(data: SnapshotData | None) -> tuple[IndicatorFile, ...] | None:
    """The indicator files of a scoping run: a snapshot's ees and ons_population sources when it has
    any, else None (the scenario's indicators/ folder)."""
    return data.indicator_files if data is not None and data.indicator_files else None


def validate_summary(scenario_dir: str, planned: PlannedScenario) -> dict:
    """The figures `spokeplan validate` prints for a valid scenario."""
    inst = planned.instance
    return {
        "scenario": scenario_dir,
        "hubs": len(inst.hubs),
        "hosts": len(inst.hosts),
        "areas": len(inst.areas),
        "authorities": len(inst.authorities),
        "demand": inst.demand_total,
        "casework_pairs": len(inst.casework_minutes),
        "supervision_pairs": len(inst.supervision_minutes),
        "estimated_demand_areas": len(planned.estimated_demand),
    }


def check_scenario(scenario_dir: str, store_dir: str | None = None, snapshot: str | None = None) -> RunOutcome:
    """A scenario directory (with a store snapshot's tables: `--store`): schemas, references, its
    monitoring store, postcodes, travel pairs (`plan`, `validate`)."""
    try:
        _, scenario = load_with_store(scenario_dir, store_dir, snapshot)
        scenario_monitoring(scenario)
        planned = build_with_progress(scenario)
    except InputError as error:
        return bad_input(error).outcome()
    return RunOutcome(EXIT_OK, [], validate_summary(scenario_dir, planned))


def check_scope(scenario_dir: str, store_dir: str | None = None, snapshot: str | None = None) -> RunOutcome:
    """A scenario directory and its optional indicator files, or a store snapshot's (`scope`)."""
    try:
        data, scenario = load_with_store(scenario_dir, store_dir, snapshot)
        read_scoping_inputs(scenario, scoping_files(data))
        build_with_progress(scenario)
    except InputError as error:
        return bad_input(error).outcome()
    return RunOutcome(EXIT_OK)


def unknown_demo(model: str) -> RunOutcome | None:
    """Exit 2 for a service model without a shipped demo (DEMOS), else None."""
    if model in DEMOS:
        return None
    return RunOutcome(
        EXIT_BAD_INPUT, [f"error: --model: -: unknown service model {model[:80]!r}; expected one of {', '.join(DEMOS)}"]
    )


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

"""Prefect flow for `spokeplan scope SCENARIO_DIR --out DIR`: scoping profiles and reports.

inputs (scenario directory, optional indicator files) -> scoping (load, geocode, travel, profiles,
recommendations) -> reporting (one HTML page per authority, index.html, scoping_summary.csv) ->
outputs (atomic writes). Thin wiring only: the work is in scoping.analysis.profiles,
scoping.analysis.recommendations and reporting.views.scoping.

Optional files beside the scenario's CSVs:

* ``neighbours.csv`` — ``authority_code``, ``neighbour_code`` (optional ``rank``): the comparison
  group of each authority; without it, nearest neighbours on standardised indicators.
* ``indicators/*.csv`` — DfE Explore Education Statistics tidy CSVs and ONS mid-year population
  estimates (single year of age, wide layout), recognised by their header
  (see scoping.analysis.importers), with ``indicators/filters.yaml`` saying how to read an EES file's
  filter columns (scoping.analysis.indicator_files).

With ``store_dir`` (``--store``), a refresh store's snapshot gives the scenario's tables and, when it
holds ees or ons_population sources, the indicator files (scoping.store.snapshot_data).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.params import ScopeParams
from flows.plan_flow import (
    EXIT_OK, Rejected, RunOutcome, build_instance_task, flow_result, read_snapshot_and_scenario, rejecting_bad_input,
    write_task,
)
from flows.progress import stage_progress
from reporting.writers.scoping import render_scoping_files
from scoping.analysis.indicator_files import read_scoping_inputs
from scoping.analysis.profiles import AuthorityProfile, ScopingInputs, build_profiles
from scoping.analysis.recommendations import recommendations
from scoping.scenario.build import PlannedScenario
from scoping.scenario.loader import Scenario
from scoping.store.snapshot_data import SnapshotData

SCOPE_FILES = ("scoping-*.html", "index.html", "scoping_summary.csv")  # every name `scope` may write


@task(name="read indicator files", cache_policy=NO_CACHE)
def read_inputs_task(scenario: Scenario, data: SnapshotData | None = None) -> ScopingInputs | Rejected:
    """The indicator files: the store snapshot's ees and ons_population sources when it has any, else the
    scenario's indicators/ folder; and neighbours.csv."""
    files = data.indicator_files if data is not None and data.indicator_files else None
    return rejecting_bad_input(read_scoping_inputs, scenario, files)


@task(name="scoping profiles", cache_policy=NO_CACHE)
def profiles_task(planned: PlannedScenario, inputs: ScopingInputs) -> list[AuthorityProfile]:
    with stage_progress() as report:
        return build_profiles(planned, inputs, on_progress=report)


@task(name="render scoping reports", cache_policy=NO_CACHE)
def render_task(planned: PlannedScenario, profiles: list[AuthorityProfile]) -> dict[str, bytes]:
    rules = planned.scenario.rules
    advice = {p.code: recommendations(p, rules.casework_limit, rules.supervision_minutes, rules.caseload_max)
              for p in profiles}
    return render_scoping_files(planned, profiles, advice)


def scope_summary(planned: PlannedScenario, profiles: list[AuthorityProfile]) -> dict:
    """Figures for the command's summary line (no case counts: nothing here needs disclosure)."""
    classes = [p.geography.settlement_class or "unknown" for p in profiles]
    return {
        "scenario": str(planned.scenario.directory),
        "authorities": len(profiles),
        "reports": len(profiles),
        "rural": classes.count("rural"), "mixed": classes.count("mixed"), "urban": classes.count("urban"),
        "authorities_with_gaps": sum(1 for p in profiles if p.services.gaps),
        "red_flags": sum(1 for p in profiles for b in p.cse.benchmarks if b.rag == "red"),
    }


def publish_scope_artifacts(profiles: list[AuthorityProfile], summary: dict) -> None:
    """A table and a markdown summary of the run in the Prefect UI (no case counts in either)."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    create_table_artifact(
        key="scope-authorities", description="Authorities scoped",
        table=[{"authority": p.code, "class": p.geography.settlement_class or "unknown",
                "service_gaps": len(p.services.gaps),
                "red_flags": sum(1 for b in p.cse.benchmarks if b.rag == "red")} for p in profiles])
    create_markdown_artifact(
        key="scope-summary", description="Scoping summary",
        markdown=(f"# Scoping of {summary['scenario']}\n\n* {summary['reports']} authority reports "
                  f"({summary['urban']} urban, {summary['mixed']} mixed, {summary['rural']} rural)\n"
                  f"* {summary['authorities_with_gaps']} authorities with service gaps; "
                  f"{summary['red_flags']} red indicator flags\n"
                  + (f"* data: refresh store snapshot {summary['snapshot']}\n" if summary.get("snapshot") else "")))


def run_scope(scenario_dir: str, out_dir: str, store_dir: str | None = None, snapshot: str | None = None) -> RunOutcome:
    """The scope pipeline as plain calls of tasks. `store_dir`, `snapshot`: a refresh store's snapshot
    as the scenario's data and indicator files (scoping.store.snapshot_data)."""
    started = time.perf_counter()
    loaded = read_snapshot_and_scenario(scenario_dir, out_dir, store_dir, snapshot)
    if isinstance(loaded, RunOutcome):
        return loaded
    data, scenario = loaded
    inputs = read_inputs_task(scenario, data)
    if isinstance(inputs, Rejected):
        return RunOutcome(inputs.exit_code, list(inputs.messages))
    planned = build_instance_task(scenario)
    if isinstance(planned, Rejected):
        return RunOutcome(planned.exit_code, list(planned.messages))
    profiles = profiles_task(planned, inputs)
    files = render_task(planned, profiles)
    ordered = {name: data for name, data in files.items() if name != "index.html"}
    ordered["index.html"] = files["index.html"]  # the index last: it links to pages already written
    written = write_task(out_dir, ordered, SCOPE_FILES)
    if isinstance(written, Rejected):
        return RunOutcome(written.exit_code, list(written.messages))
    summary = scope_summary(planned, profiles)
    summary["snapshot"] = data.snapshot if data is not None else None
    publish_scope_artifacts(profiles, summary)
    summary["wall_seconds"] = time.perf_counter() - started
    summary["out_dir"] = out_dir
    summary["index"] = str(Path(out_dir) / "index.html")
    return RunOutcome(EXIT_OK, [], summary, written)


@flow(name="spokeplan-scope", log_prints=False)
def scope_flow(params: ScopeParams):
    """Scoping profiles and one scoping report per authority, plus an index page."""
    outcome = run_scope(params.scenario_dir, params.out_dir, params.store_dir, params.snapshot)
    return flow_result(outcome)

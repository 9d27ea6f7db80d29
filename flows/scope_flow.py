"""Prefect flow for `spokeplan scope SCENARIO_DIR --out DIR`: scoping profiles and reports.

inputs (scenario directory, optional indicator files: scoping.analysis.indicator_files, or a refresh
store's snapshot with --store: scoping.store.snapshot_data) -> scoping
(load, geocode, travel, profiles, recommendations) -> reporting (one HTML page per authority,
index.html, scoping_summary.csv, in the internal and the public pack: reporting/writers/packs.py) ->
outputs (one whole-set write). Thin wiring only: the work is in scoping.analysis.profiles,
scoping.analysis.recommendations and reporting.views.scoping.
"""

from __future__ import annotations

import time
from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows.checks import read_scoping_inputs, scoping_files
from flows.params import ScopeParams
from flows.progress import stage_progress
from flows.runtime import EXIT_OK, Rejected, RunOutcome, rejecting_bad_input
from flows.tasks import build_instance_task, flow_result, load_scenario_tasks, write_task
from reporting.disclosure import INTERNAL, PUBLIC
from reporting.writers.packs import assemble
from reporting.writers.scoping import render_scoping_packs
from scoping.analysis.profiles import AuthorityProfile, ScopingInputs, build_profiles
from scoping.analysis.recommendations import recommendations
from scoping.scenario.build import PlannedScenario
from scoping.scenario.loader import Scenario
from scoping.store.snapshot_data import SnapshotData

# every name `scope` may write
SCOPE_FILES = ("scoping-*.html", "index.html", "scoping_summary.csv", INTERNAL.name, PUBLIC.name, "README.txt")


@task(name="read indicator files", cache_policy=NO_CACHE)
def read_inputs_task(scenario: Scenario, data: SnapshotData | None = None) -> ScopingInputs | Rejected:
    """The indicator files (a store snapshot's ees and ons_population sources when it has any, else the
    scenario's indicators/ folder) and neighbours.csv."""
    return rejecting_bad_input(read_scoping_inputs, scenario, scoping_files(data))


@task(name="scoping profiles", cache_policy=NO_CACHE)
def profiles_task(planned: PlannedScenario, inputs: ScopingInputs) -> list[AuthorityProfile]:
    with stage_progress() as report:
        return build_profiles(planned, inputs, on_progress=report)


@task(name="render scoping reports", cache_policy=NO_CACHE)
def render_task(planned: PlannedScenario, profiles: list[AuthorityProfile]) -> dict[str, dict[str, bytes]]:
    """Pack name -> the pack's scoping files (internal exact, public disclosure-controlled)."""
    rules = planned.scenario.rules
    advice = {
        p.code: recommendations(p, rules.casework_limit, rules.supervision_minutes, rules.caseload_max)
        for p in profiles
    }
    return render_scoping_packs(planned, profiles, advice)


def scope_summary(planned: PlannedScenario, profiles: list[AuthorityProfile]) -> dict:
    """Figures for the command's summary line (no case counts: nothing here needs disclosure)."""
    classes = [p.geography.settlement_class or "unknown" for p in profiles]
    return {
        "scenario": str(planned.scenario.directory),
        "authorities": len(profiles),
        "reports": len(profiles),
        "rural": classes.count("rural"),
        "mixed": classes.count("mixed"),
        "urban": classes.count("urban"),
        "authorities_with_gaps": sum(1 for p in profiles if p.services.gaps),
        "red_flags": sum(1 for p in profiles for b in p.cse.benchmarks if b.rag == "red"),
    }


def publish_scope_artifacts(profiles: list[AuthorityProfile], summary: dict) -> None:
    """A table and a markdown summary of the run in the Prefect UI (no case counts in either)."""
    create_table_artifact(
        key="scope-authorities",
        description="Authorities scoped",
        table=[
            {
                "authority": p.code,
                "class": p.geography.settlement_class or "unknown",
                "service_gaps": len(p.services.gaps),
                "red_flags": sum(1 for b in p.cse.benchmarks if b.rag == "red"),
            }
            for p in profiles
        ],
    )
    create_markdown_artifact(
        key="scope-summary",
        description="Scoping summary",
        markdown=(
            f"# Scoping of {summary['scenario']}\n\n* {summary['reports']} authority reports "
            f"({summary['urban']} urban, {summary['mixed']} mixed, {summary['rural']} rural)\n"
            f"* {summary['authorities_with_gaps']} authorities with service gaps; "
            f"{summary['red_flags']} red indicator flags\n"
            + (f"* data: refresh store snapshot {summary['snapshot']}\n" if summary.get("snapshot") else "")
        ),
    )


def scope_packs(
    scenario_dir: str, out_dir: str, store_dir: str | None = None, snapshot: str | None = None
) -> tuple[RunOutcome, dict[str, dict[str, bytes]]]:
    """The scope pipeline up to the files: (the outcome, pack name -> the pack's scoping files; empty
    unless the outcome is exit 0). `out_dir` is checked before any work; nothing is written.
    `store_dir`, `snapshot`: a refresh store's snapshot as the scenario's data and indicator files
    (scoping.store.snapshot_data)."""
    loaded = load_scenario_tasks(scenario_dir, out_dir, store_dir, snapshot)
    if isinstance(loaded, RunOutcome):  # every input problem and the folder's, together
        return loaded, {}
    store_data, scenario = loaded
    inputs = read_inputs_task(scenario, store_data)
    if isinstance(inputs, Rejected):
        return inputs.outcome(), {}
    planned = build_instance_task(scenario)
    if isinstance(planned, Rejected):
        return planned.outcome(), {}
    profiles = profiles_task(planned, inputs)
    packs = render_task(planned, profiles)
    summary = scope_summary(planned, profiles)
    summary["snapshot"] = store_data.snapshot if store_data is not None else None
    publish_scope_artifacts(profiles, summary)
    return RunOutcome(EXIT_OK, [], summary), packs


def run_scope(scenario_dir: str, out_dir: str, store_dir: str | None = None, snapshot: str | None = None) -> RunOutcome:
    """The scope pipeline as plain calls of tasks: both packs, and the public pages directly in OUT as
    before issue #17 (reporting/writers/packs.py), written as one set. `store_dir`, `snapshot`: as
    scope_packs."""
    started = time.perf_counter()
    outcome, packs = scope_packs(scenario_dir, out_dir, store_dir, snapshot)
    if outcome.exit_code != EXIT_OK:
        return outcome
    public = packs[PUBLIC.name]
    files = assemble(packs[INTERNAL.name], public, {name: PUBLIC for name in public}, last="index.html")
    written = write_task(out_dir, files, SCOPE_FILES)
    if isinstance(written, Rejected):
        return RunOutcome(written.exit_code, list(written.messages))
    summary = outcome.summary
    summary["wall_seconds"] = time.perf_counter() - started
    summary["out_dir"] = out_dir
    summary["index"] = str(Path(out_dir) / "index.html")
    return RunOutcome(EXIT_OK, [], summary, written)


@flow(name="spokeplan-scope", log_prints=False)
def scope_flow(params: ScopeParams):
    """Scoping profiles and one scoping report per authority, plus an index page."""
    outcome = run_scope(params.scenario_dir, params.out_dir, params.store_dir, params.snapshot)
    return flow_result(outcome)

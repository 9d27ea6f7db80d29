"""The `monitor` flow: `spokeplan monitor STORE --model MODEL --out DIR`.

inputs (the refresh store's snapshots; the service model, by id or path, and the catalogue its
`outcomes_catalogue` names) -> scoping (scoping.store.outcomes: validate every snapshot's outcomes sources, track each figure across the
snapshots, build the monitoring table) -> reporting (reporting.views.monitoring: disclosure
control, monitoring.html with SVG small multiples, monitoring.csv) -> outputs (atomic writes).
Thin wiring only. Exit 0, or 2 when the store or a snapshot's outcomes file is bad
(`error: FILE:LINE: COLUMN: ...`, nothing written).
"""

from __future__ import annotations

import time
from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows.params import MonitorParams
from flows.runtime import EXIT_OK, Rejected, RunOutcome, output_folder_rejected, rejecting_bad_input
from flows.tasks import flow_result, write_task
from reporting.writers.monitoring import monitoring_markdown, render_monitoring_files
from scoping.store.outcomes import MonitoringTable, model_monitoring_table


@task(name="track outcome measures", cache_policy=NO_CACHE)
def track_task(store_dir: str, service_model: str) -> MonitoringTable | Rejected:
    return rejecting_bad_input(model_monitoring_table, store_dir, service_model)


@task(name="render monitoring report", cache_policy=NO_CACHE)
def render_task(table: MonitoringTable, threshold: int) -> tuple[dict[str, bytes], dict]:
    return render_monitoring_files(table, threshold)


def run_monitor(params: MonitorParams) -> RunOutcome:
    started = time.perf_counter()
    refused = output_folder_rejected(params.out_dir, params.store_dir)
    if refused:
        return RunOutcome(refused.exit_code, list(refused.messages))
    table = track_task(params.store_dir, params.service_model)
    if isinstance(table, Rejected):
        return table.outcome()
    files, view = render_task(table, params.disclosure_threshold)
    written = write_task(params.out_dir, files)
    if isinstance(written, Rejected):
        return RunOutcome(written.exit_code, list(written.messages))
    create_table_artifact(
        key="monitoring-latest",
        description="Latest position per measure and area (disclosed)",
        table=[
            {k: r[k] for k in ("outcome", "measure_id", "area", "latest_period", "latest", "change", "reading")}
            for r in view["summary"]
        ],
    )
    create_markdown_artifact(
        key="monitoring-summary", markdown=monitoring_markdown(view), description="Outcome monitoring"
    )
    summary = {
        "service_model": table.catalogue.service_model,
        "store": params.store_dir,
        "snapshots": len(table.snapshots),
        "measures": view["measures"],
        "measures_with_data": view["measures_with_data"],
        "suppressed_points": view["suppressed_points"],
        "cells": len(table.cells),
        "wall_seconds": time.perf_counter() - started,
        "out_dir": params.out_dir,
    }
    summary["text"] = (
        f"spokeplan: monitoring of {summary['service_model']} from {params.store_dir}: "
        f"{summary['snapshots']} snapshots, {summary['measures_with_data']} of {summary['measures']} "
        f"measures with figures, {summary['suppressed_points']} figures shown as c; "
        f"{summary['wall_seconds']:.1f} s\n  open {Path(params.out_dir) / 'monitoring.html'}"
    )
    return RunOutcome(EXIT_OK, [], summary, written)


@flow(name="spokeplan-monitor", log_prints=False)
def monitor_flow(params: MonitorParams):
    """Outcome measures of one service model tracked across the refresh store's snapshots."""
    return flow_result(run_monitor(params))

"""The plan files of DESIGN.md "Plan (output)": report.html, plan.xlsx, plan.geojson, allocation.csv,
spokes.csv, coverage.csv and plan.json, as bytes by file name (plan.json last), from one set of
published counts. Written by common.files.write_files as one set: the folder holds the previous
plan's files or this plan's, never a mix (PLAN_FILES: every name a plan may write, so a file of an
earlier plan that this one does not write, e.g. robustness.csv, goes with the rest).

CSV cells that a spreadsheet would run as a formula (starting with =, +, -, @) are neutralised
with a leading apostrophe (reporting/writers/spreadsheet.py).
"""

from __future__ import annotations

import json
from typing import Any

from optimisation.result import PlanResult
from reporting.published.plan import PublishedCounts, published_counts
from reporting.views.plan_document import allocation_rows, coverage_table_rows, plan_document, spoke_rows
from reporting.views.plan_report import report_view
from reporting.views.store_changes import published_record
from reporting.writers.environment import environment
from reporting.writers.geojson import plan_geojson_bytes
from reporting.writers.spreadsheet import csv_bytes
from reporting.writers.workbook import plan_workbook_bytes
from scoping.scenario.build import PlannedScenario


# Every file name `plan` may write into --out (robustness.csv only for demand scenarios).
PLAN_FILES = ("report.html", "plan.xlsx", "plan.geojson", "robustness.csv", "allocation.csv", "spokes.csv",
              "coverage.csv", "plan.json")


def plan_json_bytes(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def render_report_html(planned: PlannedScenario, plan: PlanResult, document: dict[str, Any],
                       counts: PublishedCounts, rollout: dict | None = None, since: dict | None = None) -> str:
    return environment().get_template("report.html.j2").render(
        **report_view(planned, plan, document, counts, rollout, since))


def render_report_files(planned: PlannedScenario, plan: PlanResult, document: dict[str, Any],
                        counts: PublishedCounts, rollout: dict | None = None,
                        since: dict | None = None) -> dict[str, bytes]:
    """report.html, plan.xlsx and plan.geojson, as bytes by file name, from one set of published counts."""
    return {
        "report.html": render_report_html(planned, plan, document, counts, rollout, since).encode("utf-8"),
        "plan.xlsx": plan_workbook_bytes(planned, plan, document, counts),
        "plan.geojson": plan_geojson_bytes(planned, plan, counts),
    }


def render_plan_files(planned: PlannedScenario, plan: PlanResult,
                      counts: PublishedCounts | None = None, extension: dict | None = None) -> dict[str, bytes]:
    """Every plan file's bytes, by file name (plan.json last).

    `counts` (the published, suppressed case counts, with the monitoring table when scenario.yaml
    names a `monitoring_store`) is worked out here unless the caller already has it: suppression is
    audited by linear programming, so it is done once per plan.
    `extension` (phased / robust plans, reporting/views/rollout.py): "document" keys appended to
    plan.json, "report" the roll-out view shown in report.html, "files" more files by name; and for a
    plan made from a store snapshot, "since": what changed since the previous snapshot's plan
    (reporting/views/store_changes.py), shown in report.html.
    """
    if counts is None:
        if planned.scenario.rules.monitoring_store is not None:  # never drop the section silently
            raise ValueError("scenario.yaml names a monitoring_store: pass the counts of published_counts(..., "
                             "scoping.store.outcomes.scenario_monitoring(scenario))")
        counts = published_counts(planned, plan, planned.scenario.rules.disclosure_threshold, None)
    extension = extension or {}
    monitoring = counts.monitoring.table if counts.monitoring is not None else None
    document = {**plan_document(planned, plan, monitoring), **extension.get("document", {})}
    if "store" in document:  # what this report publishes of its case totals, for the next plan's comparison
        document["store"] = {**document["store"], "published": published_record(counts)}
    return {
        **render_report_files(planned, plan, document, counts, extension.get("report"), extension.get("since")),
        **extension.get("files", {}),
        "allocation.csv": csv_bytes(
            ["area_id", "area_name", "authority_code", "host_id", "host_name", "host_type", "cases",
             "casework_minutes", "casework_mode", "casework_source"], allocation_rows(planned, plan)),
        "spokes.csv": csv_bytes(
            ["hub_id", "hub_name", "host_id", "host_name", "host_type", "authority_code", "spokes",
             "supervision_minutes", "supervision_source"], spoke_rows(planned, plan)),
        "coverage.csv": csv_bytes(
            ["authority_code", "authority_name", "aim", "required", "demand", "covered", "unmet",
             "share_covered", "spokes_hosted"], coverage_table_rows(planned, plan)),
        "plan.json": plan_json_bytes(document),
    }

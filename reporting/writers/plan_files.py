"""The plan files of DESIGN.md "Plan (output)": report.html, plan.xlsx, plan.geojson, allocation.csv,
spokes.csv, coverage.csv and plan.json, in two packs (issue #17, reporting/writers/packs.py):
``internal/`` (exact, marked OFFICIAL-SENSITIVE) and ``public/`` (disclosure-controlled), each from
its pack's one set of published counts, and the contract's names directly under OUT as copies (the
machine-readable files from the internal pack, the reports from the public pack, as before #17).
Written by common.files.write_files as one set: the folder holds the previous plan's files or this
plan's, never a mix (PLAN_FILES: every name a plan may write, so a file of an earlier plan that this one
does not write, e.g. robustness.csv, goes with the rest).

CSV cells that a spreadsheet would run as a formula (starting with =, +, -, @) are neutralised
with a leading apostrophe (reporting/writers/spreadsheet.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from optimisation.result import PlanResult
from reporting.disclosure import INTERNAL, PUBLIC, Pack
from reporting.published.plan import PublishedCounts, published_counts
from reporting.views.plan_document import (
    allocation_rows,
    coverage_table_rows,
    plan_document,
    public_plan_document,
    published_allocation_rows,
    published_coverage_rows,
    spoke_rows,
)
from reporting.views.plan_report import coverage_rows, report_view
from reporting.views.service import service_view
from reporting.views.store_changes import published_record
from reporting.writers.environment import environment
from reporting.writers.geojson import plan_geojson_bytes
from reporting.writers.packs import Folders, assemble
from reporting.writers.spreadsheet import csv_bytes
from reporting.writers.workbook import plan_workbook_bytes
from scoping.scenario.build import PlannedScenario

# The files directly under OUT (DESIGN.md's names), and the pack each is a copy of.
TOP_LEVEL: dict[str, Pack] = {
    "report.html": PUBLIC,
    "plan.xlsx": PUBLIC,
    "plan.geojson": PUBLIC,
    "robustness.csv": INTERNAL,
    "allocation.csv": INTERNAL,
    "spokes.csv": INTERNAL,
    "coverage.csv": INTERNAL,
    "plan.json": INTERNAL,
}
# Every name `plan` may write into --out (robustness.csv only for demand scenarios).
PLAN_FILES = (*TOP_LEVEL, INTERNAL.name, PUBLIC.name, "README.txt")
ALLOCATION_COLUMNS = [
    "area_id",
    "area_name",
    "authority_code",
    "host_id",
    "host_name",
    "host_type",
    "cases",
    "casework_minutes",
    "casework_mode",
    "casework_source",
]
SPOKE_COLUMNS = [
    "hub_id",
    "hub_name",
    "host_id",
    "host_name",
    "host_type",
    "authority_code",
    "spokes",
    "supervision_minutes",
    "supervision_source",
]
COVERAGE_COLUMNS = [
    "authority_code",
    "authority_name",
    "aim",
    "required",
    "demand",
    "covered",
    "unmet",
    "share_covered",
    "spokes_hosted",
    "served_from_other_authority",  # issue #14: cases of its areas served at another authority's hosts
]
# A plan's extension (phased / robust plans, reporting/writers/rollout.py), per pack's counts:
# "document" keys appended to plan.json, "report" the roll-out view shown in report.html, "files" more files.
Extension = Callable[[PublishedCounts], dict]


def plan_json_bytes(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def render_report_html(
    planned: PlannedScenario,
    plan: PlanResult,
    document: dict[str, Any],
    counts: PublishedCounts,
    rollout: dict | None = None,
    since: dict | None = None,
) -> str:
    return (
        environment()
        .get_template("report.html.j2")
        .render(**report_view(planned, plan, document, counts, rollout, since))
    )


def render_report_files(
    planned: PlannedScenario,
    plan: PlanResult,
    document: dict[str, Any],
    counts: PublishedCounts,
    rollout: dict | None = None,
    since: dict | None = None,
) -> dict[str, bytes]:
    """report.html, plan.xlsx and plan.geojson of `counts`' pack, as bytes by file name."""
    return {
        "report.html": render_report_html(planned, plan, document, counts, rollout, since).encode("utf-8"),
        "plan.xlsx": plan_workbook_bytes(planned, plan, document, counts),
        "plan.geojson": plan_geojson_bytes(planned, plan, counts),
    }


def render_pack(
    planned: PlannedScenario,
    plan: PlanResult,
    counts: PublishedCounts,
    extension: dict | None = None,
    since: dict | None = None,
    published: dict | None = None,
) -> dict[str, bytes]:
    """Every plan file of one pack (`counts.pack`), by file name (plan.json last). `since`: for a plan
    made from a store snapshot, what changed since the previous snapshot's plan (published figures only,
    reporting/views/store_changes.py), shown in report.html; `published`: the public pack's record of
    its case totals, kept in plan.json's `store`."""
    extension = extension or {}
    monitoring = counts.monitoring.table if counts.monitoring is not None else None
    document = {**plan_document(planned, plan, monitoring), **extension.get("document", {})}
    if "store" in document and published is not None:
        # what the public report publishes of its case totals, for the next snapshot's plan to compare
        # with (reporting/views/store_changes.py): never the exact internal figures
        document["store"] = {**document["store"], "published": published}
    files = {
        **render_report_files(planned, plan, document, counts, extension.get("report"), since),
        **extension.get("files", {}),
    }
    marking = counts.pack.marking
    if counts.pack.exact:
        files["allocation.csv"] = csv_bytes(ALLOCATION_COLUMNS, allocation_rows(planned, plan), marking)
        files["spokes.csv"] = csv_bytes(SPOKE_COLUMNS, spoke_rows(planned, plan), marking)
        files["coverage.csv"] = csv_bytes(COVERAGE_COLUMNS, coverage_table_rows(planned, plan), marking)
        files["plan.json"] = plan_json_bytes(document)
        return files
    rows, total = coverage_rows(planned, plan, counts)
    files["allocation.csv"] = csv_bytes(
        [*ALLOCATION_COLUMNS, "figures"], published_allocation_rows(planned, plan, counts)
    )
    files["spokes.csv"] = csv_bytes(SPOKE_COLUMNS, spoke_rows(planned, plan))
    files["coverage.csv"] = csv_bytes(
        [*COVERAGE_COLUMNS, "figures"], published_coverage_rows(rows, total, counts, plan.spokes_total)
    )
    files["plan.json"] = plan_json_bytes(
        public_plan_document(
            document, counts, planned, extension.get("report"), service_view(planned, plan, counts.pack)
        )
    )
    return files


def pack_counts(
    planned: PlannedScenario, plan: PlanResult, counts: PublishedCounts | None = None
) -> dict[str, PublishedCounts]:
    """The published counts of each pack by pack name. `counts` (the public pack's, with the monitoring
    table when scenario.yaml names a `monitoring_store`) is worked out here unless the caller already has
    it: its suppression is audited by integer programming, so it is done once per plan."""
    threshold = planned.scenario.rules.disclosure_threshold
    if counts is None:
        if planned.scenario.rules.monitoring_store is not None:  # never drop the section silently
            raise ValueError(
                "scenario.yaml names a monitoring_store: pass the counts of published_counts(..., "
                "scoping.store.outcomes.scenario_monitoring(scenario))"
            )
        counts = published_counts(planned, plan, threshold, None)
    monitoring = counts.monitoring.table if counts.monitoring is not None else None
    internal = published_counts(planned, plan, threshold, monitoring, INTERNAL, counts.rollout)
    return {INTERNAL.name: internal, PUBLIC.name: counts}


def render_plan_files(
    planned: PlannedScenario,
    plan: PlanResult,
    counts: PublishedCounts | None = None,
    extension: Extension | None = None,
    folders: Folders | None = None,
    since: dict | None = None,
) -> dict[str, bytes]:
    """Every file a plan writes into OUT, by name: internal/..., public/..., the copies under OUT and the
    README.txt files (reporting/writers/packs.py), plan.json last. `counts`: the public pack's counts
    (:func:`pack_counts`); `extension`: a phased / robust plan's additions, per pack's counts; `folders`:
    more files of each pack in a folder (the demo's scoping reports in scope/); `since`: a store-snapshot
    plan's changes since the previous snapshot's plan (reporting/views/store_changes.py)."""
    by_pack = pack_counts(planned, plan, counts)
    published = published_record(by_pack[PUBLIC.name])
    packs = {
        name: render_pack(planned, plan, own, extension(own) if extension else None, since, published)
        for name, own in by_pack.items()
    }
    return assemble(packs[INTERNAL.name], packs[PUBLIC.name], TOP_LEVEL, last="plan.json", folders=folders)

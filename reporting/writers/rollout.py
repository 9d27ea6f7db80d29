"""The plan files of a phased and/or robust plan (issue #8): the one-snapshot files of the final
phase under central demand, plus robustness.csv and the roll-out and robustness sections
(reporting/views/rollout.py) in plan.json and report.html, in both packs (issue #17).
"""

from __future__ import annotations

from optimisation.programme import Programme
from reporting.published.plan import PublishedCounts, published_counts
from reporting.published.rollout import rollout_tables
from reporting.views.plan_document import COUNT, ESTIMATE, published_value
from reporting.views.rollout import programme_document, robustness_rows, rollout_view
from reporting.writers.packs import Folders
from reporting.writers.plan_files import render_plan_files
from reporting.writers.spreadsheet import csv_bytes

ROBUSTNESS_COLUMNS = ["scenario", "weight", "demand_total", "covered_robust", "covered_central_plan"]


def programme_counts(final_planned, plan, programme: Programme, solved, monitoring=None) -> PublishedCounts:
    """The public pack's counts of a phased / robust plan: the full roll-out's tables, the roll-out year
    tables and the robustness table (reporting/published/rollout.py) in one disclosure audit (issue #17
    item 2)."""
    rollout = rollout_tables(programme_document(final_planned, programme, solved), plan.spokes_total)
    threshold = final_planned.scenario.rules.disclosure_threshold
    return published_counts(final_planned, plan, threshold, monitoring, rollout=rollout)


def render_programme_files(
    final_planned, plan, counts, programme: Programme, solved, folders: Folders | None = None, since: dict | None = None
) -> dict[str, bytes]:
    """Every plan file of a phased / robust plan, in both packs, by name (plan.json last). `since`: as
    render_plan_files."""
    document = programme_document(final_planned, programme, solved)
    document_with_coverage = {**document, "coverage": {"demand_covered": plan.objective}}

    def extension(own: PublishedCounts) -> dict:
        estimates = own.is_estimate(("authority", "TOTAL", "demand"))
        view = rollout_view(document_with_coverage, own)
        files = {}
        if "robustness" in document and own.pack.exact:
            files["robustness.csv"] = csv_bytes(
                [
                    *ROBUSTNESS_COLUMNS,
                    "discounted_robust",
                    "discounted_central_plan",
                    "central_plan_meets_caseload_min",
                ],
                robustness_rows(document),
                own.pack.marking,
            )
        elif "robustness" in document:  # the report's disclosed robustness table
            files["robustness.csv"] = csv_bytes(
                [*ROBUSTNESS_COLUMNS, "central_plan_meets_caseload_min", "figures"],
                [
                    [
                        o["name"],
                        o["weight"],
                        *[_plain(published_value(o[k])) for k in ("demand", "robust", "central")],
                        "true" if o["central_min"] == "yes" else "false",
                        ESTIMATE if estimates else COUNT,
                    ]
                    for o in view["scenarios"]
                ],
            )
        return {"document": document, "report": view, "files": files}

    return render_plan_files(final_planned, plan, counts, extension, folders, since)


def _plain(value):
    """A CSV cell: a rounded estimate as its number (the row's `figures` says it is an estimate)."""
    return value["estimate"] if isinstance(value, dict) else value

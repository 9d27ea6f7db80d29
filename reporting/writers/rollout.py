"""The plan files of a phased and/or robust plan (issue #8): the one-snapshot files of the final
phase under central demand, plus robustness.csv and the roll-out and robustness sections
(reporting/views/rollout.py) in plan.json and report.html.
"""

from __future__ import annotations

from optimisation.programme import Programme
from reporting.views.rollout import programme_document, robustness_rows, rollout_view
from reporting.writers.plan_files import render_plan_files
from reporting.writers.spreadsheet import csv_bytes


def render_programme_files(final_planned, plan, counts, programme: Programme, solved,
                           since: dict | None = None) -> dict[str, bytes]:
    """Every plan file of a phased / robust plan, by name (plan.json last). `since`: as render_plan_files."""
    document = programme_document(final_planned, programme, solved)
    files = {}
    if "robustness" in document:
        files["robustness.csv"] = csv_bytes(
            ["scenario", "weight", "demand_total", "covered_robust", "covered_central_plan", "discounted_robust",
             "discounted_central_plan", "central_plan_meets_caseload_min"], robustness_rows(document))
    hidden = frozenset(column for column in ("demand", "covered") if ("authority", "TOTAL", column) in counts.hidden)
    document_with_coverage = {**document, "coverage": {"demand_covered": plan.objective}}
    extension = {"document": document, "report": rollout_view(document_with_coverage, counts.threshold, hidden),
                 "files": files, "since": since}
    return render_plan_files(final_planned, plan, counts, extension)

"""The scoping reports' files: one self-contained HTML page per authority (inline CSS and SVG, no
scripts; prints on A4), index.html and scoping_summary.csv, from the disclosed views
(reporting/views/scoping.py).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from reporting.views.scoping import authority_view, index_view, profile_title, report_file_name
from reporting.writers.environment import environment
from scoping.analysis.profiles import AuthorityProfile
from scoping.analysis.recommendations import Recommendation
from scoping.scenario.build import PlannedScenario


def summary_csv(views: list[dict[str, Any]]) -> bytes:
    """One disclosed row per authority, for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["authority_code", "name", "aim", "settlement_class", "area_km2", "demand", "share_in_reach",
                     "median_minutes_to_host", "median_minutes_host_to_hub", "service_gaps", "candidate_hosts",
                     "red_flags"])
    for v in views:
        g = v["geography"]
        writer.writerow([v["code"], v["name"], v["aim"], g["settlement_class"],
                         "" if g["area_km2"] is None else round(g["area_km2"], 1), v["demand"]["total"],
                         v["demand"]["share_in_reach"], "" if g["median_to_host"] is None else g["median_to_host"],
                         "" if g["median_to_hub"] is None else g["median_to_hub"], "; ".join(v["services"]["gaps"]),
                         len(v["services"]["hosts"]), sum(1 for b in v["cse"]["benchmarks"] if b["rag"] == "red")])
    return buffer.getvalue().encode("utf-8")


def render_scoping_files(planned: PlannedScenario, profiles: list[AuthorityProfile],
                         recommendations: dict[str, list[Recommendation]]) -> dict[str, bytes]:
    """file name -> bytes: one page per authority, index.html and scoping_summary.csv."""
    threshold = planned.scenario.rules.disclosure_threshold
    env = environment()
    page = env.get_template("scoping_authority.html.j2")
    views = [authority_view(p, planned, recommendations.get(p.code, []), threshold) for p in profiles]
    files = {report_file_name(v["code"]): page.render(**v).encode("utf-8") for v in views}
    scenario_name = planned.scenario.rules.name or str(planned.scenario.directory)
    files["scoping_summary.csv"] = summary_csv(views)
    files["index.html"] = env.get_template("scoping_index.html.j2").render(
        **index_view(views, scenario_name, threshold, profile_title(planned))).encode("utf-8")
    return files

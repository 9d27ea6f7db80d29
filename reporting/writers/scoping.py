"""The scoping reports' files: one self-contained HTML page per authority (inline CSS and SVG, no
scripts; prints on A4), index.html and scoping_summary.csv, from the disclosed views
(reporting/views/scoping.py), in two packs (issue #17, reporting/writers/packs.py): internal (exact,
marked) and public (disclosure-controlled), with the public pages also directly under OUT as before.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from reporting.disclosure import ESTIMATE_MARK, INTERNAL, PACKS, PUBLIC, Pack
from reporting.views.scoping import authority_view, index_view, profile_title, report_file_name
from reporting.writers.environment import environment
from reporting.writers.packs import assemble
from reporting.writers.spreadsheet import CLASSIFICATION_COLUMN
from scoping.analysis.profiles import AuthorityProfile
from scoping.analysis.recommendations import Recommendation
from scoping.scenario.build import PlannedScenario


def summary_csv(views: list[dict[str, Any]], pack: Pack = PUBLIC) -> bytes:
    """One row per authority, for spreadsheets: exact with a `classification` column (internal pack),
    or disclosed with a `figures` column saying whether the demand is a count or a rounded estimate."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "authority_code",
            "name",
            "aim",
            "settlement_class",
            "area_km2",
            "demand",
            "share_in_reach",
            "median_minutes_to_host",
            "median_minutes_host_to_hub",
            "service_gaps",
            "candidate_hosts",
            "red_flags",
            CLASSIFICATION_COLUMN if pack.marking else "figures",
        ]
    )
    for v in views:
        g = v["geography"]
        demand = v["demand"]["total"]
        writer.writerow(
            [
                v["code"],
                v["name"],
                v["aim"],
                g["settlement_class"],
                "" if g["area_km2"] is None else round(g["area_km2"], 1),
                demand.removeprefix(ESTIMATE_MARK),
                v["demand"]["share_in_reach"].removeprefix(ESTIMATE_MARK),
                "" if g["median_to_host"] is None else g["median_to_host"],
                "" if g["median_to_hub"] is None else g["median_to_hub"],
                "; ".join(v["services"]["gaps"]),
                len(v["services"]["hosts"]),
                sum(1 for b in v["cse"]["benchmarks"] if b["rag"] == "red"),
                pack.marking or ("estimate" if demand.startswith(ESTIMATE_MARK) else "count"),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def render_scoping_pack(
    planned: PlannedScenario,
    profiles: list[AuthorityProfile],
    recommendations: dict[str, list[Recommendation]],
    pack: Pack,
) -> dict[str, bytes]:
    """file name -> bytes of one pack: a page per authority, scoping_summary.csv and index.html (last:
    it links to the pages)."""
    threshold = pack.threshold(planned.scenario.rules.disclosure_threshold)
    env = environment()
    page = env.get_template("scoping_authority.html.j2")
    views = [authority_view(p, planned, recommendations.get(p.code, []), threshold, pack) for p in profiles]
    files = {report_file_name(v["code"]): page.render(**v).encode("utf-8") for v in views}
    scenario_name = planned.scenario.rules.name or str(planned.scenario.directory)
    files["scoping_summary.csv"] = summary_csv(views, pack)
    files["index.html"] = (
        env.get_template("scoping_index.html.j2")
        .render(**index_view(views, scenario_name, threshold, profile_title(planned), pack))
        .encode("utf-8")
    )
    return files


def render_scoping_packs(
    planned: PlannedScenario, profiles: list[AuthorityProfile], recommendations: dict[str, list[Recommendation]]
) -> dict[str, dict[str, bytes]]:
    """Pack name -> that pack's scoping files."""
    return {pack.name: render_scoping_pack(planned, profiles, recommendations, pack) for pack in PACKS}


def render_scoping_files(
    planned: PlannedScenario, profiles: list[AuthorityProfile], recommendations: dict[str, list[Recommendation]]
) -> dict[str, bytes]:
    """Every file `spokeplan scope` writes into OUT, by name: internal/..., public/..., README.txt files,
    and the public pages directly under OUT as before issue #17 (index.html last)."""
    packs = render_scoping_packs(planned, profiles, recommendations)
    return assemble(
        packs[INTERNAL.name], packs[PUBLIC.name], {name: PUBLIC for name in packs[PUBLIC.name]}, last="index.html"
    )

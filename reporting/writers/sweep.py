"""The sweep's files in two packs (issue #17, reporting/writers/packs.py): sweep.json, variants.csv and
a self-contained report.html, from the view of reporting/views/sweep.py. Internal: exact, marked;
public: disclosure-controlled (case counts 1..threshold as c, or rounded estimates when the base
scenario's demand is all modelled). Directly under OUT, as before: sweep.json from the internal pack,
variants.csv and report.html from the public pack.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from common.version import spokeplan_version
from reporting.disclosure import INTERNAL, PACKS, PUBLIC, SUPPRESSED, Pack, estimate_legend, legend, round_estimate
from reporting.views.plan_document import published_value
from reporting.views.sweep import figure_text, settings_text, sweep_view
from reporting.writers.environment import environment
from reporting.writers.packs import assemble
from reporting.writers.spreadsheet import CLASSIFICATION_COLUMN
from scoping.scenario.build import PlannedScenario
from scoping.scenario.sweep import SweepSpec

TOP_LEVEL = {"report.html": PUBLIC, "variants.csv": PUBLIC, "sweep.json": INTERNAL}
SWEEP_FILES = (*TOP_LEVEL, INTERNAL.name, PUBLIC.name, "README.txt")  # every name `sweep` may write
# Fields of a variant's record left out of the public sweep.json: sums of cases weighted by published
# scores and minutes (equations in hidden counts), and the cache's bookkeeping.
PRIVATE_FIELDS = ("host_fit", "travel_case_minutes", "key", "cached")


def render_sweep_pack(
    spec: SweepSpec, base: PlannedScenario, rows: list[dict], time_limit: float, workers: int, pack: Pack
) -> tuple[dict[str, bytes], dict[str, Any]]:
    """sweep.json, variants.csv and report.html of one pack as bytes, and the report's view."""
    threshold = pack.threshold(base.scenario.rules.disclosure_threshold)
    # every area's demand modelled: covered and demand are modelled estimates (reporting.published.plan)
    estimates = (
        not pack.exact
        and bool(base.instance.areas)
        and all(a.area_id in base.estimated_demand for a in base.instance.areas)
    )
    view = sweep_view(
        spec,
        rows,
        threshold,
        estimates,
        {
            "exact": pack.exact,
            "marking": pack.marking,
            "legend": "" if pack.exact else legend(threshold),
            "estimates": "" if pack.exact or not estimates else estimate_legend(),
        },
    )

    def shown(value) -> Any:
        return value if pack.exact else published_value(figure_text(value, threshold, estimates))

    variants = []
    for r in rows:
        record = {k: v for k, v in r.items() if k != "cached" and (pack.exact or k not in PRIVATE_FIELDS)}
        if not pack.exact:
            record["covered"], record["demand"] = shown(r["covered"]), shown(r["demand"])
            if r["bound"] is not None:  # the bound on covered cases is shown as covered is
                record["bound"] = (
                    SUPPRESSED
                    if record["covered"] == SUPPRESSED
                    else {"estimate": round_estimate(r["bound"])}
                    if estimates
                    else round(r["bound"])
                )
        variants.append(record)
    document = {
        "name": spec.name,
        "base": str(spec.base),
        "time_limit": time_limit,
        "workers": workers,
        "priorities": list(spec.priorities),
        "spokeplan_version": spokeplan_version(),
        "variants": variants,
    }
    # keys sorted at every depth (a cached variant's record is read back sorted), the marking first
    document = json.loads(json.dumps(document, sort_keys=True))
    document = {"classification": pack.marking or "disclosure-controlled for publication", **document}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "variant",
            "kind",
            "settings",
            "status",
            "covered",
            "demand",
            "spokes",
            "cost_per_year",
            "gap",
            *([CLASSIFICATION_COLUMN] if pack.marking else ["figures"]),
        ]
    )
    for r in rows:
        writer.writerow(
            [
                r["name"],
                r["kind"],
                settings_text(r["settings"]),
                r["status"],
                *[_plain(shown(r[k])) for k in ("covered", "demand")],
                "" if r["spokes_total"] is None else r["spokes_total"],
                "" if r["cost_per_year"] is None else f"{r['cost_per_year']:.0f}",
                "" if r["gap"] is None else r["gap"],
                pack.marking or ("estimate" if estimates else "count"),
            ]
        )
    html = environment().get_template("sweep_report.html.j2").render(view=view, pack=view["pack"])
    return {
        "sweep.json": (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        "variants.csv": buffer.getvalue().encode("utf-8"),
        "report.html": html.encode("utf-8"),
    }, view


def render_sweep_files(
    spec: SweepSpec, base: PlannedScenario, rows: list[dict], time_limit: float, workers: int
) -> tuple[dict[str, bytes], dict[str, Any]]:
    """Every file `sweep` writes into OUT (both packs, the copies under OUT, README.txt files) as bytes,
    and the public report's view (the CLI summary and artifacts show public figures)."""
    packs = {pack.name: render_sweep_pack(spec, base, rows, time_limit, workers, pack) for pack in PACKS}
    files = assemble(packs[INTERNAL.name][0], packs[PUBLIC.name][0], TOP_LEVEL)
    return files, packs[PUBLIC.name][1]


def _plain(value: Any) -> Any:
    """A CSV cell: an int, 'c'/':' as they are, a rounded estimate as its number (`figures` says so)."""
    if value is None:
        return ":"
    return value["estimate"] if isinstance(value, dict) else value

"""The sweep's files: sweep.json (exact, plan internals like plan.json), variants.csv and a
self-contained report.html (disclosure-controlled), from the view of reporting/views/sweep.py.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from common.version import spokeplan_version
from reporting.disclosure import disclose
from reporting.views.sweep import settings_text, sweep_view
from reporting.writers.environment import environment
from scoping.scenario.build import PlannedScenario
from scoping.scenario.sweep import SweepSpec


def render_sweep_files(spec: SweepSpec, base: PlannedScenario, rows: list[dict], time_limit: float, workers: int
                       ) -> tuple[dict[str, bytes], dict[str, Any]]:
    """sweep.json (exact), variants.csv and report.html (disclosure-controlled) as bytes."""
    threshold = base.scenario.rules.disclosure_threshold
    view = sweep_view(spec, rows, threshold)
    document = {"name": spec.name, "base": str(spec.base), "time_limit": time_limit, "workers": workers,
                "spokeplan_version": spokeplan_version(),
                "variants": [{k: v for k, v in r.items() if k not in ("cached",)} for r in rows]}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["variant", "kind", "settings", "status", "covered", "demand", "spokes", "cost_per_year", "gap"])
    for r in rows:
        writer.writerow([r["name"], r["kind"], settings_text(r["settings"]), r["status"],
                         disclose(r["covered"], threshold), disclose(r["demand"], threshold),
                         "" if r["spokes_total"] is None else r["spokes_total"],
                         "" if r["cost_per_year"] is None else f"{r['cost_per_year']:.0f}",
                         "" if r["gap"] is None else r["gap"]])
    html = environment().get_template("sweep_report.html.j2").render(view=view)
    return {"sweep.json": (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8"),
            "variants.csv": buffer.getvalue().encode("utf-8"),
            "report.html": html.encode("utf-8")}, view

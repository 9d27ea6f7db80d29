"""The plan files of DESIGN.md "Plan (output)": plan.json, allocation.csv, spokes.csv, coverage.csv,
plus report.html, plan.xlsx and plan.geojson (rendered by reporting/views/plan_report.py).

`plan_document` turns a checked plan into the machine-readable dictionary (deterministic: sorted,
no timestamps, no timings, so the same inputs give the same bytes). `write_plan_files` writes
every file atomically: each is written to a temporary file in the output directory, flushed to
disk and renamed over the old one; plan.json is renamed last, so it is never newer than the
tables beside it, and a run that fails before the renames leaves the previous plan untouched.

CSV cells that a spreadsheet would run as a formula (starting with =, +, -, @) are neutralised
with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Iterable, Sequence

from optimisation.checker import plan_cost_per_year, spokes_by_authority
from optimisation.result import PlanResult
from scoping.scenario import PlannedScenario

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spokeplan_version() -> str:
    try:
        return version("spokeplan")
    except PackageNotFoundError:  # running from a source tree without installation
        return "0+unknown"


def spreadsheet_safe(value: Any) -> Any:
    """Neutralise text that a spreadsheet would evaluate as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _round(value: float, digits: int = 6) -> float:
    rounded = round(float(value), digits)
    return 0.0 if rounded == 0 else rounded


def coverage_by_authority(planned: PlannedScenario, plan: PlanResult) -> list[dict[str, Any]]:
    """Demand and covered cases per authority (every authority listed, sorted by code)."""
    inst = planned.instance
    area_authority = {a.area_id: a.authority_code for a in inst.areas}
    demand: dict[str, int] = {a.authority_code: 0 for a in inst.authorities}
    covered: dict[str, int] = {a.authority_code: 0 for a in inst.authorities}
    for area in inst.areas:
        demand[area.authority_code] = demand.get(area.authority_code, 0) + area.demand
    for assignment in plan.assignments:
        code = area_authority[assignment.area_id]
        covered[code] = covered.get(code, 0) + assignment.cases
    return [{"authority_code": code, "demand": demand[code], "covered": covered.get(code, 0)}
            for code in sorted(demand)]


def plan_document(planned: PlannedScenario, plan: PlanResult) -> dict[str, Any]:
    """plan.json as a dictionary, in the DESIGN.md contract's field order plus documented extras."""
    inst = planned.instance
    rules = inst.rules
    document = {
        "status": plan.status,
        "objective": int(plan.objective),
        "bound": _round(plan.bound),
        "gap": _round(plan.gap),
        "spokes": [{"hub_id": s.hub_id, "host_id": s.host_id, "count": s.count} for s in sorted(plan.spokes)],
        "assignments": [{"area_id": a.area_id, "host_id": a.host_id, "cases": a.cases}
                        for a in sorted(plan.assignments)],
        "coverage": {
            "demand_total": inst.demand_total,
            "demand_covered": int(plan.objective),
            "by_authority": coverage_by_authority(planned, plan),
        },
        "cost_per_year": _round(plan_cost_per_year(inst, plan), 2),
        "reach_per_year": plan.spokes_total * rules.cases_per_spoke_per_year,
        "inputs_sha256": planned.scenario.inputs_sha256,
        "spokeplan_version": spokeplan_version(),
        # Extensions (documented in the README):
        "spokes_total": plan.spokes_total,
        "host_fit": int(plan.host_fit),
        "travel_case_minutes": int(plan.travel_case_minutes),
        "backend": plan.backend,
        "stages": [{"name": s.name, "sense": s.sense, "value": _round(s.value), "bound": _round(s.bound),
                    "status": s.status} for s in plan.stages],
        "estimated_demand": dict(sorted(planned.estimated_demand.items())),
        "rules": {
            "caseload_min": rules.caseload_min, "caseload_max": rules.caseload_max,
            "cases_per_spoke_per_year": rules.cases_per_spoke_per_year,
            "casework_minutes": rules.casework_minutes, "supervision_minutes": rules.supervision_minutes,
            "spoke_cost_per_year": rules.spoke_cost_per_year, "budget_per_year": rules.budget_per_year,
            "max_spokes": rules.max_spokes, "priorities": list(rules.priorities),
        },
    }
    if planned.scenario.service_model_declared and planned.scenario.service_model is not None:
        # Extension (README "Service models"): only when scenario.yaml names a service model, so
        # scenarios without one keep byte-identical plan files.
        from reporting.views.service import service_document

        document.update(service_document(planned, plan))
    if planned.scenario.monitoring is not None:
        # Extension (README "Outcome monitoring"): only with scenario.yaml `monitoring_store`.
        from reporting.views.monitoring import monitoring_document

        document["monitoring"] = monitoring_document(planned.scenario.monitoring)
    return document


def _csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")


def allocation_rows(planned: PlannedScenario, plan: PlanResult) -> list[list[Any]]:
    inst = planned.instance
    areas = {a.area_id: a for a in inst.areas}
    hosts = {h.host_id: h for h in inst.hosts}
    return [[a.area_id, areas[a.area_id].name, areas[a.area_id].authority_code, a.host_id, hosts[a.host_id].name,
             hosts[a.host_id].host_type, a.cases, inst.casework_minutes[(a.host_id, a.area_id)]]
            for a in sorted(plan.assignments)]


def spoke_rows(planned: PlannedScenario, plan: PlanResult) -> list[list[Any]]:
    inst = planned.instance
    hubs = {h.hub_id: h for h in inst.hubs}
    hosts = {h.host_id: h for h in inst.hosts}
    return [[s.hub_id, hubs[s.hub_id].name, s.host_id, hosts[s.host_id].name, hosts[s.host_id].host_type,
             hosts[s.host_id].authority_code, s.count, inst.supervision_minutes[(s.hub_id, s.host_id)]]
            for s in sorted(plan.spokes)]


def coverage_rows(planned: PlannedScenario, plan: PlanResult) -> list[list[Any]]:
    inst = planned.instance
    names = {a.authority_code: a for a in inst.authorities}
    spokes_in = spokes_by_authority(inst, plan)
    rows = []
    for entry in coverage_by_authority(planned, plan):
        code = entry["authority_code"]
        share = entry["covered"] / entry["demand"] if entry["demand"] else 0.0
        authority = names[code]
        rows.append([code, authority.name, authority.aim, str(authority.required).lower(), entry["demand"],
                     entry["covered"], entry["demand"] - entry["covered"], f"{share:.3f}", spokes_in.get(code, 0)])
    return rows


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see the old file or the new one, never a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(temp_name, 0o666 & ~_current_umask())  # mkstemp creates 0600; use the user's usual mode
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def plan_json_bytes(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def render_plan_files(planned: PlannedScenario, plan: PlanResult,
                      counts: "PublishedCounts | None" = None, extension: dict | None = None) -> dict[str, bytes]:
    """Every plan file's bytes, by file name (plan.json last).

    `counts` (the published, suppressed case counts) is worked out here unless the caller already
    has it: suppression is audited by linear programming, so it is done once per plan.
    `extension` (phased / robust plans, reporting/views/rollout.py): "document" keys appended to
    plan.json, "report" the roll-out view shown in report.html, "files" more files by name.
    """
    from reporting.views.plan_report import published_counts, render_report_files

    if counts is None:
        counts = published_counts(planned, plan, planned.scenario.rules.disclosure_threshold)
    extension = extension or {}
    document = {**plan_document(planned, plan), **extension.get("document", {})}
    return {
        **render_report_files(planned, plan, document, counts, extension.get("report")),
        **extension.get("files", {}),
        "allocation.csv": _csv_bytes(
            ["area_id", "area_name", "authority_code", "host_id", "host_name", "host_type", "cases",
             "casework_minutes"], allocation_rows(planned, plan)),
        "spokes.csv": _csv_bytes(
            ["hub_id", "hub_name", "host_id", "host_name", "host_type", "authority_code", "spokes",
             "supervision_minutes"], spoke_rows(planned, plan)),
        "coverage.csv": _csv_bytes(
            ["authority_code", "authority_name", "aim", "required", "demand", "covered", "unmet",
             "share_covered", "spokes_hosted"], coverage_rows(planned, plan)),
        "plan.json": plan_json_bytes(document),
    }


def write_plan_files(out_dir: str | Path, files: dict[str, bytes]) -> list[Path]:
    """Write all files atomically, in the given order (put plan.json last). Returns their paths."""
    out = Path(out_dir)
    if out.is_dir():  # temporary files left by a run that was killed mid-write
        for name in files:
            for stale in out.glob(f".{name}.*.tmp"):
                stale.unlink(missing_ok=True)
    written = []
    for name, data in files.items():
        atomic_write_bytes(out / name, data)
        written.append(out / name)
    return written

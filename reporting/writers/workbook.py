"""plan.xlsx: the plan's tables as a commissioner expects them in Excel.

Sheets Summary, Spokes, Assignments, Coverage, Scenario (and Phases, Robustness for phased / robust
plans); bold headers, fitted widths, a frozen header row and number formats. One workbook per pack
(issue #17), from the pack's published counts (reporting.published.plan.published_counts):

* public: case counts from 1 to the disclosure threshold are written as "c", with the same secondary
  suppression as report.html, so no sheet reveals what another hides; modelled estimates are numbers
  rounded to the nearest 5 shown with a "≈" number format (they still sort and add up);
* internal: exact figures, and every sheet's first row and printed header and footer carry the
  protective marking (OFFICIAL-SENSITIVE — not for publication); the tables start on row 2.

Text that a spreadsheet would run as a formula is neutralised. The file is deterministic: its document
properties carry no clock time.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from optimisation.result import PlanResult
from reporting.disclosure import ESTIMATE_MARK, estimate_legend, legend, round_estimate
from reporting.published.plan import PublishedCounts
from reporting.views.monitoring import plan_monitoring_view
from reporting.views.plan_document import spoke_rows
from reporting.views.plan_report import COST_PART_NAMES, coverage_rows
from reporting.views.rollout import rollout_view
from reporting.views.service import service_view
from reporting.writers.spreadsheet import neutralise_cell
from scoping.scenario.build import PlannedScenario
from scoping.scenario.travel import MODE_WORDS

FIXED_TIME = dt.datetime(2000, 1, 1)  # document properties: no clock time, so reruns are identical
HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
FORMATS = {"int": "#,##0", "money": "£#,##0", "percent": "0.0%", "text": "@"}
MARKING_FILL = PatternFill("solid", fgColor="9B1C1C")


@dataclass(frozen=True)
class Estimate:
    """A modelled estimate in a row (public pack): written as its number with a '≈' number format."""

    value: float

    def __str__(self) -> str:
        return f"{ESTIMATE_MARK}{self.value:,}"


def _estimate_format(kind: str) -> str:
    return f'"{ESTIMATE_MARK}"{FORMATS[kind]}'


def _mark(sheet, marking: str | None, columns: int) -> int:
    """The protective marking as the sheet's first row and in its printed header and footer (internal
    pack); returns the row the table starts on (2 when marked, else 1)."""
    if not marking:
        return 1
    sheet.append([marking])
    cell = sheet.cell(1, 1)
    cell.font, cell.fill = Font(bold=True, color="FFFFFF"), MARKING_FILL
    for column in range(2, max(2, columns) + 1):
        sheet.cell(1, column).fill = MARKING_FILL
    for part in (sheet.oddHeader.center, sheet.oddFooter.center, sheet.evenHeader.center, sheet.evenFooter.center):
        part.text = marking
    return 2


def _sheet(
    workbook: Workbook,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    formats: Sequence[str],
    marking: str | None = None,
) -> None:
    sheet = workbook.create_sheet(title)
    top = _mark(sheet, marking, len(header))
    sheet.append(list(header))
    for cell in sheet[top]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append([value.value if isinstance(value, Estimate) else value for value in row])
        for cell, value in zip(sheet[sheet.max_row], row):
            neutralise_cell(cell)
            if isinstance(value, Estimate):
                cell.number_format = _estimate_format(formats[cell.column - 1])
    for index, kind in enumerate(formats, start=1):
        letter = get_column_letter(index)
        for cell, value in zip(sheet[letter][top:], [r[index - 1] for r in rows]):
            if isinstance(value, Estimate):
                continue
            if isinstance(cell.value, (int, float)):
                cell.number_format = FORMATS[kind]
            else:
                cell.alignment = Alignment(horizontal="right" if kind != "text" else "left")
        width = max([len(str(header[index - 1]))] + [len(str(r[index - 1])) for r in rows] + [6])
        sheet.column_dimensions[letter].width = min(60, width + 2)
    sheet.freeze_panes = f"A{top + 1}"
    sheet.auto_filter.ref = f"A{top}:{get_column_letter(len(header))}{max(top, sheet.max_row)}"


def plan_workbook(
    planned: PlannedScenario, plan: PlanResult, document: dict[str, Any], counts: PublishedCounts
) -> Workbook:
    inst = planned.instance
    hosts = {h.host_id: h for h in inst.hosts}
    areas = {a.area_id: a for a in inst.areas}
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])  # the empty sheet a new workbook starts with
    props = workbook.properties
    props.creator = "spokeplan"
    props.created = props.modified = FIXED_TIME
    props.title = planned.scenario.rules.name or "spokeplan plan"

    cost = document["cost_per_year"]  # plan_cost_per_year, rounded to pence as plan.json gives it
    reach = document["reach_per_year"]
    marking = counts.pack.marking
    summary = [
        ("Status", plan.status, "text"),
        ("Spokes placed", plan.spokes_total, "int"),
        ("Cases covered at any one time", _numeric(counts.text(("authority", "TOTAL", "covered"))), "int"),
        ("Demand (cases at any one time)", _numeric(counts.text(("authority", "TOTAL", "demand"))), "int"),
        ("Proven gap", plan.gap, "percent"),
        ("Cost per year", cost, "money"),
        # Issue #14: the cost by part (plan.json cost_breakdown) and the supervision travel.
        *[
            (f"  of which {COST_PART_NAMES[part].lower()}", value, "money")
            for part, value in document["cost_breakdown"].items()
            if value or part != "support_roles"
        ],
        ("Supervision spoke-minutes (hub to host)", document["supervision"]["spoke_minutes_total"], "int"),
        (
            "Longest supervision trip",
            "z"
            if document["supervision"]["longest_trip"] is None
            else "{minutes} min, {hub_id} to {host_id}".format(**document["supervision"]["longest_trip"]),
            "text",
        ),
        # spokes x young people per spoke per year: worked out from the rules, a modelled estimate
        ("Young people reached per year", reach if counts.pack.exact else Estimate(round_estimate(reach)), "int"),
        ("Cost per young person reached", cost / reach if reach else ":", "money"),
        ("spokeplan version", document["spokeplan_version"], "text"),
    ]
    if not counts.pack.exact:  # what the symbols mean
        summary += [("c", legend(counts.threshold), "text"), (ESTIMATE_MARK, estimate_legend(), "text")]
    sheet = workbook.create_sheet("Summary")
    top = _mark(sheet, marking, 2)
    sheet.append(["Figure", "Value"])
    for cell in sheet[top]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    for name, value, kind in summary:
        sheet.append([name, value.value if isinstance(value, Estimate) else value])
        neutralise_cell(sheet.cell(sheet.max_row, 2))
        if isinstance(value, Estimate):
            sheet.cell(sheet.max_row, 2).number_format = _estimate_format(kind)
        elif isinstance(value, (int, float)):
            sheet.cell(sheet.max_row, 2).number_format = FORMATS[kind]
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 34, 22
    sheet.freeze_panes = f"A{top + 1}"

    _sheet(
        workbook,
        "Spokes",
        [
            "Hub id",
            "Hub",
            "Host id",
            "Host",
            "Host type",
            "Authority",
            "Spokes",
            "Supervision minutes (car)",
            "Supervision time",
        ],
        spoke_rows(planned, plan),  # the rows spokes.csv has (views.plan_document)
        ["text", "text", "text", "text", "text", "text", "int", "int", "text"],
        marking,
    )

    assignment_rows = [
        [
            a.area_id,
            areas[a.area_id].name,
            areas[a.area_id].authority_code,
            a.host_id,
            hosts[a.host_id].name,
            _numeric(counts.text(("assignment", a.area_id, a.host_id))),
            inst.casework_minutes[(a.host_id, a.area_id)],
            planned.travel_source((a.host_id, a.area_id)),
        ]
        for a in sorted(plan.assignments)
    ]
    mode = MODE_WORDS[planned.scenario.rules.casework_mode]
    _sheet(
        workbook,
        "Assignments",
        ["Area id", "Area", "Authority", "Host id", "Host", "Cases", f"Casework minutes ({mode})", "Casework time"],
        assignment_rows,
        ["text", "text", "text", "text", "text", "int", "int", "text"],
        marking,
    )

    rows, total = coverage_rows(planned, plan, counts)
    coverage = [
        [
            r["code"],
            r["name"],
            r["aim"],
            r["required"] or "no",
            _numeric(r["demand"]),
            _numeric(r["covered"]),
            _numeric(r["unmet"]),
            r["share_text"] if r["share"] is None else Estimate(r["share"]) if r["estimate"] else r["share"],
            r["spokes"],
            _numeric(r["from_other"]),  # issue #14
        ]
        for r in rows
    ]
    coverage.append(
        [
            "TOTAL",
            "All authorities",
            "",
            "",
            _numeric(total["demand"]),
            _numeric(total["covered"]),
            _numeric(total["unmet"]),
            "",
            plan.spokes_total,
            _numeric(total["from_other"]),
        ]
    )
    _sheet(
        workbook,
        "Coverage",
        [
            "Authority code",
            "Authority",
            "Aim",
            "Required",
            "Demand",
            "Covered",
            "Unmet",
            "Share covered",
            "Spokes hosted",
            "Served from another authority",
        ],
        coverage,
        ["text", "text", "text", "text", "int", "int", "int", "percent", "int", "int"],
        marking,
    )

    service = service_view(planned, plan, counts.pack)
    if service is not None:  # scenario.yaml names a service model: its team and pathways
        team_rows = [[row["hub"], row["name"], row["workers"], *row["roles"]] for row in service["team"]]
        _sheet(
            workbook,
            "Team",
            ["Hub id", "Hub team", service["workers_label"].capitalize(), *service["role_names"]],
            team_rows,
            ["text", "text", "int", *["int"] * len(service["role_names"])],
            marking,
        )
        pathway_rows = [
            [
                row["name"],
                row["weeks"],
                row["planning_weeks"],
                _numeric(row["episodes"]),
                _numeric(row["cases"]),
                row["per_worker"],
            ]
            for row in service["pathways"]
        ]
        pathway_rows.append(
            [
                "Total (estimated areas)",
                "",
                "",
                _numeric(service["pathway_total"]["episodes"]),
                _numeric(service["pathway_total"]["cases"]),
                "",
            ]
        )
        _sheet(
            workbook,
            "Pathways",
            [
                "Pathway",
                "Weeks (stated)",
                "Planning weeks",
                "Episodes a year",
                "Cases at any one time",
                "Episodes a year per worker",
            ],
            pathway_rows,
            ["text", "text", "text", "int", "int", "int"],
            marking,
        )

    monitoring = plan_monitoring_view(planned, counts.monitoring)
    if monitoring is not None:  # scenario.yaml names a monitoring_store: report.html's monitoring table
        _monitoring_sheet(workbook, monitoring, marking)

    rules = document["rules"]
    scenario_rows = [
        [key, "none" if value is None else (" > ".join(value) if isinstance(value, list) else value)]
        for key, value in rules.items()
    ]
    # A file's SHA-256 lets a reader test guesses of the counts it holds: internal pack only.
    scenario_rows += [
        [f"sha256 {name}", digest if counts.pack.exact else "in the internal pack"]
        for name, digest in document["inputs_sha256"].items()
    ]
    _sheet(workbook, "Scenario", ["Rule", "Value"], scenario_rows, ["text", "text"], marking)
    _programme_sheets(workbook, document, counts)
    return workbook


def _monitoring_sheet(workbook: Workbook, view: dict[str, Any], marking: str | None) -> None:
    """Sheet Monitoring: report.html's monitoring table, the same disclosed texts ('c', ':')."""

    def signed(text: str) -> int | str:
        """A change: a whole number as a number (-4), else words ("up 1.5 pts"), not text starting
        with + or - (which the sheet would neutralise as a formula)."""
        if re.fullmatch(r"[+-]?[0-9,]+", text):
            return int(text.replace(",", ""))
        return re.sub(r"^\+", "up ", re.sub(r"^-", "down ", text))

    rows = [
        [
            r["outcome"],
            r["measure_id"],
            r["measure"],
            r["area"],
            r["latest_period"],
            _numeric(r["latest"]),
            _numeric(r["previous"]),
            signed(r["change"]),
            r["reading"],
            r["snapshot"],
        ]
        for r in view["summary"]
    ]
    if view["empty"]:
        rows = [
            ["", "", f"No monitoring data for {view['service_model']} in {view['store']}", "", "", "", "", "", "", ""]
        ]
    _sheet(
        workbook,
        "Monitoring",
        [
            "Outcome",
            "Measure id",
            "Measure",
            "Area",
            "Latest period",
            "Latest",
            "Period before",
            "Change",
            "Reading",
            "Figure from snapshot",
        ],
        rows,
        ["text", "text", "text", "text", "text", "int", "int", "int", "text", "text"],
        marking,
    )


def _programme_sheets(workbook: Workbook, document: dict[str, Any], counts: PublishedCounts) -> None:
    """Phases and Robustness sheets of a phased / robust plan, disclosed as report.html shows them
    (reporting.views.rollout.rollout_view)."""
    if "programme" not in document:  # a one-snapshot plan: no such sheets
        return
    view = rollout_view(document, counts)
    marking = counts.pack.marking
    if view["years"]:
        rows = [
            [
                y["year"],
                y["services"],
                y["services_live"],
                y["spokes"],
                _numeric(y["demand"]),
                _numeric(y["covered"]),
                y["cost"],
            ]
            for y in view["years"]
        ]
        programme = document["programme"]
        rows += [
            ["Total programme cost", None, None, None, None, None, programme["total_cost"]],
            [
                f"Net present cost ({programme['discount_rate']:.1%}, {programme['discount_rate_basis']})",
                None,
                None,
                None,
                None,
                None,
                programme["net_present_cost"],
            ],
            [
                "Cost per young person reached (modelled reach)",
                None,
                None,
                None,
                None,
                None,
                programme["cost_per_young_person_reached"],
            ],
        ]
        _sheet(
            workbook,
            "Phases",
            ["Year", "Services live", "Services (hubs)", "Spokes", "Demand", "Covered", "Cost"],
            rows,
            ["int", "int", "text", "int", "int", "int", "money"],
            marking,
        )
    if view["scenarios"]:
        rows = [
            [
                o["name"],
                o["weight"],
                _numeric(o["demand"]),
                _numeric(o["robust"]),
                _numeric(o["central"]),
                o["central_min"],
            ]
            for o in view["scenarios"]
        ]
        _sheet(
            workbook,
            "Robustness",
            [
                "Demand scenario",
                "Weight",
                "Demand",
                "Covered by this plan",
                "Covered by the central plan",
                "Central plan keeps every caseload minimum",
            ],
            rows,
            ["text", "percent", "int", "int", "int", "text"],
            marking,
        )


def _numeric(text: str) -> int | str | Estimate:
    """Back from the disclosed text form ('1,234', 'c', '≈25') to a number where it is one."""
    plain = text.removeprefix(ESTIMATE_MARK).replace(",", "")
    if not plain.isdigit():
        return text
    return Estimate(int(plain)) if text.startswith(ESTIMATE_MARK) else int(plain)


def plan_workbook_bytes(
    planned: PlannedScenario, plan: PlanResult, document: dict[str, Any], counts: PublishedCounts
) -> bytes:
    """The workbook as bytes; identical plans give identical files.

    openpyxl's ``Workbook.save`` stamps the clock time into the document's "modified" property and
    each zip entry carries the time it was written, so the workbook is written with ExcelWriter
    (which keeps our fixed properties) and the zip is then rewritten with fixed entry timestamps.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(plan_workbook(planned, plan, document, counts), archive).write_data()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    fixed = io.BytesIO()
    with zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(item.filename))
    return fixed.getvalue()

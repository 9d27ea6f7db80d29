"""Prefect flow for `plan`: it only wires pure functions together.

inputs -> scoping (load, validate, geocode, travel) -> optimisation (solve, check) -> reporting
(render files) -> outputs (atomic write). Expected failures do not raise out of a flow: bad input
and infeasible plans end the flow run in a Failed state carrying a :class:`~flows.runtime.RunOutcome`
with the exit code and the plain-words messages, so neither the CLI nor Prefect prints a traceback.
"""

from __future__ import annotations

import json
import pickle
import time
from dataclasses import replace
from typing import Any

from prefect import State, flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows.params import PlanParams
from flows.progress import spinner
from flows.runtime import EXIT_INFEASIBLE, EXIT_INTERNAL, EXIT_OK, Rejected, RunOutcome
from flows.tasks import (
    build_instance_task,
    flow_result,
    load_scenario_tasks,
    local_cluster,
    monitoring_task,
    task_runner,
    write_task,
)
from optimisation.checker import check_plan
from optimisation.instance import Instance
from optimisation.phased_checker import check_programme
from optimisation.programme import Programme
from optimisation.regions import SolveMany, solve_in_turn, solve_or_none
from optimisation.regions import plan as plan_by_region
from optimisation.result import Infeasible, PlanResult
from optimisation.robust import SolvedProgramme, plan_programme
from optimisation.solve import NoPlanFound
from reporting.disclosure import SUPPRESSED, disclose, estimate_legend, estimate_text, legend
from reporting.published.plan import PublishedCounts, published_counts
from reporting.views.plan_document import plan_document
from reporting.views.plan_report import reach_text, shown_share
from reporting.views.rollout import rollout_view
from reporting.views.store_changes import since_previous_lines, since_previous_view
from reporting.writers.packs import Folders
from reporting.writers.plan_files import PLAN_FILES, render_plan_files
from reporting.writers.rollout import programme_counts, render_programme_files
from scoping.scenario.build import PlannedScenario, build_programme
from scoping.store.changes import SnapshotComparison, compare_snapshots, previous_plan
from scoping.store.outcomes import MonitoringTable
from scoping.store.snapshot_data import SnapshotData


def no_plan(error: Infeasible | NoPlanFound) -> Rejected:
    """Infeasible: exit 3 with the rules in conflict; no plan found in the time: exit 1."""
    if isinstance(error, Infeasible):
        return Rejected(
            EXIT_INFEASIBLE,
            ("infeasible: no plan meets every hard rule. In conflict:", *(f"  - {reason}" for reason in error.reasons)),
        )
    return Rejected(EXIT_INTERNAL, (f"no plan: {error}",))


@task(name="solve region", cache_policy=NO_CACHE)
def solve_region_task(job: bytes) -> PlanResult | None:
    """One region's or window's solve (optimisation.regions, optimisation.windows), as a task of the
    plan's runner. `job` is the pickled (instance, seconds, start): Prefect walks every field of a
    task's parameters looking for futures to resolve, which for an Instance (tens of thousands of
    travel pairs) took seconds a task (measured: a 1x national plan by windows 338 s on Dask, 38 s
    locally); bytes it passes as they are."""
    inst, seconds, start = pickle.loads(job)
    return solve_or_none(inst, seconds, start=start)


class DaskSolves:
    """Regional or window solves as tasks on a Dask cluster through prefect-dask: the one at
    `address`, else a local cluster started at the first batch and kept for the next ones (a plan by
    windows sends one batch per round) until close()."""

    def __init__(self, address: str | None) -> None:
        self.address = address
        self.cluster: Any = None

    def __call__(
        self, instances: list[Instance], seconds: float, starts: list[PlanResult] | None = None
    ) -> list[PlanResult | None]:
        if self.address is None:
            self.cluster = local_cluster()
            self.address = self.cluster.scheduler_address
        with task_runner("dask", self.address, None) as dask:
            futures = [
                dask.submit(
                    solve_region_task,
                    parameters={"job": pickle.dumps((inst, seconds, None if starts is None else starts[k]))},
                )
                for k, inst in enumerate(instances)
            ]
            return [future.result() for future in futures]

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


def regional_solves(runner: str, address: str | None) -> SolveMany:
    """How the regions (or a large instance's windows) are solved: in turn in this process
    (`local`), or as tasks on a Dask cluster through prefect-dask (`dask`: a local cluster, or the one
    at `address`; DaskSolves, to be closed). The regions, windows, their time limits and the master
    problem are the same either way, so are the plans."""
    if runner == "local":
        return solve_in_turn
    return DaskSolves(address)


@task(name="solve", cache_policy=NO_CACHE)
def solve_task(
    planned: PlannedScenario, time_limit: float, workers: int, runner: str = "local", address: str | None = None
) -> PlanResult | Rejected:
    solve_many = regional_solves(runner, address)
    try:
        with spinner("solving"):
            return plan_by_region(planned.instance, time_limit=time_limit, workers=workers, solve_many=solve_many)
    except (Infeasible, NoPlanFound) as error:
        return no_plan(error)
    finally:
        if isinstance(solve_many, DaskSolves):
            solve_many.close()


@task(name="check plan", cache_policy=NO_CACHE)
def check_task(planned: PlannedScenario, plan: PlanResult) -> list[str]:
    return check_plan(planned.instance, plan)


@task(name="compare with the previous snapshot's plan", cache_policy=NO_CACHE)
def compare_task(data: SnapshotData, out_dir: str) -> SnapshotComparison | str:
    """The plan in --out (about to be replaced) against this snapshot (scoping.store.changes)."""
    return compare_snapshots(data, previous_plan(out_dir))


def since_previous(
    planned: PlannedScenario, plan: PlanResult, counts: PublishedCounts, comparison: SnapshotComparison | str | None
) -> dict | None:
    """report.html's "Since the previous snapshot's plan" (None for a plan not made from a store)."""
    if comparison is None:
        return None
    monitoring = counts.monitoring.table if counts.monitoring is not None else None
    inst = planned.instance
    return since_previous_view(
        comparison,
        plan_document(planned, plan, monitoring),
        counts,
        {h.host_id: h.name for h in inst.hosts},
        {a.authority_code: a.name for a in inst.authorities},
    )


def publish_plan_artifacts(planned: PlannedScenario, plan: PlanResult, summary: dict, counts: PublishedCounts) -> None:
    """Markdown and table artifacts of the run, in the Prefect UI. Case counts are disclosed as
    published (the same suppression as report.html); spokes are workers, not cases."""
    codes = sorted({a.authority_code for a in planned.instance.authorities})
    create_table_artifact(
        key="plan-coverage",
        description=f"Coverage and unmet need by authority (counts 1-{counts.threshold} shown as c)",
        table=[
            {
                "authority": code,
                "demand": counts.text(("authority", code, "demand")),
                "covered": counts.text(("authority", code, "covered")),
                "unmet": counts.text(("authority", code, "unmet")),
            }
            for code in codes
        ],
    )
    create_markdown_artifact(
        key="plan-summary",
        description="Plan summary",
        markdown=(
            f"# Plan for {summary['scenario']}\n\n"
            f"* status **{plan.status}**, proven gap {plan.gap:.2%} (back end {plan.backend})\n"
            f"* {plan.spokes_total} spokes at {summary['hosts_used']} hosts from {summary['hubs_used']} hubs\n"
            f"* cases covered {counts.text(('authority', 'TOTAL', 'covered'))} of "
            f"{counts.text(('authority', 'TOTAL', 'demand'))} at any one time\n"
            f"* cost per year £{summary['cost_per_year']:,.0f}; reach {summary['reach_text']} young people a year\n"
            + "".join(f"* {line}\n" for line in summary.get("since_lines", []))
        ),
    )


def cost_text(breakdown: dict | None) -> str:
    """The cost by part for the CLI (issue #14): the parts that cost anything, in plan.json's order."""
    if not breakdown:
        return ""
    names = {"supervision_travel": "supervision travel", "support_roles": "support roles"}
    return ", ".join(f"{names.get(part, part)} £{value:,.0f}" for part, value in breakdown.items() if value)


def supervision_text(supervision: dict | None) -> str:
    """Supervision travel for the CLI (issue #14): total spoke-minutes and the longest trip."""
    if not supervision or supervision.get("longest_trip") is None:
        return ""
    trip = supervision["longest_trip"]
    return (
        f"{supervision['spoke_minutes_total']:,} spoke-minutes hub -> host; longest {trip['minutes']} min "
        f"({trip['hub_id']} -> {trip['host_id']})"
    )


def plan_summary(planned: PlannedScenario, plan: PlanResult, document: dict, counts: PublishedCounts) -> dict:
    """The figures the CLI prints: as the public pack's report.html shows them (same suppression, the
    same rounded estimates), so figures that would reveal a hidden total (share, bound) are hidden with it."""
    total = {column: ("authority", "TOTAL", column) for column in ("demand", "covered")}
    covered_text = counts.text(total["covered"])
    demand_text = counts.text(total["demand"])
    hidden = SUPPRESSED in (covered_text, demand_text)
    return {
        "covered_text": covered_text,
        "demand_text": demand_text,
        "share_text": shown_share(counts, total["covered"], total["demand"])[1],
        "bound_text": SUPPRESSED
        if hidden
        else estimate_text(plan.bound)
        if counts.is_estimate(total["covered"])
        else disclose(int(round(plan.bound)), counts.threshold),
        "reach_text": reach_text(document["reach_per_year"], counts),
        "disclosure_legend": legend(counts.threshold),
        "estimate_legend": estimate_legend(),
        "scenario": str(planned.scenario.directory),
        "status": plan.status,
        "spokes": plan.spokes_total,
        "hubs_used": len({s.hub_id for s in plan.spokes}),
        "hosts_used": len({s.host_id for s in plan.spokes}),
        "covered": plan.objective,
        "demand": planned.instance.demand_total,
        "bound": plan.bound,
        "gap": plan.gap,
        "cost_per_year": document["cost_per_year"],
        "cost_text": cost_text(document.get("cost_breakdown")),
        "supervision_text": supervision_text(document.get("supervision")),
        "reach_per_year": document["reach_per_year"],
        "solve_seconds": plan.solve_seconds,
        "backend": plan.backend,
        # Issue #15: what each objective stage proved (status, gap; its values are the covered counts
        # and figures derived from them, already shown disclosure-controlled above) and the start.
        "stages_text": "; ".join(
            f"{s.name} {s.status}"
            + ("" if s.gap is None or hidden else f" gap {s.gap:.2%}")
            + ("" if s.bound is not None else " (no bound proven)")
            for s in plan.stages
        ),
        "start_text": ""
        if plan.start_objective is None
        else (
            f"{plan.start_source} plan, {SUPPRESSED if hidden else disclose(plan.start_objective, counts.threshold)} "
            "cases (the plan is never worse)"
        ),
        **service_summary(planned, plan),
    }


def service_summary(planned: PlannedScenario, plan: PlanResult) -> dict:
    """The service model's figures for the CLI (only when scenario.yaml names one): workers' name and
    the support team in total per role (staff are resources, not counts of young people)."""
    scenario = planned.scenario
    if not scenario.service_model_declared or scenario.service_model is None:
        return {}
    model = scenario.service_model
    totals = {r.id: 0 for r in model.spec.roles}
    for entry in plan.team:
        totals[entry.role] += entry.count
    names = {r.id: r.name for r in model.spec.roles}
    return {
        "service_model": model.id,
        "workers_label": model.spec.workers.plural,
        "team_text": ", ".join(
            f"{count} {names[role].lower()}{'' if count == 1 else 's'}" for role, count in totals.items()
        )
        or "none",
    }


@task(name="solve phased / robust", cache_policy=NO_CACHE)
def solve_programme_task(
    planned: PlannedScenario, programme: Programme, time_limit: float, workers: int
) -> SolvedProgramme | Rejected:
    """The phased and/or robust plan (optimisation.phased), the central plan beside it, and the
    final phase's plan under central demand as a one-snapshot PlanResult for the existing files."""
    try:
        with spinner("solving phases / demand scenarios"):
            return plan_programme(planned.instance, programme, time_limit=time_limit, workers=workers)
    except (Infeasible, NoPlanFound) as error:
        return no_plan(error)


def run_programme(
    planned: PlannedScenario,
    programme,
    monitoring: MonitoringTable | None,
    out_dir: str,
    time_limit: float,
    workers: int,
    started: float,
    folders: Folders | None = None,
    comparison: SnapshotComparison | str | None = None,
) -> RunOutcome:
    """The plan pipeline for a scenario that declares phases or demand scenarios (issue #8)."""
    solved = solve_programme_task(planned, programme, time_limit, workers)
    if isinstance(solved, Rejected):
        return solved.outcome()
    final_planned = replace(planned, instance=solved.final_instance)
    violations = []
    for each in (solved, solved.alternative):  # after_funding: compare plans both, and both are checked
        if each is None:
            continue
        label = f"services {each.programme.after_funding}: " if solved.alternative is not None else ""
        violations += [label + v for v in check_programme(planned.instance, each.programme, each.result)]
        violations += [label + v for v in check_plan(each.final_instance, each.final_plan)]
        if each.robustness is not None:
            violations += [
                f"{label}central plan: {v}"
                for v in check_programme(planned.instance, each.programme.only("central"), each.robustness.central)
            ]
    if violations:
        return RunOutcome(
            EXIT_INTERNAL,
            ["internal error: the solver's plan failed the independent check; nothing was written:"]
            + [f"  - {v}" for v in violations],
        )
    plan = solved.final_plan
    counts = programme_counts(final_planned, plan, programme, solved, monitoring)  # roll-out years audited too
    since = since_previous(final_planned, plan, counts, comparison)
    files = render_programme_files(final_planned, plan, counts, programme, solved, folders, since)
    written = write_task(out_dir, files, PLAN_FILES)
    if isinstance(written, Rejected):
        return RunOutcome(written.exit_code, list(written.messages))
    document = json.loads(files["plan.json"])
    summary = plan_summary(final_planned, plan, document, counts)
    summary["since_lines"] = since_previous_lines(since)
    publish_plan_artifacts(final_planned, plan, summary, counts)
    view = programme_view(document, counts)
    publish_programme_artifacts(view, counts.threshold)
    # The CLI's roll-out and robustness lines: the same disclosed figures as report.html.
    summary["rollout_lines"] = [
        f"{y['year']}: {y['services']} service{'' if y['services'] == 1 else 's'}, {y['spokes']} spokes, {y['covered']} of "
        f"{y['demand']} cases, £{y['cost']:,.0f}"
        for y in view["years"]
    ]
    summary["programme_lines"] = programme_lines(view)
    summary["robustness_lines"] = [
        f"{s['name']}: this plan {s['robust']}, central plan {s['central']} of {s['demand']} cases"
        for s in view["scenarios"]
    ]
    summary["wall_seconds"] = time.perf_counter() - started
    summary["out_dir"] = out_dir
    return RunOutcome(EXIT_OK, [], summary, written)


def programme_lines(view: dict) -> list[str]:
    """The programme's totals for the CLI (money and a modelled reach: not counts of young people
    from case records), for the plan shown and, with after_funding: compare, the other one."""
    lines = []
    for name, programme in (
        ("", view["programme"]),
        (
            "if services continue: "
            if view["compare"] and view["compare"]["after_funding"] == "continue"
            else "if services close: ",
            (view["compare"] or {}).get("programme"),
        ),
    ):
        if not programme or "total_cost" not in programme:
            continue
        per_person = programme["cost_per_young_person_reached"]
        lines.append(
            f"{name}£{programme['total_cost']:,.0f} over {programme['first_year']}-{programme['end_year']}, "
            f"net present cost £{programme['net_present_cost']:,.0f} at {programme['discount_rate']:.1%}; "
            f"{programme['young_people_reached_text']} young people reached"
            + (f", £{per_person:,.0f} each" if per_person is not None else "")
        )
    return lines


def programme_view(document: dict, counts: PublishedCounts) -> dict:
    """The roll-out and robustness tables of a phased / robust plan, disclosed as in report.html."""
    return rollout_view(document, counts)


def publish_programme_artifacts(view: dict, threshold: int) -> None:
    """Roll-out by year and robustness tables in the Prefect UI (`programme_view`)."""
    if view["years"]:
        create_table_artifact(
            key="plan-rollout",
            description=f"Cases covered by year, central demand (1-{threshold} shown as c)",
            table=[
                {k: y[k] for k in ("year", "services", "spokes", "demand", "covered", "cost")} for y in view["years"]
            ],
        )
    if view["scenarios"]:
        create_table_artifact(
            key="plan-robustness",
            description="This plan and the central plan in each demand "
            f"scenario ({view['compared']}; 1-{threshold} shown as c)",
            table=[
                {k: s[k] for k in ("name", "demand", "robust", "central", "central_min")} for s in view["scenarios"]
            ],
        )


def run_plan(
    scenario_dir: str,
    out_dir: str,
    time_limit: float,
    workers: int,
    folders: Folders | None = None,
    store_dir: str | None = None,
    snapshot: str | None = None,
    runner: str = "local",
    address: str | None = None,
) -> RunOutcome:
    """The plan pipeline as plain calls of tasks (the plan and demo flows run it). `folders`: more files
    of each pack written with the plan's (the demo's scoping reports: reporting.writers.packs.assemble).
    `store_dir`, `snapshot`: a refresh store's snapshot as the scenario's data (scoping.store.snapshot_data)."""
    started = time.perf_counter()
    loaded = load_scenario_tasks(scenario_dir, out_dir, store_dir, snapshot)
    if isinstance(loaded, RunOutcome):  # every input problem and the folder's, together
        return loaded
    data, scenario = loaded
    monitoring = monitoring_task(scenario)
    if isinstance(monitoring, Rejected):
        return monitoring.outcome()
    planned = build_instance_task(scenario)
    if isinstance(planned, Rejected):
        return planned.outcome()
    comparison = compare_task(data, out_dir) if data is not None else None  # before --out is replaced
    programme = build_programme(planned)
    if programme is not None:  # phases or demand scenarios declared: the phased / robust model
        return run_programme(planned, programme, monitoring, out_dir, time_limit, workers, started, folders, comparison)
    # With --runner dask the solve's work is the regions' or windows' own tasks, submitted from the
    # flow itself: Prefect sends the context with every task it submits, and from inside a "solve"
    # task that context holds its parameters, the whole scenario, pickled again for every window
    # (measured in benchmarks/scale.py: 10 s a task; 338 s for a plan made in 47 s without it).
    solve = solve_task.fn if runner == "dask" else solve_task
    plan = solve(planned, time_limit, workers, runner, address)
    if isinstance(plan, Rejected):
        return plan.outcome()
    violations = check_task(planned, plan)
    if violations:  # never write a plan the independent checker rejects
        return RunOutcome(
            EXIT_INTERNAL,
            ["internal error: the solver's plan failed the independent check; nothing was written:"]
            + [f"  - {v}" for v in violations],
        )
    # One suppression for every published figure: the files, the CLI summary and the artifacts.
    counts = published_counts(planned, plan, planned.scenario.rules.disclosure_threshold, monitoring)
    since = since_previous(planned, plan, counts, comparison)
    files = render_plan_files(planned, plan, counts, folders=folders, since=since)
    written = write_task(out_dir, files, PLAN_FILES)
    if isinstance(written, Rejected):
        return RunOutcome(written.exit_code, list(written.messages))
    summary = plan_summary(planned, plan, json.loads(files["plan.json"]), counts)
    summary["since_lines"] = since_previous_lines(since)
    publish_plan_artifacts(planned, plan, summary, counts)
    summary["wall_seconds"] = time.perf_counter() - started
    summary["out_dir"] = out_dir
    return RunOutcome(EXIT_OK, [], summary, written)


@flow(name="spokeplan-plan", log_prints=False)
def plan_flow(params: PlanParams) -> RunOutcome | State:
    """Allocate spokes for one scenario directory and write the plan files."""
    outcome = run_plan(
        params.scenario_dir,
        params.out_dir,
        params.time_limit,
        params.workers,
        store_dir=params.store_dir,
        snapshot=params.snapshot,
        runner=params.runner,
        address=params.address,
    )
    return flow_result(outcome)

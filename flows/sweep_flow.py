"""The `sweep` flow: many variants of one scenario, solved in parallel, compared in one report.

SWEEP.yaml -> (load, validate: scoping/scenario/sweep.py) -> base instance at the widest travel limits ->
one instance per variant -> solve each (local threads or Dask via prefect-dask) -> reporting
(sweep_report.py) -> sweep.json, variants.csv, report.html written atomically into --out.

Finished variants are cached in OUT/.cache/<key>.json, the key a SHA-256 of the variant's
instance, the solver settings and the spokeplan version (scoping/scenario/sweep.py `variant_key`): a sweep
killed midway resumes without solving them again, on any runner (Dask workers on one machine
share the folder). Each record says whether it came from the cache (`cached`).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import cast
from uuid import UUID

from prefect import flow, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from common.errors import InputError
from common.files import atomic_write_bytes, read_input_bytes
from common.version import spokeplan_version
from flows.params import SweepParams
from flows.progress import stage_progress
from flows.runtime import (
    EXIT_OK,
    Rejected,
    RunOutcome,
    bad_input,
    output_folder_rejected,
    rejecting_bad_input,
)
from flows.tasks import flow_result, task_runner, write_task
from optimisation.checker import check_plan
from optimisation.instance import Instance
from optimisation.measures import plan_cost_per_year
from optimisation.result import Infeasible
from optimisation.solve import NoPlanFound, solve
from reporting.disclosure import SUPPRESSED, legend
from reporting.writers.sweep import render_sweep_files
from scoping.scenario.build import PlannedScenario, build_instance
from scoping.scenario.loader import Scenario
from scoping.scenario.sweep import SweepSpec, apply_variant, load_sweep, variant_key, widened, widest_limits

CACHE_DIR = ".cache"


def solve_record(inst: Instance, time_limit: float, workers: int) -> dict:
    """Solve one variant's instance and describe the result as plain JSON-able data."""
    record: dict = {"demand": inst.demand_total}
    try:
        plan = solve(inst, time_limit=time_limit, workers=workers)
    except Infeasible as error:
        return {
            **record,
            "status": "INFEASIBLE",
            "covered": None,
            "bound": None,
            "gap": None,
            "spokes": None,
            "cost_per_year": None,
            "spokes_total": None,
            "reasons": list(error.reasons),
        }
    except NoPlanFound as error:
        return {
            **record,
            "status": "NO_PLAN",
            "covered": None,
            "bound": None,
            "gap": None,
            "spokes": None,
            "cost_per_year": None,
            "spokes_total": None,
            "reasons": [str(error)],
        }
    violations = check_plan(inst, plan)
    if violations:
        raise RuntimeError("the solver's plan failed the independent check: " + "; ".join(violations))
    spokes = [{"hub_id": s.hub_id, "host_id": s.host_id, "count": s.count} for s in plan.spokes]
    return {
        **record,
        "status": plan.status,
        "covered": plan.objective,
        "bound": round(plan.bound, 6),
        "gap": round(plan.gap, 6),
        "spokes": spokes,
        "spokes_total": plan.spokes_total,
        "hosts_used": len({s["host_id"] for s in spokes}),
        "hubs_used": len({s["hub_id"] for s in spokes}),
        "cost_per_year": round(plan_cost_per_year(inst, plan), 2),  # the one cost rule (rules.Budget)
        "host_fit": plan.host_fit,
        "travel_case_minutes": plan.travel_case_minutes,
        "reasons": [],
    }


def cached_solve(inst: Instance, key: str, cache_dir: str, time_limit: float, workers: int) -> dict:
    """The variant's record from the cache, or solved now and cached (atomically) for next time."""
    path = Path(cache_dir) / f"{key}.json"
    if os.path.lexists(path):
        try:
            record = json.loads(read_input_bytes(path, within=cache_dir).decode("utf-8"))
            if record.get("key") == key:
                return {**record, "cached": True}
        except (InputError, ValueError, AttributeError):
            pass  # a damaged cache entry (or not a regular file) is solved again
    record = {**solve_record(inst, time_limit, workers), "key": key}
    atomic_write_bytes(path, json.dumps(record, sort_keys=True).encode("utf-8"))
    return {**record, "cached": False}


@task(name="solve variant", cache_policy=NO_CACHE, task_run_name="solve {name}")
def solve_variant_task(name: str, inst: Instance, key: str, cache_dir: str, time_limit: float, workers: int) -> dict:
    return cached_solve(inst, key, cache_dir, time_limit, workers)


@task(name="load sweep", cache_policy=NO_CACHE)
def load_sweep_task(sweep_file: str) -> tuple[SweepSpec, Scenario] | Rejected:
    return rejecting_bad_input(load_sweep, sweep_file)


@task(name="build variant instances", cache_policy=NO_CACHE)
def build_variants_task(
    spec: SweepSpec, scenario: Scenario, time_limit: float, workers: int
) -> tuple[PlannedScenario, list[Instance], list[str]] | Rejected:
    casework, supervision = widest_limits(spec, scenario)
    base = rejecting_bad_input(build_instance, widened(scenario, casework, supervision))
    if isinstance(base, Rejected):
        return base
    version = spokeplan_version()
    instances = [apply_variant(base, scenario, v) for v in spec.variants]
    return base, instances, [variant_key(i, time_limit, workers, version) for i in instances]


def solve_all(
    runner,
    names: list[str],
    instances: list[Instance],
    keys: list[str],
    cache_dir: str,
    time_limit: float,
    workers: int,
) -> list[dict]:
    """Submit every variant to `runner` (entered here); report progress on stderr and as a Prefect artifact.

    The runner is used directly rather than through a subflow so that the instances never become flow
    parameters (Prefect would store them with the flow run and ship them with every task's context).
    """
    records: list[dict | None] = [None] * len(names)
    # Called from sync code, so the artifact id itself (async_dispatch types it as either)
    artifact = cast(UUID, create_progress_artifact(progress=0.0, description="variants solved"))
    with runner, stage_progress() as report:
        futures = [
            runner.submit(
                solve_variant_task,
                parameters={
                    "name": name,
                    "inst": inst,
                    "key": key,
                    "cache_dir": cache_dir,
                    "time_limit": time_limit,
                    "workers": workers,
                },
            )
            for name, inst, key in zip(names, instances, keys)
        ]
        index = {id(f): i for i, f in enumerate(futures)}
        report("variants", 0, len(futures))
        for done, future in enumerate(as_completed(futures), start=1):
            records[index[id(future)]] = future.result()
            report("variants", done, len(futures))
            update_progress_artifact(artifact, progress=100.0 * done / len(futures))
    return records  # type: ignore[return-value]


def run_sweep(params: SweepParams) -> RunOutcome:
    started = time.perf_counter()
    refused = output_folder_rejected(params.out_dir, params.sweep_file)
    if refused:
        return RunOutcome(refused.exit_code, list(refused.messages))
    loaded = load_sweep_task(params.sweep_file)
    if isinstance(loaded, Rejected):
        return loaded.outcome()
    spec, scenario = loaded
    time_limit = params.time_limit or spec.time_limit
    workers = params.workers or spec.workers
    built = build_variants_task(spec, scenario, time_limit, workers)
    if isinstance(built, Rejected):
        return built.outcome()
    base, instances, keys = built
    cache_dir = str(Path(params.out_dir) / CACHE_DIR)
    runner = task_runner(params.runner, params.address, params.max_parallel)
    records = solve_all(runner, [v.name for v in spec.variants], instances, keys, cache_dir, time_limit, workers)
    rows = []
    for variant, record in zip(spec.variants, records):
        settings = {k: (list(v) if isinstance(v, tuple) else v) for k, v in variant.changes}
        rows.append({"name": variant.name, "kind": variant.kind, "settings": settings, **record})
    files, view = render_sweep_files(spec, base, rows, time_limit, workers)
    written = write_task(params.out_dir, files)
    if isinstance(written, Rejected):
        return RunOutcome(written.exit_code, list(written.messages))
    solved = sum(1 for r in rows if not r["cached"])
    summary = {
        "sweep": params.sweep_file,
        "name": spec.name,
        "variants": len(rows),
        "solved": solved,
        "cached": len(rows) - solved,
        "feasible": sum(1 for r in rows if r["covered"] is not None),
        "runner": params.runner,
        "wall_seconds": time.perf_counter() - started,
        "out_dir": params.out_dir,
        "report": str(Path(params.out_dir) / "report.html"),
    }
    feasible = [r for r in rows if r["covered"] is not None and r["kind"] != "marginal"]
    best = max(feasible, key=lambda r: (r["covered"], -r["cost_per_year"]), default=None)
    threshold = scenario.rules.disclosure_threshold
    # as the public report shows it ('c', or a rounded estimate when the demand is modelled)
    best_covered = next(t["covered"] for t in view["table"] if t["name"] == best["name"]) if best else None
    summary["text"] = "\n".join(
        [
            f"spokeplan: sweep {spec.name!r}: {len(rows)} variants on the {params.runner} runner "
            f"({solved} solved, {len(rows) - solved} from the cache) in {summary['wall_seconds']:.1f} s",
            f"  feasible           {summary['feasible']} of {len(rows)}",
            *(
                [f"  most coverage      {best['name']}: {best_covered} cases for £{best['cost_per_year']:,.0f} a year"]
                if best
                else []
            ),
            *([f"  {legend(threshold)}"] if best_covered == SUPPRESSED else []),
            f"  internal pack      {Path(params.out_dir) / 'internal'}  (exact figures, OFFICIAL-SENSITIVE — not for "
            "publication)",
            f"  public pack        {Path(params.out_dir) / 'public'}  (disclosure-controlled: the one to publish)",
            f"  also in {params.out_dir}: sweep.json, variants.csv, report.html (copies; README.txt says which pack "
            "each is from)",
        ]
    )
    create_table_artifact(
        key="sweep-variants", table=view["artifact_rows"], description=f"Sweep {spec.name}: {len(rows)} variants"
    )
    create_markdown_artifact(key="sweep-summary", markdown=view["markdown"], description="Sweep summary")
    return RunOutcome(EXIT_OK, [], summary, written)


@flow(name="spokeplan-sweep", log_prints=False)
def sweep_flow(params: SweepParams):
    """Run every variant of SWEEP.yaml (a base scenario and its variations) and compare them."""
    try:
        outcome = run_sweep(params)
    except InputError as error:  # a variant's knobs that fail against the base scenario
        outcome = bad_input(error).outcome()
    return flow_result(outcome)

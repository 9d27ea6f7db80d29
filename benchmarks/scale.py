"""How a plan of national England by postcode sector grows from 1x to 4x, on a local Dask cluster
(issue #15): `k` copies of the sector instance (benchmarks.instances.replicated: each copy 1,000 km
east of the last, ids suffixed, max_spokes x k), planned as ``spokeplan plan --runner dask`` plans
(optimisation.regions.plan: by windows, each round's windows as Prefect tasks on one local
cluster of one-thread worker processes, flows.plan_flow.DaskSolves), next to the local runner (the
windows in turn in this process) where asked. Prints wall time, covered cases, the proven bound,
gap, rounds and this process's peak memory per size, and plots wall time against size (SVG).

Coverage is the only priority (the stage the issue's targets are about; no polish round), and the
time limit is a cap: the plan stops when its coverage rounds meet the bound or all
optimisation.windows.ROUNDS have run, so the wall time is the work's, not the limit's.

    python -m benchmarks.scale --copies 1 2 3 4 --time-limit 900 --local 1 --plot benchmarks/scale.svg
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pickle
import tempfile
import time
from typing import cast

from prefect import flow

from benchmarks.backends import peak_memory_mb


@flow(name="scale-on-dask")
def plan_on_dask(instance_file: str, time_limit: float):
    """The plan as `spokeplan plan --runner dask` makes it. The instance comes from a file: Prefect
    sends its flow's context with every task, and a flow holding the instance itself (a closure, or a
    parameter) had it pickled again for each of a round's tasks (measured: 10 s a task)."""
    from flows.plan_flow import DaskSolves
    from optimisation.regions import plan as plan_instance

    with open(instance_file, "rb") as handle:
        inst = pickle.load(handle)
    solve_many = DaskSolves(None)
    try:
        return plan_instance(inst, time_limit=time_limit, solve_many=solve_many)
    finally:
        solve_many.close()


def measure(inst, time_limit: float, runner: str) -> dict:
    from optimisation.checker import check_plan
    from optimisation.regions import plan as plan_instance
    from optimisation.result import PlanResult

    started = time.perf_counter()
    if runner == "dask":
        with tempfile.NamedTemporaryFile(suffix=".pickle") as handle:
            pickle.dump(inst, handle)
            handle.flush()
            started = time.perf_counter()
            plan = cast(PlanResult, plan_on_dask(handle.name, time_limit))
    else:
        plan = plan_instance(inst, time_limit=time_limit)
    wall = time.perf_counter() - started
    return {
        "runner": runner,
        "wall_s": round(wall, 1),
        "covered": plan.objective,
        "bound": plan.bound,
        "gap_pct": round(100 * plan.gap, 3),
        "start": plan.start_objective,
        "valid": check_plan(inst, plan) == [],
        "how": plan.backend,
        "peak_mb_this_process": peak_memory_mb(),
    }


def plot(rows: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    for runner in sorted({r["runner"] for r in rows}):
        mine = sorted((r for r in rows if r["runner"] == runner), key=lambda r: r["copies"])
        axis.plot([r["copies"] for r in mine], [r["wall_s"] for r in mine], marker="o", label=runner)
        for r in mine:
            axis.annotate(f"{r['gap_pct']:.2f}%", (r["copies"], r["wall_s"]), textcoords="offset points", xytext=(4, 4))
    axis.set_xlabel("copies of national England by postcode sector (1 = 9,796 areas, 2,000 hosts, 100 hubs)")
    axis.set_ylabel("wall time to plan (s)")
    axis.set_title("Plan by windows: time by size (labels: gap to the proven bound)", fontsize=10)
    axis.set_xticks(sorted({r["copies"] for r in rows}))
    axis.set_ylim(bottom=0)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, nargs="*", default=[1, 2, 3, 4])
    parser.add_argument("--time-limit", type=float, default=900.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--local", type=int, nargs="*", default=[1], help="sizes also planned by the local runner")
    parser.add_argument("--plot", help="write the time-by-size plot here (SVG)")
    parser.add_argument("--json", help="append each result to this JSON-lines file")
    args = parser.parse_args()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    from benchmarks.instances import describe, england_sectors, make_instance, replicated

    national = make_instance("national", seed=args.seed, districts=england_sectors())
    national = dataclasses.replace(national, rules=dataclasses.replace(national.rules, priorities=("coverage",)))
    rows = []
    for copies in args.copies:
        inst = replicated(national, copies)
        print(f"\n## {copies}x: {describe(inst)}; time limit {args.time_limit:g} s", flush=True)
        for runner in ["dask"] + (["local"] if copies in args.local else []):
            row = {"copies": copies, **measure(inst, args.time_limit, runner)}
            rows.append(row)
            print(json.dumps(row), flush=True)
            if args.json:
                with open(args.json, "a") as handle:
                    handle.write(json.dumps(row) + "\n")
    if args.plot:
        plot(rows, args.plot)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()

"""spokeplan side by side with peers, in one run, on the same England instance.

Each peer runs in its own subprocess on the same pickled instance (OR-Tools and highspy both ship
HiGHS and cannot share a process) and reports wall time (incl. model build), objective, proven
bound, gap and its own peak memory (VmHWM from /proc/self/status):

* ``spokeplan``       — what ``spokeplan plan`` runs (optimisation.regions.plan: by windows above
  WINDOW_MIN_CASE_COLUMNS pairs, issue #15; else by region or whole) with coverage as the only
  priority (the stage every peer is compared on), default back end ("AUTO": HiGHS or SCIP on the
  matrix model, with the exact presolve), integral assignment included;
* ``spokeplan-full``  — the same with every priority (coverage -> host fit -> supervision -> travel);
* ``spokeplan-whole`` — coverage only, the whole model at once (optimisation.solve.solve: every
  instance's path before issue #15's windows), for before/after in one run;
* ``spokeplan-before`` — coverage only as shipped before issue #6's model work: SCIP through
  pywraplp on the unreduced instance (``backend="SCIP", presolve=False``), for before/after;
* ``scipy-milp``      — the same coverage model (the same families: caseload, demand, hub size, host
  capacity, linking rows, budget, max_spokes, required authorities, existing spokes) built here as a
  sparse matrix straight from the Instance and solved by scipy.optimize.milp (HiGHS);
* ``spopt-mclp``      — PySAL spopt's maximal covering location problem, the closest problem it has:
  p = max_spokes facilities among the hosts, the casework radius, demand as weights (no caseloads,
  no hubs: a different, looser problem, so its objective is demand within reach, not cases served);
* ``spopt-cpmedian``  — spopt's capacitated p-median (``--pmedian``; dense clients x hosts model).

``ratio`` = a row's wall time / the fastest wall time among the rows of the same problem that reached
at least its objective (1.00 = it is the best peer to that objective). ``target`` judges issue #6's
"<= 1.0x the best peer's time to the same objective" conservatively: met when ``spokeplan`` ends at
least at the best peer's objective (scipy-milp, the only peer solving the same problem) in at
most that peer's wall time.

    python -m benchmarks.peers --sizes small medium --time-limit 60
    python -m benchmarks.peers --sizes small --repeat 7 --peers spokeplan spokeplan-full --baseline ../main
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from benchmarks.backends import peak_memory_mb

PEERS = ["spokeplan", "spokeplan-full", "spokeplan-whole", "spokeplan-before", "scipy-milp", "spopt-mclp"]
# coverage stage, same model
SAME_PROBLEM = {"spokeplan", "spokeplan-full", "spokeplan-whole", "spokeplan-before", "scipy-milp"}
BASELINE_PREFIX = "baseline:"  # --baseline DIR: these peers again, from another checkout


def run_spokeplan(inst, time_limit: float, full: bool, before: bool = False, whole: bool = False) -> dict:
    """spokeplan as `spokeplan plan` solves (optimisation.regions.plan: by windows when large, by
    region, or whole), or (`whole`) the whole model at once (optimisation.solve.solve, the path of every
    instance before issue #15's windows), or (`before`) the path before the matrix back ends."""
    from optimisation.checker import check_plan
    from optimisation.regions import plan as plan_instance
    from optimisation.solve import solve

    if not full:
        inst = dataclasses.replace(inst, rules=dataclasses.replace(inst.rules, priorities=("coverage",)))
    started = time.perf_counter()
    if before:  # the solver path before the matrix back ends and presolve
        plan = solve(inst, time_limit=time_limit, backend="SCIP", presolve=False)
    elif whole:
        plan = solve(inst, time_limit=time_limit)
    else:
        plan = plan_instance(inst, time_limit=time_limit)
    wall = time.perf_counter() - started
    return {
        "wall_s": wall,
        "objective": plan.objective,
        "bound": plan.bound,
        "gap": plan.gap,
        "status": plan.status,
        "valid": check_plan(inst, plan) == [],
        "note": plan.backend + ": " + "; ".join(f"{s.name} {s.seconds:.1f}s {s.status[:3]}" for s in plan.stages),
    }


def coverage_matrix(inst):
    """The coverage stage as (c, A, lower, upper, integrality, bounds) for scipy.optimize.milp."""
    import numpy as np
    from scipy.sparse import coo_matrix

    rules = inst.rules
    demand = {a.area_id: a.demand for a in inst.areas}
    host_max = {h.host_id: h.max_spokes for h in inst.hosts}
    hub_cap = {h.hub_id: h.capacity for h in inst.hubs}
    hosts_reachable = sorted({j for (_, j) in inst.supervision_minutes})
    names: list[tuple] = []
    lo: list[float] = []
    hi: list[float] = []
    integ: list[int] = []

    def var(key, low, high, integer):
        names.append(key)
        lo.append(low)
        hi.append(high)
        integ.append(integer)
        return len(names) - 1

    o = {j: var(("o", j), 0, 1, 1) for j in hosts_reachable}
    u = {h.hub_id: var(("u", h.hub_id), 0, 1, 1) for h in inst.hubs}
    y = {}
    for h, j in sorted(inst.supervision_minutes):
        upper = max(min(host_max[j], hub_cap[h]), inst.existing_spokes.get((h, j), 0))
        y[(h, j)] = var(("y", h, j), 0, upper, 1)
    x = {}
    for j, i in sorted(inst.casework_minutes):
        if j in o and demand[i] > 0:
            x[(i, j)] = var(("x", i, j), 0, demand[i], 0)
    rows, cols, vals, rlo, rhi = [], [], [], [], []

    def row(terms, low, high):
        r = len(rlo)
        for c, v in terms:
            rows.append(r)
            cols.append(c)
            vals.append(v)
        rlo.append(low)
        rhi.append(high)

    inf = np.inf
    x_at, x_of, y_at, y_of = defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list)
    for (i, j), c in x.items():
        x_at[j].append(c)
        x_of[i].append(c)
    for (h, j), c in y.items():
        y_at[j].append(c)
        y_of[h].append(c)
    for j in hosts_reachable:  # caseload min/max
        load = [(c, 1.0) for c in x_at[j]]
        row(load + [(c, -rules.caseload_max) for c in y_at[j]], -inf, 0)
        if rules.caseload_min > 0:
            row(load + [(c, -rules.caseload_min) for c in y_at[j]], 0, inf)
        row([(c, 1.0) for c in y_at[j]] + [(o[j], -host_max[j])], -inf, 0)  # host capacity
    for i, cs in x_of.items():  # demand (a single variable's bound suffices)
        if len(cs) > 1:
            row([(c, 1.0) for c in cs], -inf, demand[i])
    for hub in inst.hubs:  # hub size
        ys = [(c, 1.0) for c in y_of[hub.hub_id]]
        row(ys + [(u[hub.hub_id], -hub.capacity)], -inf, 0)
        if hub.min_spokes > 0:
            row(ys + [(u[hub.hub_id], -hub.min_spokes)], 0, inf)
    for (i, j), c in x.items():  # linking rows x <= d * o
        row([(c, 1.0), (o[j], -demand[i])], -inf, 0)
    if rules.budget_per_year is not None:
        annual = {h.host_id: h.annual_cost for h in inst.hosts}
        row(
            [(c, rules.spoke_cost_per_year) for c in y.values()] + [(o[j], annual[j]) for j in o if annual[j]],
            -inf,
            rules.budget_per_year,
        )
    if rules.max_spokes is not None:
        row([(c, 1.0) for c in y.values()], -inf, rules.max_spokes)
    authority_of = {h.host_id: h.authority_code for h in inst.hosts}
    for a in inst.authorities:
        if a.required:
            row([(c, 1.0) for (h, j), c in y.items() if authority_of[j] == a.authority_code], 1, inf)
    for (h, j), n in inst.existing_spokes.items():
        if (h, j) in y:
            row([(y[(h, j)], 1.0)], n, inf)
    cost = np.zeros(len(names))
    cost[list(x.values())] = -1.0  # maximise covered cases
    A = coo_matrix((vals, (rows, cols)), shape=(len(rlo), len(names))).tocsr()
    return cost, A, np.array(rlo), np.array(rhi), np.array(integ), np.array(lo, float), np.array(hi, float)


def run_scipy(inst, time_limit: float) -> dict:
    from scipy.optimize import Bounds, LinearConstraint, milp

    started = time.perf_counter()
    cost, A, rlo, rhi, integ, lo, hi = coverage_matrix(inst)
    built = time.perf_counter() - started
    res = milp(
        cost,
        constraints=LinearConstraint(A, rlo, rhi),
        integrality=integ,
        bounds=Bounds(lo, hi),
        options={"time_limit": time_limit, "disp": False, "mip_rel_gap": 0.0},
    )
    wall = time.perf_counter() - started
    objective = -res.fun if res.x is not None else None
    bound = -getattr(res, "mip_dual_bound", float("nan")) if res.x is not None else None
    return {
        "wall_s": wall,
        "objective": objective,
        "bound": bound,
        "gap": getattr(res, "mip_gap", None),
        "status": "OPTIMAL" if res.status == 0 else f"status {res.status}",
        "valid": None,
        "note": f"{A.shape[0]} rows x {A.shape[1]} cols, {A.nnz} nz, build {built:.1f}s",
    }


def dense_minutes(inst, big: float = 1e4):
    import numpy as np

    area_index = {a.area_id: k for k, a in enumerate(inst.areas)}
    host_index = {h.host_id: k for k, h in enumerate(inst.hosts)}
    cost = np.full((len(inst.areas), len(inst.hosts)), big)
    for (j, i), minutes in inst.casework_minutes.items():
        cost[area_index[i], host_index[j]] = minutes
    return cost


def run_mclp(inst, time_limit: float) -> dict:
    import numpy as np
    import pulp
    from spopt.locate import MCLP

    started = time.perf_counter()
    weights = np.array([a.demand for a in inst.areas], dtype=float)
    model = MCLP.from_cost_matrix(
        dense_minutes(inst),
        weights,
        service_radius=inst.rules.casework_minutes,
        p_facilities=int(inst.rules.max_spokes),
    )
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, threads=1))
    wall = time.perf_counter() - started
    objective = pulp.value(model.problem.objective)
    status = pulp.LpStatus[model.problem.status]
    return {
        "wall_s": wall,
        "objective": objective,
        "bound": None,
        "gap": None,
        "status": status.upper(),
        "valid": None,
        "note": f"demand within {inst.rules.casework_minutes} min of {inst.rules.max_spokes} "
        f"hosts (no caseload/hub rules)",
    }


def run_pmedian(inst, time_limit: float) -> dict:
    import numpy as np
    import pulp
    from spopt.locate import PMedian

    started = time.perf_counter()
    weights = np.array([a.demand for a in inst.areas], dtype=float)
    capacities = np.array([h.max_spokes * inst.rules.caseload_max for h in inst.hosts], dtype=float)
    model = PMedian.from_cost_matrix(
        dense_minutes(inst, big=600.0), weights, p_facilities=int(inst.rules.max_spokes), facility_capacities=capacities
    )
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, threads=1))
    wall = time.perf_counter() - started
    return {
        "wall_s": wall,
        "objective": pulp.value(model.problem.objective),
        "bound": None,
        "gap": None,
        "status": pulp.LpStatus[model.problem.status].upper(),
        "valid": None,
        "note": "case-minutes, every case assigned (out-of-reach pairs cost 600)",
    }


def child(peer: str, file: str, time_limit: float) -> dict:
    with open(file, "rb") as handle:
        inst = pickle.load(handle)
    if peer.startswith("spokeplan"):
        result = run_spokeplan(
            inst,
            time_limit,
            full=peer == "spokeplan-full",
            before=peer == "spokeplan-before",
            whole=peer == "spokeplan-whole",
        )
    elif peer == "scipy-milp":
        result = run_scipy(inst, time_limit)
    elif peer == "spopt-mclp":
        result = run_mclp(inst, time_limit)
    else:
        result = run_pmedian(inst, time_limit)
    result["peak_mb"] = peak_memory_mb()
    return result


BUILD_BASELINE_INSTANCE = """
import pickle, sys
from benchmarks.instances import england_districts, england_sectors, make_instance
size, seed, areas, file = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
districts = england_sectors() if areas == "sector" else england_districts()
with open(file, "wb") as handle:
    pickle.dump(make_instance(size, seed=seed, districts=districts), handle)
"""


def baseline_instance(baseline: Path, size: str, seed: int, areas: str, file: str) -> str:
    """The instance of this recipe built by the `baseline` checkout's own code, pickled to `file`."""
    env = {**os.environ, "PYTHONPATH": str(baseline)}
    command = [sys.executable, "-c", BUILD_BASELINE_INSTANCE, size, str(seed), areas, file]
    done = subprocess.run(command, capture_output=True, text=True, cwd=baseline, env=env)
    if done.returncode != 0:
        raise SystemExit(f"baseline {baseline}: building the {size} instance failed: {done.stderr[-500:]}")
    return file


def run_peer(peer: str, file: str, time_limit: float, baseline: Path | None = None) -> dict:
    """One peer in a fresh subprocess on the pickled instance: its result line, or an error.

    A peer named "baseline:<peer>" runs <peer> with the checkout `baseline` first on the path (its
    own benchmarks/peers.py and optimisation/): the same measurement of an earlier spokeplan."""
    root, env = None, None
    if peer.startswith(BASELINE_PREFIX):
        peer, root = peer[len(BASELINE_PREFIX) :], baseline
        env = {**os.environ, "PYTHONPATH": str(baseline)}
    command = [sys.executable, "-m", "benchmarks.peers", "--run", peer, file, str(time_limit)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=time_limit * 4 + 180, cwd=root, env=env)
    except subprocess.TimeoutExpired:
        return {"error": "timed out"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"error": f"exit {done.returncode}: {(done.stderr.strip().splitlines() or ['no output'])[-1][:90]}"}
    return json.loads(lines[-1])


def ratios(results: dict[str, dict]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for name, r in results.items():
        if name not in SAME_PROBLEM or r.get("objective") is None:
            out[name] = None
            continue
        reached = [
            s["wall_s"]
            for n, s in results.items()
            if n in SAME_PROBLEM and s.get("objective") is not None and s["objective"] >= r["objective"] - 1e-6
        ]
        out[name] = r["wall_s"] / min(reached)
    return out


def fmt(value, spec: str) -> str:
    return "—" if value is None or value != value else format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="*", default=["small"])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--areas",
        choices=["district", "sector"],
        default="district",
        help="postcode districts (~2,200 areas) or sectors (~9,000)",
    )
    parser.add_argument("--pmedian", action="store_true", help="also spopt's capacitated p-median (slow, dense)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run each peer N times, interleaved, and report its median-time run (for small sizes)",
    )
    parser.add_argument("--peers", nargs="*", help=f"run only these peers (default: {' '.join(PEERS)})")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another spokeplan checkout (e.g. main before a change): its spokeplan and "
        "spokeplan-full run too, interleaved, as baseline:spokeplan and baseline:spokeplan-full",
    )
    parser.add_argument("--json", help="append each size's results to this JSON-lines file")
    parser.add_argument("--run", nargs=3, metavar=("PEER", "FILE", "LIMIT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        peer, file, limit = args.run
        print(json.dumps(child(peer, file, float(limit))))
        return
    from benchmarks.instances import describe, england_districts, england_sectors, make_instance

    districts = england_sectors() if args.areas == "sector" else england_districts()
    peers = (args.peers or PEERS) + (["spopt-cpmedian"] if args.pmedian else [])
    if args.baseline:
        peers += [BASELINE_PREFIX + p for p in peers if p in ("spokeplan", "spokeplan-full")]
        SAME_PROBLEM.update(p for p in peers if p.startswith(BASELINE_PREFIX))
        args.baseline = args.baseline.resolve()
    for size in args.sizes:
        inst = make_instance(size, seed=args.seed, districts=districts)
        print(f"\n## {size} ({args.areas} areas): {describe(inst)}; time limit {args.time_limit:g} s")
        with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as handle:
            pickle.dump(inst, handle)
        # The baseline builds the same recipe (size, seed, areas) with its own code: an Instance pickled
        # here may have fields (new rules) the baseline's Instance does not know.
        baseline_file = (
            baseline_instance(args.baseline, size, args.seed, args.areas, handle.name + ".baseline")
            if args.baseline
            else None
        )
        runs: dict[str, list[dict]] = defaultdict(list)
        for _ in range(args.repeat):  # interleaved, so a busy spell on the shared machine hits every peer
            for peer in peers:
                file = baseline_file if peer.startswith(BASELINE_PREFIX) and baseline_file else handle.name
                runs[peer].append(run_peer(peer, file, args.time_limit, args.baseline))
        results: dict[str, dict] = {}
        for peer in peers:
            done = [r for r in runs[peer] if "error" not in r]
            if not done:
                results[peer] = runs[peer][0]
                continue
            done.sort(key=lambda r: r["wall_s"])
            results[peer] = done[(len(done) - 1) // 2]
            if args.repeat > 1:
                results[peer]["note"] += (
                    f" [median of {len(done)}: " + ", ".join(f"{r['wall_s']:.2f}" for r in done) + " s]"
                )
        Path(handle.name).unlink()
        if baseline_file:
            Path(baseline_file).unlink()
        ratio = ratios(results)
        print(
            f"{'peer':<24} {'wall s':>7} {'objective':>10} {'bound':>8} {'gap':>7} {'peak MB':>8} {'ratio':>6}  "
            f"status / note"
        )
        for peer, r in results.items():
            if "error" in r:
                print(f"{peer:<24} failed: {r['error']}")
                continue
            gap = None if r["gap"] is None else 100 * r["gap"]
            print(
                f"{peer:<24} {r['wall_s']:>7.2f} {fmt(r['objective'], '.1f'):>10} {fmt(r['bound'], '.1f'):>8} "
                f"{fmt(gap, '.2f') + '%' if gap is not None else '—':>7} {r['peak_mb']:>8} "
                f"{fmt(ratio[peer], '.2f'):>6}  {r['status']}"
                + (" checker ok" if r.get("valid") else " CHECKER FAILED" if r.get("valid") is False else "")
                + f" / {r['note']}"
            )
        ours, peer = results.get("spokeplan", {}), results.get("scipy-milp", {})
        if ours.get("objective") is not None and peer.get("objective") is not None:
            met = ours["objective"] >= peer["objective"] - 1e-6 and ours["wall_s"] <= peer["wall_s"]
            print(
                f"target (spokeplan <= 1.0x best peer to its objective): {'met' if met else 'NOT met'} "
                f"(spokeplan {ours['objective']:.0f} in {ours['wall_s']:.2f} s, scipy-milp "
                f"{peer['objective']:.0f} in {peer['wall_s']:.2f} s)"
            )
        if args.json:
            with open(args.json, "a") as out:
                out.write(
                    json.dumps(
                        {
                            "size": size,
                            "areas": args.areas,
                            "time_limit": args.time_limit,
                            "results": results,
                            "ratio": ratio,
                        }
                    )
                    + "\n"
                )


if __name__ == "__main__":
    main()

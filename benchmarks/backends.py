"""Which OR-Tools back end solves spokeplan's model best? Measured side by side, same instances.

Each back end runs in its own subprocess (HiGHS builds cannot share a process, and a crash in
one must not hide the others), on the same pickled instance, with the full lexicographic solve
(coverage, host fit, travel) and the same time limit. Prints wall time, each stage's time and
status, the objective values, and peak memory. Every back end solves the one model of
optimisation.model (with the exact presolve): AUTO (the default), SCIPY_HIGHS and SCIP_MATRIX read it
as one sparse matrix, the others (pywraplp back ends) row by row (optimisation.backends).
`--baseline DIR` runs each back end again right after, from another checkout (before/after).

    python -m benchmarks.backends                 # demo + small England instance
    python -m benchmarks.backends --sizes small medium --time-limit 120
    python -m benchmarks.backends --sizes small --backends AUTO SCIP --baseline ../main --repeat 3

Measured 2026-11-23 on the 2-core build machine, OR-Tools 9.15, --time-limit 60, one worker, nothing
else running (wall seconds of the whole lexicographic solve, incl. import and model build; every
plan passed check_plan; all reached coverage 180 / 181 proven optimal):

    instance                                   SCIP+link SCIP  HiGHS+link HiGHS CBC+link CP-SAT+link
    demo (4 hubs, 46 hosts, 117 areas)            4.0     3.0     2.2      3.4    3.1      1.8
    small (16 hubs, 300 hosts, 2202 areas)        7.5     9.9    12.3     15.2   12.6     60.3 (stages 2-3 unproven)

SCIP with the linking rows is the default: fastest where it matters (the larger instance), every
stage proven. CP-SAT (which needs its continuous cases scaled to integers) is quickest on the demo
but could not prove the host-fit or travel stages of the larger one in 60 s. A run under load (a
test suite on the other core) doubled SCIP's times and left its later stages unproven at 20 s:
measure on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optimisation.instance import Instance

CANDIDATES = [  # (back end, linking rows x <= d*o); the first three read the model as a matrix
    ("AUTO", True),
    ("SCIPY_HIGHS", True),
    ("SCIP_MATRIX", True),
    ("SCIP", True),
    ("SCIP", False),
    ("HIGHS", True),
    ("HIGHS", False),
    ("CBC", True),
    ("CP_SAT", True),
]


def peak_memory_mb() -> int:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss it is not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def run_one(instance_file: str, backend: str, link_rows: bool, time_limit: float) -> dict:
    """Child process: solve once and report figures as JSON."""
    from optimisation import solve as solve_module
    from optimisation.checker import check_plan

    with open(instance_file, "rb") as handle:
        inst = pickle.load(handle)
    started = time.perf_counter()
    plan = solve_module.solve(inst, time_limit=time_limit, backend=backend, link_rows=link_rows)
    wall = time.perf_counter() - started
    return {
        "backend": plan.backend if backend != "AUTO" else f"AUTO:{plan.backend[:6]}",
        "link_rows": link_rows,
        "wall_s": round(wall, 2),
        "status": plan.status,
        "covered": plan.objective,
        "bound": plan.bound,
        "host_fit": plan.host_fit,
        "travel": plan.travel_case_minutes,
        "stages": [(s.name, round(s.seconds, 2), s.status) for s in plan.stages],
        "valid": check_plan(inst, plan) == [],
        "peak_mb": peak_memory_mb(),
    }


def instances(sizes: list[str]) -> dict[str, Instance]:
    from scoping.scenario.build import build_instance
    from scoping.scenario.loader import load_scenario

    found = {"demo": build_instance(load_scenario(Path(__file__).resolve().parents[1] / "inputs" / "demo")).instance}
    if sizes:
        from benchmarks.instances import england_districts, make_instance

        districts = england_districts()
        for size in sizes:
            found[size] = make_instance(size, districts=districts)
    return found


def run_candidate(file: str, backend: str, link: bool, time_limit: float, root: Path | None = None) -> dict:
    """One back end in a fresh subprocess; `root`: another checkout first on the path (--baseline)."""
    env = {**os.environ, "PYTHONPATH": str(root)} if root else None
    command = [
        sys.executable,
        "-m",
        "benchmarks.backends",
        "--run",
        file,
        backend,
        "1" if link else "0",
        str(time_limit),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=time_limit * 4 + 120, cwd=root, env=env)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        return {
            "error": f"failed (exit {result.returncode}): "
            f"{(result.stderr.strip().splitlines() or ['no output'])[-1][:80]}"
        }
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="*", default=["small"], help="England instance sizes (small medium national)")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--backends", nargs="*", help="run only these back ends (default: every candidate)")
    parser.add_argument(
        "--baseline", type=Path, help="another spokeplan checkout: each back end runs there too, right after this one"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per back end (and checkout), interleaved")
    parser.add_argument("--run", nargs=4, metavar=("FILE", "BACKEND", "LINK", "LIMIT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        file, backend, link, limit = args.run
        print(json.dumps(run_one(file, backend, link == "1", float(limit))))
        return
    from benchmarks.instances import describe

    roots = {"this": None} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    candidates = [(b, link) for b, link in CANDIDATES if not args.backends or b in args.backends]
    for name, inst in instances(args.sizes).items():
        print(f"\n## {name}: {describe(inst)}")
        print(
            f"{'checkout':<9} {'back end':<11} {'link':<5} {'wall s':>7} {'status':<9} {'covered':>7} {'bound':>7} "
            f"{'fit':>6} {'travel':>7} {'MB':>5}  stages (s)"
        )
        with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as handle:
            pickle.dump(inst, handle)
        for backend, link in candidates:
            for _ in range(args.repeat):
                for label, root in roots.items():
                    r = run_candidate(handle.name, backend, link, args.time_limit, root)
                    if "error" in r:
                        print(f"{label:<9} {backend:<11} {str(link):<5} {r['error']}")
                        continue
                    stages = ", ".join(f"{n} {s} {st[:3]}" for n, s, st in r["stages"])
                    print(
                        f"{label:<9} {r['backend']:<11} {str(r['link_rows']):<5} {r['wall_s']:>7} {r['status']:<9} "
                        f"{r['covered']:>7} {r['bound']:>7.0f} {r['host_fit']:>6} {r['travel']:>7} {r['peak_mb']:>5}  "
                        f"{stages}" + ("" if r["valid"] else "  CHECKER FAILED")
                    )
        Path(handle.name).unlink()


if __name__ == "__main__":
    main()

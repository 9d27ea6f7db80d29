"""Model build time: this checkout side by side with another (`--baseline DIR`), same instances.

What each back end needs before its solver starts, on the exactly reduced instance
(optimisation.presolve, as `solve()` does):

* ``matrix y``  — the model as one sparse matrix with integer spokes per hub-host pair (HiGHS, AUTO's
  back end on small instances);
* ``matrix S``  — the same with integer spokes per host (SCIP on the matrix, AUTO on medium/national);
* ``pywraplp``  — the model in an OR-Tools pywraplp SCIP solver (the "SCIP"/"CBC" back ends, the
  diagnosis, the phased model).

Each measurement runs in a fresh subprocess on the same pickled instance (OR-Tools and highspy
cannot share a process), checkouts interleaved (this, baseline, this, baseline, ...) so a busy
spell on a shared machine hits both; the median of `--repeat` subprocesses, each the median of three
builds, is printed. A baseline from before issue #13 item 1 builds with its own API
(optimisation.matrix.build_matrix, optimisation.model.build_model); the script detects which.

    .venv/bin/python -m benchmarks.model_build --sizes small medium national --baseline ../wt-before --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
KINDS = ("matrix y", "matrix S", "pywraplp")


def build_once(inst, kind: str) -> float:
    """Seconds to reduce `inst` and build the model of `kind`, with this process's checkout.

    Imported here, not at the top: which API exists depends on the checkout this child process
    runs (this one or --baseline's), and the parent never imports the solver at all."""
    from optimisation.presolve import reduce_instance

    try:  # this checkout: the one formulation (optimisation/formulation.py)
        from optimisation.backends import PywraplpSession
        from optimisation.model import Layout, build_model

        def build() -> None:
            model = build_model(reduced, layout=Layout(spokes_per_host=kind == "matrix S")).linear
            if kind == "pywraplp":
                PywraplpSession(model, "SCIP")
            else:
                model.matrix()
                model.column_arrays()
                model.row_arrays()
    except ImportError:  # a baseline from before issue #13 item 1
        from optimisation.matrix import build_matrix
        from optimisation.model import build_model

        def build() -> None:
            if kind == "pywraplp":
                build_model(reduced)
            else:
                build_matrix(reduced, spokes_per_host=kind == "matrix S")

    started = time.perf_counter()
    reduced = reduce_instance(inst)
    build()
    return time.perf_counter() - started


def child(file: str, kind: str) -> dict:
    with open(file, "rb") as handle:
        inst = pickle.load(handle)
    times = sorted(build_once(inst, kind) for _ in range(3))
    return {"seconds": times[1]}


def run(root: Path, file: str, kind: str) -> float | None:
    """One measurement in a fresh subprocess with checkout `root` first on the path."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    command = [sys.executable, str(Path(__file__).resolve()), "--run", file, kind]
    done = subprocess.run(command, capture_output=True, text=True, cwd=root, env=env, timeout=900)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        print(f"  {root}: {kind} failed: {(done.stderr.strip().splitlines() or ['no output'])[-1][:100]}")
        return None
    return json.loads(lines[-1])["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="*", default=["small", "medium", "national"])
    parser.add_argument("--baseline", type=Path, help="another spokeplan checkout to compare with")
    parser.add_argument("--repeat", type=int, default=3, help="subprocesses per checkout and kind (median)")
    parser.add_argument("--kinds", nargs="*", default=list(KINDS))
    parser.add_argument("--run", nargs=2, metavar=("FILE", "KIND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(child(*args.run)))
        return
    from benchmarks.instances import describe, england_districts, make_instance  # pandas + ONS data: parent only

    roots = {"this": HERE} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    districts = england_districts()
    for size in args.sizes:
        inst = make_instance(size, districts=districts)
        print(f"\n## {size}: {describe(inst)}")
        with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as handle:
            pickle.dump(inst, handle)
        print(f"{'model':<10} " + " ".join(f"{name + ' s':>14}" for name in roots) + "   runs (s)")
        for kind in args.kinds:
            times: dict[str, list[float]] = {name: [] for name in roots}
            for _ in range(args.repeat):
                for name, root in roots.items():
                    seconds = run(root, handle.name, kind)
                    if seconds is not None:
                        times[name].append(seconds)
            medians = {name: statistics.median(t) if t else float("nan") for name, t in times.items()}
            print(
                f"{kind:<10} "
                + " ".join(f"{medians[name]:>14.3f}" for name in roots)
                + "   "
                + "; ".join(f"{name} " + ", ".join(f"{t:.3f}" for t in times[name]) for name in roots)
            )
        Path(handle.name).unlink()


if __name__ == "__main__":
    main()

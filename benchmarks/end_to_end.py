"""End-to-end demo time vs a trivial Prefect flow, in the same run.

Both run in fresh subprocesses with the same environment, so both pay Python start-up, Prefect's
import and its embedded (ephemeral) server start: the difference is what spokeplan itself costs.

* ``spokeplan demo --out <tmp>`` — the shipped demo scenario, planned and written;
* a trivial flow: one ``@flow`` calling one ``@task`` that returns 1.

    python -m benchmarks.end_to_end [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRIVIAL = """
from prefect import flow, task

@task
def one():
    return 1

@flow
def trivial():
    return one()

assert trivial() == 1
"""


def timed(command: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    return time.perf_counter() - started, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    spokeplan = str(Path(sys.executable).with_name("spokeplan"))
    out = tempfile.mkdtemp(prefix="spokeplan-e2e-")
    runs = {"spokeplan demo": [], "trivial Prefect flow": []}
    try:
        for _ in range(args.repeat):  # interleaved, so drift in machine load hits both alike
            runs["spokeplan demo"].append(timed([spokeplan, "demo", "--out", out]))
            runs["trivial Prefect flow"].append(timed([sys.executable, "-c", TRIVIAL]))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(f"{'run':<22} {'best s':>7} {'median s':>9}  exit codes")
    best = {}
    for name, results in runs.items():
        seconds = sorted(s for s, _ in results)
        best[name] = seconds[0]
        print(f"{name:<22} {seconds[0]:>7.2f} {seconds[len(seconds) // 2]:>9.2f}  {[code for _, code in results]}")
    print(f"spokeplan demo beyond the trivial flow: {best['spokeplan demo'] - best['trivial Prefect flow']:.2f} s "
          f"({best['spokeplan demo'] / best['trivial Prefect flow']:.2f}x)")


if __name__ == "__main__":
    main()

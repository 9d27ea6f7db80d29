"""Re-solving the demo from the workbench page against the same solve from the command line.

Issue #18: "re-solving the demo from the page takes at most 2 s more than the same solve from the
command line". Measured side by side in one run, interleaved, medians:

* **command line**: ``spokeplan plan <workspace>/scenarios/demo --out <tmp>`` in a fresh process, as a
  user types it (Python start-up, imports, Prefect's temporary server start, the plan flow);
* **page**: a ``spokeplan serve`` started once beforehand (its Prefect server held from the start, as when
  a person opens the page), then what the page does on "Re-solve": POST the form, poll the job as
  htmx does (here every 0.1 s) until the page is sent to the saved version. Wall time from the POST
  to the redirect: the queue, the same plan flow on the same scenario, and saving the version.

Each also reports the plan flow's own wall time (``summary.wall_seconds``: load to files written),
so the difference between the two is visibly Prefect and process overhead, not the solve.

    python -m benchmarks.workbench [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

SPOKEPLAN = str(Path(sys.executable).with_name("spokeplan"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def first_group(pattern: str, text: str, what: str) -> str:
    """The first group of `pattern` in `text`; stops the benchmark naming `what` when it is missing."""
    found = re.search(pattern, text)
    if found is None:
        raise SystemExit(f"benchmark: no {what} in the output (pattern {pattern!r})")
    return found.group(1)


def command_line(scenario: Path, out: Path) -> tuple[float, float]:
    """(wall seconds of `spokeplan plan`, the flow's own wall seconds from its summary line)."""
    started = time.perf_counter()
    done = subprocess.run([SPOKEPLAN, "plan", str(scenario), "--out", str(out)], capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"spokeplan plan failed ({done.returncode}): {done.stderr}")
    flow = float(first_group(r"solve / wall time\s+[0-9.]+ s / ([0-9.]+) s", done.stdout, "solve / wall time line"))
    return wall, flow


def page(client: httpx.Client, workspace: Path) -> tuple[float, float]:
    """(wall seconds from the Re-solve POST to the redirect to the saved version, the flow's own)."""
    form = client.get("/s/demo").text
    token = first_group(r'name="csrf_token" value="([0-9a-f]{64})"', form, "CSRF token")
    started = time.perf_counter()
    job = client.post("/s/demo/solve", data={"csrf_token": token}).headers["location"]
    while True:
        fragment = client.get(job, headers={"HX-Request": "true"})
        if "hx-redirect" in fragment.headers:
            wall = time.perf_counter() - started
            version = fragment.headers["hx-redirect"].rsplit("/", 1)[1]
            break
        if 'id="job-state">failed<' in fragment.text:
            raise SystemExit(f"the page's solve failed: {fragment.text}")
        time.sleep(0.1)
    meta = json.loads((workspace / "versions" / "demo" / version / "meta.json").read_text())
    return wall, float(meta["summary"]["wall_seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="spokeplan-workbench-bench-"))
    workspace, port = work / "workspace", free_port()
    server = subprocess.Popen(
        [SPOKEPLAN, "serve", "--workspace", str(workspace), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    runs: dict[str, list[tuple[float, float]]] = {"command line (spokeplan plan)": [], "page (Re-solve)": []}
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
        for _ in range(600):
            try:
                client.get("/")
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        page(client, workspace)  # a person's first solve: waits for the Prefect server, warms the postcode look-up
        scenario = workspace / "scenarios" / "demo"  # the same scenario files for both
        for repeat in range(args.repeat):  # interleaved, so drift in machine load hits both alike
            runs["command line (spokeplan plan)"].append(command_line(scenario, work / f"out-{repeat}"))
            runs["page (Re-solve)"].append(page(client, workspace))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)
    print(f"demo re-solve, {args.repeat} interleaved repeats (wall seconds; the plan flow's own time beside)")
    print(f"{'run':<32} {'median':>7} {'best':>6} {'worst':>6}   {'flow median':>11}")
    medians = {}
    for name, results in runs.items():
        walls = [w for w, _ in results]
        medians[name] = statistics.median(walls)
        print(
            f"{name:<32} {medians[name]:7.2f} {min(walls):6.2f} {max(walls):6.2f}   "
            f"{statistics.median(f for _, f in results):11.2f}"
        )
    difference = medians["page (Re-solve)"] - medians["command line (spokeplan plan)"]
    print(f"page minus command line: {difference:+.2f} s (issue #18 target: at most +2 s)")


if __name__ == "__main__":
    main()

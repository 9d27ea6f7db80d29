"""Answers in seconds (issue #13): each command's wall time next to the same work in plain Python.

Every run is a fresh subprocess (Python start-up, imports, everything a user waits for), with its
own PREFECT_HOME so nothing of the user's Prefect set-up is read or touched. Runs are interleaved
(one of each per round) so drift in machine load hits all alike; the table gives the median.

* **own work**: the command's pure functions called in plain Python (no Prefect): for `validate`
  the loading and checking; for `plan` load, geocode, travel, solve, check, render, write; for
  `demo` the scoping reports too. The issue's targets are against these:
  `validate` within 1.5x, `plan` and `demo` at most 3 s more, bad input answered before any server.
* **temporary server**: `spokeplan` with no server running: each command starts its own
  (the fallback; the first run in a fresh PREFECT_HOME, `cold`, also creates Prefect's database);
* **persistent server**: after `spokeplan server start` (its own start time is shown, cold and warm);
* **trivial flow**: one @flow calling one @task, against the same servers: Prefect's own floor.
* with ``--baseline DIR`` (another checkout with its own .venv, e.g. `git worktree add /tmp/base
  <commit>` then `make install` there): that checkout's `spokeplan` interleaved with this one,
  with no server (as it shipped) and against the persistent server (PREFECT_API_URL set).

    python -m benchmarks.end_to_end [--repeat 3] [--baseline DIR] [--only plan demo ...] [--no-cold]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "inputs" / "demo"

PLAIN_VALIDATE = """
import sys
from scoping.scenario.build import build_instance
from scoping.scenario.loader import load_scenario
from scoping.store.outcomes import scenario_monitoring
scenario = load_scenario(sys.argv[1])
scenario_monitoring(scenario)
build_instance(scenario)
"""

PLAIN_PLAN = """
import sys
from common.files import write_files
from flows.checks import read_scoping_inputs  # plain Python: flows/checks.py imports no Prefect
from optimisation.checker import check_plan
from optimisation.solve import solve
from reporting.published.plan import published_counts
from reporting.writers.plan_files import render_plan_files
from reporting.writers.scoping import render_scoping_files
from scoping.analysis.profiles import build_profiles
from scoping.analysis.recommendations import recommendations
from scoping.scenario.build import build_instance
from scoping.scenario.loader import load_scenario
from scoping.store.outcomes import scenario_monitoring

def plan(scenario_dir, out_dir):
    scenario = load_scenario(scenario_dir)
    monitoring = scenario_monitoring(scenario)
    planned = build_instance(scenario)
    result = solve(planned.instance, time_limit=60, workers=1)
    assert not check_plan(planned.instance, result)
    counts = published_counts(planned, result, scenario.rules.disclosure_threshold, monitoring)
    write_files(out_dir, render_plan_files(planned, result, counts))

def scope(scenario_dir, out_dir):
    scenario = load_scenario(scenario_dir)
    inputs = read_scoping_inputs(scenario)
    planned = build_instance(scenario)
    profiles = build_profiles(planned, inputs)
    rules = scenario.rules
    advice = {p.code: recommendations(p, rules.casework_minutes, rules.supervision_minutes, rules.caseload_max)
              for p in profiles}
    write_files(out_dir, render_scoping_files(planned, profiles, advice))

if sys.argv[1] == "demo":
    scope(sys.argv[2], sys.argv[3] + "/scope")
plan(sys.argv[2], sys.argv[3])
"""

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


def environment(home: Path, api_url: str | None = None) -> dict[str, str]:
    home.parent.mkdir(parents=True, exist_ok=True)  # Prefect creates PREFECT_HOME itself, not its parents
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_LOGGING_LEVEL="WARNING",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
    )
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def timed(command: list[str], env: dict[str, str], expect: int = 0) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=900)
    seconds = time.perf_counter() - started
    if done.returncode != expect:
        raise SystemExit(f"{' '.join(command)}: exit {done.returncode}, expected {expect}\n{done.stderr[-2000:]}")
    return seconds


def broken_copy(work: Path) -> Path:
    """inputs/demo with one unknown host type: a bad input found by the loader (exit 2)."""
    broken = work / "broken"
    shutil.copytree(DEMO, broken)
    hosts = broken / "hosts.csv"
    lines = hosts.read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    row = lines[1].rstrip("\n").split(",")
    row[header.index("host_type")] = "church"
    lines[1] = ",".join(row) + "\n"
    hosts.write_text("".join(lines))
    return broken


def start_server(spokeplan: str, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([spokeplan, "server", "start"], capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"spokeplan server start: exit {done.returncode}\n{done.stdout}{done.stderr}")
    ui = done.stdout.split(" at ", 1)[1].split()[0]
    return time.perf_counter() - started, f"{ui}/api"


def stop_server(spokeplan: str, env: dict[str, str]) -> None:
    subprocess.run([spokeplan, "server", "stop"], capture_output=True, text=True, env=env, timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        metavar="DIR",
        help="another checkout with its own .venv, run side by side (before/after)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        default=None,
        metavar="COMMAND",
        help="only these rows: validate, 'bad input', plan, demo, 'trivial flow' (more repeats in the time)",
    )
    parser.add_argument("--no-cold", action="store_true", help="skip the cold runs (fresh PREFECT_HOME each)")
    args = parser.parse_args()
    python = sys.executable
    spokeplan = str(Path(python).with_name("spokeplan"))
    base = str(args.baseline / ".venv" / "bin" / "spokeplan") if args.baseline else None
    work = Path(tempfile.mkdtemp(prefix="spokeplan-e2e-"))
    warm, cold_homes, persistent_home = work / "home-warm", work / "cold", work / "home-persistent"
    broken = broken_copy(work)
    out = str(work / "out")
    runs: dict[str, list[float]] = {}

    def record(name: str, seconds: float) -> None:
        runs.setdefault(name, []).append(seconds)

    try:
        # cold: a fresh PREFECT_HOME each time (Prefect creates and migrates its database)
        for i in range(0 if args.no_cold else args.repeat):
            record(
                "plan, temporary server, cold",
                timed([spokeplan, "plan", str(DEMO), "--out", out], environment(cold_homes / f"t{i}")),
            )
            home = cold_homes / f"p{i}"
            seconds, url = start_server(spokeplan, environment(home))
            record("server start, cold", seconds)
            record(
                "plan, persistent server, first run",
                timed([spokeplan, "plan", str(DEMO), "--out", out], environment(home)),
            )
            stop_server(spokeplan, environment(home))
        timed([spokeplan, "plan", str(DEMO), "--out", out], environment(warm))  # warms the database
        seconds, url = start_server(spokeplan, environment(persistent_home))
        record("server start, cold", seconds)
        stop_server(spokeplan, environment(persistent_home))
        seconds, url = start_server(spokeplan, environment(persistent_home))
        record("server start, warm", seconds)
        wanted = tuple(args.only) if args.only else None
        for _ in range(args.repeat):
            no_server, server = environment(warm), environment(persistent_home)
            server_url = environment(persistent_home, api_url=url)  # plain Prefect knows no spokeplan record
            commands = {
                "validate: own work": ([python, "-c", PLAIN_VALIDATE, str(DEMO)], no_server, 0),
                "validate: spokeplan": ([spokeplan, "validate", str(DEMO)], no_server, 0),
                "bad input: own work (loader)": ([python, "-c", PLAIN_VALIDATE, str(broken)], no_server, 1),
                "bad input: spokeplan plan": ([spokeplan, "plan", str(broken), "--out", out], no_server, 2),
                "plan: own work": ([python, "-c", PLAIN_PLAN, "plan", str(DEMO), out], no_server, 0),
                "plan: temporary server": ([spokeplan, "plan", str(DEMO), "--out", out], no_server, 0),
                "plan: persistent server": ([spokeplan, "plan", str(DEMO), "--out", out], server, 0),
                "demo: own work": ([python, "-c", PLAIN_PLAN, "demo", str(DEMO), out], no_server, 0),
                "demo: temporary server": ([spokeplan, "demo", "--out", out], no_server, 0),
                "demo: persistent server": ([spokeplan, "demo", "--out", out], server, 0),
                "trivial flow: temporary server": ([python, "-c", TRIVIAL], no_server, 0),
                "trivial flow: persistent server": ([python, "-c", TRIVIAL], server_url, 0),
            }
            if base:
                with_url = environment(warm, api_url=url)
                commands.update(
                    {
                        "validate: baseline": ([base, "validate", str(DEMO)], no_server, 0),
                        "bad input: baseline": ([base, "plan", str(broken), "--out", out], no_server, 2),
                        "plan: baseline": ([base, "plan", str(DEMO), "--out", out], no_server, 0),
                        "plan: baseline, persistent server": ([base, "plan", str(DEMO), "--out", out], with_url, 0),
                        "demo: baseline": ([base, "demo", "--out", out], no_server, 0),
                        "demo: baseline, persistent server": ([base, "demo", "--out", out], with_url, 0),
                    }
                )
            for name, (command, env, expect) in commands.items():
                if wanted is None or name.startswith(wanted):
                    record(name, timed(command, env, expect))
    finally:
        stop_server(spokeplan, environment(persistent_home))
        shutil.rmtree(work, ignore_errors=True)

    median = {name: statistics.median(seconds) for name, seconds in runs.items()}
    print(f"{'run':<40} {'median s':>9} {'min s':>7} {'max s':>7}  n")
    for name, samples in runs.items():
        print(f"{name:<40} {median[name]:>9.2f} {min(samples):>7.2f} {max(samples):>7.2f}  {len(samples)}")
    print()
    if "validate: spokeplan" in median:
        print(
            f"validate / own work: {median['validate: spokeplan'] / median['validate: own work']:.2f}x (target <= 1.5x)"
        )
    for verb in ("plan", "demo"):
        for way in ("persistent server", "temporary server"):
            if f"{verb}: {way}" in median:
                print(
                    f"{verb} on the {way}: +{median[f'{verb}: {way}'] - median[f'{verb}: own work']:.2f} s "
                    f"over its own work (target <= 3 s)"
                )
    if "bad input: spokeplan plan" in median:
        print(
            f"bad input: exit 2 after {median['bad input: spokeplan plan']:.2f} s "
            f"(the loader alone: {median['bad input: own work (loader)']:.2f} s)"
        )
    if base:
        print()
        for name in ("validate", "bad input", "plan", "demo"):
            after = (
                "bad input: spokeplan plan"
                if name == "bad input"
                else f"{name}: spokeplan"
                if name == "validate"
                else f"{name}: persistent server"
            )
            if after in median and f"{name}: baseline" in median:
                print(f"{name}: baseline {median[f'{name}: baseline']:.2f} s -> {median[after]:.2f} s")


if __name__ == "__main__":
    main()

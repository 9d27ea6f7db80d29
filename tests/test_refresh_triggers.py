"""The scheduled refresh feeds the plan through Prefect itself (#17 item 4), started as a user starts it:
`spokeplan server start` (a detached `prefect server start`), `prefect work-pool create`,
`prefect deploy --all` of the repository's prefect.yaml (which creates the scope and plan triggers as
automations), `prefect worker start`, then `prefect deployment run` of the refresh deployment.

The deployments work in a home folder of their own (SPOKEPLAN_HOME): the repository's flows/ linked
in, and at inputs/demo and inputs/sources_demo.yaml a tiny scenario and its sources, so each flow run
takes seconds. Checked: a refresh that writes a snapshot starts scope and plan on that snapshot; one
that changes nothing starts neither; the next change re-plans and the report says what changed.
Marked `server` and `slow` like tests/test_server.py (a server, a worker and a process per flow run:
about two minutes on a shared 2-core machine).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.scenario_files import VALID, write_scenario
from tests.test_server import environment, free_port

pytestmark = [pytest.mark.server, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PATIENCE = 420  # seconds for the runs of one refresh, with a wide margin for a loaded machine
SOURCES = """\
sources:
  - name: authorities
    url: data/authorities.csv
    schema: authorities
  - name: areas
    url: data/areas.csv
    schema: areas
  - name: hosts
    url: data/hosts.csv
    schema: hosts
"""


def make_home(home: Path) -> Path:
    (home / "inputs" / "data").mkdir(parents=True)
    os.symlink(REPO / "flows", home / "flows")
    shutil.copy(REPO / "prefect.yaml", home / "prefect.yaml")
    write_scenario(home / "inputs" / "demo")
    for name in ("authorities.csv", "areas.csv", "hosts.csv"):
        (home / "inputs" / "data" / name).write_text(VALID[name])
    (home / "inputs" / "sources_demo.yaml").write_text(SOURCES)
    return home


def command(home: Path, env: dict, program: str, *argv: str) -> str:
    done = subprocess.run([str(BIN / program), *argv], cwd=home, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def api(port: int, path: str) -> list[dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/{path}", data=b"{}", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def runs_by_deployment(port: int) -> dict[str, list[dict]]:
    """Flow runs by deployment name, leaving out the refresh schedule's future runs (Mondays 06:30)."""
    names = {d["id"]: d["name"] for d in api(port, "deployments/filter")}
    soon = datetime.now(UTC) + timedelta(minutes=5)
    found: dict[str, list[dict]] = {}
    for run in api(port, "flow_runs/filter"):
        if run["deployment_id"] not in names:
            continue
        if run["state_type"] == "SCHEDULED" and datetime.fromisoformat(run["expected_start_time"]) > soon:
            continue
        found.setdefault(names[run["deployment_id"]], []).append(run)
    return found


FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


def wait_for(port: int, wanted: dict[str, int]) -> dict[str, list[dict]]:
    """Until each deployment has `wanted` runs, all final; fails after PATIENCE seconds."""
    deadline = time.monotonic() + PATIENCE
    while True:
        found = runs_by_deployment(port)
        if all(
            len(found.get(name, [])) >= count and all(r["state_type"] in FINAL for r in found.get(name, []))
            for name, count in wanted.items()
        ):
            return found
        assert time.monotonic() < deadline, {n: [(r["name"], r["state_type"]) for r in rs] for n, rs in found.items()}
        time.sleep(2)


def test_the_refresh_deployment_triggers_scope_and_plan_only_when_something_changed(tmp_path):
    home = make_home(tmp_path / "home")
    port = free_port()
    env = environment(tmp_path / "prefect-home")
    command(home, env, "spokeplan", "server", "start", "--port", str(port))
    env.update(PREFECT_API_URL=f"http://127.0.0.1:{port}/api", SPOKEPLAN_HOME=str(home))
    worker = None
    try:
        command(home, env, "prefect", "work-pool", "create", "spokeplan", "--type", "process")
        command(home, env, "prefect", "--no-prompt", "deploy", "--all")
        automations = command(home, env, "prefect", "automation", "ls")
        assert "plan__automation_1" in automations and "scope__automation_1" in automations
        worker = subprocess.Popen(
            [str(BIN / "prefect"), "worker", "start", "--pool", "spokeplan"],
            cwd=home,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

        # 1. The first refresh writes a snapshot: scope and plan run on it.
        command(home, env, "prefect", "deployment", "run", "spokeplan-refresh/refresh")
        found = wait_for(port, {"refresh": 1, "scope": 1, "plan": 1})
        first = json.loads((home / "outputs" / "store" / "latest.json").read_text())["snapshot"]
        for name in ("scope", "plan"):
            [run] = found[name]
            assert run["state_type"] == "COMPLETED", (name, run["state"])
            params = run["parameters"]["params"]
            assert (params["store_dir"], params["snapshot"], params["scenario_dir"]) == (
                "outputs/store",
                first,
                "inputs/demo",
            )
        plan = json.loads((home / "outputs" / "refreshed" / "plan" / "plan.json").read_text())
        assert plan["store"]["snapshot"] == first and plan["objective"] == 24
        assert (home / "outputs" / "refreshed" / "scope" / "index.html").exists()

        # 2. Nothing changed: the refresh writes nothing, so nothing is triggered.
        command(home, env, "prefect", "deployment", "run", "spokeplan-refresh/refresh")
        wait_for(port, {"refresh": 2})
        time.sleep(20)  # ample for an automation to act (it acts within seconds when it does)
        found = runs_by_deployment(port)
        assert (len(found["scope"]), len(found["plan"])) == (1, 1)

        # 3. A source changes: a new snapshot, re-scoped and re-planned; the report says what changed.
        (home / "inputs" / "data" / "hosts.csv").write_text(
            VALID["hosts.csv"].replace("E06000002,1,1500,true", "E06000002,2,1500,true")
        )
        command(home, env, "prefect", "deployment", "run", "spokeplan-refresh/refresh")
        found = wait_for(port, {"refresh": 3, "scope": 2, "plan": 2})
        second = json.loads((home / "outputs" / "store" / "latest.json").read_text())["snapshot"]
        assert second != first and all(r["state_type"] == "COMPLETED" for r in found["plan"] + found["scope"])
        plan = json.loads((home / "outputs" / "refreshed" / "plan" / "plan.json").read_text())
        assert (plan["store"]["snapshot"], plan["store"]["previous"]) == (second, first)
        report = (home / "outputs" / "refreshed" / "plan" / "report.html").read_text()
        assert f"from snapshot <strong>{first}</strong>" in report
        assert "1 with values changed (HOST2) in max_spokes" in report
    finally:  # the worker and the server this test started, whatever failed above
        if worker is not None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        subprocess.run(
            [str(BIN / "spokeplan"), "server", "stop"],
            env=environment(tmp_path / "prefect-home"),
            capture_output=True,
            timeout=120,
        )
        record = tmp_path / "prefect-home" / "spokeplan-server.json"
        if record.exists():
            try:
                os.killpg(json.loads(record.read_text())["pid"], signal.SIGKILL)
            except ProcessLookupError:
                pass

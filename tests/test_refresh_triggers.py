"""The scheduled refresh feeds the plan through Prefect itself (#17 item 4), started as a user starts it:
`prefect work-pool create`, `prefect deploy --all` of the repository's prefect.yaml (which creates the
scope and plan triggers as automations), `prefect worker start`, then the refresh deployment run.

The server is the session's Prefect test harness (a real Prefect server process; its trigger and action
services run). The deployments work in a home folder of their own (SPOKEPLAN_HOME): the repository's
flows/ linked in, and at inputs/demo and inputs/sources_demo.yaml a tiny scenario and its sources, so
each flow run takes seconds. Checked: a refresh that writes a snapshot starts scope and plan on that
snapshot; one that changes nothing starts neither; the next change re-plans and the report says what
changed. Slow (a flow-run process per run, about two minutes on a shared 2-core machine).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.scenario_files import VALID, write_scenario

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
PREFECT = shutil.which("prefect", path=str(Path(sys.executable).parent))
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


def prefect(home: Path, env: dict, *argv: str) -> str:
    done = subprocess.run([PREFECT, *argv], cwd=home, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def runs_by_deployment(client) -> dict[str, list]:
    """Flow runs by deployment name, leaving out the refresh schedule's future runs (Mondays 06:30)."""
    names = {d.id: d.name for d in client.read_deployments()}
    soon = datetime.now(timezone.utc) + timedelta(minutes=5)
    found: dict[str, list] = {}
    for run in client.read_flow_runs():
        if run.deployment_id not in names:
            continue
        if run.state.is_scheduled() and run.state.state_details.scheduled_time > soon:
            continue
        found.setdefault(names[run.deployment_id], []).append(run)
    return found


def wait_for(client, wanted: dict[str, int]) -> dict[str, list]:
    """Until each deployment has `wanted` runs, all final; fails after PATIENCE seconds."""
    deadline = time.monotonic() + PATIENCE
    while True:
        found = runs_by_deployment(client)
        done = all(len(found.get(name, [])) >= count and all(r.state.is_final() for r in found.get(name, []))
                   for name, count in wanted.items())
        if done:
            return found
        assert time.monotonic() < deadline, {n: [(r.name, r.state.name) for r in rs] for n, rs in found.items()}
        time.sleep(2)


def test_the_refresh_deployment_triggers_scope_and_plan_only_when_something_changed(tmp_path, prefect_harness):
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL

    home = make_home(tmp_path / "home")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update(PREFECT_API_URL=PREFECT_API_URL.value(), PREFECT_HOME=str(tmp_path / "prefect-home"),
               SPOKEPLAN_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1",
               PREFECT_LOGGING_LEVEL="WARNING")
    prefect(home, env, "work-pool", "create", "spokeplan", "--type", "process")
    prefect(home, env, "--no-prompt", "deploy", "--all")
    automations = prefect(home, env, "automation", "ls")
    assert "plan__automation_1" in automations and "scope__automation_1" in automations
    worker = subprocess.Popen([PREFECT, "worker", "start", "--pool", "spokeplan"], cwd=home, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        with get_client(sync_client=True) as client:
            # 1. The first refresh writes a snapshot: scope and plan run on it.
            run_deployment("spokeplan-refresh/refresh", timeout=0)
            found = wait_for(client, {"refresh": 1, "scope": 1, "plan": 1})
            first = json.loads((home / "outputs" / "store" / "latest.json").read_text())["snapshot"]
            for name in ("scope", "plan"):
                [run] = found[name]
                assert run.state.is_completed(), (name, run.state)
                params = run.parameters["params"]
                assert (params["store_dir"], params["snapshot"], params["scenario_dir"]) == ("outputs/store", first,
                                                                                              "inputs/demo")
            plan = json.loads((home / "outputs" / "refreshed" / "plan" / "plan.json").read_text())
            assert plan["store"]["snapshot"] == first and plan["objective"] == 24
            assert (home / "outputs" / "refreshed" / "scope" / "index.html").exists()

            # 2. Nothing changed: the refresh writes nothing, so nothing is triggered.
            run_deployment("spokeplan-refresh/refresh", timeout=0)
            wait_for(client, {"refresh": 2})
            time.sleep(20)  # ample for an automation to act (it acts within seconds when it does)
            found = runs_by_deployment(client)
            assert (len(found["scope"]), len(found["plan"])) == (1, 1)

            # 3. A source changes: a new snapshot, re-scoped and re-planned; the report says what changed.
            (home / "inputs" / "data" / "hosts.csv").write_text(
                VALID["hosts.csv"].replace("E06000002,1,1500,true", "E06000002,2,1500,true"))
            run_deployment("spokeplan-refresh/refresh", timeout=0)
            found = wait_for(client, {"refresh": 3, "scope": 2, "plan": 2})
            second = json.loads((home / "outputs" / "store" / "latest.json").read_text())["snapshot"]
            assert second != first and all(r.state.is_completed() for r in found["plan"] + found["scope"])
            plan = json.loads((home / "outputs" / "refreshed" / "plan" / "plan.json").read_text())
            assert (plan["store"]["snapshot"], plan["store"]["previous"]) == (second, first)
            report = (home / "outputs" / "refreshed" / "plan" / "report.html").read_text()
            assert f"from snapshot <strong>{first}</strong>" in report
            assert "1 with values changed (HOST2) in max_spokes" in report
    finally:
        os.killpg(worker.pid, signal.SIGTERM)  # the worker this test started, and its flow-run children
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()

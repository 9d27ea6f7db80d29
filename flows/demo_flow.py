"""Prefect flow for `spokeplan demo [--model ID]`: a shipped demo scenario, scoped and planned.

The scope pipeline (flows/scope_flow.py) writes OUT/scope, then the plan pipeline
(flows/plan_flow.py) writes OUT: one flow run with the tasks of both.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows.checks import unknown_demo
from flows.params import DEMOS, DemoParams
from flows.plan_flow import run_plan
from flows.runtime import EXIT_OK
from flows.scope_flow import run_scope
from flows.tasks import flow_result


@flow(name="spokeplan-demo", log_prints=False)
def demo_flow(params: DemoParams = DemoParams()):
    """A shipped demo scenario (`params.model`: inputs/demo for cse-hub-and-spoke, inputs/demo_no_wrong_door
    for no-wrong-door): scoped into `out_dir`/scope, planned into `out_dir`."""
    unknown = unknown_demo(params.model)
    if unknown is not None:
        return flow_result(unknown)
    scenario_dir, default_out = DEMOS[params.model]
    out_dir = params.out_dir or default_out
    scoped = run_scope(str(scenario_dir), str(Path(out_dir) / "scope"))
    if scoped.exit_code != EXIT_OK:
        return flow_result(scoped)
    outcome = run_plan(str(scenario_dir), out_dir, params.time_limit, params.workers)
    if outcome.exit_code != EXIT_OK:
        return flow_result(outcome)
    outcome.summary["scope_index"] = scoped.summary["index"]
    return outcome

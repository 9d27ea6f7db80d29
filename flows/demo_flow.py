"""Prefect flow for `spokeplan demo [--model ID]`: a shipped demo scenario, scoped and planned.

The scope pipeline (flows/scope_flow.py) renders the scoping reports, then the plan pipeline
(flows/plan_flow.py) writes them with the plan as one set: scope/ in each pack (issue #17) and the
public pages in OUT/scope as before; one flow run with the tasks of both.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows.checks import unknown_demo
from flows.params import DEMOS, DemoParams
from flows.plan_flow import run_plan
from flows.runtime import EXIT_OK
from flows.scope_flow import scope_packs
from flows.tasks import flow_result


@flow(name="spokeplan-demo", log_prints=False)
def demo_flow(params: DemoParams = DemoParams()):
    """A shipped demo scenario (`params.model`: inputs/demo for cse-hub-and-spoke, inputs/demo_no_wrong_door
    for no-wrong-door): planned into `out_dir`, scoped into scope/ of each pack and `out_dir`/scope."""
    unknown = unknown_demo(params.model)
    if unknown is not None:
        return flow_result(unknown)
    scenario_dir, default_out = DEMOS[params.model]
    out_dir = params.out_dir or default_out
    scoped, scope_files = scope_packs(str(scenario_dir), out_dir)
    if scoped.exit_code != EXIT_OK:
        return flow_result(scoped)
    outcome = run_plan(str(scenario_dir), out_dir, params.time_limit, params.workers, {"scope": scope_files})
    if outcome.exit_code != EXIT_OK:
        return flow_result(outcome)
    outcome.summary["scope_index"] = str(Path(out_dir) / "scope" / "index.html")
    return outcome

"""Prefect flow for checking a scenario's inputs, for Python callers and deployments.

`spokeplan validate` itself runs the same check in plain Python (flows.checks.check_scenario) and
starts no flow run: a check should answer in the time the loading takes (issue #13).
"""

from __future__ import annotations

from prefect import flow

from flows.checks import validate_summary
from flows.params import ValidateParams
from flows.runtime import EXIT_OK, Rejected, RunOutcome
from flows.tasks import build_instance_task, flow_result, load_scenario_task, monitoring_task


@flow(name="spokeplan-validate", log_prints=False)
def validate_flow(params: ValidateParams):
    """Check a scenario's inputs only: schemas, references, the monitoring store, postcodes, travel pairs."""
    scenario = load_scenario_task(params.scenario_dir)
    if isinstance(scenario, Rejected):
        return flow_result(scenario.outcome())
    monitoring = monitoring_task(scenario)
    if isinstance(monitoring, Rejected):
        return flow_result(monitoring.outcome())
    planned = build_instance_task(scenario)
    if isinstance(planned, Rejected):
        return flow_result(planned.outcome())
    return RunOutcome(EXIT_OK, [], validate_summary(params.scenario_dir, planned))

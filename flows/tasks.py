"""The Prefect side of the runtime: the tasks every flow shares and `flow_result`.

Each task wraps one pure function (scoping, common.files); only the write tasks retry, and only on
operating-system errors (a full disk may clear; bad data won't). Expected failures come back as
:class:`~flows.runtime.Rejected` values, never exceptions, so Prefect logs no traceback for them.
"""

from __future__ import annotations

import os

from prefect import State, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner

from common.files import write_files
from flows.checks import build_with_progress
from flows.runtime import EXIT_BAD_INPUT, EXIT_OK, Rejected, RunOutcome, output_folder_rejected, rejecting_bad_input
from scoping.scenario.build import PlannedScenario
from scoping.scenario.loader import Scenario, TablesFrom, load_scenario
from scoping.store.outcomes import MonitoringTable, scenario_monitoring
from scoping.store.snapshot_data import SnapshotData, snapshot_data


def flow_result(outcome: RunOutcome) -> RunOutcome | State:
    """What a flow returns: the outcome on success, else a Failed state carrying it (no traceback)."""
    if outcome.exit_code == EXIT_OK:
        return outcome
    return Failed(message="\n".join(outcome.messages), data=outcome)


def only_os_errors(task, task_run, state) -> bool:
    """Retry I/O tasks on operating-system errors only (a full disk may clear; bad data won't)."""
    try:
        state.result()
    except OSError:
        return True
    except Exception:
        return False
    return False


@task(name="load scenario", cache_policy=NO_CACHE)
def load_scenario_task(scenario_dir: str, tables_from: TablesFrom | None = None) -> Scenario | Rejected:
    return rejecting_bad_input(load_scenario, scenario_dir, tables_from)


@task(name="read store snapshot", cache_policy=NO_CACHE)
def snapshot_task(store_dir: str, snapshot: str | None) -> SnapshotData | Rejected:
    """`--store DIR [--snapshot ID]`: the snapshot, every file checked against its recorded SHA-256."""
    return rejecting_bad_input(snapshot_data, store_dir, snapshot)


def load_scenario_tasks(
    scenario_dir: str, out_dir: str, store_dir: str | None = None, snapshot: str | None = None
) -> tuple[SnapshotData | None, Scenario] | RunOutcome:
    """The scenario (with the store snapshot's tables when `store_dir` is given) and --out checked: the
    snapshot (None without a store) and the scenario, or every problem together as an exit-2 outcome."""
    refused = output_folder_rejected(out_dir, scenario_dir, *([store_dir] if store_dir else []))
    folder_messages = list(refused.messages) if refused else []
    data = snapshot_task(store_dir, snapshot) if store_dir else None
    if isinstance(data, Rejected):
        return RunOutcome(EXIT_BAD_INPUT, list(data.messages) + folder_messages)
    scenario = load_scenario_task(scenario_dir, data.tables_from() if data else None)
    if isinstance(scenario, Rejected) or refused:
        return RunOutcome(
            EXIT_BAD_INPUT, (list(scenario.messages) if isinstance(scenario, Rejected) else []) + folder_messages
        )
    return data, scenario


@task(name="read monitoring store", cache_policy=NO_CACHE)
def monitoring_task(scenario: Scenario) -> MonitoringTable | None | Rejected:
    """scenario.yaml `monitoring_store`: the outcome figures the plan report shows (None without it)."""
    return rejecting_bad_input(scenario_monitoring, scenario)


@task(name="geocode and estimate travel", cache_policy=NO_CACHE)
def build_instance_task(scenario: Scenario) -> PlannedScenario | Rejected:
    return rejecting_bad_input(build_with_progress, scenario)


@task(name="write files", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1, retry_condition_fn=only_os_errors)
def write_task(out_dir: str, files: dict[str, bytes], replaces: tuple[str, ...] = ()) -> list[str] | Rejected:
    """The whole set of files at once (common.files.write_files: readers see the previous set or the
    new one, never a mix); `replaces` names the earlier files this command may remove. A full disk, a
    read-only folder or a permission refused come back as Rejected (exit 2, one line), the previous
    files untouched."""
    return rejecting_bad_input(lambda: [str(path) for path in write_files(out_dir, files, replaces)])


# The task runners of the sweep and the plan (`--runner local|dask`, `--address`).
def _worker_env() -> dict[str, str]:
    """Point the local cluster's worker processes at this run's Prefect API (else each would start its own
    temporary server), with the same quiet, no-telemetry settings."""
    env = {
        key: os.environ[key]
        for key in ("PREFECT_SERVER_ANALYTICS_ENABLED", "DO_NOT_TRACK", "PREFECT_LOGGING_LEVEL", "PREFECT_HOME")
        if key in os.environ
    }
    with get_client(sync_client=True) as client:
        env["PREFECT_API_URL"] = str(client.api_url).rstrip("/")
    return env


def local_cluster(max_parallel: int | None = None):
    """A local Dask cluster (distributed.LocalCluster) of one-thread worker processes, as
    DaskTaskRunner starts for `dask` without an address; the caller closes it. Kept across several
    batches of tasks (a plan's rounds of windows) so each batch does not start its own."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=max_parallel or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        env=_worker_env(),
    )


def task_runner(runner: str, address: str | None, max_parallel: int | None):
    """ThreadPoolTaskRunner for `local`; prefect-dask's DaskTaskRunner (local cluster or `address`)."""
    if runner == "dask":
        # Imported only when asked for: Dask and distributed take about a second to import, which
        # every other command would pay if this were at the top.
        from prefect_dask import DaskTaskRunner

        if address:
            return DaskTaskRunner(address=address)
        return DaskTaskRunner(
            cluster_kwargs={
                "n_workers": max_parallel or os.cpu_count() or 1,
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": None,
                "env": _worker_env(),
            }
        )
    return ThreadPoolTaskRunner(max_workers=max_parallel or os.cpu_count() or 1)

"""The `refresh` flow: collect every source (retries with backoff around the I/O only), validate each
with the scenario schemas or the EES/ONS importers, and write a new snapshot only if something
changed (scoping/store/refresh.py). A broken source is reported and keeps its previous good file; the
others still land. Exit 0 when every source was valid, 2 when any was rejected (one
`error: FILE:LINE: COLUMN: ...` line per problem).

When a new snapshot is written the flow emits the Prefect event ``spokeplan.store.snapshot``
(resource ``spokeplan.store.<store_dir>``, payload store_dir, snapshot, previous, changed): the
`scope` and `plan` deployments in prefect.yaml have a trigger on it, so the scheduled refresh
re-scopes and re-plans from the new snapshot, and only when something changed (issue #17).
"""

from __future__ import annotations

import os
import time

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event

from flows.params import RefreshParams
from flows.runtime import EXIT_BAD_INPUT, EXIT_OK, Rejected, RunOutcome, rejecting_bad_input
from flows.tasks import flow_result
from scoping.store.refresh import Collected, FetchError, RefreshResult, Source, fetch, load_sources, refresh, validate

SNAPSHOT_EVENT = "spokeplan.store.snapshot"  # prefect.yaml's scope and plan triggers expect it


@task(name="load sources", cache_policy=NO_CACHE)
def load_sources_task(sources_file: str) -> list[Source] | Rejected:
    return rejecting_bad_input(load_sources, sources_file)


@task(name="collect source", cache_policy=NO_CACHE, task_run_name="collect {source.name}")
def collect_task(source: Source, attempts: int, backoff: float, timeout: float) -> Collected:
    """Fetch (the only I/O, retried with backoff inside `fetch`) and validate one source."""
    try:
        data = fetch(source.url, attempts=attempts, backoff=backoff, timeout=timeout)
    except FetchError as error:
        return Collected(source, problems=[f"error: {source.url}:0: -: {error}"])
    return validate(source, data)


@task(name="write snapshot", cache_policy=NO_CACHE)
def snapshot_task(sources: list[Source], store_dir: str, collected: list[Collected]) -> RefreshResult | Rejected:
    return rejecting_bad_input(refresh, sources, store_dir, collected)  # a damaged or unwritable store: exit 2


def store_resource(store_dir: str) -> str:
    """The Prefect resource id of a store in events: its folder as the deployments name it."""
    return f"spokeplan.store.{os.path.normpath(store_dir)}"


def announce_snapshot(store_dir: str, result: RefreshResult) -> None:
    """Tell Prefect a new snapshot is in the store (the automations of prefect.yaml's triggers start the
    scope and plan deployments on it). Names and ids only: no figures leave the store this way."""
    emit_event(
        event=SNAPSHOT_EVENT,
        resource={"prefect.resource.id": store_resource(store_dir), "prefect.resource.name": store_dir},
        payload={
            "store_dir": store_dir,
            "snapshot": result.snapshot,
            "previous": result.previous,
            "changed": sorted(n for n, c in result.changes.items() if c["status"] in ("new", "changed")),
        },
    )


def run_refresh(params: RefreshParams) -> RunOutcome:
    started = time.perf_counter()
    sources = load_sources_task(params.sources_file)
    if isinstance(sources, Rejected):
        return sources.outcome()
    futures = [collect_task.submit(s, params.attempts, params.backoff_seconds, params.timeout_seconds) for s in sources]
    collected = [f.result() for f in futures]
    result = snapshot_task(sources, params.store_dir, collected)
    if isinstance(result, Rejected):
        return RunOutcome(result.exit_code, list(result.messages))
    if result.snapshot is not None:  # something changed: the triggered scope and plan follow it
        announce_snapshot(params.store_dir, result)
    summary = {
        "sources": len(sources),
        "valid": sum(1 for c in collected if c.ok),
        "rejected": sum(1 for c in collected if not c.ok),
        "snapshot": result.snapshot,
        "changed": sorted(n for n, c in result.changes.items() if c["status"] in ("new", "changed")),
        "store": params.store_dir,
        "wall_seconds": time.perf_counter() - started,
        "changes": result.changes,
    }
    summary["text"] = "\n".join(
        [
            f"spokeplan: refresh of {params.sources_file}: "
            + (
                f"new snapshot {result.snapshot} in {params.store_dir}"
                if result.snapshot
                else "nothing changed; nothing written"
            )
        ]
        + [
            f"  {name:<18} {change['status']}"
            + (
                f" ({len(change.get('added', []))} added, {len(change.get('removed', []))} removed, "
                f"{len(change.get('moved', []))} values moved)"
                if change["status"] in ("new", "changed")
                else ""
            )
            for name, change in result.changes.items()
        ]
    )
    create_table_artifact(
        key="refresh-sources",
        description="Sources collected",
        table=[
            {
                "source": n,
                "status": c["status"],
                "added": len(c.get("added", [])),
                "removed": len(c.get("removed", [])),
                "moved": len(c.get("moved", [])),
                "problems": len(c.get("problems", [])),
            }
            for n, c in result.changes.items()
        ],
    )
    create_markdown_artifact(key="refresh-changes", markdown=result.report_markdown, description="What changed")
    exit_code = EXIT_BAD_INPUT if result.problems else EXIT_OK
    return RunOutcome(exit_code, list(result.problems), summary, result.written)


@flow(name="spokeplan-refresh", log_prints=False)
def refresh_flow(params: RefreshParams):
    """Collect and validate scoping data into a versioned store; report what changed."""
    return flow_result(run_refresh(params))

"""Re-solves asked for from the pages: queued per scenario, run as Prefect flow runs, saved as versions.

A solve snapshots the scenario's inputs when it is asked for (so later edits on the page do not
change a solve already waiting), then waits its turn: each scenario has one worker thread taking
its solves first come, first served, and the workspace's per-scenario lock file makes solves of
one scenario take turns across processes too. Different scenarios solve side by side.

The solve itself is `pipeline.solve` (the plan flow). Its result becomes a version only when the
flow wrote a plan: the job folder is renamed into versions/ in one step (Workspace.commit_version).
Bad input (exit 2), an infeasible plan (exit 3) or any crash keeps no version and leaves every
saved one as it was; the job shows the messages `spokeplan plan` would print.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from flows.workbench import pipeline
from flows.workbench.workspace import Workspace, inputs_hash, now_text

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


@dataclass
class Job:
    """One re-solve, as the page shows it."""

    id: str
    scenario: str
    name: str
    folder: Path
    state: str = QUEUED
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    flow_run_id: str | None = None
    messages: list[str] = field(default_factory=list)
    exit_code: int | None = None
    version: str | None = None

    @property
    def seconds(self) -> float:
        """Seconds from being asked for to finishing (or to now, while waiting or running)."""
        return (self.finished if self.finished is not None else time.monotonic()) - self.submitted


class SolveQueue:
    """Runs solves one scenario at a time each (FIFO), and keeps every job of this process."""

    def __init__(
        self,
        workspace: Workspace,
        solve: Callable[..., pipeline.Solved] = pipeline.solve,
        time_limit: float = pipeline.SOLVE_TIME_LIMIT,
    ):
        self.workspace = workspace
        self.solve = solve
        self.time_limit = time_limit
        self.jobs: dict[str, Job] = {}
        self._workers: dict[str, ThreadPoolExecutor] = {}
        self._guard = threading.Lock()

    def submit(self, scenario_id: str, name: str = "") -> Job:
        """Snapshot the scenario's inputs now and queue its solve behind the scenario's earlier ones."""
        folder = self.workspace.new_job_folder(scenario_id)
        job = Job(uuid.uuid4().hex[:12], scenario_id, name.strip()[:80], folder)
        with self._guard:
            self.jobs[job.id] = job
            worker = self._workers.get(scenario_id)
            if worker is None:
                worker = self._workers[scenario_id] = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix=f"solve-{scenario_id}"
                )
        worker.submit(self._run, job)
        return job

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def waiting_before(self, job: Job) -> int:
        """Solves of the same scenario asked for earlier and not finished."""
        return sum(
            1
            for other in self.jobs.values()
            if other.scenario == job.scenario and other.submitted < job.submitted and other.state in (QUEUED, RUNNING)
        )

    def active(self, scenario_id: str) -> list[Job]:
        return sorted(
            (j for j in self.jobs.values() if j.scenario == scenario_id and j.state in (QUEUED, RUNNING)),
            key=lambda j: j.submitted,
        )

    def _run(self, job: Job) -> None:
        try:
            with self.workspace.solve_lock(job.scenario):
                job.state, job.started = RUNNING, time.monotonic()
                self._solve_and_keep(job)
        except Exception as error:  # a crash: no version; every saved one untouched
            job.state, job.exit_code = FAILED, 1
            job.messages = [f"internal error: {type(error).__name__}: {error}"]
        finally:
            job.finished = time.monotonic()
            shutil.rmtree(job.folder, ignore_errors=True)  # gone once committed; a failed job's leftovers

    def _solve_and_keep(self, job: Job) -> None:
        inputs = job.folder / "inputs" / job.scenario

        def on_flow_run(flow_run_id: str) -> None:
            job.flow_run_id = flow_run_id

        solved = self.solve(inputs, job.folder / "plan", on_flow_run, self.time_limit)
        job.flow_run_id = solved.flow_run_id or job.flow_run_id
        # Messages name the files as the scenario's (the snapshot's folder is an implementation detail).
        job.exit_code, job.messages = solved.exit_code, [m.replace(f"{inputs.parent}/", "") for m in solved.messages]
        if solved.exit_code != 0:
            job.state = FAILED
            return
        checked = pipeline.check_scenario(inputs)  # what was solved: settings and host statuses, for the record
        document = pipeline.plan_document(job.folder / "plan")
        meta = {
            "name": job.name,
            "created": now_text(),
            "summary": solved.summary,
            "flow_run_id": job.flow_run_id,
            "inputs_sha256": document["inputs_sha256"],
            "inputs_hash": inputs_hash(document["inputs_sha256"]),
            "settings": {s.key: s.value for s in checked.settings},
            "priorities": list(checked.priorities),
            "locked": sorted(h.host_id for h in checked.hosts if h.status == "locked"),
            "banned": sorted(h.host_id for h in checked.hosts if h.status == "banned"),
            "disclosure_threshold": checked.disclosure_threshold,
            "title": checked.title,
        }
        job.version = self.workspace.commit_version(job.scenario, job.folder, meta)
        job.state = DONE

    def shutdown(self) -> None:
        for worker in self._workers.values():
            worker.shutdown(wait=False, cancel_futures=True)

"""The workbench's one door into the rest of spokeplan: every call to scoping, optimisation,
reporting and the plan flow that the web pages make goes through this module.

Issue #13 is moving those packages; keeping the calls here means the re-pointing after a merge is
done in one file. Everything else in flows/workbench/ (pages, files of the workspace, the solve
queue) deals only in the plain values defined here.

* **Checking** a scenario directory is what `spokeplan validate` does: :func:`load_scenario` and
  :func:`build_instance` (schemas, cross-file checks, postcodes, travel pairs), with the same
  `error: FILE:LINE: COLUMN: ...` lines, file names shown relative to the workspace's scenarios.
* **Checking** also reads the scenario's monitoring store when scenario.yaml names one, as
  `spokeplan validate` does (flows/checks.py).
* **Solving** is the plan flow itself (`flows.plan_flow.plan_flow`, what `spokeplan plan` runs): a
  Prefect flow run returning a `flows.runtime.RunOutcome`, on the server flows/server.py picks for
  the command line too (the configured one, the one `spokeplan server start` keeps, else a temporary
  one), held by :class:`PrefectServer` for as long as the workbench runs.
* **Figures** shown on the pages are the CLI summary's, disclosure-controlled the same way
  (`flows.plan_flow.plan_summary`: 1..threshold shown as `c`, with the report's suppression).
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from uuid import UUID

import shapely
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.sorting import TaskRunSort
from prefect.settings import PREFECT_UI_URL
from shapely.geometry import Point

from common.errors import InputError, Problem
from flows.params import DEMOS, REPO_ROOT, PlanParams
from flows.plan_flow import plan_flow
from flows.runtime import EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_INTERNAL, EXIT_OK, RunOutcome
from flows.server import START_TIMEOUT_SECONDS, FlowServer, flow_server
from optimisation.instance import HOST_STATUSES, PRIORITIES
from reporting.published.plan import unmet_band
from reporting.views import map_svg
from reporting.writers.environment import minutes, percent, pounds, thousands
from scoping.scenario.build import PlannedScenario, build_instance
from scoping.scenario.loader import load_scenario
from scoping.scenario.schemas import TABLES
from scoping.scenario.settings import SCENARIO_FILE, ScenarioRules
from scoping.store.outcomes import scenario_monitoring

__all__ = [
    "HOST_STATUSES",
    "PRIORITIES",
    "SCENARIO_FILE",
    "map_svg",
    "minutes",
    "percent",
    "pounds",
    "thousands",
    "unmet_band",
]

# The files a scenario directory may hold (the CLI's tables and scenario.yaml): the only names an
# upload may have.
SCENARIO_TABLES: tuple[str, ...] = tuple(TABLES)

# The demos a fresh workspace is seeded with: the CLI's `spokeplan demo --model` scenarios, and the
# phased and robust demos (README "Phased roll-out and robust plans").
SHIPPED_DEMOS: dict[str, Path] = {
    "demo": DEMOS["cse-hub-and-spoke"][0],
    "demo_no_wrong_door": DEMOS["no-wrong-door"][0],
    "demo_phased": REPO_ROOT / "inputs" / "demo_phased",
    "demo_robust": REPO_ROOT / "inputs" / "demo_robust",
}

# The scenario.yaml rules the "try an option" form offers, in the order shown, with their labels.
# Their defaults, bounds and meanings are ScenarioRules' (one definition): see `setting_fields`.
EDITABLE_SETTINGS: dict[str, str] = {
    "budget_per_year": "Budget per year (£; empty: no budget)",
    "max_spokes": "Most spokes in the plan (empty: no limit)",
    "spoke_cost_per_year": "Cost of one spoke a year (£)",
    "caseload_min": "Fewest cases per spoke at any one time",
    "caseload_max": "Most cases per spoke at any one time",
    "casework_minutes": "Casework travel limit, host to area (minutes)",
    "supervision_minutes": "Supervision travel limit, hub to host (minutes)",
}
SOLVE_TIME_LIMIT = PlanParams.model_fields["time_limit"].default  # the CLI's --time-limit default


@dataclass(frozen=True)
class HostRow:
    """One candidate host as the lock / ban form shows it."""

    host_id: str
    name: str
    host_type: str
    authority_code: str
    status: str


@dataclass(frozen=True)
class SettingField:
    """One field of the settings form: its current value in scenario.yaml terms and its default."""

    key: str
    label: str
    value: str  # as typed in the form ("" for none)
    default: str


@dataclass
class Checked:
    """A scenario directory checked as `spokeplan validate` checks it."""

    messages: list[str]  # `error: FILE:LINE: COLUMN: ...` lines; empty when valid
    title: str = ""
    hubs: int = 0
    areas: int = 0
    authorities: int = 0
    hosts: list[HostRow] = field(default_factory=list)
    settings: list[SettingField] = field(default_factory=list)
    priorities: tuple[str, ...] = PRIORITIES
    disclosure_threshold: int = 5

    @property
    def valid(self) -> bool:
        return not self.messages


def _shown(problem: Problem, directory: Path) -> str:
    """The CLI's line for a problem, its file named as `<scenario>/<file>` (the scenario folder's name
    and the file in it), as `spokeplan validate` names it when run beside the scenario."""
    with contextlib.suppress(ValueError):
        problem = Problem(
            Path(problem.file).relative_to(directory.parent).as_posix(), problem.line, problem.column, problem.message
        )
    return str(problem)


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_scenario(directory: Path) -> Checked:
    """Load and build the scenario exactly as `spokeplan validate` does; the problems as its lines
    (a candidate change is checked in a temporary copy named as the scenario it would replace)."""
    directory = Path(directory)
    try:
        scenario = load_scenario(directory)
        scenario_monitoring(scenario)  # the monitoring store scenario.yaml names, as validate reads it
        planned = build_instance(scenario)
    except InputError as error:
        return Checked([_shown(problem, directory) for problem in error.problems])
    rules = scenario.rules
    authority_of = {h.host_id: h.authority_code for h in planned.instance.hosts}
    hosts = [
        HostRow(r.value.host_id, r.value.name, r.value.host_type, authority_of[r.value.host_id], r.value.status)
        for r in scenario.hosts.rows
    ]
    settings = [
        SettingField(key, label, _as_text(getattr(rules, key)), _as_text(ScenarioRules.model_fields[key].default))
        for key, label in EDITABLE_SETTINGS.items()
    ]
    return Checked(
        [],
        rules.name or directory.name,
        len(scenario.hubs.rows),
        len(scenario.areas.rows),
        len(scenario.authorities.rows),
        hosts,
        settings,
        tuple(rules.priorities),
        rules.disclosure_threshold,
    )


def priority_orders() -> list[tuple[str, ...]]:
    """The objective orders the form offers: coverage first (always), then host fit and travel in
    either order, or only one of them, or neither (ScenarioRules checks coverage comes first)."""
    rest = PRIORITIES[1:]
    orders = [("coverage", *rest), ("coverage", *reversed(rest))]
    orders += [("coverage", name) for name in rest] + [("coverage",)]
    return orders


# ---------------------------------------------------------------------------------------------
# Solving: the plan flow, as `spokeplan plan` runs it
# ---------------------------------------------------------------------------------------------


@dataclass
class Solved:
    """What one solve gave: the CLI's exit code and messages, and its disclosed summary."""

    exit_code: int
    messages: list[str]
    summary: dict  # the disclosed figures only (see PUBLISHED_SUMMARY)
    flow_run_id: str | None = None


# The keys of the CLI summary (flows.plan_flow.plan_summary) kept with a version: the case counts
# as published (text, disclosure-controlled), never the exact `covered` / `demand` / `bound`.
PUBLISHED_SUMMARY = (
    "status",
    "backend",
    "gap",
    "covered_text",
    "demand_text",
    "share_text",
    "bound_text",
    "spokes",
    "hubs_used",
    "hosts_used",
    "cost_per_year",
    "reach_per_year",
    "solve_seconds",
    "wall_seconds",
    "service_model",
    "workers_label",
    "team_text",
)


class PrefectServer:
    """The Prefect server the workbench's flow runs report to, held for as long as the workbench runs.

    It is the command line's choice (flows.server.flow_server): the configured server, else the one
    `spokeplan server start` keeps, else a temporary one, started once for this process (about 10 s)
    and stopped with it. It is held in a thread of its own from the start, so the pages answer at once
    while a temporary server starts; a solve waits for it (:meth:`wait`)."""

    def __init__(self) -> None:
        self.server: FlowServer | None = None
        self.error: str | None = None
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._hold, name="prefect-server", daemon=True)
        self._thread.start()

    def _hold(self) -> None:
        try:
            with flow_server() as server:
                self.server = server
                self._ready.set()
                self._stop.wait()
        except Exception as error:  # the first solve says what fails
            self.error = f"{type(error).__name__}: {error}"
        finally:
            self._ready.set()

    def wait(self, timeout: float | None = None) -> FlowServer:
        """The server once it answers; RuntimeError if it could not be started or reached."""
        if self._thread is None:
            raise RuntimeError("the workbench's Prefect server was not started")
        if not self._ready.wait(timeout):
            raise RuntimeError(f"the Prefect server did not answer within {timeout:.0f} s")
        if self.server is None:
            raise RuntimeError(f"no Prefect server for the flow runs: {self.error}")
        return self.server

    def solve(self, *args, **kwargs) -> Solved:
        """:func:`solve` once the server answers (a solve asked for while a temporary server is
        still starting waits for it)."""
        self.wait(START_TIMEOUT_SECONDS)
        return solve(*args, **kwargs)

    def stop(self) -> None:
        """Leave the server (a temporary one stops; a configured or kept one runs on). Idempotent."""
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join()


def solve(
    scenario_dir: Path,
    out_dir: Path,
    on_flow_run: Callable[[str], None] | None = None,
    time_limit: float = SOLVE_TIME_LIMIT,
) -> Solved:
    """Run the plan flow on `scenario_dir`, writing the plan files into `out_dir` (as `spokeplan plan`),
    on the Prefect server configured for this process (the workbench's PrefectServer, or a caller's
    settings such as the test harness).

    `on_flow_run` is told the Prefect flow run's id as soon as it is running (for progress)."""
    seen: dict[str, str] = {}

    def running(flow, flow_run, state) -> None:
        seen["id"] = str(flow_run.id)
        if on_flow_run is not None:
            on_flow_run(seen["id"])

    flow = plan_flow.with_options(on_running=[running])
    state = flow(
        params=PlanParams(scenario_dir=str(scenario_dir), out_dir=str(out_dir), time_limit=time_limit),
        return_state=True,
    )
    outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, BaseException):
        raise outcome
    if not isinstance(outcome, RunOutcome):
        raise RuntimeError(f"flow returned {type(outcome).__name__}, not a RunOutcome")
    known = (EXIT_OK, EXIT_BAD_INPUT, EXIT_INFEASIBLE)
    exit_code = outcome.exit_code if outcome.exit_code in known else EXIT_INTERNAL
    summary = {key: outcome.summary[key] for key in PUBLISHED_SUMMARY if key in outcome.summary}
    return Solved(exit_code, list(outcome.messages), summary, seen.get("id"))


def flow_run_steps(flow_run_id: str) -> list[tuple[str, str]]:
    """(task name, state) of each task run of a flow run so far, in start order: the page's progress."""
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(flow_run_id)])),
            sort=TaskRunSort.EXPECTED_START_TIME_ASC,
        )
    return [(run.name.rsplit("-", 1)[0], (run.state.name if run.state else None) or "Pending") for run in runs]


def prefect_ui_url(flow_run_id: str, server: FlowServer | None) -> str | None:
    """The flow run's page in the Prefect UI of a configured server or the one `spokeplan server
    start` keeps (None for a temporary server, which serves no UI)."""
    if server is None or server.kind == "temporary":
        return None
    ui = PREFECT_UI_URL.value() or server.url.removesuffix("/api")
    return f"{ui.rstrip('/')}/runs/flow-run/{flow_run_id}"


# ---------------------------------------------------------------------------------------------
# Geometry for the difference map (reporting.views.map_svg's frame, footprints and demand bands)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapBase:
    """The places of a scenario for drawing, and its authorities' footprints as SVG paths."""

    width: int
    height: int
    footprints: tuple[tuple[str, str, str, float, float], ...]  # (code, name, path, label x, label y)
    hubs: dict[str, tuple[float, float, str]]  # id -> x, y, name
    hosts: dict[str, tuple[float, float, str]]
    areas: dict[str, tuple[float, float, str, float, int]]  # id -> x, y, name, radius, demand


@lru_cache(maxsize=16)
def _planned(directory: str, inputs_key: str) -> PlannedScenario:
    return build_instance(load_scenario(directory))


def map_base(directory: Path, inputs_key: str, threshold: int) -> MapBase:
    """The scenario saved in `directory` (a version's inputs) laid out on report.html's map frame.
    `inputs_key` (the inputs' hash) keys a small cache: the instance is built once per inputs."""
    inst = _planned(str(directory), inputs_key).instance
    shapes = map_svg.footprints(inst)
    everything = shapely.union_all([*shapes.values(), *[Point(h.easting, h.northing) for h in inst.hubs]])
    min_x, min_y, max_x, max_y = everything.buffer(map_svg.MARGIN_M).bounds
    scale = map_svg.WIDTH / (max_x - min_x)
    frame = map_svg.Frame(min_x, max_y, scale, int(math.ceil((max_y - min_y) * scale)))
    names = {a.authority_code: a.name for a in inst.authorities}
    footprints = tuple(
        (code, names.get(code, code), map_svg.svg_path(shape, frame), *frame.xy(shape.centroid.x, shape.centroid.y))
        for code, shape in shapes.items()
    )
    return MapBase(
        map_svg.WIDTH,
        frame.height,
        footprints,
        {h.hub_id: (*frame.xy(h.easting, h.northing), h.name) for h in inst.hubs},
        {h.host_id: (*frame.xy(h.easting, h.northing), h.name) for h in inst.hosts},
        {
            a.area_id: (*frame.xy(a.easting, a.northing), a.name, map_svg.demand_radius(a.demand, threshold), a.demand)
            for a in inst.areas
        },
    )


UNMET_SHADE = map_svg.UNMET_SHADE
MAP_PALETTE = map_svg.PALETTE


# ---------------------------------------------------------------------------------------------
# Reading a saved plan back (the files `spokeplan plan` wrote)
# ---------------------------------------------------------------------------------------------


def plan_document(plan_dir: Path) -> dict:
    """plan.json of a plan folder (the machine-readable plan: DESIGN.md "Plan (output)")."""
    return json.loads((Path(plan_dir) / "plan.json").read_text(encoding="utf-8"))


def plan_spokes(plan_dir: Path) -> list[dict]:
    """spokes.csv rows: hub_id, hub_name, host_id, host_name, host_type, authority_code, spokes,
    supervision_minutes (hub -> host), as written by reporting.writers.plan_files."""
    with open(Path(plan_dir) / "spokes.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["spokes"] = int(row["spokes"])
        row["supervision_minutes"] = int(row["supervision_minutes"])
    return rows


def authority_names(plan_dir: Path) -> dict[str, str]:
    """authority_code -> name, from coverage.csv."""
    with open(Path(plan_dir) / "coverage.csv", encoding="utf-8", newline="") as handle:
        return {row["authority_code"]: row["authority_name"] for row in csv.DictReader(handle)}

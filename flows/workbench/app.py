"""`spokeplan serve`: the workbench's web pages (FastAPI, Jinja2 with autoescape, htmx vendored).

Pages (all plain HTML forms, so they work without script; htmx only polls a running solve):

    GET  /                               the workspace's scenarios; copy one
    GET  /s/{scenario}                   try an option: settings, lock / ban hosts, upload CSV files,
                                         re-solve, the saved versions (pick two or more to compare)
    POST /s/{scenario}/settings|hosts|upload|solve
    GET  /s/{scenario}/jobs/{job}        a solve's progress (polled; sends the browser to the version)
    GET  /s/{scenario}/v/{version}       a saved version: its figures, the report (map, summary, tables)
    GET  /s/{scenario}/v/{version}/report.html | pack.zip
    POST /s/{scenario}/v/{version}/name|restore
    GET  /s/{scenario}/compare?v=...&v=...

Every change is checked exactly as `spokeplan validate` checks a scenario, in a temporary copy,
and saved only when valid: otherwise the page shows the CLI's `FILE:LINE: COLUMN: ...` lines beside
the form and nothing is saved. Safety (CSRF, trusted hosts, paths, upload size) is described in
flows/workbench/security.py and workspace.py.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.datastructures import UploadFile

from flows.workbench import pipeline, security
from flows.workbench.compare import comparison
from flows.workbench.edits import set_host_statuses, set_yaml_keys
from flows.workbench.jobs import DONE, FAILED, SolveQueue
from flows.workbench.workspace import SCENARIO_FILE, Refused, Workspace, checked_scenario_id

HOST = "127.0.0.1"
DEFAULT_PORT = 8765  # the CLI's --port default too (flows/cli.py names it again to stay quick to start)
STATIC = Path(__file__).resolve().parent / "static"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("flows.workbench", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        thousands=pipeline.thousands, pounds=pipeline.pounds, percent=pipeline.percent, minutes=pipeline.minutes
    )
    return env


class Workbench:
    """What the pages share: the workspace, the solve queue, the secret key and the templates."""

    def __init__(
        self,
        workspace: Workspace,
        queue: SolveQueue,
        prefect: pipeline.PrefectServer | None,
        allowed_hosts: frozenset[str],
        max_upload_bytes: int = security.MAX_UPLOAD_BYTES,
    ):
        self.workspace = workspace
        self.queue = queue
        self.prefect = prefect  # the Prefect server this app holds, if it holds one
        self.allowed_hosts = allowed_hosts
        self.max_upload_bytes = max_upload_bytes
        self.secret = security.workspace_secret(workspace.root)
        self.env = _environment()

    def render(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("title", "spokeplan workbench")
        html = self.env.get_template(template).render(
            request=request,
            csrf=security.csrf_token(self.secret, request.state.csrf_cookie),
            csrf_field=security.CSRF_FIELD,
            workspace=str(self.workspace.root),
            **context,
        )
        return HTMLResponse(html, status_code=status)

    async def form(self, request: Request, *, files: bool = False):
        """The posted form, after the size limit and the CSRF token are checked."""
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():
            raise Refused("the request gave no size; send the form from the workbench page", 411)
        if int(length) > self.max_upload_bytes:
            raise Refused(
                f"the upload is {_size(int(length))}; the workbench takes at most "
                f"{_size(self.max_upload_bytes)} at a time",
                413,
            )
        form = await request.form(
            max_files=len(pipeline.SCENARIO_TABLES) if files else 0, max_fields=500, max_part_size=self.max_upload_bytes
        )
        token = form.get(security.CSRF_FIELD) or request.headers.get(security.CSRF_HEADER)
        if not security.csrf_ok(
            self.secret, request.cookies.get(security.CSRF_COOKIE), token if isinstance(token, str) else None
        ):
            raise Refused("the form's security token is missing or out of date: reload the page and try again", 403)
        return form

    def ui_url(self, flow_run_id: str | None) -> str | None:
        """A flow run's page in the Prefect UI, when the server the app holds has one."""
        if not flow_run_id or self.prefect is None:
            return None
        return pipeline.prefect_ui_url(flow_run_id, self.prefect.server)

    # --- pieces of pages ----------------------------------------------------------------------

    def scenario_view(self, scenario_id: str, checked: pipeline.Checked | None = None) -> dict:
        directory = self.workspace.scenario_dir(scenario_id)
        self.workspace.contained(directory)
        checked = checked or pipeline.check_scenario(directory)
        versions = self.workspace.list_versions(scenario_id)
        latest = versions[-1] if versions else None
        latest_spokes: dict[str, int] = {}
        if latest is not None:
            for row in pipeline.plan_spokes(self.workspace.version_dir(scenario_id, latest.id) / "plan"):
                latest_spokes[row["host_id"]] = latest_spokes.get(row["host_id"], 0) + row["spokes"]
        return {
            "scenario": scenario_id,
            "checked": checked,
            "versions": versions,
            "latest": latest,
            "latest_spokes": latest_spokes,
            "jobs": self.queue.active(scenario_id),
            "orders": pipeline.priority_orders(),
            "statuses": pipeline.HOST_STATUSES,
            "tables": pipeline.SCENARIO_TABLES,
            "max_upload": _size(self.max_upload_bytes),
        }

    def scenario_page(self, request: Request, scenario_id: str, status: int = 200, **errors: Any) -> HTMLResponse:
        view = self.scenario_view(scenario_id)
        title = view["checked"].title or scenario_id
        return self.render(
            request,
            "scenario.html.j2",
            status,
            title=title,
            errors=errors,
            saved=request.query_params.get("saved", ""),
            **view,
        )

    def check_change(self, scenario_id: str, changes: dict[str, bytes | None]) -> list[str]:
        """Apply `changes` (file name -> bytes, None to remove) to a temporary copy and check it as
        `spokeplan validate` does; save them only when valid. Returns the problems (empty: saved)."""
        with self.workspace.edit_lock(scenario_id), self.workspace.candidate(scenario_id) as copy:
            for name, data in changes.items():
                path = copy / name
                if data is None:
                    path.unlink(missing_ok=True)
                else:
                    path.write_bytes(data)
            self.workspace.contained(copy)
            checked = pipeline.check_scenario(copy)
            if not checked.valid:
                return checked.messages
            directory = self.workspace.scenario_dir(scenario_id)
            self.workspace.save_files(scenario_id, {n: d for n, d in changes.items() if d is not None})
            for name, data in changes.items():
                if data is None:
                    (directory / name).unlink(missing_ok=True)
            return []


def create_app(
    workspace_dir: Path,
    *,
    port: int = DEFAULT_PORT,
    allowed_hosts: tuple[str, ...] = (HOST, "localhost"),
    hold_prefect_server: bool = True,
    max_upload_bytes: int = security.MAX_UPLOAD_BYTES,
    demos: dict[str, Path] | None = None,
) -> FastAPI:
    """The workbench app over `workspace_dir`, created and seeded with `demos` (scenario id -> folder;
    default the shipped demos) if new. `hold_prefect_server`: reach or start the Prefect server its
    flow runs report to when it starts (pipeline.PrefectServer), and leave it when it stops; off when a
    caller has configured one (the tests' harness)."""
    workspace = Workspace.open(workspace_dir, pipeline.SHIPPED_DEMOS if demos is None else demos)
    prefect = pipeline.PrefectServer() if hold_prefect_server else None
    queue = SolveQueue(workspace, prefect.solve if prefect else pipeline.solve)
    bench = Workbench(workspace, queue, prefect, frozenset(allowed_hosts), max_upload_bytes)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        if prefect:  # reach (or start) the Prefect server now, not at the first solve
            prefect.start()
        try:
            yield
        finally:
            bench.queue.shutdown()
            if prefect:
                prefect.stop()

    app = FastAPI(title="spokeplan workbench", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.bench = bench
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if not security.host_allowed(request.headers.get("host"), bench.allowed_hosts) or not security.origin_allowed(
            request.headers.get("origin"), bench.allowed_hosts
        ):
            return Response(
                f"Refused: this workbench answers only at http://{HOST}:{port}/",
                status_code=400,
                media_type="text/plain",
            )
        cookie = request.cookies.get(security.CSRF_COOKIE)
        request.state.csrf_cookie = cookie or security.new_cookie()
        response = await call_next(request)
        if not cookie:
            response.set_cookie(
                security.CSRF_COOKIE, request.state.csrf_cookie, httponly=True, samesite="strict", path="/"
            )
        for name, value in security.SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Security-Policy", security.PAGE_POLICY)
        return response

    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused):
        return bench.render(request, "refused.html.j2", error.status, title="Refused", message=error.message)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request):
        rows = []
        for scenario_id in bench.workspace.scenario_ids():
            versions = bench.workspace.list_versions(scenario_id)
            rows.append({"id": scenario_id, "versions": versions, "latest": versions[-1] if versions else None})
        return bench.render(
            request,
            "index.html.j2",
            scenarios=rows,
            demos=list(pipeline.SHIPPED_DEMOS),
            error=request.query_params.get("error", ""),
        )

    @app.post("/scenarios")
    async def copy_scenario(request: Request):
        form = await bench.form(request)
        source, new_id = str(form.get("source", "")), str(form.get("name", "")).strip()
        bench.workspace.copy_scenario(checked_scenario_id(source), checked_scenario_id(new_id))
        return RedirectResponse(f"/s/{new_id}", status_code=303)

    @app.get("/s/{scenario_id}", response_class=HTMLResponse)
    def scenario(request: Request, scenario_id: str):
        return bench.scenario_page(request, scenario_id)

    @app.post("/s/{scenario_id}/settings")
    async def settings(request: Request, scenario_id: str):
        form = await bench.form(request)
        directory = bench.workspace.scenario_dir(scenario_id)
        current = pipeline.check_scenario(directory)
        updates: dict[str, object] = {}
        for field in current.settings:
            typed = str(form.get(field.key, field.value)).strip()
            if typed != field.value:
                updates[field.key] = _typed(typed)
        priorities = str(form.get("priorities", ",".join(current.priorities)))
        if tuple(priorities.split(",")) != current.priorities:
            updates["priorities"] = priorities.split(",")
        if not updates:
            return RedirectResponse(f"/s/{scenario_id}?saved=nothing", status_code=303)
        rules_path = directory / SCENARIO_FILE
        text = rules_path.read_text(encoding="utf-8-sig") if rules_path.exists() else ""
        try:
            edited = set_yaml_keys(text, updates)
        except ValueError as error:
            return bench.scenario_page(request, scenario_id, 422, settings=[str(error)])
        problems = bench.check_change(scenario_id, {SCENARIO_FILE: edited.encode("utf-8")})
        if problems:
            return bench.scenario_page(request, scenario_id, 422, settings=problems)
        return RedirectResponse(f"/s/{scenario_id}?saved=settings", status_code=303)

    @app.post("/s/{scenario_id}/hosts")
    async def hosts(request: Request, scenario_id: str):
        form = await bench.form(request)
        directory = bench.workspace.scenario_dir(scenario_id)
        current = {h.host_id: h.status for h in pipeline.check_scenario(directory).hosts}
        wanted = {host_id: str(form.get(f"status-{host_id}", status)) for host_id, status in current.items()}
        changes = {host_id: status for host_id, status in wanted.items() if status != current[host_id]}
        if not changes:
            return RedirectResponse(f"/s/{scenario_id}?saved=nothing", status_code=303)
        edited = set_host_statuses((directory / "hosts.csv").read_bytes(), changes)
        problems = bench.check_change(scenario_id, {"hosts.csv": edited})
        if problems:
            return bench.scenario_page(request, scenario_id, 422, hosts=problems)
        return RedirectResponse(f"/s/{scenario_id}?saved=hosts", status_code=303)

    @app.post("/s/{scenario_id}/upload")
    async def upload(request: Request, scenario_id: str):
        bench.workspace.scenario_dir(scenario_id)
        form = await bench.form(request, files=True)
        uploads = [
            (item.filename, item) for item in form.getlist("files") if isinstance(item, UploadFile) and item.filename
        ]
        if not uploads:
            return bench.scenario_page(request, scenario_id, 422, upload=["choose one or more CSV files to upload"])
        changes: dict[str, bytes | None] = {}
        for filename, item in uploads:
            name = Path(filename.replace("\\", "/")).name
            if name != filename or name not in pipeline.SCENARIO_TABLES:
                return bench.scenario_page(
                    request,
                    scenario_id,
                    422,
                    upload=[
                        f"{filename[:80]!r} is not a file of a scenario; upload files named "
                        + ", ".join(pipeline.SCENARIO_TABLES)
                        + " (nothing was saved)"
                    ],
                )
            changes[name] = await item.read()
        problems = bench.check_change(scenario_id, changes)
        if problems:
            return bench.scenario_page(request, scenario_id, 422, upload=problems)
        return RedirectResponse(f"/s/{scenario_id}?saved=upload", status_code=303)

    @app.post("/s/{scenario_id}/solve")
    async def solve(request: Request, scenario_id: str):
        form = await bench.form(request)
        bench.workspace.scenario_dir(scenario_id)
        job = bench.queue.submit(scenario_id, str(form.get("name", "")))
        return RedirectResponse(f"/s/{scenario_id}/jobs/{job.id}", status_code=303)

    @app.get("/s/{scenario_id}/jobs/{job_id}", response_class=HTMLResponse)
    def job_page(request: Request, scenario_id: str, job_id: str):
        job = bench.queue.get(job_id)
        if job is None or job.scenario != checked_scenario_id(scenario_id):
            raise Refused(f"no solve {job_id[:20]!r} of scenario {scenario_id!r} in this session", 404)
        steps: list[tuple[str, str]] = []
        if job.flow_run_id:
            with contextlib.suppress(Exception):  # progress is best effort; the solve goes on regardless
                steps = pipeline.flow_run_steps(job.flow_run_id)
        context: dict[str, Any] = {
            "job": job,
            "steps": steps,
            "waiting": bench.queue.waiting_before(job),
            "ui_url": bench.ui_url(job.flow_run_id),
            "done": DONE,
            "failed": FAILED,
            "scenario": scenario_id,
        }
        fragment = request.headers.get("hx-request") == "true"
        response = bench.render(request, "job.html.j2" if fragment else "job_page.html.j2", title="Solving", **context)
        if job.state == DONE and fragment:
            response.headers["HX-Redirect"] = f"/s/{scenario_id}/v/{job.version}"
        return response

    @app.get("/s/{scenario_id}/v/{version_id}", response_class=HTMLResponse)
    def version_page(request: Request, scenario_id: str, version_id: str):
        version = bench.workspace.version(scenario_id, version_id)
        ids = [v.id for v in bench.workspace.list_versions(scenario_id)]
        at = ids.index(version.id)
        previous = ids[at - 1] if at > 0 else (ids[1] if len(ids) > 1 else None)  # v0001: the next one
        return bench.render(
            request,
            "version.html.j2",
            title=version.name,
            scenario=scenario_id,
            version=version,
            ui_url=bench.ui_url(version.meta.get("flow_run_id")),
            previous=bench.workspace.version(scenario_id, previous) if previous else None,
            compare_ids=sorted([previous, version.id]) if previous else [],
            saved=request.query_params.get("saved", ""),
        )

    @app.get("/s/{scenario_id}/v/{version_id}/report.html")
    def report(scenario_id: str, version_id: str):
        path = bench.workspace.plan_file(scenario_id, version_id, "report.html")
        return Response(
            path.read_bytes(),
            media_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": security.REPORT_POLICY},
        )

    @app.get("/s/{scenario_id}/v/{version_id}/pack.zip")
    def pack(scenario_id: str, version_id: str):
        data = bench.workspace.pack(scenario_id, version_id)
        return Response(
            data,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{scenario_id}-{version_id}.zip"'},
        )

    @app.post("/s/{scenario_id}/v/{version_id}/name")
    async def rename(request: Request, scenario_id: str, version_id: str):
        form = await bench.form(request)
        bench.workspace.rename_version(scenario_id, version_id, str(form.get("name", "")))
        return RedirectResponse(f"/s/{scenario_id}/v/{version_id}?saved=name", status_code=303)

    @app.post("/s/{scenario_id}/v/{version_id}/restore")
    async def restore(request: Request, scenario_id: str, version_id: str):
        await bench.form(request)
        saved = bench.workspace.version_inputs(scenario_id, version_id)
        working = bench.workspace.scenario_dir(scenario_id)
        changes: dict[str, bytes | None] = {}
        for name in (*pipeline.SCENARIO_TABLES, SCENARIO_FILE):
            if (saved / name).is_file():
                changes[name] = bench.workspace.inside(saved / name).read_bytes()
            elif (working / name).exists():
                changes[name] = None
        problems = bench.check_change(scenario_id, changes)
        if problems:
            raise Refused("the version's inputs no longer pass the checks: " + "; ".join(problems[:5]), 422)
        return RedirectResponse(f"/s/{scenario_id}?saved=restored", status_code=303)

    @app.get("/s/{scenario_id}/compare", response_class=HTMLResponse)
    def compare(request: Request, scenario_id: str):
        ids = list(dict.fromkeys(request.query_params.getlist("v")))
        if len(ids) < 2:
            raise Refused("pick two or more versions to compare (tick them in the list of versions)")
        versions = [bench.workspace.version(scenario_id, version_id) for version_id in ids[:8]]
        return bench.render(
            request,
            "compare.html.j2",
            title="Compare versions",
            scenario=scenario_id,
            **comparison(bench.workspace, versions),
        )

    return app


def _size(count: int) -> str:
    """4096 -> '4 KiB', 8388608 -> '8 MiB', 9437184 -> '9 MiB'."""
    return f"{count / 2**20:.3g} MiB" if count >= 2**20 else f"{count / 2**10:.3g} KiB"


def _typed(text: str) -> object:
    """A form value for scenario.yaml: empty means the rule's default (the key is removed), a whole
    number or a decimal as a number, anything else as typed (the check then names the key and what it
    expects, as for a hand-edited file)."""
    if text == "":
        return None
    for kind in (int, float):
        with contextlib.suppress(ValueError):
            return kind(text.replace(",", ""))
    return text


def serve(workspace_dir: str, port: int = DEFAULT_PORT) -> int:
    """Run the workbench on 127.0.0.1:`port` until interrupted. Exit 2 if the port is taken or the
    workspace cannot be used (one line, as for any bad input)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: a restart may bind at once
    try:
        listener.bind((HOST, port))
    except OSError as error:
        print(
            f"error: --port: -: {HOST}:{port} cannot be used ({error.strerror}); choose another port with --port N",
            file=sys.stderr,
        )
        return 2
    try:
        app = create_app(Path(workspace_dir), port=port)
    except (Refused, OSError) as error:
        print(f"error: --workspace: -: {getattr(error, 'message', error)}", file=sys.stderr)
        return 2
    workspace = app.state.bench.workspace
    print(f"spokeplan: workbench at http://{HOST}:{port}/ (workspace {workspace.root}); Ctrl-C stops it", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    # uvicorn stops gracefully on SIGINT / SIGTERM and then raises the signal again; SIGTERM's default
    # action would end the process before the temporary Prefect server is stopped, so it exits instead.
    previous = signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(0))
    try:
        server.run(sockets=[listener])
    finally:
        signal.signal(signal.SIGTERM, previous)
        app.state.bench.prefect.stop()  # also when SIGTERM ended the server before its lifespan did
    return 0

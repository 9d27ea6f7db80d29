"""The Prefect server a command's flow run reports to, and `spokeplan server start|stop|status`.

Prefect 3 records every flow run through an API server; it has no serverless local mode. A command
that runs a flow uses, in this order:

1. the server Prefect is already configured with (PREFECT_API_URL in the environment or the Prefect
   profile, or a caller's settings such as the test harness);
2. the server `spokeplan server start` left running (recorded in PREFECT_HOME/spokeplan-server.json
   and answering its health check): PREFECT_API_URL is pointed at it for the command. A flow run then
   adds about 2.5 s to the command's own work (benchmarks/end_to_end.py);
3. otherwise a temporary server for this command only (Prefect's server app under uvicorn on a free
   port of 127.0.0.1, about 9-15 s to start), stopped when the command ends. A watchdog in the server
   process ends it when the command's process goes away, so a `kill -9` of the command does not leave
   it listening either. Its database is Prefect's usual one, so the run is visible in a later UI.

On the servers of 2 and 3 (spokeplan's own), flow runs send no heartbeats: nothing on them reads
heartbeats (Prefect uses them only in an automation a user sets up to mark crashed runs), and
stopping the heartbeat thread, which sleeps in whole seconds, cost 0.9 s per run here (median of 4,
side by side). A server configured by the user (1) keeps Prefect's settings as they are.

`spokeplan server start` starts the server the way a user would (`prefect server start`, its UI at
the printed address) as a detached process in its own process group, with its output in
PREFECT_HOME/spokeplan-server.log; it runs until `spokeplan server stop`. No other command leaves a
server running.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from prefect.context import refresh_global_settings_context
from prefect.events.worker import EventsWorker
from prefect.logging.handlers import APILogWorker
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    get_current_settings,
    temporary_settings,
)

HOST = "127.0.0.1"
RECORD_FILE = "spokeplan-server.json"
LOG_FILE = "spokeplan-server.log"
# The persistent server runs Prefect's services (scheduler, UI): a cold first start on a busy machine
# has taken over a minute here, so the wait is generous. The temporary server honours Prefect's own
# PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS (the CLI sets 90 unless the user did).
START_TIMEOUT_SECONDS = 180.0
STOP_TIMEOUT_SECONDS = 15.0


class ServerError(RuntimeError):
    """A server could not be started or stopped; the message says why (and where its log is)."""


def api_url(port: int) -> str:
    return f"http://{HOST}:{port}/api"


def healthy(url: str, timeout: float = 1.0) -> bool:
    """True when the Prefect API at `url` answers its health check."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError, ValueError):
        return False


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
        return True


def wait_until_healthy(url: str, process: subprocess.Popen, timeout: float, log: Path) -> None:
    """Poll the health check until it answers; raise ServerError if the process ends or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if healthy(url, timeout=0.5):
            return
        if process.poll() is not None:
            raise ServerError(
                f"the Prefect server exited with code {process.returncode} before it answered "
                f"(its log: {log}){_log_tail(log)}"
            )
        time.sleep(0.1)
    raise ServerError(f"the Prefect server did not answer within {timeout:.0f} s (its log: {log}){_log_tail(log)}")


def _log_tail(log: Path, lines: int = 5) -> str:
    try:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:]
    except OSError:
        return ""
    return "".join(f"\n  {line}" for line in tail)


def process_alive(pid: int) -> bool:
    """True while process `pid` runs (a child of ours that has ended is reaped here)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass  # not our child: ask the kernel
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- the persistent server: spokeplan server start | stop | status ---


@dataclass(frozen=True)
class ServerRecord:
    """What `spokeplan server start` wrote down: the server's process (group) id, port and log."""

    pid: int
    port: int
    log: str

    @property
    def url(self) -> str:
        return api_url(self.port)

    @property
    def ui(self) -> str:
        return f"http://{HOST}:{self.port}"


def prefect_home() -> Path:
    return Path(get_current_settings().home).expanduser()


def record_path() -> Path:
    return prefect_home() / RECORD_FILE


def read_record() -> ServerRecord | None:
    try:
        data = json.loads(record_path().read_text(encoding="utf-8"))
        return ServerRecord(pid=int(data["pid"]), port=int(data["port"]), log=str(data["log"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running_server() -> ServerRecord | None:
    """The server `spokeplan server start` left running, if its process lives and its API answers."""
    record = read_record()
    if record is None or not process_alive(record.pid) or not healthy(record.url):
        return None
    return record


def start_server(port: int | None = None, timeout: float = START_TIMEOUT_SECONDS) -> tuple[ServerRecord, bool]:
    """Start `prefect server start` detached (its own session and process group) and wait until it
    answers. Returns the record and whether it was started now (False: it was already running)."""
    running = running_server()
    if running is not None:
        return running, False
    if port is None:
        configured = get_current_settings().server.api.port
        port = configured if port_is_free(configured) else free_port()
    elif not port_is_free(port):
        raise ServerError(f"port {port} of {HOST} is in use; choose another with --port")
    home = prefect_home()
    home.mkdir(parents=True, exist_ok=True)
    log = home / LOG_FILE
    prefect = Path(sys.executable).with_name("prefect")
    command = [str(prefect)] if prefect.exists() else [sys.executable, "-m", "prefect"]
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    env.pop("PREFECT_API_URL", None)
    with open(log, "ab") as output:
        # stdin, stdout and stderr away from the caller's terminal or pipes: a CI job that reads this
        # command's output must not wait for a server that outlives it.
        process = subprocess.Popen(
            command + ["server", "start", "--host", HOST, "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            cwd=home,
        )
    record = ServerRecord(pid=process.pid, port=port, log=str(log))
    try:
        wait_until_healthy(record.url, process, timeout, log)
    except ServerError:
        _end_group(process.pid)
        raise
    record_path().write_text(
        json.dumps({"pid": record.pid, "port": record.port, "log": record.log}) + "\n", encoding="utf-8"
    )
    return record, True


def stop_server(timeout: float = STOP_TIMEOUT_SECONDS) -> ServerRecord | None:
    """Stop the server `spokeplan server start` started (its whole process group); None if there was none."""
    record = read_record()
    if record is None:
        return None
    if process_alive(record.pid) and _is_prefect_server(record.pid):
        _end_group(record.pid, timeout)
    record_path().unlink(missing_ok=True)
    return record


def _is_prefect_server(pid: int) -> bool:
    """Guard against a recycled process id: the process must lead its group and (where /proc exists)
    be a Prefect server."""
    try:
        if os.getpgid(pid) != pid:
            return False
    except ProcessLookupError:
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():
        return b"prefect" in cmdline.read_bytes()
    return True


def _end_group(pid: int, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """SIGTERM to the process group led by `pid`; SIGKILL if it has not ended within `timeout`."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not process_alive(pid):
                return
            time.sleep(0.1)


# --- the server of one command's flow run ---


@dataclass(frozen=True)
class FlowServer:
    """The server a command's flow runs report to: its API and which of the three kinds it is."""

    url: str
    kind: str  # "configured" | "persistent" | "temporary"


@contextlib.contextmanager
def flow_server() -> Iterator[FlowServer]:
    """The Prefect API this command's flow runs report to (the module docstring gives the order)."""
    configured = get_current_settings().api.url
    if configured:
        yield FlowServer(configured, "configured")
        return
    record = running_server()
    if record is not None:
        with _pointed_at(record.url):
            yield FlowServer(record.url, "persistent")
        return
    with temporary_server() as url, _pointed_at(url):
        try:
            yield FlowServer(url, "temporary")
        finally:
            _drain_prefect_workers()


@contextlib.contextmanager
def temporary_server(timeout: float | None = None) -> Iterator[str]:
    """Prefect's server app on a free port for the duration of the block (PREFECT_UI off, ephemeral
    mode as Prefect's own temporary server). The server process watches this one and ends itself when
    it is gone, so not even a SIGKILL of this process leaves it listening."""
    timeout = timeout or float(get_current_settings().server.ephemeral.startup_timeout_seconds)
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
    with tempfile.TemporaryDirectory(prefix="spokeplan-server-") as folder:
        log = Path(folder) / "server.log"
        for attempt in range(3):
            port = free_port()
            with open(log, "wb") as output:
                process = subprocess.Popen(
                    [sys.executable, "-m", "flows.server", str(port), str(os.getpid())],
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
            try:
                wait_until_healthy(api_url(port), process, timeout, log)
                break
            except ServerError:
                _stop(process)
                if attempt == 2 or port_is_free(port):
                    raise
                # another process took the free port between our probe and the server's bind: again
        try:
            yield api_url(port)
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM (uvicorn's clean shutdown), SIGKILL if it has not ended in STOP_TIMEOUT_SECONDS."""
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def _pointed_at(url: str) -> Iterator[None]:
    """PREFECT_API_URL set to `url` for this process (and the processes it starts), flow-run heartbeats
    off (module docstring), then both restored."""
    before = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url
    refresh_global_settings_context()  # Prefect read the environment at import
    try:
        with temporary_settings(updates={PREFECT_API_URL: url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield
    finally:
        if before is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = before
        refresh_global_settings_context()


def _drain_prefect_workers() -> None:
    """Send the run's last logs and events before its temporary server stops (as Prefect's test harness does)."""
    with contextlib.suppress(RuntimeError):
        APILogWorker.drain_all(timeout=5)
    EventsWorker.drain_all(timeout=5)


# --- the temporary server process itself: python -m flows.server PORT PARENT_PID ---


def _exit_when_parent_ends(parent: int) -> None:
    """Stop this server (SIGTERM to itself: uvicorn's clean shutdown) once `parent` has ended."""
    while os.getppid() == parent:
        time.sleep(0.2)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(STOP_TIMEOUT_SECONDS)
    os._exit(1)


def _serve(port: int, parent: int) -> None:
    import uvicorn  # the server process only: the command's own process never needs uvicorn

    if os.getppid() != parent:  # the command ended before this process got going
        return
    threading.Thread(target=_exit_when_parent_ends, args=(parent,), daemon=True).start()
    uvicorn.run(
        "prefect.server.api.server:create_app", factory=True, host=HOST, port=port, log_level="error", lifespan="on"
    )


if __name__ == "__main__":
    _serve(int(sys.argv[1]), int(sys.argv[2]))

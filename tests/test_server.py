"""The Prefect server a command uses (flows/server.py), with real processes.

* Without a server, `spokeplan plan` starts a temporary one, and no process of it outlives the
  command: not after a normal exit, not after a `kill -9` of the command alone (its process group
  left alone, so only the server's own watchdog can end it).
* `spokeplan server start | status | stop`: a detached `prefect server start` that later commands
  report their flow runs to (no temporary server then), stopped with its whole process group.

Every command runs in a fresh subprocess with its own PREFECT_HOME (no PREFECT_API_URL), so nothing
of the session's Prefect harness or the user's set-up is involved. These start real servers (10-30 s
each on a busy machine): marked `server`, they are left out of `make check`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.scenario_files import write_scenario

pytestmark = [pytest.mark.server, pytest.mark.slow]

SPOKEPLAN = shutil.which("spokeplan", path=str(Path(sys.executable).parent))
PATIENCE = 300  # seconds: a cold server start on a shared 2-core machine, with a wide margin


@pytest.fixture(scope="module")
def prefect_home(tmp_path_factory):
    """One PREFECT_HOME for the module: its database is created (cold) once."""
    return tmp_path_factory.mktemp("prefect-home")


def environment(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    return {
        **env,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "240",
    }


def processes_of(home: Path) -> list[psutil.Process]:
    """Every live process whose environment names this PREFECT_HOME (servers included)."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("PREFECT_HOME") == str(home) and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def temporary_server_of(command: subprocess.Popen) -> psutil.Process | None:
    """The `python -m flows.server` child of a running command, once it has one."""
    try:
        children = psutil.Process(command.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return None
    for child in children:
        try:
            if "flows.server" in child.cmdline():
                return child
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def listening(port: int) -> bool:
    return any(
        c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN for c in psutil.net_connections(kind="tcp")
    )


def wait_for(condition, what: str, timeout: float = PATIENCE):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def run_plan(tmp_path: Path, home: Path, name: str) -> tuple[subprocess.Popen, Path]:
    out = tmp_path / name
    command = subprocess.Popen(
        [SPOKEPLAN, "plan", str(write_scenario(tmp_path / f"{name}-scn")), "--out", str(out)],
        env=environment(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return command, out


def test_the_temporary_server_ends_with_the_command(tmp_path, prefect_home):
    command, out = run_plan(tmp_path, prefect_home, "normal")
    server = wait_for(lambda: temporary_server_of(command) or command.poll() is not None, "a temporary server")
    assert isinstance(server, psutil.Process), "the command ended without starting a temporary server"
    port = int(server.cmdline()[-2])
    stdout, stderr = command.communicate(timeout=PATIENCE)
    assert command.returncode == 0, stderr
    assert (out / "plan.json").exists() and "spokes placed" in stdout
    assert not server.is_running() or server.status() == psutil.STATUS_ZOMBIE
    assert not listening(port)
    assert processes_of(prefect_home) == []


def test_a_kill_9_of_the_command_does_not_leave_its_temporary_server_listening(tmp_path, prefect_home):
    command, out = run_plan(tmp_path, prefect_home, "killed")
    server = wait_for(lambda: temporary_server_of(command), "a temporary server")
    port = int(server.cmdline()[-2])
    wait_for(lambda: answers(port), "the temporary server to answer")
    os.kill(command.pid, signal.SIGKILL)  # the command only: its process group (the server) is left alone
    command.communicate(timeout=60)
    assert command.returncode == -signal.SIGKILL
    wait_for(
        lambda: not server.is_running() or server.status() == psutil.STATUS_ZOMBIE,
        "the orphaned server to end itself",
        timeout=60,
    )
    wait_for(lambda: not listening(port), "the port to close", timeout=30)
    assert processes_of(prefect_home) == []


def server_command(home: Path, *args: str) -> subprocess.CompletedProcess:
    # capture_output: a server holding this process's pipes would make this call hang (CI must not)
    return subprocess.run(
        [SPOKEPLAN, "server", *args], env=environment(home), capture_output=True, text=True, timeout=PATIENCE
    )


def test_spokeplan_server_start_status_stop(tmp_path, prefect_home):
    record_file = prefect_home / "spokeplan-server.json"
    port = free_port()
    try:
        started = server_command(prefect_home, "start", "--port", str(port))
        assert started.returncode == 0, started.stderr
        assert f"Prefect server started at http://127.0.0.1:{port}" in started.stdout
        record = json.loads(record_file.read_text())
        assert record["port"] == port and answers(port)
        leader = psutil.Process(record["pid"])
        assert os.getpgid(record["pid"]) == record["pid"] != os.getpgid(0)  # its own process group
        assert "server" in leader.cmdline() and "start" in leader.cmdline()
        again = server_command(prefect_home, "start")
        assert again.returncode == 0 and "already running" in again.stdout
        status = server_command(prefect_home, "status")
        assert f"Prefect server running at http://127.0.0.1:{port} (pid {record['pid']}" in status.stdout

        # a command now reports to it: no temporary server, and its flow run is on this server
        command, out = run_plan(tmp_path, prefect_home, "on-the-server")
        while command.poll() is None:
            assert temporary_server_of(command) is None, "a temporary server was started although one runs"
            time.sleep(0.05)
        assert command.returncode == 0, command.stderr.read()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/flow_runs/filter", data=b"{}", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            runs = json.load(response)
        assert any(
            run["state_type"] == "COMPLETED" and run["parameters"]["params"]["out_dir"] == str(out) for run in runs
        )

        stopped = server_command(prefect_home, "stop")
        assert stopped.returncode == 0 and f"Prefect server at http://127.0.0.1:{port} stopped" in stopped.stdout
        wait_for(lambda: not leader.is_running() or leader.status() == psutil.STATUS_ZOMBIE, "the server to end", 60)
        assert not record_file.exists() and not listening(port)
        assert "no server running" in server_command(prefect_home, "status").stdout
        assert "no server was started" in server_command(prefect_home, "stop").stdout
    finally:  # never leave a server behind, whatever failed above
        if record_file.exists():
            pid = json.loads(record_file.read_text())["pid"]
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    assert processes_of(prefect_home) == []

"""Atomic outputs: a `kill -9` at any point leaves every output file complete and readable.

Each test kills a child process with SIGKILL at chosen points of its writing (tests/kill_points.py):
half-way through the bytes of each file, and just after each rename or swap into place. So the
kill provably lands mid-write (the half-written file is there to see), every point of the write
sequence is covered, and the test knows exactly what must then be old and what new (a plan's files
are one set, swapped in whole: issue #19; tests/test_whole_set_writes.py kills at random moments):

* the plan writer (common.files) rewriting every plan file (both packs and the copies under OUT);
* the real `spokeplan plan` command (its flow run on the session's Prefect test server);
* the scoping refresh writing a snapshot, its reports and latest.json.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from common.files import write_files
from reporting.writers.plan_files import render_plan_files
from scoping.store.refresh import fetch, load_sources, refresh, validate
from tests.kill_points import child_code
from tests.report_fixtures import planned_plan
from tests.scenario_files import VALID, write_plan, write_scenario

pytestmark = pytest.mark.slow  # a child process per kill point: left out of `make check`

REPO = Path(__file__).resolve().parents[1]
KILLED = -signal.SIGKILL

WRITER = child_code("""
import pickle
from common.files import write_files
write_files(sys.argv[1], pickle.load(open(sys.argv[2], "rb")))
""")


def readable(out: Path) -> None:
    json.loads((out / "plan.json").read_text())
    json.loads((out / "plan.geojson").read_text())
    load_workbook(out / "plan.xlsx")
    assert (out / "report.html").read_text().rstrip().endswith("</html>")
    for name in ("allocation.csv", "coverage.csv", "spokes.csv"):
        assert (out / name).read_text().endswith("\n")


def kill_at(code: str, root: Path, point: str, index: int, *args: str, env: dict | None = None) -> None:
    """Run `code` in a child armed to kill itself at (point, index) under `root`; check that it was killed."""
    process = subprocess.run(
        [sys.executable, "-c", code, str(root), point, str(index), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert process.returncode == KILLED, (
        f"{point} {index}: not killed (exit {process.returncode}): {process.stderr[-2000:]}"
    )


def assert_old_or_new_set(out: Path, old: dict[str, bytes], new: dict[str, bytes], point: str, index: int) -> None:
    """The set is written whole into a staging folder beside `out`, then swapped in at once
    (common.files.write_files): killed while writing its k-th file, `out` still holds the whole old set
    and the staging folder holds files 0..k-1 complete and file k half-written (the kill landed
    mid-write); killed just after the swap, `out` holds the whole new set."""
    names = list(new)
    want = old if point == "write" else new
    for name in names:
        assert (out / name).read_bytes() == want[name], (
            f"{point} {index}: {name} is not the {'old' if point == 'write' else 'new'} version"
        )
    assert not list(out.glob(".*.tmp"))
    staging = list(out.parent.glob(f".{out.name}.spokeplan-new-*"))
    if point == "write":
        (folder,) = staging
        for name in names[:index]:
            assert (folder / name).read_bytes() == new[name], f"{point} {index}: staged {name} incomplete"
        assert (folder / names[index]).stat().st_size == len(new[names[index]]) // 2
        assert not any((folder / name).exists() for name in names[index + 1 :])
    readable(out)


def test_writer_killed_mid_write_of_every_file_leaves_whole_files(tmp_path):
    planned, plan = planned_plan(tmp_path / "scn")
    old = render_plan_files(planned, plan)
    new = {
        name: data + (b"\n" if name.endswith((".json", ".geojson", ".csv", ".html")) else b"")
        for name, data in old.items()
    }
    new["plan.xlsx"] = old["plan.xlsx"]
    versions = tmp_path / "new.pickle"
    versions.write_bytes(pickle.dumps(new))
    points = [("write", index) for index in range(len(new))] + [("publish", 0)]  # one swap publishes the set
    for point, index in points:
        out = tmp_path / f"{point}-{index}"
        write_files(out, old)
        kill_at(WRITER, out, point, index, str(out), str(versions))
        assert_old_or_new_set(out, old, new, point, index)
        write_files(out, new)  # the next run clears what the killed run left behind
        assert not list(out.glob(".*.tmp")) and not list(tmp_path.glob(f".{out.name}.spokeplan-*"))
        assert {name: (out / name).read_bytes() for name in new} == new


def test_plan_command_killed_mid_write_keeps_previous_outputs_readable(tmp_path, prefect_harness):
    """The real command (flows.cli.main in a fresh process, its flow run on the test server), killed
    half-way through its first file, half-way through plan.json (the last), and just after the swap."""
    from prefect.settings import get_current_settings

    old = write_plan(write_scenario(tmp_path / "first"), tmp_path / "old")
    scenario = write_scenario(tmp_path / "scn", {"areas.csv": VALID["areas.csv"].replace(",14\n", ",13\n")})
    new = write_plan(scenario, tmp_path / "new")
    assert list(new) == list(old) and list(new)[-1] == "plan.json" and old != new
    env = {**os.environ, "PREFECT_API_URL": get_current_settings().api.url}
    command = child_code("from flows.cli import main\nsys.exit(main(sys.argv[1:]))\n")
    for point, index in (("write", 0), ("write", len(new) - 1), ("publish", 0)):
        out = tmp_path / f"{point}-{index}"
        shutil.copytree(tmp_path / "old", out)
        kill_at(command, out, point, index, "plan", str(scenario), "--out", str(out), env=env)
        assert_old_or_new_set(out, old, new, point, index)


REFRESHER = child_code("""
from scoping.store.refresh import fetch, load_sources, refresh, validate
sources = load_sources(sys.argv[1])
refresh(sources, sys.argv[2], [validate(s, fetch(s.url)) for s in sources])
""")


def store_is_consistent(store: Path) -> dict:
    """latest.json names a complete snapshot whose files all match their recorded hashes; returns it."""
    latest = json.loads((store / "latest.json").read_text())
    folder = store / "snapshots" / latest["snapshot"]
    assert json.loads((folder / "manifest.json").read_text()) == latest
    for name, entry in latest["sources"].items():
        assert hashlib.sha256((store / entry["file"]).read_bytes()).hexdigest() == entry["sha256"], name
    for snapshot in (store / "snapshots").iterdir():
        if not snapshot.name.startswith("."):  # temporary folders of a killed run start with '.'
            assert (snapshot / "manifest.json").exists(), snapshot
    return latest


def test_refresh_killed_at_every_write_leaves_a_consistent_store(tmp_path):
    source_dir = write_scenario(tmp_path / "sources")
    sources_file = tmp_path / "sources.yaml"
    sources_file.write_text(
        "sources:\n"
        "  - {name: areas, url: sources/areas.csv, schema: areas}\n"
        "  - {name: authorities, url: sources/authorities.csv, schema: authorities}\n"
    )
    first = tmp_path / "first"
    sources = load_sources(sources_file)
    refresh(sources, first, [validate(s, fetch(s.url)) for s in sources])
    before = store_is_consistent(first)["snapshot"]
    (source_dir / "areas.csv").write_text(VALID["areas.csv"].replace(",14\n", ",12\n"))  # a changed source
    # The refresh writes 2 source files and the manifest into a temporary folder, publishes it as the
    # snapshot, then writes the report (.md, .json) and latest.json atomically: 6 writes, 4 publishes.
    points = [("write", i) for i in range(6)] + [("publish", i) for i in range(4)]
    for point, index in points:
        store = tmp_path / f"{point}-{index}"
        shutil.copytree(first, store)
        kill_at(REFRESHER, store, point, index, str(sources_file), str(store))
        latest = store_is_consistent(store)
        published = point == "publish" and index == 3  # killed only after latest.json was replaced
        assert (latest["snapshot"] != before) == published, (point, index)
        snapshots = {p.name for p in (store / "snapshots").iterdir() if not p.name.startswith(".")}
        assert len(snapshots) == (1 if point == "write" and index < 3 else 2), (point, index, snapshots)
        # the next refresh of a killed store completes and publishes the change
        result = refresh(sources, store, [validate(s, fetch(s.url)) for s in sources])
        assert store_is_consistent(store)["snapshot"] == (latest["snapshot"] if published else result.snapshot)

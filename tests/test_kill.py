"""Atomic outputs: a `kill -9` at any point leaves every output file complete and readable.

Two layers: the writer itself, killed at random moments while it rewrites the plan files over
and over (each file must then equal the old or the new version exactly, never a mixture), and the
real `spokeplan plan` command killed at random points of its run.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from openpyxl import load_workbook

from common.files import write_files
from reporting.writers.plan_files import render_plan_files
from tests.report_fixtures import planned_plan
from tests.scenario_files import VALID, write_scenario

WRITER = """
import pickle, sys
from common.files import write_files
versions = pickle.load(open(sys.argv[1], "rb"))
i = 0
while True:
    write_files(sys.argv[2], versions[i % 2])
    i += 1
"""


def readable(out: Path) -> None:
    json.loads((out / "plan.json").read_text())
    json.loads((out / "plan.geojson").read_text())
    load_workbook(out / "plan.xlsx")
    assert (out / "report.html").read_text().rstrip().endswith("</html>")
    for name in ("allocation.csv", "coverage.csv", "spokes.csv"):
        assert (out / name).read_text().endswith("\n")


def test_writer_killed_at_random_moments_leaves_whole_files(tmp_path):
    import pickle

    planned, plan = planned_plan(tmp_path / "scn")
    old = render_plan_files(planned, plan)
    new = {name: data + (b"\n" if name.endswith((".json", ".geojson", ".csv", ".html")) else b"") for name, data in old.items()}
    new["plan.xlsx"] = old["plan.xlsx"]
    versions = tmp_path / "versions.pickle"
    versions.write_bytes(pickle.dumps([old, new]))
    out = tmp_path / "out"
    write_files(out, old)
    rng = random.Random(7)
    kills = 20
    for _ in range(kills):
        process = subprocess.Popen([sys.executable, "-c", WRITER, str(versions), str(out)], cwd=Path(__file__).parents[1])
        time.sleep(rng.uniform(0.3, 1.2))
        process.send_signal(signal.SIGKILL)
        process.wait()
        for name in old:
            assert (out / name).read_bytes() in (old[name], new[name]), name
        readable(out)
    write_files(out, old)  # the next run clears what a killed run left behind
    assert not list(out.glob(".*.tmp"))


def test_plan_command_killed_at_random_points_keeps_previous_outputs_readable(tmp_path, prefect_harness):
    planned, plan = planned_plan(tmp_path / "first")
    out = tmp_path / "out"
    write_files(out, render_plan_files(planned, plan))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    scenario = write_scenario(tmp_path / "scn", {"areas.csv": VALID["areas.csv"].replace(",14\n", ",13\n")})
    executable = shutil.which("spokeplan", path=str(Path(sys.executable).parent))
    rng = random.Random(11)
    for delay in sorted(rng.uniform(1.0, 12.0) for _ in range(3)):
        process = subprocess.Popen([executable, "plan", str(scenario), "--out", str(out)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        readable(out)
        assert set(before) <= {p.name for p in out.iterdir() if not p.name.startswith(".")}


REFRESHER = """
import sys
from pathlib import Path
from scoping.store.refresh import fetch, load_sources, refresh, validate
sources_file, store, areas = sys.argv[1], sys.argv[2], Path(sys.argv[3])
text = areas.read_text()
i = 0
while True:  # a source that changes on every run, so every run writes a new snapshot
    areas.write_text(text.replace(",14\\n", f",{10 + i % 5}\\n"))
    sources = load_sources(sources_file)
    refresh(sources, store, [validate(s, fetch(s.url)) for s in sources])
    i += 1
"""


def store_is_consistent(store: Path) -> None:
    """latest.json names a complete snapshot whose files all match their recorded hashes."""
    import hashlib

    latest = json.loads((store / "latest.json").read_text())
    folder = store / "snapshots" / latest["snapshot"]
    assert json.loads((folder / "manifest.json").read_text()) == latest
    for name, entry in latest["sources"].items():
        assert hashlib.sha256((store / entry["file"]).read_bytes()).hexdigest() == entry["sha256"], name
    for snapshot in (store / "snapshots").iterdir():
        if not snapshot.name.startswith("."):  # temporary folders of a killed run start with '.'
            assert (snapshot / "manifest.json").exists(), snapshot


def test_refresh_killed_at_random_moments_leaves_a_consistent_store(tmp_path):
    source_dir = write_scenario(tmp_path / "sources")
    sources_file = tmp_path / "sources.yaml"
    sources_file.write_text("sources:\n"
                            "  - {name: areas, url: sources/areas.csv, schema: areas}\n"
                            "  - {name: authorities, url: sources/authorities.csv, schema: authorities}\n")
    store = tmp_path / "store"
    rng = random.Random(5)
    for _ in range(12):
        process = subprocess.Popen([sys.executable, "-c", REFRESHER, str(sources_file), str(store),
                                    str(source_dir / "areas.csv")], cwd=Path(__file__).parents[1])
        time.sleep(rng.uniform(1.0, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        if (store / "latest.json").exists():
            store_is_consistent(store)
    assert (store / "latest.json").exists(), "no refresh completed in the test's time: the kills came too early"

"""Tiny scenario directories written to disk for input, flow and CLI tests.

Places are located by British National Grid metres (easting, northing) so these tests need no
postcode look-up, except where a test sets postcodes on purpose. The geometry is a line of points
1 km apart, so every pair is within the default travel limits.
"""

from __future__ import annotations

from pathlib import Path

from common.files import write_files
from optimisation.solve import solve
from reporting.writers.plan_files import render_plan_files
from scoping.scenario.build import build_instance
from scoping.scenario.loader import load_scenario

VALID = {
    "hubs.csv": "hub_id,name,easting,northing,min_spokes,max_spokes\nHUB1,North hub,420000,560000,1,3\n",
    "hosts.csv": "host_id,name,host_type,easting,northing,authority_code,max_spokes,annual_cost,drop_in\n"
    "HOST1,Police base,police,421000,560000,E06000001,2,0,false\n"
    "HOST2,Community centre,community,422000,560000,E06000002,1,1500,true\n",
    "areas.csv": "area_id,name,authority_code,easting,northing,demand\n"
    "AREA1,Town one,E06000001,421500,560000,14\n"
    "AREA2,Town two,E06000002,422500,560000,9\n"
    "AREA3,Town three,E06000002,423000,560000,3\n",
    "authorities.csv": "authority_code,name,aim,required\n"
    "E06000001,Authority one,statutory,true\n"
    "E06000002,Authority two,preventative,false\n",
    "scenario.yaml": "caseload_min: 10\ncaseload_max: 12\nspoke_cost_per_year: 40000\n",
}


def write_scenario(directory: Path, overrides: dict[str, str | bytes | None] | None = None) -> Path:
    """Write VALID with `overrides` (None removes a file) into `directory`; return it."""
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, str | bytes | None] = {**VALID, **(overrides or {})}
    for name, content in files.items():
        if content is None:
            continue
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return directory


def write_plan(scenario_dir: Path, out_dir: Path) -> dict[str, bytes]:
    """The plan files of `scenario_dir` written into `out_dir` by the pure pipeline (no Prefect):
    an earlier run's outputs for tests that check a later run leaves them alone. Returns their bytes
    by name, in the order they are written (plan.json last)."""
    planned = build_instance(load_scenario(scenario_dir))
    files = render_plan_files(planned, solve(planned.instance))
    write_files(out_dir, files)
    return {name: (out_dir / name).read_bytes() for name in files}


def folder_bytes(out_dir: Path) -> dict[str, bytes]:
    """Every file under `out_dir` by its path relative to it (the packs' folders included, issue #17)."""
    return {p.relative_to(out_dir).as_posix(): p.read_bytes() for p in sorted(out_dir.rglob("*")) if p.is_file()}

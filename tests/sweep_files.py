"""A small two-hub scenario and a SWEEP.yaml over it, for the sweep and Dask tests (solves in well under a second)."""

from __future__ import annotations

from pathlib import Path

from tests.scenario_files import write_scenario

TWO_HUBS = {
    "hubs.csv": "hub_id,name,easting,northing,min_spokes,max_spokes\n"
    "HUB1,West hub,420000,560000,1,3\n"
    "HUB2,East hub,440000,560000,1,2\n",
    "hosts.csv": "host_id,name,host_type,easting,northing,authority_code,max_spokes,annual_cost,drop_in\n"
    "H1,Police base,police,421000,560000,E06000001,2,0,false\n"
    "H2,Community centre,community,423000,560000,E06000002,1,1500,true\n"
    "H3,Social care office,social_care,439000,560000,E06000003,2,0,false\n"
    "H4,Youth project,voluntary,441000,562000,E06000003,1,500,false\n",
    "areas.csv": "area_id,name,authority_code,easting,northing,demand\n"
    "A1,Town one,E06000001,421500,560000,14\n"
    "A2,Town two,E06000002,422500,560000,9\n"
    "A3,Town three,E06000002,430000,560000,3\n"
    "A4,Town four,E06000003,439500,560000,20\n"
    "A5,Town five,E06000003,441500,566000,8\n",
    "authorities.csv": "authority_code,name,aim,required\n"
    "E06000001,Authority one,statutory,true\n"
    "E06000002,Authority two,preventative,false\n"
    "E06000003,Authority three,both,false\n",
    # Managers and visits at £0 (issue #14 costs them by default): the sweep tests' hand figures count
    # spokes and host costs only; management costs are tested in tests/test_hub_side.py.
    "scenario.yaml": "caseload_min: 10\ncaseload_max: 12\nspoke_cost_per_year: 40000\n"
    "manager_cost_per_year: 0\nstaff_cost_per_minute: 0\n",
}

SWEEP = """\
name: Small sweep
base: scn
time_limit: 20
workers: 1
grid:
  budget_per_year: [80000, 125000, null]
  caseload: [[10, 12], [8, 12]]
variants:
  - name: east hub off
    hubs_off: [HUB2]
  - name: casework within 8 minutes
    casework_minutes: 8
  - required: [E06000001, E06000003]
marginal_spokes: 4
"""


def write_sweep(directory: Path, text: str = SWEEP, scenario: dict | None = None) -> Path:
    write_scenario(directory / "scn", {**TWO_HUBS, **(scenario or {})})
    path = directory / "sweep.yaml"
    path.write_text(text, encoding="utf-8")
    return path

"""A small planned scenario with real postcodes and hostile names, for report tests."""

from __future__ import annotations

from pathlib import Path

from optimisation.solve import solve
from scoping.scenario import build_instance, load_scenario
from tests.scenario_files import VALID, write_scenario

HOSTILE_SCRIPT = "<script>alert(1)</script> Police"
HOSTILE_FORMULA = '=HYPERLINK("http://x","y")'
POSTCODES = {"HUB1": "NE1 4LP", "HOST1": "NE46 1AA", "HOST2": "NE1 7RA"}

HUBS = "hub_id,name,postcode,min_spokes,max_spokes\nHUB1,North hub,NE1 4LP,1,3\n"
HOSTS = ("host_id,name,host_type,postcode,authority_code,max_spokes,annual_cost,drop_in\n"
         f'HOST1,"{HOSTILE_SCRIPT}",police,NE46 1AA,E06000001,2,0,false\n'
         f'HOST2,"{HOSTILE_FORMULA.replace(chr(34), chr(34) * 2)}",community,NE1 7RA,E06000002,1,1500,true\n')
AREAS = ("area_id,name,authority_code,postcode,demand\n"
         "AREA1,Town one,E06000001,NE46 3AA,14\n"
         "AREA2,Town two,E06000002,NE1 5AB,9\n"
         "AREA3,Town three,E06000002,NE2 1AA,3\n")


def planned_plan(directory: Path):
    scenario = load_scenario(write_scenario(directory, {"hubs.csv": HUBS, "hosts.csv": HOSTS, "areas.csv": AREAS,
                                                        "authorities.csv": VALID["authorities.csv"]}))
    planned = build_instance(scenario)
    return planned, solve(planned.instance)

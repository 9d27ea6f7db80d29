"""A small planned scenario at real postcodes with hostile host names, for the report tests.

Two hubs (Newcastle and Middlesbrough), four candidate hosts (one a script tag, one a spreadsheet
formula; the Berwick outreach host is too far to be used), five demand areas (one with no demand)
in two authorities. The plan is solved by the real solver, so the tests see what users see.
"""

from __future__ import annotations

from pathlib import Path

from optimisation.result import PlanResult
from optimisation.solve import solve
from scoping.scenario.build import PlannedScenario, build_instance
from scoping.scenario.loader import load_scenario
from tests.scenario_files import VALID, write_scenario

HOSTILE_SCRIPT = "<script>alert(1)</script> Police"
HOSTILE_FORMULA = '=HYPERLINK("http://x","y")'
POSTCODES = {
    "HUB1": "NE1 4LP",
    "HUB2": "TS1 4AB",
    "HOST1": "NE46 1AA",
    "HOST2": "NE1 7RA",
    "HOST3": "SR1 1SL",
    "HOST4": "TD15 2QW",
}

HUBS = "hub_id,name,postcode,min_spokes,max_spokes\nHUB1,North hub,NE1 4LP,1,3\nHUB2,South hub,TS1 4AB,2,3\n"
HOSTS = (
    "host_id,name,host_type,postcode,authority_code,max_spokes,annual_cost,drop_in\n"
    f'HOST1,"{HOSTILE_SCRIPT}",police,NE46 1AA,E06000001,2,0,false\n'
    f'HOST2,"{HOSTILE_FORMULA.replace(chr(34), chr(34) * 2)}",community,NE1 7RA,E06000002,1,1500,true\n'
    "HOST3,Social care office Sunderland,social_care,SR1 1SL,E06000002,1,0,false\n"
    "HOST4,Outreach Berwick,outreach,TD15 2QW,E06000001,1,0,false\n"
)
AREAS = (
    "area_id,name,authority_code,postcode,demand\n"
    "AREA1,Town one,E06000001,NE46 3AA,44\n"
    "AREA2,Town two,E06000002,NE1 5AB,9\n"
    "AREA3,Town three,E06000002,NE2 1AA,3\n"
    "AREA4,Town four,E06000002,SR2 7AA,4\n"
    "AREA5,Town five,E06000001,TD15 1AA,0\n"
)


def planned_plan(directory: Path) -> tuple[PlannedScenario, PlanResult]:
    """Write the scenario into `directory`, load, geocode and solve it."""
    scenario = load_scenario(
        write_scenario(
            directory,
            {"hubs.csv": HUBS, "hosts.csv": HOSTS, "areas.csv": AREAS, "authorities.csv": VALID["authorities.csv"]},
        )
    )
    planned = build_instance(scenario)
    return planned, solve(planned.instance)

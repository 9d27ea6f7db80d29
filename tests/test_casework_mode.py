"""scenario.yaml `casework_mode` (issue #16): casework by car or by public transport changes which
areas a host reaches, the plan, and what the reports say about each travel figure.

The hand instance (British National Grid metres, Newcastle upon Tyne): one hub and one host in the
city centre, an area NEAR 3 km east and an area FAR 22 km north (towards Morpeth). With the shipped
estimate and postcode density grid:

    pair              car (host -> area)   public transport (area -> host)
    HOST1 - NEAR       9 min                22 min
    HOST1 - FAR       34 min                71 min

so at the default 45-minute casework limit the car reaches both areas and the bus only NEAR; with
`casework_minutes_public_transport: 75` the bus reaches FAR too. travel_times.csv gives the hub ->
host supervision time (measured, car) and a routed bus time NEAR -> HOST1 of 30 minutes.
"""

from __future__ import annotations

import csv
import json

import pytest

from common.errors import InputError
from optimisation.solve import solve
from reporting.views.scoping import report_file_name
from reporting.writers.plan_files import render_plan_files
from reporting.writers.scoping import render_scoping_files
from scoping.analysis.profiles import build_profiles
from scoping.analysis.recommendations import recommendations
from scoping.scenario.build import build_instance
from scoping.scenario.geocode import load_density_grid
from scoping.scenario.loader import load_scenario
from scoping.scenario.settings import ScenarioRules, default_settings
from scoping.scenario.travel_estimate import Place, minutes_between
from tests.scenario_files import write_scenario

HUB, HOST, NEAR, FAR = (425500, 564500), (424800, 564300), (427800, 564300), (420000, 586000)
FILES = {
    "hubs.csv": f"hub_id,name,easting,northing,min_spokes,max_spokes\nHUB1,City hub,{HUB[0]},{HUB[1]},1,3\n",
    "hosts.csv": "host_id,name,host_type,easting,northing,authority_code,max_spokes\n"
    f"HOST1,City police,police,{HOST[0]},{HOST[1]},E06000001,2\n",
    "areas.csv": "area_id,name,authority_code,easting,northing,demand\n"
    f"NEAR,East of the centre,E06000001,{NEAR[0]},{NEAR[1]},10\n"
    f"FAR,North of the city,E06000001,{FAR[0]},{FAR[1]},12\n",
    "authorities.csv": "authority_code,name,aim\nE06000001,City,both\n",
    "travel_times.csv": "from_id,to_id,minutes,mode,source\n"
    "HUB1,HOST1,12,car,measured\n"
    "NEAR,HOST1,30,public_transport,routed\n",
}
RULES = "caseload_min: 10\ncaseload_max: 12\nspoke_cost_per_year: 40000\n"


def planned_in(tmp_path, rules: str):
    return build_instance(load_scenario(write_scenario(tmp_path, {**FILES, "scenario.yaml": RULES + rules})))


def test_the_hand_figures_are_the_shipped_estimate():
    grid = load_density_grid()
    host, near, far = Place("HOST1", *HOST), Place("NEAR", *NEAR), Place("FAR", *FAR)
    assert minutes_between([host, host], [near, far], "car", grid).tolist() == [9, 34]
    assert minutes_between([near, far], [host, host], "public_transport", grid).tolist() == [22, 71]


def test_defaults_live_in_the_settings_model():
    rules = default_settings()
    assert (rules.casework_mode, rules.casework_minutes_public_transport, rules.casework_limit) == ("car", None, 45)
    bus = ScenarioRules.model_validate({**rules.model_dump(), "casework_mode": "public_transport"})
    assert bus.casework_limit == 45  # no separate limit given: casework_minutes applies
    bus75 = bus.model_copy(update={"casework_minutes_public_transport": 75})
    assert bus75.casework_limit == 75 and bus75.with_casework_limit(80).casework_minutes_public_transport == 80
    assert rules.with_casework_limit(50).casework_minutes == 50


def test_car_reaches_both_areas_and_supervision_uses_the_measured_time(tmp_path):
    planned = planned_in(tmp_path, "")
    inst = planned.instance
    assert dict(inst.casework_minutes) == {("HOST1", "FAR"): 34, ("HOST1", "NEAR"): 9}
    assert dict(inst.supervision_minutes) == {("HUB1", "HOST1"): 12}
    assert planned.travel_source(("HUB1", "HOST1")) == "measured"
    assert planned.travel_source(("HOST1", "NEAR")) == "estimated"  # the routed time is by bus, not by car
    assert inst.rules.casework_minutes == 45


def test_public_transport_reaches_only_near_and_a_wider_limit_reaches_far(tmp_path):
    planned = planned_in(tmp_path / "bus", "casework_mode: public_transport\n")
    assert dict(planned.instance.casework_minutes) == {("HOST1", "NEAR"): 30}  # the routed bus time
    assert planned.travel_source(("HOST1", "NEAR")) == "routed"
    assert dict(planned.instance.supervision_minutes) == {("HUB1", "HOST1"): 12}  # supervision stays by car
    wider = planned_in(tmp_path / "bus75", "casework_mode: public_transport\ncasework_minutes_public_transport: 75\n")
    assert dict(wider.instance.casework_minutes) == {("HOST1", "FAR"): 71, ("HOST1", "NEAR"): 30}
    assert wider.instance.rules.casework_minutes == 75  # the checker and the reports see the mode's limit
    # the car limit is not the bus limit: 75 for the bus leaves the car at its 45
    car = planned_in(tmp_path / "car75", "casework_minutes_public_transport: 75\n")
    assert car.instance.rules.casework_minutes == 45


def test_bad_mode_is_a_located_input_error(tmp_path):
    with pytest.raises(InputError) as error:
        planned_in(tmp_path, "casework_mode: bus\n")
    (problem,) = error.value.problems
    assert (problem.line, problem.column) == (4, "casework_mode")
    assert "'car' or 'public_transport'" in problem.message


@pytest.fixture(scope="module")
def both_plans(tmp_path_factory):
    plans = {}
    for mode in ("car", "public_transport"):
        planned = planned_in(tmp_path_factory.mktemp(mode), f"casework_mode: {mode}\n")
        plans[mode] = (planned, solve(planned.instance))
    return plans


def test_the_plan_covers_what_the_mode_reaches(both_plans):
    car_plan, bus_plan = both_plans["car"][1], both_plans["public_transport"][1]
    assert (car_plan.objective, car_plan.spokes_total) == (22, 2)
    assert (bus_plan.objective, bus_plan.spokes_total) == (10, 1)


def test_plan_files_name_the_mode_and_the_source_of_each_time(both_plans):
    planned, plan = both_plans["public_transport"]
    files = render_plan_files(planned, plan)
    allocation = list(csv.DictReader(files["allocation.csv"].decode().splitlines()))
    assert [(r["area_id"], r["casework_minutes"], r["casework_mode"], r["casework_source"]) for r in allocation] == [
        ("NEAR", "30", "public_transport", "routed")
    ]
    spokes = list(csv.DictReader(files["spokes.csv"].decode().splitlines()))
    assert [(r["supervision_minutes"], r["supervision_source"]) for r in spokes] == [("12", "measured")]
    document = json.loads(files["plan.json"])
    assert document["rules"]["casework_mode"] == "public_transport" and document["rules"]["casework_minutes"] == 45
    assert document["travel_sources"] == {"casework": {"routed": 1}, "supervision": {"measured": 1}}
    html = files["report.html"].decode()
    assert "Casework travel limit (by public transport, area to host)</th><td>45 min" in html
    assert "Travel times of the plan&#39;s casework journeys</th><td>routed for 1 of 1" in html
    assert "Travel times of the plan&#39;s supervision journeys</th><td>measured for 1 of 1" in html
    car_files = render_plan_files(*both_plans["car"])
    car_html = car_files["report.html"].decode()
    assert "Casework travel limit (by car, host to area)</th><td>45 min" in car_html
    assert "casework journeys</th><td>estimated for all 2" in car_html


def test_scoping_report_names_the_mode_and_the_sources(both_plans):
    for mode, words, reach in (
        ("car", "by car (host → area)", "100%"),
        ("public_transport", "by public transport (area → host)", "45%"),
    ):
        planned, _ = both_plans[mode]
        profiles = build_profiles(planned)
        (profile,) = profiles
        advice = {p.code: recommendations(p, planned.scenario.rules.casework_limit, 90, 12) for p in profiles}
        page = render_scoping_files(planned, profiles, advice)[report_file_name("E06000001")].decode()
        assert f"Median travel to the nearest candidate host, {words}" in page
        assert f'{reach}</div><div class="label">of demand within 45 min of a candidate host by ' in page
        assert "(times measured for 1 host)" in page  # the hub -> host time is measured
    # by bus: NEAR's nearest-host time is the routed one, FAR's the estimate; hours are young people's
    assert profile.geography.sources_area_to_host == {"estimated": 1, "routed": 1}
    assert profile.geography.median_minutes_area_to_host == (30 + 71) / 2
    assert "(times estimated for 1 area, routed for 1)" in page
    assert "hours of young people&#39;s travel, z miles, z mileage" in page

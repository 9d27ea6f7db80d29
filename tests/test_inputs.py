"""Input validation at the boundary: each broken scenario gives `error: FILE:LINE: COLUMN: ...`."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import InputError
from scoping.scenario.build import build_instance, estimate_demand
from scoping.scenario.loader import load_scenario
from tests.scenario_files import VALID, write_scenario


def problems_for(tmp_path: Path, overrides: dict) -> list[str]:
    directory = write_scenario(tmp_path / "scn", overrides)
    with pytest.raises(InputError) as caught:
        load_scenario(directory)
    return [str(p) for p in caught.value.problems]


def test_valid_scenario_loads_with_defaults_and_hashes(tmp_path):
    scenario = load_scenario(write_scenario(tmp_path / "scn"))
    hub = scenario.hubs.rows[0].value
    assert (hub.min_spokes, hub.max_spokes, hub.managers, hub.manager_span) == (1, 3, 1, 5)
    assert scenario.rules.caseload_min == 10 and scenario.rules.casework_minutes == 45
    assert scenario.rules.spoke_cost_per_year == 40000
    assert set(scenario.inputs_sha256) == set(VALID)
    assert all(len(h) == 64 for h in scenario.inputs_sha256.values())
    assert scenario.areas.rows[2].line == 4  # header is line 1


def test_hash_changes_when_a_file_changes(tmp_path):
    first = load_scenario(write_scenario(tmp_path / "a")).inputs_sha256
    changed = VALID["areas.csv"].replace(",14\n", ",15\n")
    second = load_scenario(write_scenario(tmp_path / "b", {"areas.csv": changed})).inputs_sha256
    assert first["areas.csv"] != second["areas.csv"] and first["hubs.csv"] == second["hubs.csv"]


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"hubs.csv": None}, "hubs.csv:0: -: required file is missing"),
        (
            {"areas.csv": VALID["areas.csv"].replace(",14\n", ",lots\n")},
            "areas.csv:2: demand: expected a whole number, got 'lots'",
        ),
        (
            {"areas.csv": VALID["areas.csv"].replace(",14\n", ",-4\n")},
            "areas.csv:2: demand: expected at least 0, got '-4'",
        ),
        (
            {"hosts.csv": VALID["hosts.csv"].replace("police,", "church,")},
            "hosts.csv:2: host_type: expected one of 'police', 'social_care', 'multi_agency', 'community', "
            "'voluntary' or 'outreach', got 'church'",
        ),
        (
            {"hosts.csv": VALID["hosts.csv"].replace(",true\n", ",maybe\n")},
            "hosts.csv:3: drop_in: expected true or false, got 'maybe'",
        ),
        (
            {"areas.csv": VALID["areas.csv"].replace("area_id,name", "area_id,title")},
            "areas.csv:1: title: unknown column",
        ),
        (
            {
                "areas.csv": VALID["areas.csv"]
                .replace("area_id,name,", "area_id,")
                .replace("AREA1,Town one,", "AREA1,")
                .replace("AREA2,Town two,", "AREA2,")
                .replace("AREA3,Town three,", "AREA3,")
            },
            "areas.csv:1: name: required column is missing",
        ),
        (
            {"areas.csv": VALID["areas.csv"] + "AREA4,Town four,E06000002,423000\n"},
            "areas.csv:5: -: row has 4 fields but the header has 6",
        ),
        (
            {"areas.csv": VALID["areas.csv"].replace(",", ";")},
            "areas.csv:1: -: columns are separated by ';'; expected commas",
        ),
        ({"areas.csv": ""}, "areas.csv:1: -: file is empty"),
        ({"areas.csv": b"PK\x03\x04rest-of-a-zip"}, "areas.csv:1: -: this is an Excel workbook"),
        ({"areas.csv": VALID["areas.csv"].encode("utf-16")}, "areas.csv:1: -: this file is UTF-16 text"),
        (
            {"areas.csv": VALID["areas.csv"].replace("Town two", "Town tw\xf6").encode("latin-1")},
            "areas.csv:3: -: byte 0xf6 is not UTF-8 text",
        ),
        (
            {"areas.csv": VALID["areas.csv"] + "AREA1,Again,E06000001,421500,560000,1\n"},
            "areas.csv:5: area_id: 'AREA1' is used twice (first on line 2)",
        ),
        (
            {"areas.csv": VALID["areas.csv"].replace("E06000002,422500", "E06000099,422500")},
            "areas.csv:3: authority_code: E06000099 is not listed in authorities.csv",
        ),
        (
            {"areas.csv": VALID["areas.csv"].replace("E06000002,422500", "Leeds,422500")},
            "areas.csv:3: authority_code: has characters or a form not allowed here, got 'Leeds'",
        ),
        ({"hosts.csv": VALID["hosts.csv"].replace("HOST2", "AREA1")}, "areas.csv:2: area_id: 'AREA1' is also an id in"),
        ({"areas.csv": VALID["areas.csv"].replace("421500,560000,14", ",,14")}, "areas.csv:2: postcode: no location"),
        (
            {"hubs.csv": "hub_id,name,postcode,easting,northing\nHUB1,North hub,NE1 4LP,420000,560000\n"},
            "hubs.csv:2: postcode: give either postcode or easting and northing, not both",
        ),
        (
            {"hubs.csv": VALID["hubs.csv"].replace(",1,3\n", ",4,3\n")},
            "hubs.csv:2: -: min_spokes 4 is more than max_spokes 3",
        ),
        ({"hubs.csv": VALID["hubs.csv"].replace("HUB1", "../etc")}, "hubs.csv:2: hub_id: has characters"),
        (
            {"hosts.csv": VALID["hosts.csv"].replace(",2,0,false", ",2,1e99,false")},
            "hosts.csv:2: annual_cost: expected at most 100000000",
        ),
        (
            {
                "areas.csv": "area_id,name,authority_code,easting,northing,demand,date_of_birth\n"
                "AREA1,Town one,E06000001,421500,560000,14,2010-01-01\n"
            },
            "areas.csv:1: date_of_birth: looks like person-level data",
        ),
        (
            {"areas.csv": VALID["areas.csv"].replace("demand", "x_nhs_number")},
            "x_nhs_number: looks like person-level data",
        ),
        (
            {"areas.csv": VALID["areas.csv"].replace(",9\n", ",\n")},
            "areas.csv:3: demand: is empty and cannot be estimated",
        ),
        (
            {"travel_times.csv": "from_id,to_id,minutes\nHOST1,AREA9,20\n"},
            "travel_times.csv:2: to_id: 'AREA9' is not a hub, host or area id",
        ),
        (
            {"travel_times.csv": "from_id,to_id,minutes\nHOST1,AREA1,20\nHOST1,AREA1,25\n"},
            "travel_times.csv:3: from_id: pair HOST1 -> AREA1 is listed twice (first on line 2)",
        ),
        (
            {"existing_spokes.csv": "hub_id,host_id,count\nHUB9,HOST1,1\n"},
            "existing_spokes.csv:2: hub_id: 'HUB9' is not in hubs.csv",
        ),
        (
            {
                "hosts.csv": VALID["hosts.csv"]
                .replace("drop_in\n", "drop_in,status\n")
                .replace(",false\n", ",false,\n")
                .replace(",true\n", ",true,banish\n")
            },
            "hosts.csv:3: status: expected one of 'candidate', 'locked' or 'banned', got 'banish'",
        ),
        (
            {
                "hosts.csv": VALID["hosts.csv"]
                .replace("drop_in\n", "drop_in,status\n")
                .replace(",false\n", ",false,banned\n")
                .replace(",true\n", ",true,\n"),
                "existing_spokes.csv": "hub_id,host_id,count\nHUB1,HOST1,1\n",
            },
            "existing_spokes.csv:2: host_id: host HOST1 has spokes in post but is banned in hosts.csv (line 2); set its "
            "status to candidate or locked, or remove this row",
        ),
        (
            {"existing_spokes.csv": "hub_id,host_id,count\nHUB1,HOST1,0\n"},
            "existing_spokes.csv:2: count: expected at least 1, got '0'",
        ),
        (
            {"scenario.yaml": "caseload_min: 10\ncaseload_max: 8\n"},
            "scenario.yaml:1: caseload_min: caseload_min 10 is more than caseload_max 8 (caseload_min on line 1, "
            "caseload_max on line 2)",
        ),
        (
            {"scenario.yaml": "caseload_min: 10\ncasework_minutes: fast\n"},
            "scenario.yaml:2: casework_minutes: expected a whole number, got 'fast'",
        ),
        ({"scenario.yaml": "caseload_min: 10\nbudgett: 5\n"}, "scenario.yaml:2: budgett: unknown rule"),
        ({"scenario.yaml": "caseload_min: [10\n"}, "scenario.yaml:2: -: not valid YAML"),
        (
            {"scenario.yaml": "priorities: [travel, coverage]\n"},
            "scenario.yaml:1: priorities: priorities must start with coverage",
        ),
    ],
)
def test_broken_input_is_reported_with_file_line_and_column(tmp_path, overrides, expected):
    messages = problems_for(tmp_path, overrides)
    assert any(expected in m for m in messages), messages
    assert all(m.startswith("error: ") for m in messages)


def test_every_problem_is_reported_in_one_pass(tmp_path):
    areas = VALID["areas.csv"].replace(",14\n", ",x\n").replace(",9\n", ",-1\n")
    hosts = VALID["hosts.csv"].replace("police,", "church,")
    messages = problems_for(tmp_path, {"areas.csv": areas, "hosts.csv": hosts})
    assert len(messages) == 3, messages


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    directory = write_scenario(tmp_path / "scn", {"areas.csv": b"\xef\xbb\xbf" + VALID["areas.csv"].encode()})
    assert len(load_scenario(directory).areas.rows) == 3


def test_note_columns_are_kept(tmp_path):
    areas = (
        VALID["areas.csv"]
        .replace("demand\n", "demand,x_comment\n")
        .replace(",14\n", ",14,checked\n")
        .replace(",9\n", ",9,\n")
        .replace(",3\n", ",3,\n")
    )
    scenario = load_scenario(write_scenario(tmp_path / "scn", {"areas.csv": areas}))
    assert scenario.areas.rows[0].notes == (("x_comment", "checked"),)


def test_missing_scenario_yaml_means_defaults(tmp_path):
    scenario = load_scenario(write_scenario(tmp_path / "scn", {"scenario.yaml": None}))
    assert (scenario.rules.caseload_min, scenario.rules.caseload_max, scenario.rules.supervision_minutes) == (
        10,
        12,
        90,
    )


def test_demand_estimate_rounds_half_up():
    # 2,500 young people at 30 per 10,000 -> 7.5 -> 8 cases at a time
    assert estimate_demand(2_500, 30) == 8
    assert estimate_demand(2_499, 30) == 7
    assert estimate_demand(0, 30) == 0


def test_unknown_and_terminated_postcodes_are_input_errors_with_their_line(tmp_path):
    from scoping.scenario.build import build_instance

    hosts = (
        "host_id,name,host_type,postcode,authority_code\n"
        "HOST1,Police base,police,NE1 4LP,E06000001\n"
        "HOST2,Community centre,community,NE99 9ZZ,E06000002\n"
        "HOST3,Drop-in,community,N10 9AD,E06000002\n"
        "HOST4,Youth club,voluntary,not-a-postcode,E06000002\n"
    )
    scenario = load_scenario(write_scenario(tmp_path / "scn", {"hosts.csv": hosts}))
    with pytest.raises(InputError) as caught:
        build_instance(scenario)
    messages = [str(p) for p in caught.value.problems]
    assert any(
        m.endswith("hosts.csv:3: postcode: 'NE99 9ZZ': unknown postcode: not in the ONS Postcode Directory")
        for m in messages
    ), messages
    assert any("hosts.csv:4: postcode: 'N10 9AD': terminated or non-geographic postcode" in m for m in messages)
    assert any("hosts.csv:5: postcode: 'not-a-postcode': not a postcode" in m for m in messages)
    assert len(messages) == 3


def test_host_authority_comes_from_its_postcode_when_not_given(tmp_path):
    from scoping.scenario.build import build_instance

    hosts = (
        "host_id,name,host_type,postcode,authority_code\n"
        "HOST1,Police base,police,ne46 1aa,\n"  # Hexham: Northumberland
        "HOST2,Community centre,community,NE1 4LP,E06000002\n"
    )  # given code wins
    authorities = VALID["authorities.csv"] + "E06000057,Northumberland,both,false\n"
    planned = build_instance(
        load_scenario(write_scenario(tmp_path / "scn", {"hosts.csv": hosts, "authorities.csv": authorities}))
    )
    by_id = {h.host_id: h for h in planned.instance.hosts}
    assert by_id["HOST1"].authority_code == "E06000057"
    assert by_id["HOST2"].authority_code == "E06000002"
    assert planned.locations["HOST1"].postcode == "NE46 1AA"


def test_host_status_defaults_to_candidate_and_reaches_the_instance(tmp_path):
    # hosts.csv `status` (issue #18): empty or absent is candidate; a banned host is out of supervision reach.
    plain = build_instance(load_scenario(write_scenario(tmp_path / "plain"))).instance
    assert [h.status for h in plain.hosts] == ["candidate", "candidate"]
    assert {host for (_, host) in plain.supervision_minutes} == {"HOST1", "HOST2"}
    hosts = (
        VALID["hosts.csv"]
        .replace("drop_in\n", "drop_in,status\n")
        .replace(",false\n", ",false,locked\n")
        .replace(",true\n", ",true,banned\n")
    )
    inst = build_instance(load_scenario(write_scenario(tmp_path / "status", {"hosts.csv": hosts}))).instance
    assert [(h.host_id, h.status) for h in inst.hosts] == [("HOST1", "locked"), ("HOST2", "banned")]
    assert {host for (_, host) in inst.supervision_minutes} == {"HOST1"}

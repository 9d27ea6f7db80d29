"""The bad-input corpus: every broken scenario ends in exit 2 with `error: FILE:LINE: COLUMN: ...`
lines, never a traceback, and leaves the previous plan's files untouched.

Each case is run through the real command line (`spokeplan plan`, in-process) against an output
folder that already holds a plan. Bad input is refused by the command's plain-Python check (the
loader: flows/checks.py) before any Prefect flow run, so no Prefect server is involved; under
`make check` PREFECT_API_URL points at a closed port, so a case that reached a flow would fail.
"""

from __future__ import annotations

import re

import pytest

from flows.cli import main
from tests.scenario_files import VALID, folder_bytes, write_plan, write_scenario

LINE = re.compile(r"^error: \S.*:\d+: [^:]+: .+$")
H, HO, A, AU = VALID["hubs.csv"], VALID["hosts.csv"], VALID["areas.csv"], VALID["authorities.csv"]

CORPUS: dict[str, tuple[dict, str]] = {
    "missing hubs file": ({"hubs.csv": None}, "hubs.csv:0: -: required file is missing"),
    "missing hosts file": ({"hosts.csv": None}, "hosts.csv:0: -: required file is missing"),
    "missing areas file": ({"areas.csv": None}, "areas.csv:0: -: required file is missing"),
    "missing authorities file": ({"authorities.csv": None}, "authorities.csv:0: -: required file is missing"),
    "missing required column": (
        {"hubs.csv": "hub_id,easting,northing\nHUB1,420000,560000\n"},
        "hubs.csv:1: name: required column is missing",
    ),
    "unknown column": ({"hubs.csv": H.replace("min_spokes", "minimum")}, "hubs.csv:1: minimum: unknown column"),
    "empty file": ({"hosts.csv": ""}, "hosts.csv:1: -: file is empty"),
    "header only": ({"hubs.csv": H.splitlines()[0] + "\n"}, "hubs.csv:1: -: no hubs listed"),
    "wrong type": ({"areas.csv": A.replace(",14\n", ",fourteen\n")}, "areas.csv:2: demand: expected a whole number"),
    "fractional count": ({"areas.csv": A.replace(",14\n", ",14.5\n")}, "areas.csv:2: demand: expected a whole number"),
    "wrong boolean": (
        {"hosts.csv": HO.replace(",true\n", ",yes please\n")},
        "hosts.csv:3: drop_in: expected true or false",
    ),
    "negative demand": ({"areas.csv": A.replace(",14\n", ",-14\n")}, "areas.csv:2: demand: expected at least 0"),
    "absurd demand": ({"areas.csv": A.replace(",14\n", ",5000000\n")}, "areas.csv:2: demand: expected at most 100000"),
    "huge cost": ({"hosts.csv": HO.replace(",1500,", ",1e300,")}, "hosts.csv:3: annual_cost: expected at most"),
    "infinite cost": ({"hosts.csv": HO.replace(",1500,", ",inf,")}, "hosts.csv:3: annual_cost:"),
    "caseload min over max": (
        {"scenario.yaml": "caseload_min: 13\ncaseload_max: 12\n"},
        "scenario.yaml:1: caseload_min: caseload_min 13 is more than caseload_max 12 "
        "(caseload_min on line 1, caseload_max on line 2)",
    ),
    "duplicate id": (
        {"hosts.csv": HO + "HOST1,Again,police,421000,560000,E06000001,1,0,false\n"},
        "hosts.csv:4: host_id: 'HOST1' is used twice",
    ),
    "id shared across files": ({"areas.csv": A.replace("AREA3", "HUB1")}, "areas.csv:4: area_id: 'HUB1' is also an id"),
    "unknown authority": (
        {"areas.csv": A.replace("E06000002,422500", "E06000099,422500")},
        "areas.csv:3: authority_code: E06000099 is not listed in authorities.csv",
    ),
    "unknown travel place": (
        {"travel_times.csv": "from_id,to_id,minutes\nHOST1,NOWHERE,5\n"},
        "travel_times.csv:2: to_id: 'NOWHERE' is not a hub, host or area id",
    ),
    "duplicate travel pair": (
        {"travel_times.csv": "from_id,to_id,minutes\nHOST1,AREA1,5\nHOST1,AREA1,6\n"},
        "travel_times.csv:3: from_id: pair HOST1 -> AREA1 is listed twice",
    ),
    "absurd minutes": (
        {"travel_times.csv": "from_id,to_id,minutes\nHOST1,AREA1,100000\n"},
        "travel_times.csv:2: minutes: expected at most 1440",
    ),
    "unknown existing hub": (
        {"existing_spokes.csv": "hub_id,host_id,count\nHUBX,HOST1,1\n"},
        "existing_spokes.csv:2: hub_id: 'HUBX' is not in hubs.csv",
    ),
    "unknown existing host": (
        {"existing_spokes.csv": "hub_id,host_id,count\nHUB1,HOSTX,1\n"},
        "existing_spokes.csv:2: host_id: 'HOSTX' is not in hosts.csv",
    ),
    "zero existing count": (
        {"existing_spokes.csv": "hub_id,host_id,count\nHUB1,HOST1,0\n"},
        "existing_spokes.csv:2: count: expected at least 1",
    ),
    "unknown postcode": (
        {"hubs.csv": "hub_id,name,postcode\nHUB1,North hub,NE99 9ZZ\n"},
        "hubs.csv:2: postcode: 'NE99 9ZZ': unknown postcode",
    ),
    "terminated postcode": (
        {"hubs.csv": "hub_id,name,postcode\nHUB1,North hub,N10 9AD\n"},
        "hubs.csv:2: postcode: 'N10 9AD': terminated or non-geographic postcode",
    ),
    "malformed postcode": (
        {"hubs.csv": "hub_id,name,postcode\nHUB1,North hub,NOT A CODE\n"},
        "hubs.csv:2: postcode: 'NOT A CODE': not a postcode",
    ),
    "UTF-16 with byte-order mark": ({"hubs.csv": H.encode("utf-16")}, "hubs.csv:1: -: this file is UTF-16 text"),
    "Latin-1 text": (
        {"areas.csv": A.replace("Town two", "Town tw\xf6").encode("latin-1")},
        "areas.csv:3: -: byte 0xf6 is not UTF-8 text",
    ),
    "semicolon separated": ({"hubs.csv": H.replace(",", ";")}, "hubs.csv:1: -: columns are separated by ';'"),
    "tab separated": ({"hubs.csv": H.replace(",", "\t")}, "hubs.csv:1: -: columns are separated by tabs"),
    "xlsx renamed .csv": ({"hubs.csv": b"PK\x03\x04\x14\x00\x06\x00"}, "hubs.csv:1: -: this is an Excel workbook"),
    "xls renamed .csv": (
        {"hubs.csv": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00"},
        "hubs.csv:1: -: this is an Excel workbook",
    ),
    "NUL bytes": ({"hubs.csv": H.encode() + b"\x00\x00"}, "hubs.csv:3: -: contains NUL bytes"),
    "short ragged row": (
        {"areas.csv": A + "AREA4,Town four\n"},
        "areas.csv:5: -: row has 2 fields but the header has 6",
    ),
    "long ragged row": ({"areas.csv": A + "AREA4,Town four,E06000001,1,2,3,4,5\n"}, "areas.csv:5: -: row has 8 fields"),
    "broken quoting": (
        {"areas.csv": A + 'AREA4,"Town "four,E06000001,1,2,3\n'},
        "areas.csv:5: -: not a well-formed CSV file",
    ),
    "formula injection in an id": (
        {"hosts.csv": HO.replace("HOST2", '=HYPERLINK("http://x")')},
        "hosts.csv:3: host_id: has characters or a form not allowed here",
    ),
    "formula injection in a number": (
        {"areas.csv": A.replace(",14\n", ",=1+13\n")},
        "areas.csv:2: demand: expected a whole number",
    ),
    "path trick in an id": ({"hubs.csv": H.replace("HUB1", "../../etc/passwd")}, "hubs.csv:2: hub_id: has characters"),
    "control characters in a name": (
        {"hubs.csv": H.replace("North hub", "North\x07hub")},
        "hubs.csv:2: name: has characters",
    ),
    "date of birth column": (
        {"areas.csv": A.replace("demand\n", "demand,dob\n").replace("\n", ",\n").replace("dob,\n", "dob\n")},
        "areas.csv:1: dob: looks like person-level data",
    ),
    "NHS number column": (
        {"areas.csv": A.replace("name,", "nhs_number,")},
        "areas.csv:1: nhs_number: looks like person-level data",
    ),
    "address column": (
        {"areas.csv": A.replace("name,", "address_line1,")},
        "areas.csv:1: address_line1: looks like person-level data",
    ),
    "case reference column": (
        {"areas.csv": A.replace("name,", "case_ref,")},
        "areas.csv:1: case_ref: looks like person-level data",
    ),
    "child name column": (
        {"areas.csv": A.replace("name,", "child_name,")},
        "areas.csv:1: child_name: looks like person-level data",
    ),
    "YAML syntax error": ({"scenario.yaml": "caseload_min: [10\n"}, "scenario.yaml:2: -: not valid YAML"),
    "YAML unknown rule": (
        {"scenario.yaml": "caseload_minimum: 10\n"},
        "scenario.yaml:1: caseload_minimum: unknown rule",
    ),
    "YAML wrong type": (
        {"scenario.yaml": "budget_per_year: lots\n"},
        "scenario.yaml:1: budget_per_year: expected a number",
    ),
    "YAML not a mapping": ({"scenario.yaml": "- 10\n- 12\n"}, "scenario.yaml:1: -: expected a mapping"),
    "priorities without coverage first": (
        {"scenario.yaml": "priorities: [host_fit, coverage]\n"},
        "scenario.yaml:1: priorities: priorities must start with coverage",
    ),
    "hub min over max": (
        {"hubs.csv": H.replace(",1,3\n", ",5,3\n")},
        "hubs.csv:2: -: min_spokes 5 is more than max_spokes 3",
    ),
    "postcode and grid both": (
        {"hubs.csv": "hub_id,name,postcode,easting,northing\nHUB1,Hub,NE1 4LP,1,2\n"},
        "hubs.csv:2: postcode: give either postcode or easting and northing",
    ),
    "no location": ({"hubs.csv": "hub_id,name,easting,northing\nHUB1,Hub,,\n"}, "hubs.csv:2: postcode: no location"),
    "easting off the grid": (
        {"hubs.csv": H.replace("420000,560000", "9420000,560000")},
        "hubs.csv:2: easting: easting 9,420,000, northing 560,000 is outside Great Britain",
    ),
    "invalid GSS code": (
        {"authorities.csv": AU.replace("E06000002", "Leeds")},
        "authorities.csv:3: authority_code: has characters",
    ),
    "demand not estimable": (
        {"areas.csv": A.replace(",14\n", ",\n")},
        "areas.csv:2: demand: is empty and cannot be estimated",
    ),
    "unknown host type": ({"hosts.csv": HO.replace("police,", "church,")}, "hosts.csv:2: host_type: expected one of"),
    "empty header name": ({"hubs.csv": H.replace("min_spokes", "")}, "hubs.csv:1: column 5: header is empty"),
}


def test_the_corpus_is_large_and_distinct():
    assert len(CORPUS) >= 40
    assert len({expected for _, expected in CORPUS.values()}) >= 40


@pytest.fixture(scope="module")
def previous_plan(tmp_path_factory):
    out = tmp_path_factory.mktemp("previous") / "out"
    before = write_plan(write_scenario(tmp_path_factory.mktemp("ok") / "scn"), out)
    assert {"plan.json", "internal/plan.json", "public/plan.json"} <= set(before) and len(before) == 24
    return out, before


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_broken_scenario_exits_2_with_located_errors(case, tmp_path, capsys, previous_plan):
    overrides, expected = CORPUS[case]
    out, before = previous_plan
    capsys.readouterr()
    code = main(["plan", str(write_scenario(tmp_path / "scn", overrides)), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    lines = captured.err.strip().splitlines()
    assert lines and all(LINE.match(line) for line in lines), lines
    assert any(expected in line for line in lines), (expected, lines)
    assert "Traceback" not in captured.err + captured.out
    assert folder_bytes(out) == before

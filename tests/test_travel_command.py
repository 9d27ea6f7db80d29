"""`spokeplan travel` and `spokeplan travel import` through the real command line (flows.cli.main):
exit codes, messages, the files written, and that neither needs Prefect."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from flows.cli import main
from scoping.scenario.build import build_instance
from scoping.scenario.geocode import PostcodeLookup, load_density_grid
from scoping.scenario.loader import load_scenario
from scoping.scenario.travel_estimate import Place, minutes_between
from tests.scenario_files import write_scenario

REPO = Path(__file__).resolve().parents[1]
ROUTERS = REPO / "tests" / "data" / "routers"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def estimate(postcode_from: str, postcode_to: str, mode: str) -> int:
    """The shipped estimate between two postcodes, computed here from the formula module directly."""
    found = PostcodeLookup().lookup([postcode_from, postcode_to])
    a, b = (Place(code, found[code].easting, found[code].northing) for code in (postcode_from, postcode_to))
    return int(minutes_between([a], [b], mode, load_density_grid())[0])


# --- spokeplan travel PAIRS.csv ---------------------------------------------------------------------


def test_postcode_pairs_get_both_modes_estimated(tmp_path, capsys):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("from,to,x_why\nNE1 4LP,ne611aa,Morpeth\nNE1 4LP,TS24 7AA,Hartlepool\nNE1 4LP,NE1 4LP,same\n")
    out = tmp_path / "out.csv"
    assert main(["travel", str(pairs), "--out", str(out)]) == 0
    got = rows(out)
    assert list(got[0]) == [
        "from",
        "to",
        "car_minutes",
        "public_transport_minutes",
        "source",
        "public_transport_source",
        "x_why",
    ]
    assert [(r["from"], r["to"], r["x_why"]) for r in got] == [
        ("NE1 4LP", "ne611aa", "Morpeth"),
        ("NE1 4LP", "TS24 7AA", "Hartlepool"),
        ("NE1 4LP", "NE1 4LP", "same"),
    ]
    assert [int(r["car_minutes"]) for r in got] == [
        estimate("NE1 4LP", "NE61 1AA", "car"),
        estimate("NE1 4LP", "TS24 7AA", "car"),
        0,
    ]
    assert [int(r["public_transport_minutes"]) for r in got] == [
        estimate("NE1 4LP", "NE61 1AA", "public_transport"),
        estimate("NE1 4LP", "TS24 7AA", "public_transport"),
        0,
    ]
    # issue #16's examples: Newcastle -> Morpeth drives in 25-30 min, -> Hartlepool 45-50 (the graph said 56, 90)
    assert 25 <= int(got[0]["car_minutes"]) <= 35 and 45 <= int(got[1]["car_minutes"]) <= 55
    assert {r["source"] for r in got} == {r["public_transport_source"] for r in got} == {"estimated"}
    assert capsys.readouterr().out == (
        f"spokeplan: travel times for 3 journeys written to {out}\n"
        "  car               3 estimated\n  public transport  3 estimated\n"
    )


def test_scenario_ids_use_travel_times_csv_by_mode(tmp_path):
    scenario = write_scenario(
        tmp_path / "scn",
        {
            "travel_times.csv": "from_id,to_id,minutes,mode,source\n"
            "HOST1,AREA1,7,car,measured\n"
            "AREA2,HOST2,19,public_transport,routed\n"
        },
    )
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("from,to\nAREA1,HOST1\nHOST2,AREA2\nHUB1,NE1 4LP\n")
    out = tmp_path / "out.csv"
    assert main(["travel", str(pairs), "--out", str(out), "--scenario", str(scenario)]) == 0
    got = rows(out)
    # the car time listed HOST1 -> AREA1 holds the other way too; the bus time only overrides the bus estimate
    assert (got[0]["car_minutes"], got[0]["source"], got[0]["public_transport_source"]) == (
        "7",
        "measured",
        "estimated",
    )
    assert (got[1]["public_transport_minutes"], got[1]["public_transport_source"], got[1]["source"]) == (
        "19",
        "routed",
        "estimated",
    )
    assert (got[2]["source"], got[2]["public_transport_source"]) == ("estimated", "estimated")


def test_bad_rows_exit_2_with_file_line_column_and_nothing_is_written(tmp_path, capsys):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("from,to\nNE1 4LP,HUB1\nnot a place,NE1 4LP\nNE1 4LP,ZZ9 9ZZ\n,NE1 4LP\n")
    out = tmp_path / "out.csv"
    out.write_text("the previous table\n")
    assert main(["travel", str(pairs), "--out", str(out)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {pairs}:5: from: is required and empty",
    ]
    pairs.write_text("from,to\nNE1 4LP,HUB1\nnot a place,NE1 4LP\nNE1 4LP,ZZ9 9ZZ\n")
    assert main(["travel", str(pairs), "--out", str(out)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {pairs}:2: to: 'HUB1' is not a UK postcode (such as NE1 4LP); to name places by id, give --scenario DIR",
        f"error: {pairs}:3: from: 'not a place' is not a UK postcode (such as NE1 4LP); to name places by id, "
        "give --scenario DIR",
        f"error: {pairs}:4: to: 'ZZ9 9ZZ': unknown postcode: not in the ONS Postcode Directory",
    ]
    assert out.read_text() == "the previous table\n"


def test_bad_header_and_missing_file(tmp_path, capsys):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("origin,to\nNE1 4LP,NE1 4LP\n")
    assert main(["travel", str(pairs), "--out", str(tmp_path / "out.csv")]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {pairs}:1: origin: unknown column; expected one of from, to (or a note column starting with x_)",
        f"error: {pairs}:1: from: required column is missing",
    ]
    assert main(["travel", str(tmp_path / "none.csv"), "--out", str(tmp_path / "out.csv")]) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path / 'none.csv'}:0: -: file not found; expected a CSV file with from and to columns\n"
    )
    assert not (tmp_path / "out.csv").exists()


def test_a_bad_scenario_is_reported_like_validate(tmp_path, capsys):
    scenario = write_scenario(tmp_path / "scn", {"scenario.yaml": "casework_mode: walking\n"})
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("from,to\nHUB1,HOST1\n")
    assert main(["travel", str(pairs), "--out", str(tmp_path / "out.csv"), "--scenario", str(scenario)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {scenario / 'scenario.yaml'}:1: casework_mode: ")


def test_import_options_are_refused_without_import(tmp_path, capsys):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("from,to\nNE1 4LP,NE1 4LP\n")
    assert main(["travel", str(pairs), "--out", str(tmp_path / "o.csv"), "--format", "osrm"]) == 2
    assert capsys.readouterr().err == (
        "spokeplan travel: error: --format: only for `spokeplan travel import FILE --format ...`\n"
    )


# --- spokeplan travel import ------------------------------------------------------------------------


def test_import_osrm_with_source_and_destination_ids(tmp_path, capsys):
    out = tmp_path / "travel_times.csv"
    assert (
        main(
            [
                "travel",
                "import",
                str(ROUTERS / "osrm_table.json"),
                "--format",
                "osrm",
                "--source-ids",
                str(ROUTERS / "osrm_sources.csv"),
                "--destination-ids",
                str(ROUTERS / "osrm_destinations.csv"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert [tuple(r.values()) for r in rows(out)] == [
        ("H-NE1", "A-TS24", "49", "car", "routed"),
        ("H-NE1", "H-NE1", "0", "car", "routed"),
        ("H-NE1", "J-NE61", "29", "car", "routed"),
        ("J-NE61", "H-NE1", "30", "car", "routed"),
        ("J-NE61", "J-NE61", "0", "car", "routed"),
    ]
    assert capsys.readouterr().out == (
        f"spokeplan: 5 routed times (car) written to {out}\n"
        "  1 pair without a route left out (the estimate applies to them)\n"
    )


def test_import_osrm_square_table_with_one_id_list(tmp_path, capsys):
    table = tmp_path / "table.json"
    table.write_text(json.dumps({"code": "Ok", "durations": [[0, 600.4], [629.9, 0]]}))
    ids = tmp_path / "ids.csv"
    ids.write_text("id\nHOST1\nAREA1\n")
    out = tmp_path / "travel_times.csv"
    assert main(["travel", "import", str(table), "--format", "osrm", "--ids", str(ids), "--out", str(out)]) == 0
    assert [(r["from_id"], r["to_id"], r["minutes"]) for r in rows(out)] == [
        ("AREA1", "AREA1", "0"),
        ("AREA1", "HOST1", "10"),
        ("HOST1", "AREA1", "10"),
        ("HOST1", "HOST1", "0"),
    ]
    ids.write_text("id\nHOST1\n")
    assert main(["travel", "import", str(table), "--format", "osrm", "--ids", str(ids), "--out", str(out)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {table}:0: sources: 1 ids were given for 2 sources in the table; give one id per coordinate, in "
        "the order they were sent",
        f"error: {table}:0: destinations: 1 ids were given for 2 destinations in the table; give one id per "
        "coordinate, in the order they were sent",
    ]


def test_imported_r5py_times_are_public_transport_and_override_the_plans_estimate(tmp_path):
    # r5py's default is public transport; the written file is a scenario's travel_times.csv as it stands
    matrix = tmp_path / "ttm.csv"
    matrix.write_text("from_id,to_id,travel_time\nAREA1,HOST1,17.6\nAREA3,HOST2,\n")
    scenario = write_scenario(tmp_path / "scn", {"scenario.yaml": "casework_mode: public_transport\n"})
    out = scenario / "travel_times.csv"
    assert main(["travel", "import", str(matrix), "--format", "r5py", "--out", str(out)]) == 0
    assert out.read_text() == "from_id,to_id,minutes,mode,source\nAREA1,HOST1,18,public_transport,routed\n"
    planned = build_instance(load_scenario(scenario))
    assert planned.instance.casework_minutes[("HOST1", "AREA1")] == 18
    assert planned.travel_source(("HOST1", "AREA1")) == "routed"
    assert planned.travel_source(("HOST2", "AREA3")) == "estimated"


def test_import_bad_file_exits_2_and_leaves_the_previous_file(tmp_path, capsys):
    out = tmp_path / "travel_times.csv"
    out.write_text("from_id,to_id,minutes\nA,B,5\n")
    bad = tmp_path / "ttm.csv"
    bad.write_text("from_id,to_id,travel_time\na,b,soon\n")
    assert main(["travel", "import", str(bad), "--format", "r5py", "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"error: {bad}:2: travel_time: expected a number of minutes, not 'soon'\n"
    assert out.read_text() == "from_id,to_id,minutes\nA,B,5\n"
    # waypoint names are streets, not scenario ids
    assert main(["travel", "import", str(ROUTERS / "osrm_table.json"), "--format", "osrm", "--out", str(out)]) == 2
    assert "'Grey Street' cannot be a scenario id" in capsys.readouterr().err
    assert out.read_text() == "from_id,to_id,minutes\nA,B,5\n"


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["import", "--out", "x.csv"], "give the router's file"),
        (["import", "f.json", "--out", "x.csv"], "--format is required with import (one of osrm, r5py, csv)"),
        (
            ["import", "f.csv", "--format", "r5py", "--ids", "i.csv", "--out", "x.csv"],
            "--ids, --source-ids and --destination-ids are for --format osrm",
        ),
        (
            ["import", "f.json", "--format", "osrm", "--source-ids", "i.csv", "--out", "x.csv"],
            "--source-ids and --destination-ids go together",
        ),
        (
            ["import", "f.csv", "--format", "csv", "--time-column", "t", "--out", "x.csv"],
            "--time-column is for --format r5py",
        ),
        (
            ["import", "f.csv", "--format", "csv", "--scenario", "s", "--out", "x.csv"],
            "--scenario is not used by import",
        ),
    ],
)
def test_import_usage_errors_exit_2(arguments, message, capsys):
    assert main(["travel", *arguments]) == 2
    assert capsys.readouterr().err.startswith(f"spokeplan travel: error: {message}")


def test_the_commands_need_no_prefect(tmp_path):
    """Both commands run in a fresh process without importing Prefect (so no server is ever started)."""
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("from,to\nNE1 4LP,DH1 3HP\n")
    code = (
        "import sys; from flows.cli import main; "
        f"a = main(['travel', {str(pairs)!r}, '--out', {str(tmp_path / 'o.csv')!r}]); "
        f"b = main(['travel', 'import', {str(ROUTERS / 'plain.csv')!r}, '--format', 'csv', "
        f"'--out', {str(tmp_path / 't.csv')!r}]); "
        "print(a, b, 'prefect' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.stdout.splitlines()[-1] == "0 0 False", done.stderr

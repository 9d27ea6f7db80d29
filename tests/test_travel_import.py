"""Router imports (OSRM table JSON, r5py travel-time matrix CSV, plain CSV) into travel_times.csv form.

Fixtures in tests/data/routers/ follow the real formats: osrm_table.json is laid out as osrm-backend's
docs/http.md documents the table response (code, durations in seconds with null for no route,
sources/destinations waypoints with hint, distance, name, location); r5py_matrix.csv is what
``r5py.TravelTimeMatrix(...).to_csv(index=False)`` writes (from_id, to_id, travel_time in minutes,
empty where unreachable), r5py_matrix_indexed.csv the same with the index and a non-default
percentile column.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from common.errors import InputError
from scoping.scenario.schemas import TravelTimeRow
from scoping.scenario.travel_estimate import whole_minutes
from scoping.scenario.travel_import import (
    RoutedTime,
    RouterImport,
    id_problems,
    import_router_file,
    read_id_list,
    read_osrm_table,
    read_plain_csv,
    read_r5py_csv,
    travel_times_csv,
)

ROUTERS = Path(__file__).parent / "data" / "routers"


def messages(error: pytest.ExceptionInfo) -> list[str]:
    return [str(p) for p in error.value.problems]


def test_whole_minutes_rounds_half_up():
    assert [whole_minutes(m) for m in (29.495, 29.5, 0.0, 44.49)] == [29, 30, 0, 44]


def test_osrm_table_with_the_callers_ids():
    sources = read_id_list(ROUTERS / "osrm_sources.csv")
    destinations = read_id_list(ROUTERS / "osrm_destinations.csv")
    result = read_osrm_table(ROUTERS / "osrm_table.json", sources, destinations)
    # seconds -> minutes, half up: 1769.7 s = 29.495 min -> 29; 1770 s = 29.5 -> 30; 2931.2 s = 48.85 -> 49
    assert result.times == (
        RoutedTime("H-NE1", "H-NE1", 0),
        RoutedTime("H-NE1", "J-NE61", 29),
        RoutedTime("H-NE1", "A-TS24", 49),
        RoutedTime("J-NE61", "H-NE1", 30),
        RoutedTime("J-NE61", "J-NE61", 0),
    )
    assert result.unreachable == (("J-NE61", "A-TS24"),)  # null: no route


def test_osrm_table_by_waypoint_names_when_they_are_distinct(tmp_path):
    result = import_router_file(ROUTERS / "osrm_table.json", "osrm")
    assert ("Grey Street", "Victoria Road", 49) in [(t.from_id, t.to_id, t.minutes) for t in result.times]


def test_osrm_repeated_waypoint_names_need_ids(tmp_path):
    payload = json.loads((ROUTERS / "osrm_table.json").read_text())
    payload["destinations"][2]["name"] = "Grey Street"
    path = tmp_path / "table.json"
    path.write_text(json.dumps(payload))
    with pytest.raises(InputError) as err:
        read_osrm_table(path)
    assert messages(err) == [
        "error: table.json:0: destinations: waypoint names are empty or repeated (OSRM names "
        "the snapped street, not your place); give the ids in the order the coordinates were sent"
    ]


def test_osrm_fallback_cells_are_not_routes(tmp_path):
    payload = json.loads((ROUTERS / "osrm_table.json").read_text())
    payload["fallback_speed_cells"] = [[0, 2]]
    path = tmp_path / "table.json"
    path.write_text(json.dumps(payload))
    result = read_osrm_table(path, ["a", "b"], ["a", "b", "c"])
    assert ("a", "c") not in {(t.from_id, t.to_id) for t in result.times}
    assert result.router_estimates == (("a", "c"),)


def test_osrm_error_code_is_reported(tmp_path):
    path = tmp_path / "table.json"
    path.write_text('{"code": "InvalidQuery", "message": "Query string malformed close to position 28"}')
    with pytest.raises(InputError) as err:
        read_osrm_table(path, ["a"], ["b"])
    assert messages(err) == [
        "error: table.json:1: code: the router answered 'InvalidQuery': Query string "
        "malformed close to position 28; expected 'Ok'"
    ]


def test_osrm_malformed_json_names_the_line(tmp_path):
    path = tmp_path / "table.json"
    path.write_text('{\n  "code": "Ok",\n  "durations": [[0, 12.5]\n}\n')
    with pytest.raises(InputError) as err:
        read_osrm_table(path, ["a"], ["a", "b"])
    (message,) = messages(err)
    assert message.startswith("error: table.json:4: -: not valid JSON:")


def test_osrm_bad_values_are_located_on_their_line(tmp_path):
    text = (ROUTERS / "osrm_table.json").read_text().replace("[ 1770, 0, null ]", '[ -5, "soon", null ]')
    path = tmp_path / "table.json"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_osrm_table(path, ["a", "b"], ["a", "b", "c"])
    assert messages(err) == [
        "error: table.json:5: durations[1][0]: expected a non-negative number of seconds, not -5",
        "error: table.json:5: durations[1][1]: expected a number of seconds or null, not 'soon'",
    ]


def test_osrm_shape_and_id_count_problems(tmp_path):
    path = tmp_path / "table.json"
    path.write_text('{"code": "Ok", "durations": [[0, 60], [60]]}')
    with pytest.raises(InputError) as err:
        read_osrm_table(path, ["a", "b", "c"], ["a", "b"])
    assert messages(err) == [
        "error: table.json:0: sources: 3 ids were given for 2 sources in the table; give one id per coordinate, "
        "in the order they were sent",
        "error: table.json:1: durations[1]: row has 1 values but the first row has 2",
    ]


def test_osrm_more_than_a_day_is_refused(tmp_path):
    path = tmp_path / "table.json"
    path.write_text('{"code": "Ok", "durations": [[90000]]}')
    with pytest.raises(InputError) as err:
        read_osrm_table(path, ["a"], ["b"])
    assert messages(err) == [
        "error: table.json:1: durations[0][0]: 90000 seconds is more than 1440 minutes (a day); "
        "travel_times.csv holds at most 1440"
    ]


def test_r5py_matrix_minutes_and_unreachable_pairs():
    result = read_r5py_csv(ROUTERS / "r5py_matrix.csv")
    assert [(t.from_id, t.to_id, t.minutes) for t in result.times] == [
        ("J-NE61", "A-NE61", 4),
        ("J-NE61", "A-NE1", 52),
        ("J-NE1", "A-NE61", 48),
        ("J-NE1", "A-NE1", 3),
        ("J-NE1", "A-TS24", 75),
    ]
    assert result.unreachable == (("J-NE61", "A-TS24"),)


def test_r5py_index_column_and_single_percentile_column():
    result = import_router_file(ROUTERS / "r5py_matrix_indexed.csv", "r5py")
    assert [(t.to_id, t.minutes) for t in result.times] == [("A-NE61", 3), ("A-NE1", 45)]  # 44.5 -> 45
    assert result.unreachable == (("J-NE61", "A-TS24"),)


def test_r5py_several_percentiles_need_a_choice(tmp_path):
    path = tmp_path / "ttm.csv"
    path.write_text("from_id,to_id,travel_time_p25,travel_time_p75\na,b,10,20\n")
    with pytest.raises(InputError) as err:
        read_r5py_csv(path)
    assert messages(err) == [
        "error: ttm.csv:1: travel_time_p25: several travel-time columns (travel_time_p25, "
        "travel_time_p75); choose one (time_column)"
    ]
    assert read_r5py_csv(path, time_column="travel_time_p75").times == (RoutedTime("a", "b", 20),)


def test_r5py_bad_rows_are_all_reported_with_lines(tmp_path):
    path = tmp_path / "ttm.csv"
    path.write_text("from_id,to_id,travel_time\na,b,12\n,c,5\na,d,quick\na,e,-3\na,b,14\na,f,2000\na,g\n")
    with pytest.raises(InputError) as err:
        read_r5py_csv(path)
    assert messages(err) == [
        "error: ttm.csv:3: from_id: is empty; expected a place id",
        "error: ttm.csv:4: travel_time: expected a number of minutes, not 'quick'",
        "error: ttm.csv:5: travel_time: expected a non-negative number of minutes, not -3",
        "error: ttm.csv:6: to_id: pair a -> b is listed twice (also on line 2)",
        "error: ttm.csv:7: travel_time: 2000 minutes is more than 1440 minutes (a day); travel_times.csv holds "
        "at most 1440",
        "error: ttm.csv:8: -: row has 2 fields but the header has 3",
    ]


def test_r5py_missing_columns(tmp_path):
    path = tmp_path / "ttm.csv"
    path.write_text("origin,destination,time\na,b,3\n")
    with pytest.raises(InputError) as err:
        read_r5py_csv(path)
    assert messages(err) == [
        "error: ttm.csv:1: travel_time: required column is missing (r5py writes from_id, to_id, travel_time in minutes)",
        "error: ttm.csv:1: from_id: required column is missing",
        "error: ttm.csv:1: to_id: required column is missing",
    ]


def test_plain_csv_rounds_and_requires_minutes(tmp_path):
    result = read_plain_csv(ROUTERS / "plain.csv")
    assert result.times == (RoutedTime("H-NE1", "J-NE61", 31), RoutedTime("J-NE61", "H-NE1", 30))
    path = tmp_path / "times.csv"
    path.write_text("from_id,to_id,minutes\na,b,\n")
    with pytest.raises(InputError) as err:
        read_plain_csv(path)
    assert messages(err) == ["error: times.csv:2: minutes: is empty; expected whole minutes"]


def test_excel_workbook_is_refused(tmp_path):
    path = tmp_path / "times.csv"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputError) as err:
        read_plain_csv(path)
    assert "this is an Excel workbook, not a CSV file" in messages(err)[0]


def test_id_list_problems(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("id,note\nA,\n\nB,\nA,\n,no id here\n")
    with pytest.raises(InputError) as err:
        read_id_list(path)
    assert messages(err) == [
        "error: ids.csv:5: id: A is listed twice (also on line 2)",
        "error: ids.csv:6: id: is empty; expected a place id",
    ]


def test_written_travel_times_are_valid_scenario_rows_marked_routed():
    result = read_r5py_csv(ROUTERS / "r5py_matrix.csv")
    rows = list(csv.DictReader(travel_times_csv(result, "public_transport").decode().splitlines()))
    assert list(rows[0]) == ["from_id", "to_id", "minutes", "mode", "source"]
    assert [tuple(r.values()) for r in rows][:2] == [
        ("J-NE1", "A-NE1", "3", "public_transport", "routed"),
        ("J-NE1", "A-NE61", "48", "public_transport", "routed"),
    ]
    parsed = [TravelTimeRow.model_validate(r) for r in rows]  # the scenario's own schema accepts them
    assert {(row.mode, row.source) for row in parsed} == {("public_transport", "routed")}
    with pytest.raises(ValueError, match="mode must be one of car, public_transport"):
        travel_times_csv(result, "bicycle")


def test_ids_a_scenario_cannot_use_are_reported_once_each():
    result = RouterImport(
        (RoutedTime("Grey Street", "A-1", 3), RoutedTime("A-1", "Grey Street", 4), RoutedTime("A-1", "B_2.x", 5)), ()
    )
    assert [str(p) for p in id_problems(result, "table.json")] == [
        "error: table.json:0: -: 'Grey Street' cannot be a scenario id (letters, digits, _ . - only, at most 64 "
        "characters); give the ids of your hubs, hosts and areas in the order the router was asked (--ids FILE)"
    ]


def test_unknown_format():
    with pytest.raises(ValueError, match="format must be one of osrm, r5py, csv"):
        import_router_file(ROUTERS / "plain.csv", "gpx")

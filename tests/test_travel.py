"""A scenario's travel times: the estimate, the one override rule for measured and routed times,
casework by car or by public transport, and the nearest host / hub of the scoping report."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoping.scenario.geocode import DensityGrid
from scoping.scenario.schemas import TravelTimeRow
from scoping.scenario.travel import (
    ESTIMATED,
    GivenTime,
    GivenTimes,
    Nearest,
    apply_measured,
    casework_pairs,
    nearest,
    supervision_pairs,
    travel_pairs,
)
from scoping.scenario.travel_estimate import Place, estimated_pairs, minutes_between
from tests.strategies import examples

# No postcodes anywhere: every end is open country (urban share 0), so minutes follow distance alone.
EMPTY_GRID = DensityGrid(np.zeros((20, 20), dtype=np.uint16))


def times(*rows: tuple) -> GivenTimes:
    """GivenTimes from (from_id, to_id, minutes[, mode[, source]]) tuples, through the travel_times.csv schema."""
    names = ("from_id", "to_id", "minutes", "mode", "source")
    return GivenTimes.from_rows(TravelTimeRow.model_validate(dict(zip(names, row))) for row in rows)


# --- the override rule ------------------------------------------------------------------------------


def test_a_given_time_replaces_the_estimate_and_says_where_it_came_from():
    got = apply_measured(
        {("A", "B"): 30, ("A", "C"): 40},
        times(("A", "B", 12), ("A", "C", 41, "car", "routed")),
        "car",
        ["A"],
        ["B", "C"],
        45,
    )
    assert got.minutes == {("A", "B"): 12, ("A", "C"): 41}
    assert (got.source(("A", "B")), got.source(("A", "C"))) == ("measured", "routed")


def test_times_are_symmetric_unless_both_directions_are_listed():
    one_way = times(("B", "A", 12))
    assert apply_measured({("A", "B"): 30}, one_way, "car", ["A"], ["B"], 45).minutes == {("A", "B"): 12}
    both = times(("A", "B", 10), ("B", "A", 14))
    assert apply_measured({("A", "B"): 30}, both, "car", ["A"], ["B"], 45).minutes == {("A", "B"): 10}
    assert apply_measured({("B", "A"): 30}, both, "car", ["B"], ["A"], 45).minutes == {("B", "A"): 14}


def test_a_given_time_over_the_limit_removes_a_pair_the_estimate_kept():
    got = apply_measured({("A", "B"): 30}, times(("A", "B", 75)), "car", ["A"], ["B"], 60)
    assert got.minutes == {} and got.sources == {}


def test_a_given_time_within_the_limit_adds_a_pair_the_estimate_cut():
    got = apply_measured({}, times(("A", "B", 19)), "car", ["A"], ["B"], 20)
    assert got.minutes == {("A", "B"): 19} and got.source(("A", "B")) == "measured"
    assert apply_measured({}, times(("A", "B", 21)), "car", ["A"], ["B"], 20).minutes == {}


def test_per_source_limits_and_no_limit():
    given = times(("H1", "X", 37), ("H2", "X", 37))
    assert apply_measured({}, given, "car", ["H1", "H2"], ["X"], {"H1": 40, "H2": 30}).minutes == {("H1", "X"): 37}
    assert apply_measured({}, given, "car", ["H1", "H2"], ["X"]).minutes == {("H1", "X"): 37, ("H2", "X"): 37}


def test_a_time_of_one_mode_never_overrides_the_other():
    given = times(("A", "B", 5, "car"), ("A", "B", 50, "public_transport"))
    assert apply_measured({("A", "B"): 30}, given, "car", ["A"], ["B"], 60).minutes == {("A", "B"): 5}
    assert apply_measured({("A", "B"): 30}, given, "public_transport", ["A"], ["B"], 60).minutes == {("A", "B"): 50}
    only_car = times(("A", "B", 5))
    kept = apply_measured({("A", "B"): 30}, only_car, "public_transport", ["A"], ["B"], 60)
    assert kept.minutes == {("A", "B"): 30} and kept.source(("A", "B")) == ESTIMATED


def test_pairs_outside_the_sources_and_targets_are_left_alone():
    got = apply_measured({("A", "B"): 30}, times(("A", "Z", 1), ("Y", "B", 1)), "car", ["A"], ["B"], 60)
    assert got.minutes == {("A", "B"): 30}


def reference_rule(estimated, rows, mode, sources, targets, limit):
    """The rule of scoping/scenario/travel.py's docstring, written out pair by pair."""
    listed = {(a, b): (m, s) for a, b, m, md, s in rows if md == mode}
    result, origin = {}, {}
    for source in sources:
        for target in targets:
            time = listed.get((source, target)) or listed.get((target, source))
            if time is None:
                if (source, target) in estimated:
                    result[(source, target)] = estimated[(source, target)]
            elif time[0] <= limit:
                result[(source, target)], origin[(source, target)] = time
    return result, origin


@settings(max_examples=examples(60), deadline=None)
@given(
    st.dictionaries(st.tuples(st.sampled_from("ABC"), st.sampled_from("XYZ")), st.integers(0, 90), max_size=9),
    st.lists(
        st.tuples(
            st.sampled_from("ABCXYZ"),
            st.sampled_from("ABCXYZ"),
            st.integers(0, 90),
            st.sampled_from(["car", "public_transport"]),
            st.sampled_from(["measured", "routed"]),
        ),
        max_size=8,
        unique_by=lambda row: (row[0], row[1], row[3]),
    ),
    st.sampled_from(["car", "public_transport"]),
    st.integers(0, 90),
)
def test_the_rule_agrees_with_a_pair_by_pair_reference(estimated, rows, mode, limit):
    estimated = {pair: minutes for pair, minutes in sorted(estimated.items()) if minutes <= limit}  # as estimated
    got = apply_measured(estimated, times(*rows), mode, list("ABC"), list("XYZ"), limit)
    expected, origin = reference_rule(estimated, rows, mode, "ABC", "XYZ", limit)
    assert got.minutes == expected and got.sources == origin
    assert list(got.minutes) == sorted(got.minutes)


# --- estimate + rule ------------------------------------------------------------------------------


def test_travel_pairs_is_the_estimate_with_given_times_over_it():
    places = [Place("A", 0, 0), Place("B", 10_000, 0), Place("C", 30_000, 0)]
    estimate = estimated_pairs(places[:1], places[1:], 60, "car", EMPTY_GRID)
    assert set(estimate) == {("A", "B"), ("A", "C")}
    got = travel_pairs(places[:1], places[1:], 60, "car", times(("C", "A", 70)), EMPTY_GRID)
    assert got.minutes == {("A", "B"): estimate[("A", "B")]}  # A-C measured 70 > 60: gone
    assert got.source(("A", "B")) == ESTIMATED


def test_supervision_is_by_car_per_hub_limit():
    hubs = [Place("H1", 0, 0), Place("H2", 0, 0)]
    host = [Place("J", 20_000, 0)]
    car = int(minutes_between(hubs[:1], host, "car", EMPTY_GRID)[0])
    got = supervision_pairs(hubs, host, {"H1": car, "H2": car - 1}, grid=EMPTY_GRID)
    assert got.minutes == {("H1", "J"): car}


def test_casework_by_public_transport_runs_from_the_area_and_is_keyed_host_area():
    # A host in a town centre (2,000 postcodes around it) and an area in open country 12 km away: by
    # bus the young person waits at the area's rural stop, so area -> host is longer than host -> area.
    counts = np.zeros((20, 20), dtype=np.uint16)
    counts[5, 5] = 2000
    grid = DensityGrid(counts, 1.0)
    host, area = Place("HOST", 5_500, 5_500), Place("AREA", 17_500, 5_500)
    from_area = int(minutes_between([area], [host], "public_transport", grid)[0])
    from_host = int(minutes_between([host], [area], "public_transport", grid)[0])
    by_car = int(minutes_between([host], [area], "car", grid)[0])
    assert from_area > from_host > by_car
    assert casework_pairs([host], [area], 600, "public_transport", grid=grid).minutes == {("HOST", "AREA"): from_area}
    assert casework_pairs([host], [area], 600, "car", grid=grid).minutes == {("HOST", "AREA"): by_car}
    # the limit cuts at the bus time, and a bus time listed host -> area counts for the journey back
    assert casework_pairs([host], [area], from_area - 1, "public_transport", grid=grid).minutes == {}
    listed = times(("HOST", "AREA", 33, "public_transport", "routed"))
    got = casework_pairs([host], [area], 45, "public_transport", listed, grid)
    assert got.minutes == {("HOST", "AREA"): 33} and got.source(("HOST", "AREA")) == "routed"


# --- nearest --------------------------------------------------------------------------------------


def test_nearest_candidate_with_ties_to_the_smaller_id_and_given_times_counted():
    area = [Place("AREA", 0, 0)]
    hosts = [Place("J2", 10_000, 0), Place("J1", -10_000, 0), Place("J3", 25_000, 0)]
    ten_km = int(minutes_between([hosts[0]], area, "car", EMPTY_GRID)[0])
    assert nearest(area, hosts, "car", True, grid=EMPTY_GRID) == {"AREA": Nearest("J1", ten_km, ESTIMATED)}
    # a measured time slower than the estimate moves the nearest host; a faster one wins outright
    slow = nearest(area, hosts, "car", True, times(("J1", "AREA", 99), ("J2", "AREA", 98)), EMPTY_GRID)["AREA"]
    assert (slow.place_id, slow.source) == ("J3", ESTIMATED)
    fast = nearest(area, hosts, "car", True, times(("AREA", "J3", 2, "car", "routed")), EMPTY_GRID)["AREA"]
    assert (fast.place_id, fast.minutes, fast.source) == ("J3", 2, "routed")
    assert nearest(area, [], "car", True, grid=EMPTY_GRID) == {}


def test_given_time_lookup_as_listed_then_reversed():
    given = GivenTimes({"car": {("A", "B"): GivenTime(10, "measured"), ("B", "A"): GivenTime(14, "routed")}})
    assert given.lookup("car", "A", "B") == GivenTime(10, "measured")
    assert given.lookup("car", "B", "A") == GivenTime(14, "routed")
    assert given.lookup("public_transport", "A", "B") is None
    assert GivenTimes({"car": {("A", "B"): GivenTime(10, "measured")}}).lookup("car", "B", "A").minutes == 10


@pytest.mark.parametrize("mode", ["car", "public_transport"])
def test_pairs_do_not_depend_on_the_order_of_places(mode):
    rng = np.random.default_rng(3)
    places = [Place(f"P{k}", float(x), float(y)) for k, (x, y) in enumerate(rng.uniform(0, 19_000, (30, 2)))]
    first = travel_pairs(places[:10], places, 45, mode, grid=EMPTY_GRID).minutes
    second = travel_pairs(list(reversed(places[:10])), list(reversed(places)), 45, mode, grid=EMPTY_GRID).minutes
    assert first == second and list(first) == sorted(first)

"""Travel-time estimate on the neighbour graph, measured-time precedence and pruning to limits."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings, strategies as st

from scoping.scenario.travel import (
    CIRCUITY, RURAL_SPEED_KMH, URBAN_SPEED_KMH, Place, build_travel_graph, edge_minutes, edge_speed_kmh,
    round_minutes, travel_pairs,
)
from tests.strategies import examples


def test_edge_minutes_by_hand():
    # 1 km in town: 1 x 1.3 / 24 km/h = 3.25 minutes
    assert edge_minutes(1.0) == pytest.approx(1.0 * CIRCUITY / URBAN_SPEED_KMH * 60) == pytest.approx(3.25)
    # 30 km in the country: 30 x 1.3 / 64 km/h = 36.5625 minutes
    assert edge_minutes(30.0) == pytest.approx(36.5625)
    # halfway between the urban and rural edge lengths (11 km) runs at the mid speed, 44 km/h
    assert edge_speed_kmh(11.0) == pytest.approx((URBAN_SPEED_KMH + RURAL_SPEED_KMH) / 2)


def test_rounding_half_up():
    assert (round_minutes(44.49), round_minutes(44.5), round_minutes(0.0)) == (44, 45, 0)


def test_three_points_by_hand():
    places = [Place("A", 0, 0), Place("B", 1000, 0), Place("C", 0, 30000)]
    graph = build_travel_graph(places)
    pairs = travel_pairs(graph, ["A"], ["B", "C"], 60)
    assert pairs == {("A", "B"): 3, ("A", "C"): 37}  # 3.25 -> 3; 36.5625 -> 37 (direct edge)


def test_shortest_path_through_an_intermediate_place():
    # A long thin triangle where going round via M is cheaper than the straight edge? Not possible with
    # one speed; with density-dependent speed a long edge (rural, fast) can beat two short (urban) ones.
    # A-B direct 3.8 km at interpolated speed vs A-M-B: make Dijkstra choose by weight, then check it.
    places = [Place("A", 0, 0), Place("M", 1900, 300), Place("B", 3800, 0), Place("Far", 1900, -60000)]
    graph = build_travel_graph(places)
    direct = graph.edges[(0.0, 0.0), (3800.0, 0.0)]["minutes"] if graph.has_edge((0.0, 0.0), (3800.0, 0.0)) else None
    via = graph.edges[(0.0, 0.0), (1900.0, 300.0)]["minutes"] + graph.edges[(1900.0, 300.0), (3800.0, 0.0)]["minutes"]
    expected = min(x for x in (direct, via) if x is not None)
    pairs = travel_pairs(graph, ["A"], ["B"], 60)
    assert pairs[("A", "B")] == round_minutes(expected)
    assert nx.dijkstra_path_length(graph, (0.0, 0.0), (3800.0, 0.0), weight="minutes") == pytest.approx(expected)


def test_path_via_intermediate_node_when_no_direct_edge():
    # Four points on a square with a fifth in the middle: opposite corners are not Delaunay neighbours
    # of each other (the centre splits the square), so their time is two edges through the centre.
    places = [Place("SW", 0, 0), Place("SE", 2000, 0), Place("NE", 2000, 2000), Place("NW", 0, 2000),
              Place("C", 1000, 1000)]
    graph = build_travel_graph(places)
    assert not graph.has_edge((0.0, 0.0), (2000.0, 2000.0))
    half_diagonal_km = (2 ** 0.5)
    assert travel_pairs(graph, ["SW"], ["NE"], 60)[("SW", "NE")] == round_minutes(2 * edge_minutes(half_diagonal_km))


def test_limit_pruning_at_and_over_the_limit():
    places = [Place("A", 0, 0), Place("C", 0, 30000)]  # 37 minutes apart
    graph = build_travel_graph(places)
    assert travel_pairs(graph, ["A"], ["C"], 37) == {("A", "C"): 37}
    assert travel_pairs(graph, ["A"], ["C"], 36) == {}


def test_per_source_limits():
    places = [Place("H1", 0, 0), Place("H2", 60000, 0), Place("X", 30000, 0)]
    graph = build_travel_graph(places)
    # both hubs are 30 km (36.5625 -> 37 min) from X; only H1's limit admits it
    assert travel_pairs(graph, ["H1", "H2"], ["X"], {"H1": 40, "H2": 30}) == {("H1", "X"): 37}


def test_measured_times_take_precedence_in_both_directions():
    places = [Place("A", 0, 0), Place("B", 1000, 0), Place("C", 0, 30000)]
    graph = build_travel_graph(places)
    # listed as B -> A only: used for A -> B as well
    assert travel_pairs(graph, ["A"], ["B"], 60, {("B", "A"): 12}) == {("A", "B"): 12}
    # a measured time over the limit removes a pair the estimate admitted
    assert travel_pairs(graph, ["A"], ["B"], 60, {("A", "B"): 75}) == {}
    # a measured time within the limit admits a pair the estimate excluded
    assert travel_pairs(graph, ["A"], ["C"], 20, {("A", "C"): 19}) == {("A", "C"): 19}


def test_asymmetric_measured_pairs_are_kept_apart():
    places = [Place("A", 0, 0), Place("B", 1000, 0)]
    graph = build_travel_graph(places)
    measured = {("A", "B"): 10, ("B", "A"): 14}
    assert travel_pairs(graph, ["A"], ["B"], 60, measured) == {("A", "B"): 10}
    assert travel_pairs(graph, ["B"], ["A"], 60, measured) == {("B", "A"): 14}


def test_places_at_the_same_location_are_zero_minutes_apart():
    places = [Place("HOST", 500, 500), Place("AREA", 500, 500), Place("X", 5000, 0)]
    graph = build_travel_graph(places)
    assert travel_pairs(graph, ["HOST"], ["AREA"], 45) == {("HOST", "AREA"): 0}


def test_one_or_two_points_and_collinear_points():
    assert travel_pairs(build_travel_graph([Place("A", 0, 0)]), ["A"], ["A"], 10) == {("A", "A"): 0}
    line = [Place(f"P{i}", 1000 * i, 0) for i in range(4)]
    graph = build_travel_graph(line)
    assert nx.is_connected(graph)
    assert travel_pairs(graph, ["P0"], ["P3"], 60) == {("P0", "P3"): round_minutes(3 * 3.25)}


def test_deterministic():
    places = [Place(f"P{i}", (i * 7919) % 50000, (i * 104729) % 40000) for i in range(200)]
    first = travel_pairs(build_travel_graph(places), ["P1", "P2"], [p.place_id for p in places], 45)
    second = travel_pairs(build_travel_graph(list(reversed(places))), ["P1", "P2"], [p.place_id for p in places], 45)
    assert first == second and list(first) == sorted(first)


def _networkx_pairs(graph, sources, targets, limit):
    """An independent search: networkx Dijkstra per source with a cutoff (the former implementation)."""
    site_of = graph.graph["site_of"]
    expected = {}
    for source in sources:
        source_limit = limit[source] if isinstance(limit, dict) else limit
        reached = nx.single_source_dijkstra_path_length(graph, site_of[source], cutoff=source_limit + 0.5,
                                                        weight="minutes")
        for target in targets:
            minutes = reached.get(site_of[target])
            if minutes is not None and round_minutes(minutes) <= source_limit:
                expected[(source, target)] = round_minutes(minutes)
    return expected


def test_agrees_with_networkx_dijkstra_on_the_same_graph(monkeypatch):
    # travel_pairs searches with scipy's csgraph in blocks of sources; networkx, one source at a time,
    # must give the same pairs and minutes (blocks of 7 so several blocks and a partial one are used).
    import numpy as np

    import scoping.scenario.travel

    monkeypatch.setattr(scoping.scenario.travel, "SOURCE_BLOCK", 7)
    rng = np.random.default_rng(7)
    xy = np.round(rng.uniform([0, 0], [60000, 40000], size=(300, 2)))
    xy[:5] = xy[5]  # several places at one location
    places = [Place(f"P{i}", float(x), float(y)) for i, (x, y) in enumerate(xy)]
    graph = build_travel_graph(places)
    sources, targets = [f"P{i}" for i in range(0, 40)], [f"P{i}" for i in range(3, 300)]
    limits = {source: (20, 30, 45)[k % 3] for k, source in enumerate(sources)}
    for limit in (30, limits):
        expected = _networkx_pairs(graph, sources, targets, limit)
        assert expected  # the case is not vacuous
        assert travel_pairs(graph, sources, targets, limit) == expected


@settings(max_examples=examples(40))
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=30), st.integers(0, 50))
def test_agrees_with_networkx_on_random_places(points, limit):
    places = [Place(f"P{i}", x * 1500.0, y * 1500.0) for i, (x, y) in enumerate(points)]
    graph = build_travel_graph(places)
    ids = [p.place_id for p in places]
    assert travel_pairs(graph, ids[::2], ids, limit) == _networkx_pairs(graph, ids[::2], ids, limit)


def test_measured_both_directions_one_over_the_limit():
    places = [Place("A", 0, 0), Place("B", 1000, 0)]
    graph = build_travel_graph(places)
    measured = {("A", "B"): 50, ("B", "A"): 20}
    assert travel_pairs(graph, ["A", "B"], ["A", "B"], 45, measured) == {("A", "A"): 0, ("B", "A"): 20, ("B", "B"): 0}


_points = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=25)


@settings(max_examples=examples(60))
@given(_points, st.integers(0, 60))
def test_estimates_are_symmetric_and_monotone_in_the_limit(points, limit):
    # Grid coordinates in km (many duplicates and collinear runs on purpose).
    places = [Place(f"P{i}", x * 1000.0, y * 1000.0) for i, (x, y) in enumerate(points)]
    graph = build_travel_graph(places)
    ids = [p.place_id for p in places]
    assert nx.is_connected(graph)
    pairs = travel_pairs(graph, ids, ids, limit)
    wider = travel_pairs(graph, ids, ids, limit + 15)
    for (a, b), minutes in pairs.items():
        assert pairs[(b, a)] == minutes  # undirected estimate
        assert wider[(a, b)] == minutes  # a wider limit keeps every pair at the same minutes
        assert 0 <= minutes <= limit
    assert all(pairs[(p, p)] == 0 for p in ids)
    assert {k for k, m in wider.items() if m <= limit} == set(pairs)

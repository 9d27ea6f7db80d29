"""Travel times between places: measured where given, otherwise estimated on a neighbour graph.

The estimate (documented in the README, "Travel-time estimate"):

* **Graph.** Every distinct location (British National Grid metres) is a node; neighbours are
  joined by the edges of shapely's Delaunay triangulation, so each place connects to the places
  around it and long trips run through intermediate places, as roads do.
* **Edge minutes** = straight-line km × ``CIRCUITY`` / speed × 60. Speed follows local density,
  read from the edge's own length: Delaunay edges are short where places are dense (towns) and
  long where they are sparse (rural areas, trunk roads). Edges up to ``URBAN_EDGE_KM`` run at
  ``URBAN_SPEED_KMH``; edges from ``RURAL_EDGE_KM`` at ``RURAL_SPEED_KMH``; in between the speed
  is interpolated linearly.
* **Pair minutes** = the shortest path, rounded half up to whole minutes. Places at the same
  location are 0 minutes apart. The graph is built with networkx (readable, easy to inspect in
  tests); the search converts it once to a sparse matrix and runs
  ``scipy.sparse.csgraph.dijkstra`` from all sources of one limit at once, stopping at the limit
  (measured 2.3x faster than a networkx Dijkstra per source on the national benchmark, same pairs:
  benchmarks/travel_graph.py).
* **Measured times** (``travel_times.csv``) replace the estimate for the pairs they list, in both
  directions unless both directions are listed; a measured time over the limit removes the pair
  even if the estimate was within it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import networkx as nx
import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

# Road distance / straight-line distance in Great Britain: ~1.2-1.4 in published comparisons of
# road and crow-fly distances; 1.3 is the usual planning figure.
CIRCUITY = 1.3
# Average door-to-door driving speeds: ~24 km/h (15 mph) in towns, ~64 km/h (40 mph) on rural
# A-roads and trunk roads (DfT average speed statistics put urban A-roads near 15-25 mph and
# rural A-roads near 40-50 mph; the lower ends allow for junctions and parking).
URBAN_SPEED_KMH = 24.0
RURAL_SPEED_KMH = 64.0
URBAN_EDGE_KM = 2.0
RURAL_EDGE_KM = 20.0
# Sources searched together: bounds the distance matrix to SOURCE_BLOCK x places floats (~8 MB
# per 1,000 places).
SOURCE_BLOCK = 256


@dataclass(frozen=True)
class Place:
    """A hub, host or area at a British National Grid point (metres); ids are unique across kinds."""

    place_id: str
    easting: float
    northing: float


def straight_line_km(a: Place, b: Place) -> float:
    """Crow-fly distance in kilometres between two places."""
    return math.hypot(a.easting - b.easting, a.northing - b.northing) / 1000.0


def edge_speed_kmh(length_km: float) -> float:
    """Speed on a neighbour edge: urban for short edges, rural for long ones, linear in between."""
    if length_km <= URBAN_EDGE_KM:
        return URBAN_SPEED_KMH
    if length_km >= RURAL_EDGE_KM:
        return RURAL_SPEED_KMH
    share = (length_km - URBAN_EDGE_KM) / (RURAL_EDGE_KM - URBAN_EDGE_KM)
    return URBAN_SPEED_KMH + share * (RURAL_SPEED_KMH - URBAN_SPEED_KMH)


def edge_minutes(length_km: float) -> float:
    """Minutes to drive a neighbour edge of `length_km` straight-line kilometres."""
    return length_km * CIRCUITY / edge_speed_kmh(length_km) * 60.0


def round_minutes(minutes: float) -> int:
    """Whole minutes, half up (a 44.5-minute trip counts as 45)."""
    return int(math.floor(minutes + 0.5 + 1e-9))


def build_travel_graph(places: Sequence[Place]) -> nx.Graph:
    """Neighbour graph over distinct locations; `graph.graph["site_of"]` maps place id -> node."""
    site_of: dict[str, tuple[float, float]] = {}
    for place in places:
        site_of[place.place_id] = (float(place.easting), float(place.northing))
    sites = sorted(set(site_of.values()))
    graph = nx.Graph(site_of=site_of)
    graph.add_nodes_from(sites)
    if len(sites) == 2:
        pairs = [(sites[0], sites[1])]
    elif len(sites) > 2:
        points = shapely.multipoints(np.array(sites))
        edges = shapely.delaunay_triangles(points, only_edges=True)
        coords = shapely.get_coordinates(edges).reshape(-1, 2, 2)
        pairs = [((a[0], a[1]), (b[0], b[1])) for a, b in coords.tolist()]
        if not pairs:  # all points collinear: Delaunay has no triangles; chain them in order
            ordered = sorted(sites)
            pairs = list(zip(ordered, ordered[1:]))
    else:
        pairs = []
    for a, b in pairs:
        length_km = math.hypot(a[0] - b[0], a[1] - b[1]) / 1000.0
        graph.add_edge(a, b, minutes=edge_minutes(length_km))
    return graph


def _measured_minutes(measured: Mapping[tuple[str, str], int], source: str, target: str) -> int | None:
    """A measured time for source -> target: as listed, or the reverse if only that is listed."""
    if (source, target) in measured:
        return measured[(source, target)]
    if (target, source) in measured:
        return measured[(target, source)]
    return None


def travel_pairs(
    graph: nx.Graph,
    sources: Sequence[str],
    targets: Sequence[str],
    limit: int | Mapping[str, int],
    measured: Mapping[tuple[str, str], int] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[tuple[str, str], int]:
    """Integer minutes for every (source, target) pair within the limit (per source if a mapping)."""
    measured = measured or {}
    site_of: dict[str, tuple[float, float]] = graph.graph["site_of"]
    targets_at: dict[tuple[float, float], list[str]] = {}
    for target in targets:
        targets_at.setdefault(site_of[target], []).append(target)
    result: dict[tuple[str, str], int] = {}
    nodes = list(graph.nodes)
    node_index = {node: k for k, node in enumerate(nodes)}
    matrix = nx.to_scipy_sparse_array(graph, nodelist=nodes, weight="minutes", format="csr")
    target_nodes = np.array(sorted({node_index[site] for site in targets_at}), dtype=np.int64)
    targets_of_node = [targets_at[nodes[k]] for k in target_nodes.tolist()]
    by_limit: dict[int, list[str]] = {}
    for source in sources:
        by_limit.setdefault(limit[source] if isinstance(limit, Mapping) else limit, []).append(source)
    done = 0
    for source_limit, group in sorted(by_limit.items()):
        for start in range(0, len(group), SOURCE_BLOCK):
            block = group[start:start + SOURCE_BLOCK]
            if not len(target_nodes):
                distances = np.empty((len(block), 0))
            else:
                # One search from every source of this limit; paths longer than limit + 0.5 minutes
                # cannot round to within the limit, so the search stops there (inf beyond it).
                distances = dijkstra(matrix, directed=False, indices=[node_index[site_of[s]] for s in block],
                                     limit=source_limit + 0.5)[:, target_nodes]
            rounded = np.floor(distances + 0.5 + 1e-9)  # round_minutes, vectorised
            rows, cols = np.nonzero(rounded <= source_limit)
            for row, col, minutes in zip(rows.tolist(), cols.tolist(), rounded[rows, cols].astype(int).tolist()):
                source = block[row]
                for target in targets_of_node[col]:
                    result[(source, target)] = minutes
            done += len(block)
            if on_progress:
                on_progress(done, len(sources))
    if measured:
        source_set, target_set = set(sources), set(targets)
        for a, b in measured:
            for source, target in ((a, b), (b, a)):
                if source in source_set and target in target_set:
                    minutes = _measured_minutes(measured, source, target)
                    source_limit = limit[source] if isinstance(limit, Mapping) else limit
                    if minutes is not None and minutes <= source_limit:
                        result[(source, target)] = minutes
                    else:
                        result.pop((source, target), None)
    return dict(sorted(result.items()))

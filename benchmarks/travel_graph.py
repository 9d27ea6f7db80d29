"""Travel-time graph: spokeplan's construction vs scipy.sparse.csgraph.dijkstra with a limit.

Same places (the national instance's hubs, hosts and areas), same Delaunay graph and edge minutes:

* spokeplan: ``build_travel_graph`` (networkx graph) + ``travel_pairs`` (csgraph search on it) for hub -> host (supervision
  limit) and host -> area (casework limit), exactly as benchmarks/instances.py builds an instance;
* scipy: the same edges as a CSR matrix, ``dijkstra(indices=sources, limit=limit + 0.5)``, rounded
  half up like spokeplan, pairs kept within the limit.

Prints the time of each (graph build and pair search separately), the pair counts and how many
pairs agree (same pair set, same minutes). Deterministic: no randomness in either.

    python -m benchmarks.travel_graph [--size national] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np


def scipy_pairs(places, sources, targets, limit):
    """(graph seconds, search seconds, pairs) via scipy.sparse.csgraph.dijkstra."""
    import shapely
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    from scoping.scenario.travel import CIRCUITY, RURAL_EDGE_KM, RURAL_SPEED_KMH, URBAN_EDGE_KM, URBAN_SPEED_KMH

    started = time.perf_counter()
    site_of = {p.place_id: (float(p.easting), float(p.northing)) for p in places}
    sites = sorted(set(site_of.values()))
    index = {s: k for k, s in enumerate(sites)}
    points = np.array(sites)
    edges = shapely.delaunay_triangles(shapely.multipoints(points), only_edges=True)
    coords = shapely.get_coordinates(edges).reshape(-1, 2, 2)
    a = np.array([index[(x, y)] for x, y in coords[:, 0].tolist()])
    b = np.array([index[(x, y)] for x, y in coords[:, 1].tolist()])
    km = np.hypot(*(coords[:, 0] - coords[:, 1]).T) / 1000.0
    share = np.clip((km - URBAN_EDGE_KM) / (RURAL_EDGE_KM - URBAN_EDGE_KM), 0, 1)
    minutes = km * CIRCUITY / (URBAN_SPEED_KMH + share * (RURAL_SPEED_KMH - URBAN_SPEED_KMH)) * 60.0
    matrix = coo_matrix((minutes, (a, b)), shape=(len(sites), len(sites))).tocsr()
    graph_s = time.perf_counter() - started

    started = time.perf_counter()
    result = {}
    for group_sources, group_targets, group_limit in zip(sources, targets, limit):
        source_nodes = [index[site_of[s]] for s in group_sources]
        dist = dijkstra(matrix, directed=False, indices=source_nodes, limit=group_limit + 0.5)
        target_nodes = np.array([index[site_of[t]] for t in group_targets])
        sub = dist[:, target_nodes]
        rounded = np.floor(sub + 0.5 + 1e-9)
        rows, cols = np.nonzero(rounded <= group_limit)
        for r, c in zip(rows.tolist(), cols.tolist()):
            result[(group_sources[r], group_targets[c])] = int(rounded[r, c])
    return graph_s, time.perf_counter() - started, result


def spokeplan_pairs(places, sources, targets, limit):
    from scoping.scenario.travel import build_travel_graph, travel_pairs

    started = time.perf_counter()
    graph = build_travel_graph(places)
    graph_s = time.perf_counter() - started
    started = time.perf_counter()
    result = {}
    for group_sources, group_targets, group_limit in zip(sources, targets, limit):
        result.update(travel_pairs(graph, group_sources, group_targets, group_limit))
    return graph_s, time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="national")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="best of N timings")
    args = parser.parse_args()
    from benchmarks.instances import describe, make_instance
    from scoping.scenario.travel import Place

    inst = make_instance(args.size, seed=args.seed)
    print(f"## {args.size}: {describe(inst)}")
    places = [Place(h.hub_id, h.easting, h.northing) for h in inst.hubs] + \
        [Place(h.host_id, h.easting, h.northing) for h in inst.hosts] + \
        [Place(a.area_id, a.easting, a.northing) for a in inst.areas]
    hubs, hosts, areas = [h.hub_id for h in inst.hubs], [h.host_id for h in inst.hosts], [a.area_id for a in inst.areas]
    groups = ([hubs, hosts], [hosts, areas], [inst.rules.supervision_minutes, inst.rules.casework_minutes])
    timings = {}
    pairs = {}
    for name, function in (("spokeplan", spokeplan_pairs), ("scipy csgraph", scipy_pairs)):
        best = (math.inf, math.inf)
        for _ in range(args.repeat):
            graph_s, search_s, found = function(places, groups[0], groups[1], groups[2])
            if graph_s + search_s < sum(best):
                best = (graph_s, search_s)
        timings[name], pairs[name] = best, found
    print(f"{'method':<22} {'graph s':>8} {'pairs s':>8} {'total s':>8} {'pairs':>8}")
    for name, (graph_s, search_s) in timings.items():
        print(f"{name:<22} {graph_s:>8.2f} {search_s:>8.2f} {graph_s + search_s:>8.2f} {len(pairs[name]):>8}")
    ours, theirs = pairs["spokeplan"], pairs["scipy csgraph"]
    same_keys = ours.keys() & theirs.keys()
    agree = sum(ours[k] == theirs[k] for k in same_keys)
    print(f"agreement: {agree} of {len(ours | theirs)} pairs identical (minutes equal); only spokeplan "
          f"{len(ours.keys() - theirs.keys())}, only scipy {len(theirs.keys() - ours.keys())}, "
          f"minutes differ {len(same_keys) - agree}")
    ratio = sum(timings["spokeplan"]) / sum(timings["scipy csgraph"])
    print(f"spokeplan / scipy time: {ratio:.2f}x (target <= 2x: {'met' if ratio <= 2 else 'not met'})")


if __name__ == "__main__":
    main()
